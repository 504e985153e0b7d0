//! `nebula compare A B`: per cell present in both runs and per metric (latency, energy, kernel
//! time, kernel energy), the change from A to B (Sightglass-style effect size: ratio of medians
//! B/A with its 95% bootstrap interval and the percent change; Cliff's delta with its interval;
//! a Mann–Whitney p-value, raw and adjusted over the whole comparison; significant when the
//! interval excludes 1 and the adjusted p < 0.05). Energy samples are one value per measurement
//! window, never per call. Written as `compare.csv` (tidy long form, like comparison.csv) and
//! drawn as `compare.png`/`compare.svg`.

use super::format::{percent_change, Column};
use crate::export::contrast::{adjust_all, contrast, samples, Contrast};
use crate::export::summary::{distinct_joined, natural_cmp};
use crate::plot::compare::{ChangeRow, CompareChart};
use crate::plot::data::energy_note;
use crate::plot::ratio::est;
use crate::plot::save;
use crate::results::call::CallRow;
use crate::results::cells::{CellCalls, RunCalls};
use crate::results::comparison::{Metric, Scope};
use crate::results::write_csv;
use crate::results::Metadata;
use crate::results::RunData;
use crate::stats::adjust::PAdjust;
use crate::stats::DEFAULT_RESAMPLES;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One row of `compare.csv`, in tidy long form: a cell's change from run A to run B on one
/// metric.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CompareRow {
    /// The function.
    pub function: String,
    /// The input.
    pub input: String,
    /// The runtime.
    pub runtime: String,
    /// Calls in flight.
    pub concurrency: u32,
    /// `latency`, `energy`, `kernel_time` or `kernel_energy` (as in comparison.csv).
    pub metric: Metric,
    /// `call` (whole calls: the FaaS question) or `kernel` (the code-speed question).
    pub scope: Scope,
    /// What one sample is: `call` or `window`.
    pub sample: String,
    /// The unit of the medians: `ns` or `J`.
    pub unit: String,
    /// Samples in run A.
    pub n_a: usize,
    /// Samples in run B.
    pub n_b: usize,
    /// Median in A.
    pub median_a: Option<f64>,
    /// Median in B.
    pub median_b: Option<f64>,
    /// `median(B) / median(A)`.
    pub ratio: Option<f64>,
    /// Bootstrap 95% interval of the ratio, low end.
    pub ratio_ci_lo: Option<f64>,
    /// Bootstrap 95% interval of the ratio, high end.
    pub ratio_ci_hi: Option<f64>,
    /// `(ratio - 1) * 100`: positive = B slower, or B uses more energy.
    pub change_pct: Option<f64>,
    /// Two-sided Mann–Whitney U p-value, unadjusted.
    pub p_value: Option<f64>,
    /// `p_value` adjusted over every p-value of the file by `p_adjust`.
    pub p_adjusted: Option<f64>,
    /// The adjustment: `holm` or `bh` (run B's config's `p_adjust`).
    pub p_adjust: String,
    /// The interval excludes 1 and `p_adjusted < 0.05`.
    pub significant: Option<bool>,
    /// Cliff's delta of B against A, from -1 to 1.
    pub cliffs_delta: Option<f64>,
    /// Cliff's 95% interval of the delta, low end.
    pub cliffs_delta_ci_lo: Option<f64>,
    /// Cliff's 95% interval of the delta, high end.
    pub cliffs_delta_ci_hi: Option<f64>,
    /// Energy rows: the energy labels of A's calls (`measured`, `estimated`, `unavailable`).
    pub energy_label_a: String,
    /// Energy rows: the energy labels of B's calls.
    pub energy_label_b: String,
    /// The change in words when significant, e.g. "B 1.95x–2.05x slower"; "no significant
    /// change"; or "not comparable".
    pub verdict: String,
}

type Key<'a> = (&'a str, &'a str, &'a str, u32);

fn group(run: &RunCalls) -> BTreeMap<Key<'_>, &CellCalls> {
    run.cells
        .iter()
        .map(|c| {
            (
                (
                    c.function.as_str(),
                    c.input.as_str(),
                    c.runtime.as_str(),
                    c.concurrency,
                ),
                c,
            )
        })
        .collect()
}

/// The words of a metric's rise and fall.
fn words(metric: Metric) -> (&'static str, &'static str) {
    match metric {
        Metric::Latency => ("slower", "faster"),
        Metric::Energy => ("more energy", "less energy"),
        Metric::KernelTime => ("slower kernel", "faster kernel"),
        Metric::KernelEnergy => ("more kernel energy", "less kernel energy"),
    }
}

/// One significant change in words ("1.95x–2.05x slower"), `None` when not significant.
fn change_words(r: &CompareRow) -> Option<String> {
    if r.significant != Some(true) {
        return None;
    }
    let (up, down) = words(r.metric);
    let (lo, hi) = (r.ratio_ci_lo?, r.ratio_ci_hi?);
    if lo > 1.0 {
        Some(format!("{lo:.2}x–{hi:.2}x {up}"))
    } else if hi < 1.0 {
        Some(format!("{:.2}x–{:.2}x {down}", 1.0 / hi, 1.0 / lo))
    } else {
        None
    }
}

/// The significant changes among `rows` (a cell's, or one row): "B 1.95x–2.05x slower,
/// 1.2x–1.3x more energy", "no significant change", or "not comparable" (no row has a ratio).
pub fn verdict(rows: &[&CompareRow]) -> String {
    if rows.iter().all(|r| r.ratio.is_none()) {
        return "not comparable".into();
    }
    let parts: Vec<String> = rows.iter().filter_map(|r| change_words(r)).collect();
    if parts.is_empty() {
        "no significant change".into()
    } else {
        format!("B {}", parts.join(", "))
    }
}

/// How runs A and B were made differently, in the ways that change what they measure: the
/// energy source and its label, the model or measurement settings, the config, the machine,
/// the software, and how each build was compiled ([`super::builds::differences`]). Empty when both were made alike (or a run has no metadata).
pub fn setup_differences(a: Option<&Metadata>, b: Option<&Metadata>) -> Vec<String> {
    let (Some(a), Some(b)) = (a, b) else {
        return Vec::new();
    };
    /// The run's [energy] table; without one, the defaults it ran with (the model's
    /// coefficients as recorded, when the source is the model).
    fn energy_table(m: &Metadata) -> String {
        let given = toml::from_str::<toml::Table>(&m.config_toml)
            .ok()
            .and_then(|t| t.get("energy").map(ToString::to_string))
            .filter(|t| !t.trim().is_empty());
        given.unwrap_or_else(|| match &m.energy.model {
            Some(c) => format!(
                "defaults (source = \"auto\", idle_watts = {}, active_watts_per_core = {})",
                c.idle_watts, c.active_watts_per_core
            ),
            None => "defaults (source = \"auto\")".into(),
        })
    }
    type Field = fn(&Metadata) -> String;
    let fields: [(&str, Field); 9] = [
        ("energy source", |m| m.energy.source.clone()),
        ("energy label", |m| m.energy.label.clone()),
        ("[energy] settings", energy_table),
        ("config (SHA-256)", |m| m.config_sha256.clone()),
        // Each run's comparison.csv and report are against its own reference.
        ("reference runtime", Metadata::reference),
        ("CPU model", |m| m.machine.cpu_model.clone()),
        ("logical cores", |m| m.machine.logical_cores.to_string()),
        ("Nebula commit", |m| m.versions.nebula_git_commit.clone()),
        ("wasmtime", |m| m.versions.wasmtime.clone()),
    ];
    let checks = fields.map(|(what, field)| (what, field(a), field(b)));
    let mut out: Vec<String> = checks
        .into_iter()
        .filter(|(_, x, y)| x != y)
        .map(|(what, x, y)| {
            let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
            format!(
                "A and B differ in {what}: A = {}, B = {}",
                one_line(&x),
                one_line(&y)
            )
        })
        .collect();
    out.extend(super::builds::differences(a, b));
    out
}

/// What the comparison leaves out or rests on less than whole runs: a run that is partial
/// (interrupted or still running), and the cells of one run that the other does not have (only
/// cells present in both are compared).
fn coverage_differences(a: &RunData, b: &RunData) -> Vec<String> {
    let mut out = Vec::new();
    for (name, run) in [("A", a), ("B", b)] {
        if let Some((m, partial)) = run.meta.as_ref().and_then(|m| Some((m, m.partial()?))) {
            out.push(format!("{name} is a partial run ({}: {partial})", m.status));
        }
    }
    let (ga, gb) = (group(&a.calls), group(&b.calls));
    for (name, mine, other) in [("A", &ga, &gb), ("B", &gb, &ga)] {
        let only: Vec<String> = mine
            .keys()
            .filter(|k| !other.contains_key(*k))
            .map(|k| format!("{}/{}/{}/c{}", k.0, k.1, k.2, k.3))
            .collect();
        if !only.is_empty() {
            out.push(format!(
                "{} cell(s) only in {name} are not compared: {}",
                only.len(),
                crate::numfmt::first_and_more(&only, 1)
            ));
        }
    }
    out
}

/// The change of every cell present in both `a` and `b` on every metric either has samples of,
/// ordered by function, input, runtime, concurrency, metric; the p-values adjusted over the
/// whole file by `adjust`.
pub fn compare_runs(
    a: &[CallRow],
    b: &[CallRow],
    resamples: usize,
    seed: u64,
    adjust: PAdjust,
) -> Vec<CompareRow> {
    compare_calls(
        &RunCalls::from_rows(a),
        &RunCalls::from_rows(b),
        resamples,
        seed,
        adjust,
    )
}

/// [`compare_runs`] of two runs' cells.
pub fn compare_calls(
    a: &RunCalls,
    b: &RunCalls,
    resamples: usize,
    seed: u64,
    adjust: PAdjust,
) -> Vec<CompareRow> {
    let (ga, gb) = (group(a), group(b));
    let mut keys: Vec<Key<'_>> = ga.keys().filter(|k| gb.contains_key(*k)).copied().collect();
    keys.sort_by(|x, y| {
        x.0.cmp(y.0)
            .then_with(|| natural_cmp(x.1, y.1))
            .then_with(|| x.2.cmp(y.2))
            .then_with(|| x.3.cmp(&y.3))
    });
    let mut out: Vec<(CompareRow, Contrast)> = Vec::new();
    for k in keys {
        let (Some(ra), Some(rb)) = (ga.get(&k), gb.get(&k)) else {
            continue;
        };
        for metric in Metric::ALL {
            let (sa, sb) = (samples(ra, metric), samples(rb, metric));
            if sa.values.is_empty() && sb.values.is_empty() {
                continue;
            }
            let c = contrast(&sb, &sa, resamples, seed);
            let labels = |cell: &CellCalls| {
                if metric.is_energy() {
                    distinct_joined(cell.labels.iter().map(String::as_str))
                } else {
                    String::new()
                }
            };
            let row = CompareRow {
                function: k.0.into(),
                input: k.1.into(),
                runtime: k.2.into(),
                concurrency: k.3,
                metric,
                scope: metric.scope(),
                sample: metric.sample().into(),
                unit: metric.unit().into(),
                n_a: c.n_den,
                n_b: c.n,
                median_a: c.median_den,
                median_b: c.median,
                ratio: c.ratio,
                ratio_ci_lo: c.ci.map(|ci| ci.0),
                ratio_ci_hi: c.ci.map(|ci| ci.1),
                change_pct: c.ratio.map(|r| (r - 1.0) * 100.0),
                p_value: c.p,
                p_adjusted: None,
                p_adjust: adjust.as_str().into(),
                significant: None,
                cliffs_delta: c.delta.map(|d| d.d),
                cliffs_delta_ci_lo: c.delta.and_then(|d| d.lo),
                cliffs_delta_ci_hi: c.delta.and_then(|d| d.hi),
                energy_label_a: labels(ra),
                energy_label_b: labels(rb),
                verdict: String::new(),
            };
            out.push((row, c));
        }
    }
    adjust_all(out, adjust)
        .into_iter()
        .map(|(mut row, p, significant)| {
            row.p_adjusted = p;
            row.significant = significant;
            row.verdict = verdict(&[&row]);
            row
        })
        .collect()
}

/// The rows of `rows` grouped by cell, in file order: (cell, its row of each metric).
fn by_cell(rows: &[CompareRow]) -> Vec<(String, [Option<&CompareRow>; 4])> {
    let mut out: Vec<(String, [Option<&CompareRow>; 4])> = Vec::new();
    for r in rows {
        let cell = format!("{}/{}/{}/c{}", r.function, r.input, r.runtime, r.concurrency);
        if out.last().map(|(c, _)| c != &cell).unwrap_or(true) {
            out.push((cell, [None; 4]));
        }
        if let (Some(last), Some(i)) = (out.last_mut(), Metric::ALL.iter().position(|m| *m == r.metric)) {
            last.1[i] = Some(r);
        }
    }
    out
}

/// The table printed by `nebula compare`: a line per cell.
pub fn table(rows: &[CompareRow]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<28} {:>10} {:>10} {:>26} {:>26} {:>10} {:>10} {:>26}  verdict",
        "cell",
        "A latency",
        "B latency",
        "latency change",
        "kernel change",
        "A energy",
        "B energy",
        "energy change"
    );
    let cells = by_cell(rows);
    let of = |m: Metric| rows.iter().filter(move |r| r.metric == m);
    let time = Column::time(of(Metric::Latency).flat_map(|r| [r.median_a, r.median_b]));
    let energy = Column::energy(of(Metric::Energy).flat_map(|r| [r.median_a, r.median_b]));
    let change = |r: Option<&CompareRow>| {
        r.map_or("–".into(), |r| {
            percent_change(r.change_pct, r.ratio_ci_lo, r.ratio_ci_hi, r.significant)
        })
    };
    for (cell, [lat, en, kt, ke]) in &cells {
        let present: Vec<&CompareRow> = [lat, en, kt, ke].into_iter().flatten().copied().collect();
        let _ = writeln!(
            out,
            "{:<28} {:>10} {:>10} {:>26} {:>26} {:>10} {:>10} {:>26}  {}",
            cell,
            time.value(lat.and_then(|r| r.median_a)),
            time.value(lat.and_then(|r| r.median_b)),
            change(*lat),
            change(*kt),
            energy.value(en.and_then(|r| r.median_a)),
            energy.value(en.and_then(|r| r.median_b)),
            change(*en),
            verdict(&present)
        );
    }
    let adjust = rows.first().map_or("holm", |r| r.p_adjust.as_str());
    let _ = writeln!(
        out,
        "change = median(B) / median(A) - 1 [95% bootstrap CI over windows]; * = the interval excludes 0 and the Mann-Whitney p, \
         adjusted over the whole comparison ({adjust}), is below 0.05; latency and energy are of whole calls, kernel of \
         the marked kernel; energy is gross energy per call, statistics per window; compare.csv has Cliff's delta too"
    );
    out
}

/// What `write_compare` produced.
#[derive(Debug, Clone)]
pub struct Compared {
    /// One row per cell present in both runs (`compare.csv`).
    pub rows: Vec<CompareRow>,
    /// The folder `compare.csv` and the chart were written to.
    pub out: PathBuf,
    /// The chart's files, or why it was not drawn.
    pub chart: Result<Vec<PathBuf>, String>,
    /// Where the energy of A and B comes from (one sentence, or one per run when they differ).
    pub energy_note: String,
    /// How A and B were made differently ([`setup_differences`]).
    pub differences: Vec<String>,
    /// A partial run, and cells of one run that the other lacks ([`coverage_differences`]).
    pub coverage: Vec<String>,
}

fn name_of(dir: &Path) -> String {
    dir.canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| dir.display().to_string())
}

/// Compares runs `a` and `b`, writes `compare.csv` and the chart into `out` (default
/// `b/compare-<name of a>/`).
pub fn write_compare(a: &Path, b: &Path, out: Option<&Path>) -> Result<Compared> {
    let da = crate::export::load_run(a).with_context(|| format!("cannot read run A ({})", a.display()))?;
    let db = crate::export::load_run(b).with_context(|| format!("cannot read run B ({})", b.display()))?;
    let seed = db.seed();
    let adjust = db.meta.as_ref().map(Metadata::p_adjust).unwrap_or_default();
    let rows = compare_calls(&da.calls, &db.calls, DEFAULT_RESAMPLES, seed, adjust);
    let out = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| b.join(format!("compare-{}", name_of(a))));
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    write_csv(&out.join("compare.csv"), &rows)?;
    let (la, sa) = da.energy_kind();
    let (lb, sb) = db.energy_kind();
    let note = if (la.as_str(), sa.as_str()) == (lb.as_str(), sb.as_str()) {
        energy_note(&la, &sa)
    } else {
        format!("A: {}; B: {}", energy_note(&la, &sa), energy_note(&lb, &sb))
    };
    let differences = setup_differences(da.meta.as_ref(), db.meta.as_ref());
    let coverage = coverage_differences(&da, &db);
    let chart = if rows.is_empty() {
        Err("the runs have no cell in common".to_string())
    } else {
        let estimated = la != "measured" || lb != "measured";
        let est_of = |r: Option<&CompareRow>| {
            r.and_then(|r| est(r.ratio, r.ratio_ci_lo, r.ratio_ci_hi, r.significant))
        };
        let change_rows = by_cell(&rows)
            .into_iter()
            .filter_map(|(_, [lat, en, _, _])| {
                let first = lat.or(en)?;
                Some(ChangeRow {
                    label: format!(
                        "{} {} {} c{}",
                        first.function, first.input, first.runtime, first.concurrency
                    ),
                    runtime: first.runtime.clone(),
                    latency: est_of(lat),
                    energy: est_of(en),
                })
            })
            .collect();
        let chart = CompareChart::new(&da.run_id(), &db.run_id(), change_rows, note.clone(), estimated);
        save(&chart, &out, "compare").map_err(|e| format!("{e:#}"))
    };
    Ok(Compared {
        rows,
        out,
        chart,
        energy_note: note,
        differences,
        coverage,
    })
}
