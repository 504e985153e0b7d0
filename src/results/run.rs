//! A whole run folder read back: `calls.csv`, `windows.csv`, `summary.csv` and
//! `comparison.csv` (stale ones left to be recomputed), `metadata.json` when present, and what
//! each function's input is. Every reader of a run (charts, report, compare) starts here; a
//! file that cannot be read is an error naming the file and the fix.

use super::call::{CallRow, RuntimeName};
use super::cells::{CellCalls, RunCalls};
use super::comparison::{pairs_of, ComparisonRow, Metric, REFERENCE};
use super::files::{header_line, read_rows};
use super::inputs::InputKind;
use super::metadata::{self, Metadata, Status};
use super::summary::SummaryRow;
use super::window::WindowRow;
use anyhow::{anyhow, Context, Result};
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Which derived tables of a run folder must be computed again from its calls: missing, empty,
/// or computed from other calls than `calls.csv` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stale {
    /// `summary.csv` is missing, empty, or counts other calls than `calls.csv` holds.
    pub summary: bool,
    /// `comparison.csv` is missing, empty or does not match the calls (always when the summary is
    /// stale).
    pub comparison: bool,
}

/// Every call's runtime is one of the run's; else an error naming the first row that is not.
fn check_runtimes(calls: &RunCalls, runtimes: &[String], path: &Path) -> Result<()> {
    let mut cells: Vec<&CellCalls> = calls.cells.iter().collect();
    cells.sort_by_key(|c| c.first_line);
    for c in cells {
        if let Err(why) = RuntimeName::new(c.runtime.as_str()).check(runtimes) {
            return Err(anyhow!(
                "{}: line {}: {why}: the row does not belong to this run (its metadata.json \
                 names the runtimes); remove it, or restore the file from a copy of the run",
                path.display(),
                c.first_line
            ));
        }
    }
    Ok(())
}

/// Everything the charts and the report read from one run.
#[derive(Debug, Clone, Default)]
pub struct RunData {
    /// The run folder read.
    pub dir: PathBuf,
    /// `metadata.json`, when the folder has one.
    pub meta: Option<Metadata>,
    /// The calls of `calls.csv`, by cell, in the columns the statistics and charts read.
    pub calls: RunCalls,
    /// Every row of `windows.csv`; empty when the file is missing.
    pub windows: Vec<WindowRow>,
    /// The rows of `summary.csv`; empty when stale (see [`Stale`]).
    pub summary: Vec<SummaryRow>,
    /// The rows of `comparison.csv`; empty when stale (see [`Stale`]).
    pub comparison: Vec<ComparisonRow>,
    /// What each function's input is, for the input axes (from the suite manifest).
    pub inputs: BTreeMap<String, InputKind>,
}

/// The rows of `summary.csv` or `comparison.csv`; `None` when the file is missing or has no rows
/// (to be recomputed from the calls). A file that does not parse says it can be recomputed.
fn read_derived<T: DeserializeOwned>(path: &Path) -> Result<Option<Vec<T>>> {
    if !path.exists() {
        return Ok(None);
    }
    let rows: Vec<T> = read_rows(path).map_err(|e| {
        anyhow!(
            "{e:#}; delete {} and it is recomputed from calls.csv",
            path.display()
        )
    })?;
    Ok((!rows.is_empty()).then_some(rows))
}

/// Whether `path` is a comparison.csv in the wide form of earlier versions (one row per cell,
/// columns such as `wasm_native_latency_ratio`).
fn wide_comparison(path: &Path) -> bool {
    use std::io::BufRead;
    let Ok(f) = std::fs::File::open(path) else {
        return false;
    };
    let mut first = String::new();
    let _ = std::io::BufReader::new(f).read_line(&mut first);
    first.contains("wasm_native_latency_ratio")
}

/// A calls.csv that is empty or does not start with its header is an error naming the file: an
/// empty one means the run recorded no calls yet (or the file was emptied after it did).
fn check_calls_start(path: &Path, meta: Option<&Metadata>) -> Result<()> {
    let mut first = Vec::new();
    {
        use std::io::{BufRead, Read};
        let f = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        std::io::BufReader::new(f)
            .take(64 << 10)
            .read_until(b'\n', &mut first)
            .with_context(|| format!("cannot read {}", path.display()))?;
    }
    let first = String::from_utf8_lossy(&first);
    let first = first.trim();
    let header = header_line::<CallRow>()?;
    let header = String::from_utf8_lossy(&header);
    let first_column = header.split(',').next().unwrap_or("run_id");
    if first.is_empty() {
        let windows = meta.map_or(0, |m| m.windows_done);
        if windows > 0 {
            return Err(emptied(path, windows));
        }
        return Err(anyhow!(
            "{} is empty: the run recorded no calls yet (it stopped before its first window, or \
             has not finished one); wait for it, or finish it with `nebula run --resume {}`",
            path.display(),
            path.parent().unwrap_or(Path::new(".")).display()
        ));
    }
    if first.split(',').next() != Some(first_column) {
        let shown: String = first.chars().take(40).collect();
        return Err(anyhow!(
            "{} has no header line (it begins '{shown}', not '{first_column},...'): it is not a \
             calls.csv that Nebula wrote, or was damaged; restore it from a copy of the run",
            path.display()
        ));
    }
    Ok(())
}

/// `calls.csv` read by cell into columns; a progress bar on stderr by bytes read when the file
/// is large (over 64 MiB) and stderr is a terminal.
fn read_calls_columns(path: &Path) -> Result<RunCalls> {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let bar = (size > 64 << 20 && std::io::IsTerminal::is_terminal(&std::io::stderr())).then(|| {
        let bar = indicatif::ProgressBar::new(size);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "reading {msg} {wide_bar} {bytes}/{total_bytes} {eta} left",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message(path.display().to_string());
        bar
    });
    let run = RunCalls::read_csv(path, &mut |n| {
        if let Some(b) = &bar {
            b.set_position(n);
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    run
}

/// The error for a calls.csv without rows in a run that recorded `windows` windows.
fn emptied(path: &Path, windows: usize) -> anyhow::Error {
    anyhow!(
        "{} has no calls although the run recorded {windows} windows: the file was emptied or \
         replaced; restore it from a copy of the run (the charts and report need the calls)",
        path.display()
    )
}

/// A run's calls.csv or windows.csv that does not parse, said with its fix: where the file ends
/// in a row cut short (a run killed while writing), `--resume` drops that row and finishes.
fn cut_short(e: anyhow::Error, path: &Path, meta: Option<&Metadata>) -> anyhow::Error {
    let ends_cut = std::fs::read(path)
        .map(|b| b.last().is_some_and(|&c| c != b'\n'))
        .unwrap_or(false);
    match (ends_cut, path.parent()) {
        (true, Some(dir)) if meta.is_some_and(|m| m.status != Status::Complete) => anyhow!(
            "{e:#}; the file ends in a row cut short: `nebula run --resume {}` repairs a run cut short",
            dir.display()
        ),
        (true, _) => anyhow!(
            "{e:#}; the file ends in a row cut short (was the process writing it killed?): remove \
             that last partial line"
        ),
        (false, _) => e,
    }
}

/// Calls and ok calls per cell (function, input, runtime, concurrency) of calls.csv, to tell
/// whether `summary.csv` and `comparison.csv` were computed from these calls.
struct Counts(BTreeMap<(String, String, String, u32), (usize, usize)>);

impl Counts {
    fn of(calls: &RunCalls) -> Counts {
        let mut m: BTreeMap<(String, String, String, u32), (usize, usize)> = BTreeMap::new();
        for c in &calls.cells {
            let key = (
                c.function.clone(),
                c.input.clone(),
                c.runtime.clone(),
                c.concurrency,
            );
            let e = m.entry(key).or_default();
            e.0 += c.rows;
            e.1 += c.ok();
        }
        Counts(m)
    }

    /// Every cell of the calls has a summary row with its ok calls (`n`) and failed calls
    /// (`errors`), and no other row.
    fn match_summary(&self, rows: &[SummaryRow]) -> bool {
        rows.len() == self.0.len()
            && rows.iter().all(|s| {
                let key = (
                    s.function.clone(),
                    s.input.clone(),
                    s.runtime.clone(),
                    s.concurrency,
                );
                self.0.get(&key) == Some(&(s.n + s.errors, s.n))
            })
    }

    /// The comparison rows were computed from these calls against `reference` (the run's):
    /// every cell whose runtimes form a pair has rows and no other cell does, every row's pair
    /// is one of its cell's pairs, and every latency row counts the ok calls of its runtime and
    /// its reference.
    fn match_comparison(&self, rows: &[ComparisonRow], reference: &str) -> bool {
        let ok = |f: &str, i: &str, rt: &str, c: u32| {
            let key = (f.to_string(), i.to_string(), rt.to_string(), c);
            self.0.get(&key).map_or(0, |v| v.1)
        };
        let mut present: BTreeMap<(&str, &str, u32), BTreeSet<&str>> = BTreeMap::new();
        for k in self.0.keys() {
            present
                .entry((k.0.as_str(), k.1.as_str(), k.3))
                .or_default()
                .insert(k.2.as_str());
        }
        type Pairs<'a> = Vec<(&'a str, &'a str)>;
        let pairs: BTreeMap<(&str, &str, u32), Pairs> = present
            .iter()
            .map(|(k, rts)| (*k, pairs_of(rts, reference)))
            .filter(|(_, p)| !p.is_empty())
            .collect();
        let paired: BTreeSet<(&str, &str, u32)> = pairs.keys().copied().collect();
        let in_rows: BTreeSet<(&str, &str, u32)> = rows
            .iter()
            .map(|c| (c.function.as_str(), c.input.as_str(), c.concurrency))
            .collect();
        let of_cell = |c: &ComparisonRow| {
            pairs
                .get(&(c.function.as_str(), c.input.as_str(), c.concurrency))
                .is_some_and(|p| p.contains(&(c.runtime.as_str(), c.reference.as_str())))
        };
        in_rows == paired
            && rows.iter().all(of_cell)
            && rows.iter().filter(|c| c.metric == Metric::Latency).all(|c| {
                let count = |rt: &str| ok(&c.function, &c.input, rt, c.concurrency);
                (count(&c.runtime), count(&c.reference)) == (c.n, c.n_reference)
            })
    }
}

impl RunData {
    /// Reads a results directory. `calls.csv` is required; the rest is optional. `summary` and
    /// `comparison` hold their files' rows when those were computed from these calls, and are
    /// empty where [`Stale`] says they must be computed again (`export::load_run` does).
    pub fn read(dir: &Path) -> Result<(RunData, Stale)> {
        let calls_path = dir.join("calls.csv");
        if !dir.exists() {
            return Err(anyhow!(
                "{} does not exist: give a results folder (e.g. results/NAME-YYYYMMDD-HHMMSS-XXXXXX)",
                dir.display()
            ));
        }
        if !dir.is_dir() {
            return Err(anyhow!(
                "{} is not a folder: give a results folder (e.g. results/NAME-YYYYMMDD-HHMMSS-XXXXXX)",
                dir.display()
            ));
        }
        if !calls_path.exists() {
            return Err(anyhow!(
                "{} has no calls.csv: is it a Nebula results directory?",
                dir.display()
            ));
        }
        let meta = if dir.join("metadata.json").exists() {
            Some(metadata::read(dir)?)
        } else {
            None
        };
        check_calls_start(&calls_path, meta.as_ref())?;
        let calls = read_calls_columns(&calls_path).map_err(|e| cut_short(e, &calls_path, meta.as_ref()))?;
        if let Some(n) = meta
            .as_ref()
            .map(|m| m.windows_done)
            .filter(|&n| n > 0 && calls.is_empty())
        {
            return Err(emptied(&calls_path, n));
        }
        if let Some(runtimes) = meta.as_ref().and_then(Metadata::runtimes) {
            check_runtimes(&calls, &runtimes, &calls_path)?;
        }
        let windows = match dir.join("windows.csv") {
            p if p.exists() => read_rows(&p).map_err(|e| cut_short(e, &p, meta.as_ref()))?,
            _ => Vec::new(),
        };
        // A summary with no rows (a run stopped before its first window, or a file emptied) is
        // stale, like a missing one; so is one that counts other calls than calls.csv holds
        // (written when a run was interrupted, then a resume added windows and was killed before
        // it rewrote it): its figures would not be those of the calls. A comparison is stale
        // with its summary.
        let counts = Counts::of(&calls);
        let summary =
            read_derived::<SummaryRow>(&dir.join("summary.csv"))?.filter(|rows| counts.match_summary(rows));
        // A comparison.csv in the wide form of earlier versions is stale too: it is recomputed
        // in today's long form; so is one of pairs against another reference than the run's.
        let reference = meta
            .as_ref()
            .map_or_else(|| REFERENCE.to_string(), Metadata::reference);
        let comparison_path = dir.join("comparison.csv");
        let comparison = match summary {
            Some(_) if !wide_comparison(&comparison_path) => read_derived::<ComparisonRow>(&comparison_path)?
                .filter(|rows| counts.match_comparison(rows, &reference)),
            _ => None,
        };
        let stale = Stale {
            summary: summary.is_none(),
            comparison: comparison.is_none(),
        };
        let inputs = super::inputs::of_run(meta.as_ref());
        let data = RunData {
            dir: dir.to_path_buf(),
            meta,
            calls,
            windows,
            summary: summary.unwrap_or_default(),
            comparison: comparison.unwrap_or_default(),
            inputs,
        };
        Ok((data, stale))
    }

    /// The run's random seed (its config's; 42 when it has none), as `finish` uses it.
    pub fn seed(&self) -> u64 {
        self.meta.as_ref().map_or(42, Metadata::seed)
    }

    /// The runtime the run compares every other one against: its config's `reference`, else
    /// `native` (a run without metadata, or one from before the key existed).
    pub fn reference(&self) -> String {
        self.meta
            .as_ref()
            .map_or_else(|| REFERENCE.to_string(), Metadata::reference)
    }

    /// The run's id (metadata, else the first call, else the directory name).
    pub fn run_id(&self) -> String {
        self.meta.as_ref().map(|m| m.run_id.clone()).unwrap_or_else(|| {
            self.dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
    }

    /// (label, source) of the run's energy: from the metadata, else from the calls.
    pub fn energy_kind(&self) -> (String, String) {
        match &self.meta {
            Some(m) => (m.energy.label.clone(), m.energy.source.clone()),
            None => self.calls.first_label.clone().unwrap_or_default(),
        }
    }

    /// True when the run's energy is a model estimate.
    pub fn energy_estimated(&self) -> bool {
        self.energy_kind().0 != "measured"
    }

    /// Functions in alphabetical order.
    pub fn functions(&self) -> Vec<String> {
        let mut f: Vec<String> = self.summary.iter().map(|s| s.function.clone()).collect();
        f.sort();
        f.dedup();
        f
    }

    /// The lowest concurrency level of the run (the one single-level charts show).
    pub fn base_concurrency(&self) -> u32 {
        self.summary.iter().map(|s| s.concurrency).min().unwrap_or(1)
    }

    /// What function `f`'s input is (the generic "Input n" when the suite does not say).
    pub fn input_kind(&self, f: &str) -> InputKind {
        self.inputs.get(f).cloned().unwrap_or_default()
    }

    /// Whether any summary row has a net energy (a baseline was measured).
    pub fn has_net_energy(&self) -> bool {
        self.summary.iter().any(|s| s.energy_net_median_j.is_some())
    }
}
