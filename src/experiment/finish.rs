//! After a run: `summary.csv`, `comparison.csv` and the columnar copy `calls.parquet` from
//! `calls.csv`, and the short table printed at the end (per function and input, a row per
//! runtime: its latency and energy, and its ratios to the run's reference of latency, kernel
//! time and energy, at concurrency 1 or else the run's lowest level).

use crate::export::{compare, summarize, write_comparison, write_summary};
use crate::plot::style::runtime_rank;
use crate::results::comparison::{find, Metric};
use crate::results::{ComparisonRow, Metadata, RunData, Status, SummaryRow};
use crate::stats::{ALPHA, DEFAULT_RESAMPLES};
use crate::units::{human_duration, Joules};
use anyhow::Result;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// Write summary.csv and comparison.csv of a results directory, print the summary table, draw
/// the charts and write the report, reading calls.csv once; calls.parquet is written beside, at
/// the same time.
pub fn finish(dir: &Path, meta: &Metadata, print: bool) -> Result<()> {
    finish_files(dir, |data| {
        if print {
            print_table(&data.summary, &data.comparison, meta);
        }
    })
    .map(|_| ())
}

/// Everything the end of a run writes into `dir`: summary.csv and comparison.csv
/// ([`complete`]), then (after `then`, given the tables) the charts and report.html; and, on a
/// second thread from the start, calls.parquet (whose failure is only a warning). Returns the
/// run as read.
pub fn finish_files(dir: &Path, then: impl FnOnce(&RunData)) -> Result<RunData> {
    let copy_dir = dir.to_path_buf();
    let parquet = std::thread::spawn(move || crate::export::parquet::write_or_warn(&copy_dir));
    let done = complete(dir).inspect(|data| {
        then(data);
        crate::report::draw_and_write_data(data);
    });
    if parquet.join().is_err() {
        crate::errln!(
            "warning: writing {} stopped on an internal error; calls.csv, the record, is complete: `nebula parquet {}` writes it again",
            crate::export::parquet::FILE,
            dir.display()
        );
    }
    done
}

/// Reads a results directory's calls (by cell, in columns), computes its summary and comparison
/// with the seed, p-value adjustment and reference runtime of its metadata, and writes
/// summary.csv and comparison.csv.
pub fn complete(dir: &Path) -> Result<RunData> {
    let (mut data, _) = RunData::read(dir)?;
    let seed = data.seed();
    let adjust = data.meta.as_ref().map(Metadata::p_adjust).unwrap_or_default();
    data.summary = summarize(&data.calls, DEFAULT_RESAMPLES, seed);
    data.comparison = compare(&data.calls, DEFAULT_RESAMPLES, seed, adjust, &data.reference());
    write_summary(&dir.join("summary.csv"), &data.summary)?;
    write_comparison(&dir.join("comparison.csv"), &data.comparison)?;
    Ok(data)
}

/// The summary row of a cell.
fn summary_of<'a>(
    summary: &'a [SummaryRow],
    (f, input, concurrency): (&str, &str, u32),
    runtime: &str,
) -> Option<&'a SummaryRow> {
    summary
        .iter()
        .find(|s| s.function == f && s.input == input && s.runtime == runtime && s.concurrency == concurrency)
}

fn print_table(summary: &[SummaryRow], comparison: &[ComparisonRow], meta: &Metadata) {
    crate::out!("{}", table(summary, comparison, meta));
}

/// The table printed at the end of a run: per function and input, a row per runtime (the
/// reference first, then the others in the charts' order) with its median latency and energy
/// per call and its ratios to the run's reference (of whole calls, and of the kernel alone), at
/// concurrency 1 or else the run's lowest level; the notes under it.
pub fn table(summary: &[SummaryRow], comparison: &[ComparisonRow], meta: &Metadata) -> String {
    let mut machines: Vec<&str> = summary.iter().map(|s| s.machine.as_str()).collect();
    machines.sort_unstable();
    machines.dedup();
    if machines.len() < 2 {
        return table_of(summary, comparison, meta);
    }
    // A run of several machines (`nebula merge`): a table per machine, ratios within it.
    let mut out = String::new();
    for m in machines {
        let s: Vec<SummaryRow> = summary.iter().filter(|r| r.machine == m).cloned().collect();
        let c: Vec<ComparisonRow> = comparison.iter().filter(|r| r.machine == m).cloned().collect();
        let _ = write!(out, "\nmachine {m}:{}", table_of(&s, &c, meta));
    }
    out
}

/// [`table`] of one machine's rows.
fn table_of(summary: &[SummaryRow], comparison: &[ComparisonRow], meta: &Metadata) -> String {
    let mut out = String::new();
    let reference = meta.reference();
    let label = if meta.energy.label == "measured" {
        "measured"
    } else {
        "ESTIMATED by the model"
    };
    if meta.status != Status::Complete {
        let _ = writeln!(
            out,
            "\nPARTIAL RUN ({}): {} of {} windows measured; the figures below cover only those",
            meta.status, meta.windows_done, meta.windows_planned
        );
    }
    // One concurrency level: 1 when the run has it, else its lowest (a run of [2, 4] shows 2).
    let level = summary.iter().map(|s| s.concurrency).min().unwrap_or(1);
    let at = if level == 1 {
        String::new()
    } else {
        format!(" at concurrency {level}, the run's lowest level")
    };
    let _ = writeln!(
        out,
        "\nmedian per call{at} (gross energy {label}, source {}); ratios to the reference, {reference}:",
        meta.energy.source
    );
    let mut cells: Vec<(&str, &str, u32)> = summary
        .iter()
        .filter(|s| s.concurrency == level)
        .map(|s| (s.function.as_str(), s.input.as_str(), level))
        .collect();
    cells.dedup();
    // The runtime column is as wide as the longest name (a runtime of one's own may be long).
    let w = summary
        .iter()
        .map(|s| s.runtime.chars().count())
        .chain([7])
        .max()
        .unwrap_or(7);
    let _ = writeln!(
        out,
        "{:<20} {:>9}  {:<w$} {:>11} {:>8} {:>8} {:>11} {:>8}",
        "function", "input", "runtime", "latency", "ratio", "kernel", "energy", "ratio"
    );
    let t = |v: Option<f64>| {
        v.map(|n| human_duration(Duration::from_nanos(n as u64)))
            .unwrap_or("-".into())
    };
    let e = |v: Option<f64>| v.map(|j| Joules(j).to_string()).unwrap_or("-".into());
    let r = |c: Option<&ComparisonRow>| match c.and_then(|c| Some((c.ratio?, c.significant))) {
        Some((x, sig)) => format!("{x:.2}{}", if sig == Some(true) { "*" } else { "" }),
        None => "-".into(),
    };
    for cell in cells {
        let (f, input, _) = cell;
        let agree = !comparison
            .iter()
            .any(|c| (c.function.as_str(), c.input.as_str()) == (f, input) && !c.digests_agree);
        let mut note = one_build(summary, f, input, level, &reference).unwrap_or(if agree {
            String::new()
        } else {
            "  OUTPUTS DIFFER".into()
        });
        for rt in runtimes_of(summary, cell, &reference) {
            let s = summary_of(summary, cell, rt);
            let of = |m: Metric| {
                if rt == reference {
                    "ref".to_string()
                } else {
                    r(find(comparison, cell, (rt, &reference), m))
                }
            };
            let _ = writeln!(
                out,
                "{:<20} {:>9}  {:<w$} {:>11} {:>8} {:>8} {:>11} {:>8}{}",
                f,
                input,
                rt,
                t(s.and_then(|s| s.wall_median_ns)),
                of(Metric::Latency),
                of(Metric::KernelTime),
                e(s.and_then(|s| s.energy_gross_median_j)),
                of(Metric::Energy),
                std::mem::take(&mut note)
            );
        }
    }
    let _ = writeln!(
        out,
        "ratio = runtime / {reference} of whole calls (the FaaS question); kernel = of the marked kernel alone (code speed); \
         ref = the reference; * = 95% bootstrap CI excludes 1 and the {}-adjusted Mann-Whitney p < 0.05 \
         (comparison.csv has every runtime pair, metric and Cliff's delta)",
        meta.p_adjust()
    );
    if let Some(w) = few_windows(comparison) {
        let _ = writeln!(out, "{w}");
    }
    if !meta.digest_mismatches.is_empty() {
        let _ = writeln!(out, "output mismatches: {}", meta.digest_mismatches.join("; "));
    }
    out
}

/// The runtimes a cell ran under, the reference first, then the others in the charts' order.
fn runtimes_of<'a>(
    summary: &'a [SummaryRow],
    (f, input, level): (&str, &str, u32),
    reference: &str,
) -> Vec<&'a str> {
    let mut rts: Vec<&str> = summary
        .iter()
        .filter(|s| s.function == f && s.input == input && s.concurrency == level)
        .map(|s| s.runtime.as_str())
        .collect();
    rts.sort_by_key(|rt| (*rt != reference, runtime_rank(rt)));
    rts.dedup();
    rts
}

/// For a function that did not run under every runtime of the run (one of one's own with one
/// build): which runtimes alone ran it and which did not, e.g. "  wasm only: no native build";
/// `None` when every runtime ran it.
fn one_build(
    summary: &[SummaryRow],
    function: &str,
    input: &str,
    level: u32,
    reference: &str,
) -> Option<String> {
    let ran = runtimes_of(summary, (function, input, level), reference);
    // Only the runtimes the run has at all (a run of wasm-cold and native has no warm wasm
    // anywhere).
    let mut missing: Vec<&str> = summary
        .iter()
        .map(|s| s.runtime.as_str())
        .filter(|rt| !ran.contains(rt))
        .collect();
    missing.sort_by_key(|rt| (*rt != reference, runtime_rank(rt)));
    missing.dedup();
    (!ran.is_empty() && !missing.is_empty())
        .then(|| format!("  {} only: no {} build", ran.join("/"), missing.join("/")))
}

/// A warning when an energy ratio rests on fewer than 4 windows a side: the Mann-Whitney test
/// of 3 against 3 cannot go below p = 0.08, so no energy difference can be significant.
pub fn few_windows(comparison: &[ComparisonRow]) -> Option<String> {
    let least = comparison
        .iter()
        .filter(|c| c.metric == Metric::Energy && c.ratio.is_some())
        .map(|c| c.n.min(c.n_reference))
        .min()?;
    if least < 4 {
        return Some(format!(
            "note: some energy ratios rest on {least} measurement window(s) per runtime (energy is one value per window); \
             with fewer than 4 a side no energy difference can reach p < 0.05: raise `repetitions` in the config"
        ));
    }
    // Differences whose own test passes but that the adjustment over the run's tests cannot
    // carry: few windows give a smallest p that many tests multiply past 0.05.
    let lost = comparison
        .iter()
        .filter(|c| c.metric == Metric::Energy && c.significant == Some(false))
        .filter(|c| c.p_value.is_some_and(|p| p < ALPHA) && c.p_adjusted.is_some_and(|p| p >= ALPHA))
        .filter(|c| {
            c.ratio_ci_lo
                .zip(c.ratio_ci_hi)
                .is_some_and(|(lo, hi)| lo > 1.0 || hi < 1.0)
        })
        .count();
    let tests = comparison.iter().filter(|c| c.p_value.is_some()).count();
    (lost > 0).then(|| {
        format!(
            "note: {lost} energy difference(s) have p < 0.05 on their own but not once adjusted over the run's {tests} tests \
             (energy is one value per window, {least} or more a side): raise `repetitions` in the config to resolve them"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_few_energy_windows_are_pointed_out() {
        let row = |w: usize, n: usize| ComparisonRow {
            metric: Metric::Energy,
            ratio: Some(0.5),
            n: w,
            n_reference: n,
            ..ComparisonRow::default()
        };
        assert_eq!(few_windows(&[row(10, 10)]), None);
        let w = few_windows(&[row(10, 10), row(3, 5)]).unwrap_or_default();
        assert!(
            w.contains("rest on 3 measurement") && w.contains("repetitions"),
            "{w}"
        );
        // Rows without an energy ratio say nothing about energy.
        let no_energy = ComparisonRow {
            metric: Metric::Energy,
            n: 1,
            ..ComparisonRow::default()
        };
        assert_eq!(few_windows(&[no_energy]), None);
        // Five windows a side: p = 0.009 alone, 0.27 adjusted over 30 tests.
        let lost = ComparisonRow {
            metric: Metric::Energy,
            ratio: Some(2.0),
            ratio_ci_lo: Some(1.8),
            ratio_ci_hi: Some(2.2),
            p_value: Some(0.009),
            p_adjusted: Some(0.27),
            significant: Some(false),
            n: 5,
            n_reference: 5,
            ..ComparisonRow::default()
        };
        let w = few_windows(std::slice::from_ref(&lost)).unwrap_or_default();
        assert!(
            w.contains("1 energy difference(s)") && w.contains("repetitions"),
            "{w}"
        );
        let carried = ComparisonRow {
            p_adjusted: Some(0.02),
            significant: Some(true),
            ..lost
        };
        assert_eq!(few_windows(&[carried]), None);
    }
}
