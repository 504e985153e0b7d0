//! The run's CSV files, written as the run goes: `calls.csv` (one row per call) and
//! `windows.csv` (one row per energy window and domain, with the raw counter readings). Each
//! window's rows are written together and flushed, so a killed run leaves whole windows up to
//! its last one; `recover` drops a window cut short and tells `--resume` what is done (and
//! rewrites both files with the current header, so a run begun by an older Nebula gains the
//! newer columns, empty in its earlier rows). `docs/columns.md` describes every column.

use super::matrix::Visit;
use crate::export::{header_line, with_header};
use crate::record::CallRow;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// One row of `windows.csv`: a window's energy in one domain, with its raw readings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowRow {
    pub run_id: String,
    pub window_id: u64,
    pub cell: String,
    pub function: String,
    pub runtime: String,
    pub input: String,
    pub concurrency: u32,
    pub repetition: u32,
    pub start_unix_ns: u64,
    pub duration_ns: u64,
    pub calls: u32,
    pub ok_calls: u32,
    /// The window's whole energy (all domains of the source).
    pub energy_j: Option<f64>,
    pub energy_source: String,
    /// `measured`, `estimated` or `unavailable` (the source failed to read).
    pub energy_label: String,
    pub idle_watts: Option<f64>,
    pub domain: String,
    pub raw_start: Option<u64>,
    pub raw_end: Option<u64>,
    pub domain_j: Option<f64>,
    pub wrapped: bool,
    pub missed_wrap_suspected: bool,
    /// Process CPU time (self + children) over the window.
    pub process_cpu_ns: u64,
    /// CPU steal over the window, all CPUs added up, in ms (see `experiment::contention`).
    #[serde(default)]
    pub steal_ms: Option<f64>,
    /// `steal_ms` divided by the window's wall time x CPUs.
    #[serde(default)]
    pub steal_fraction: Option<f64>,
    /// The 1-minute load average when the window opened.
    #[serde(default)]
    pub load_avg_1m: Option<f64>,
}

/// Appending writers for the two per-call files.
pub struct Writers {
    calls: csv::Writer<File>,
    windows: csv::Writer<File>,
}

/// A writer appending rows to `path`; a new or empty file gets its header line first, so that
/// it is a valid CSV from the start (a run stopped before its first window leaves headers).
fn appender<T: Serialize + Default>(path: &Path) -> Result<csv::Writer<File>> {
    let exists = path.metadata().map(|m| m.len() > 0).unwrap_or(false);
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| {
            format!(
                "cannot write {}: check the results directory is writable",
                path.display()
            )
        })?;
    if !exists {
        f.write_all(&header_line::<T>()?)
            .and_then(|()| f.flush())
            .with_context(|| format!("cannot write {} (disk full?)", path.display()))?;
    }
    Ok(csv::WriterBuilder::new().has_headers(false).from_writer(f))
}

impl Writers {
    pub fn open(dir: &Path) -> Result<Writers> {
        Ok(Writers {
            calls: appender::<CallRow>(&dir.join("calls.csv"))?,
            windows: appender::<WindowRow>(&dir.join("windows.csv"))?,
        })
    }

    /// Write one window's rows and flush both files.
    pub fn window(&mut self, calls: &[CallRow], windows: &[WindowRow]) -> Result<()> {
        for r in calls {
            self.calls
                .serialize(r)
                .context("cannot write calls.csv (disk full?)")?;
        }
        for w in windows {
            self.windows
                .serialize(w)
                .context("cannot write windows.csv (disk full?)")?;
        }
        self.calls
            .flush()
            .context("cannot flush calls.csv (disk full?)")?;
        self.windows
            .flush()
            .context("cannot flush windows.csv (disk full?)")?;
        Ok(())
    }
}

/// What an earlier, interrupted run of this directory finished.
#[derive(Debug, Default)]
pub struct Recovered {
    pub done: HashSet<(String, u32)>,
    pub next_window_id: u64,
    pub dropped_rows: usize,
}

impl Recovered {
    pub fn is_done(&self, cell_id: &str, v: Visit) -> bool {
        self.done.contains(&(cell_id.to_string(), v.repetition))
    }
}

/// Read what a run left behind, keep only whole windows (every call row present, and its
/// window row), rewrite both files with just those rows, and report what is done.
pub fn recover(dir: &Path) -> Result<Recovered> {
    let calls_path = dir.join("calls.csv");
    let windows_path = dir.join("windows.csv");
    let calls: Vec<CallRow> = read_lenient(&calls_path)?;
    let windows: Vec<WindowRow> = read_lenient(&windows_path)?;
    let mut count: HashMap<u64, u32> = HashMap::new();
    for r in &calls {
        *count.entry(r.window_id).or_default() += 1;
    }
    let have_window: HashSet<u64> = windows.iter().map(|w| w.window_id).collect();
    let whole: HashSet<u64> = calls
        .iter()
        .filter(|r| count.get(&r.window_id) == Some(&r.calls_in_window) && have_window.contains(&r.window_id))
        .map(|r| r.window_id)
        .collect();
    let keep_calls: Vec<&CallRow> = calls.iter().filter(|r| whole.contains(&r.window_id)).collect();
    let keep_windows: Vec<&WindowRow> = windows.iter().filter(|w| whole.contains(&w.window_id)).collect();
    let dropped_rows = calls.len() - keep_calls.len() + windows.len() - keep_windows.len();
    rewrite::<CallRow>(&calls_path, &keep_calls)?;
    rewrite::<WindowRow>(&windows_path, &keep_windows)?;
    Ok(Recovered {
        done: keep_calls
            .iter()
            .map(|r| (r.cell.clone(), r.repetition))
            .collect(),
        next_window_id: calls
            .iter()
            .map(|r| r.window_id + 1)
            .chain(windows.iter().map(|w| w.window_id + 1))
            .max()
            .unwrap_or(0),
        dropped_rows,
    })
}

/// Rows of a CSV file up to the first one that does not parse (a row cut short by a kill). A row
/// is whole only with its line end: a kill or a full disk can cut the last row anywhere, even
/// inside its last field, where what is left would still parse (with a wrong value).
fn read_lenient<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let mut bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    bytes.truncate(whole);
    let mut rd = csv::ReaderBuilder::new().flexible(true).from_reader(&bytes[..]);
    Ok(rd.deserialize().map_while(|r| r.ok()).collect())
}

/// Replace `path` with its header line and `rows` (the header also when no rows are left).
fn rewrite<T: Serialize + Default>(path: &Path, rows: &[&T]) -> Result<()> {
    let tmp: PathBuf = path.with_extension("csv.tmp");
    {
        let f = File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
        let mut w = with_header::<T, _>(f).with_context(|| format!("cannot write {}", tmp.display()))?;
        for r in rows {
            w.serialize(r)?;
        }
        w.flush()?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}
