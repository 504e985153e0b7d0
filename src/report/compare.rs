//! `nebula compare A B`: per cell present in both runs, the change in median latency and energy
//! per call from A to B (Sightglass-style effect size: ratio of medians B/A with its 95% bootstrap
//! interval, the percent change and a Mann–Whitney p-value; significant when the interval excludes
//! 1 and p < 0.05). Energy samples are one value per measurement window, never per call. Written
//! as `compare.csv` and drawn as `compare.png`/`compare.svg`.

use super::format::{percent_change, Column};
use crate::export::summary::{distinct_joined, natural_cmp, ok_values, wall, window_values};
use crate::plot::compare::{ChangeRow, CompareChart};
use crate::plot::data::energy_note;
use crate::plot::ratio::est;
use crate::plot::save;
use crate::results::call::{label_str, CallRow};
use crate::results::write_csv;
use crate::results::Metadata;
use crate::results::RunData;
use crate::stats::{change, median, Change, DEFAULT_RESAMPLES};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One row of `compare.csv`: a cell's change from run A to run B.
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
    /// Ok calls in run A.
    pub n_a: usize,
    /// Ok calls in run B.
    pub n_b: usize,
    /// Median wall time in A (ns).
    pub latency_a_median_ns: Option<f64>,
    /// Median wall time in B (ns).
    pub latency_b_median_ns: Option<f64>,
    /// `median(B) / median(A)` of the wall time, with its 95% interval.
    pub latency_ratio: Option<f64>,
    /// Bootstrap 95% interval of `latency_ratio`, low end.
    pub latency_ci_lo: Option<f64>,
    /// Bootstrap 95% interval of `latency_ratio`, high end.
    pub latency_ci_hi: Option<f64>,
    /// `(ratio - 1) * 100`: positive = B slower.
    pub latency_change_pct: Option<f64>,
    /// Mann-Whitney U two-sided p-value of the wall times.
    pub latency_p_value: Option<f64>,
    /// The interval excludes 1 and p < 0.05.
    pub latency_significant: Option<bool>,
    /// Gross energy per call, one value per window.
    pub energy_a_median_j: Option<f64>,
    /// Median gross energy per call in B (J; one value per window).
    pub energy_b_median_j: Option<f64>,
    /// `median(B) / median(A)` of the gross energy per call.
    pub energy_ratio: Option<f64>,
    /// Bootstrap 95% interval of `energy_ratio`, low end.
    pub energy_ci_lo: Option<f64>,
    /// Bootstrap 95% interval of `energy_ratio`, high end.
    pub energy_ci_hi: Option<f64>,
    /// `(ratio - 1) * 100`: positive = B uses more energy.
    pub energy_change_pct: Option<f64>,
    /// Mann-Whitney U two-sided p-value over windows.
    pub energy_p_value: Option<f64>,
    /// The interval excludes 1 and p < 0.05.
    pub energy_significant: Option<bool>,
    /// `measured` or `estimated` (or `unavailable`): the energy label of A's and B's rows.
    #[serde(default)]
    pub energy_label_a: String,
    /// The energy labels of B's rows.
    #[serde(default)]
    pub energy_label_b: String,
    /// The significant changes in words, e.g. "B 1.95x–2.05x slower, 1.9x–2.1x more energy".
    pub verdict: String,
}

type Key<'a> = (&'a str, &'a str, &'a str, u32);

fn group(rows: &[CallRow]) -> BTreeMap<Key<'_>, Vec<&CallRow>> {
    let mut g: BTreeMap<Key<'_>, Vec<&CallRow>> = BTreeMap::new();
    for r in rows {
        g.entry((&r.function, &r.input, r.runtime.as_str(), r.concurrency))
            .or_default()
            .push(r);
    }
    g
}

/// One significant change in words ("1.95x–2.05x slower"), `None` when not significant.
fn change_words(c: Option<&Change>, up: &str, down: &str) -> Option<String> {
    let c = c.filter(|c| c.significant)?;
    let (lo, hi) = (c.ratio.ci.lo, c.ratio.ci.hi);
    if lo > 1.0 {
        Some(format!("{lo:.2}x–{hi:.2}x {up}"))
    } else if hi < 1.0 {
        Some(format!("{:.2}x–{:.2}x {down}", 1.0 / hi, 1.0 / lo))
    } else {
        None
    }
}

/// The significant changes of latency and energy: "B 1.95x–2.05x slower, 1.2x–1.3x more
/// energy", "B 1.2x–1.3x less energy", "no significant change", or "not comparable".
pub fn verdict(latency: Option<&Change>, energy: Option<&Change>) -> String {
    if latency.is_none() && energy.is_none() {
        return "not comparable".into();
    }
    let parts: Vec<String> = [
        change_words(latency, "slower", "faster"),
        change_words(energy, "more energy", "less energy"),
    ]
    .into_iter()
    .flatten()
    .collect();
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
    let fields: [(&str, Field); 8] = [
        ("energy source", |m| m.energy.source.clone()),
        ("energy label", |m| m.energy.label.clone()),
        ("[energy] settings", energy_table),
        ("config (SHA-256)", |m| m.config_sha256.clone()),
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

/// The change of every cell present in both `a` and `b`, ordered by function, input, runtime,
/// concurrency.
pub fn compare_runs(a: &[CallRow], b: &[CallRow], resamples: usize, seed: u64) -> Vec<CompareRow> {
    let (ga, gb) = (group(a), group(b));
    let mut keys: Vec<Key<'_>> = ga.keys().filter(|k| gb.contains_key(*k)).copied().collect();
    keys.sort_by(|x, y| {
        x.0.cmp(y.0)
            .then_with(|| natural_cmp(x.1, y.1))
            .then_with(|| x.2.cmp(y.2))
            .then_with(|| x.3.cmp(&y.3))
    });
    keys.into_iter()
        .map(|k| {
            let (ra, rb) = (&ga[&k], &gb[&k]);
            let (la, lb) = (ok_values(ra, wall), ok_values(rb, wall));
            let egross = |r: &CallRow| r.energy_gross_j;
            let (ea, eb) = (window_values(ra, egross), window_values(rb, egross));
            let lc = change(&la, &lb, resamples, seed);
            let ec = change(&ea, &eb, resamples, seed);
            CompareRow {
                function: k.0.into(),
                input: k.1.into(),
                runtime: k.2.into(),
                concurrency: k.3,
                n_a: la.len(),
                n_b: lb.len(),
                latency_a_median_ns: median(&la),
                latency_b_median_ns: median(&lb),
                latency_ratio: lc.map(|c| c.ratio.estimate),
                latency_ci_lo: lc.map(|c| c.ratio.ci.lo),
                latency_ci_hi: lc.map(|c| c.ratio.ci.hi),
                latency_change_pct: lc.map(|c| c.percent),
                latency_p_value: lc.map(|c| c.p_value),
                latency_significant: lc.map(|c| c.significant),
                energy_a_median_j: median(&ea),
                energy_b_median_j: median(&eb),
                energy_ratio: ec.map(|c| c.ratio.estimate),
                energy_ci_lo: ec.map(|c| c.ratio.ci.lo),
                energy_ci_hi: ec.map(|c| c.ratio.ci.hi),
                energy_change_pct: ec.map(|c| c.percent),
                energy_p_value: ec.map(|c| c.p_value),
                energy_significant: ec.map(|c| c.significant),
                energy_label_a: distinct_joined(ra.iter().map(|r| label_str(r.energy_label))),
                energy_label_b: distinct_joined(rb.iter().map(|r| label_str(r.energy_label))),
                verdict: verdict(lc.as_ref(), ec.as_ref()),
            }
        })
        .collect()
}

/// The table printed by `nebula compare`.
pub fn table(rows: &[CompareRow]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<28} {:>10} {:>10} {:>26} {:>10} {:>10} {:>26}  verdict",
        "cell", "A latency", "B latency", "latency change", "A energy", "B energy", "energy change"
    );
    let time = Column::time(
        rows.iter()
            .flat_map(|r| [r.latency_a_median_ns, r.latency_b_median_ns]),
    );
    let energy = Column::energy(
        rows.iter()
            .flat_map(|r| [r.energy_a_median_j, r.energy_b_median_j]),
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{:<28} {:>10} {:>10} {:>26} {:>10} {:>10} {:>26}  {}",
            format!("{}/{}/{}/c{}", r.function, r.input, r.runtime, r.concurrency),
            time.value(r.latency_a_median_ns),
            time.value(r.latency_b_median_ns),
            percent_change(
                r.latency_change_pct,
                r.latency_ci_lo,
                r.latency_ci_hi,
                r.latency_significant
            ),
            energy.value(r.energy_a_median_j),
            energy.value(r.energy_b_median_j),
            percent_change(
                r.energy_change_pct,
                r.energy_ci_lo,
                r.energy_ci_hi,
                r.energy_significant
            ),
            r.verdict
        );
    }
    out.push_str("change = median(B) / median(A) - 1 [95% bootstrap CI]; * = the interval excludes 0 and Mann-Whitney p < 0.05; latencies in one unit, energies in one unit; energy is gross energy per call, statistics per window\n");
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
    let rows = compare_runs(&da.calls, &db.calls, DEFAULT_RESAMPLES, seed);
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
        let change_rows = rows
            .iter()
            .map(|r| ChangeRow {
                label: format!("{} {} {} c{}", r.function, r.input, r.runtime, r.concurrency),
                runtime: r.runtime.clone(),
                latency: est(
                    r.latency_ratio,
                    r.latency_ci_lo,
                    r.latency_ci_hi,
                    r.latency_significant,
                ),
                energy: est(
                    r.energy_ratio,
                    r.energy_ci_lo,
                    r.energy_ci_hi,
                    r.energy_significant,
                ),
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
