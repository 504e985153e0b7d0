//! After a run: `summary.csv`, `comparison.csv` and the columnar copy `calls.parquet` from
//! `calls.csv`, and the short table printed at the end (per function and input: wasm vs native
//! latency, kernel time and energy, at concurrency 1 or else the run's lowest level).

use crate::export::{compare, summarize, write_comparison, write_summary};
use crate::results::call::{NATIVE, WASM};
use crate::results::comparison::{find, Metric};
use crate::results::{ComparisonRow, Metadata, RunData, Status, SummaryRow};
use crate::stats::{ALPHA, DEFAULT_RESAMPLES};
use crate::units::{human_duration, Joules};
use anyhow::Result;
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
/// with the seed and p-value adjustment of its metadata, and writes summary.csv and
/// comparison.csv.
pub fn complete(dir: &Path) -> Result<RunData> {
    let (mut data, _) = RunData::read(dir)?;
    let seed = data.seed();
    let adjust = data.meta.as_ref().map(Metadata::p_adjust).unwrap_or_default();
    data.summary = summarize(&data.calls, DEFAULT_RESAMPLES, seed);
    data.comparison = compare(&data.calls, DEFAULT_RESAMPLES, seed, adjust);
    write_summary(&dir.join("summary.csv"), &data.summary)?;
    write_comparison(&dir.join("comparison.csv"), &data.comparison)?;
    Ok(data)
}

fn median(
    summary: &[SummaryRow],
    f: &str,
    input: &str,
    runtime: &str,
    concurrency: u32,
) -> (Option<f64>, Option<f64>) {
    summary
        .iter()
        .find(|s| s.function == f && s.input == input && s.runtime == runtime && s.concurrency == concurrency)
        .map(|s| (s.wall_median_ns, s.energy_gross_median_j))
        .unwrap_or((None, None))
}

fn print_table(summary: &[SummaryRow], comparison: &[ComparisonRow], meta: &Metadata) {
    let label = if meta.energy.label == "measured" {
        "measured"
    } else {
        "ESTIMATED by the model"
    };
    if meta.status != Status::Complete {
        crate::outln!(
            "\nPARTIAL RUN ({}): {} of {} windows measured; the figures below cover only those",
            meta.status,
            meta.windows_done,
            meta.windows_planned
        );
    }
    // One concurrency level: 1 when the run has it, else its lowest (a run of [2, 4] shows 2).
    let level = summary.iter().map(|s| s.concurrency).min().unwrap_or(1);
    let at = if level == 1 {
        String::new()
    } else {
        format!(" at concurrency {level}, the run's lowest level")
    };
    crate::outln!(
        "\nmedian per call{at} (gross energy {label}, source {}):",
        meta.energy.source
    );
    crate::outln!(
        "{:<20} {:>9} {:>11} {:>11} {:>8} {:>8} {:>11} {:>11} {:>8}",
        "function",
        "input",
        "wasm",
        "native",
        "ratio",
        "kernel",
        "wasm E",
        "native E",
        "ratio"
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
    let mut cells: Vec<(&str, &str, u32)> = summary
        .iter()
        .filter(|s| s.concurrency == level)
        .map(|s| (s.function.as_str(), s.input.as_str(), level))
        .collect();
    cells.dedup();
    for cell in cells {
        let (f, input, _) = cell;
        let (wl, we) = median(summary, f, input, WASM, level);
        let (nl, ne) = median(summary, f, input, NATIVE, level);
        let of = |m: Metric| find(comparison, cell, (WASM, NATIVE), m);
        let agree = !comparison
            .iter()
            .any(|c| (c.function.as_str(), c.input.as_str()) == (f, input) && !c.digests_agree);
        crate::outln!(
            "{:<20} {:>9} {:>11} {:>11} {:>8} {:>8} {:>11} {:>11} {:>8}{}",
            f,
            input,
            t(wl),
            t(nl),
            r(of(Metric::Latency)),
            r(of(Metric::KernelTime)),
            e(we),
            e(ne),
            r(of(Metric::Energy)),
            one_build(summary, f, input, level).unwrap_or(if agree { "" } else { "  OUTPUTS DIFFER" })
        );
    }
    crate::outln!(
        "ratio = wasm / native of whole calls (the FaaS question); kernel = of the marked kernel alone (code speed); \
         * = 95% bootstrap CI excludes 1 and the {}-adjusted Mann-Whitney p < 0.05 (comparison.csv has every runtime pair, metric and Cliff's delta)",
        meta.p_adjust()
    );
    if let Some(w) = few_windows(comparison) {
        crate::outln!("{w}");
    }
    if !meta.digest_mismatches.is_empty() {
        crate::outln!("output mismatches: {}", meta.digest_mismatches.join("; "));
    }
}

/// For a function of one's own with one build: which runtime alone ran it (so the row has no
/// ratio); `None` when both ran.
fn one_build(summary: &[SummaryRow], function: &str, input: &str, level: u32) -> Option<&'static str> {
    let ran = |rt: &str| {
        summary
            .iter()
            .any(|s| s.function == function && s.input == input && s.runtime == rt && s.concurrency == level)
    };
    // Only where the run has the other runtime at all (a run of wasm-cold and native has no
    // warm wasm anywhere).
    let in_run = |rt: &str| summary.iter().any(|s| s.runtime == rt);
    match (ran("wasm"), ran("native")) {
        (true, false) if in_run("native") => Some("  wasm only: no native build"),
        (false, true) if in_run("wasm") => Some("  native only: no wasm build"),
        _ => None,
    }
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
