//! After a run: `summary.csv`, `comparison.csv` and the columnar copy `calls.parquet` from
//! `calls.csv`, and the short table printed at the end (per function and input: wasm vs native
//! latency, kernel time and energy, at concurrency 1 or else the run's lowest level).

use crate::export::{compare_cells, summarize_cells, write_comparison, write_summary};
use crate::results::call::{NATIVE, WASM};
use crate::results::comparison::{find, Metric};
use crate::results::{read_calls, ComparisonRow, Metadata, Status, SummaryRow};
use crate::stats::DEFAULT_RESAMPLES;
use crate::units::{human_duration, Joules};
use anyhow::Result;
use std::path::Path;
use std::time::Duration;

/// Write summary.csv and comparison.csv of a results directory; print the summary table.
pub fn finish(dir: &Path, meta: &Metadata, print: bool) -> Result<()> {
    let rows = read_calls(&dir.join("calls.csv"))?;
    let seed = meta.seed();
    let summary = summarize_cells(&rows, DEFAULT_RESAMPLES, seed);
    let comparison = compare_cells(&rows, DEFAULT_RESAMPLES, seed, meta.p_adjust());
    write_summary(&dir.join("summary.csv"), &summary)?;
    write_comparison(&dir.join("comparison.csv"), &comparison)?;
    crate::export::parquet::write_or_warn(dir);
    if print {
        print_table(&summary, &comparison, meta);
    }
    crate::report::draw_and_write(dir);
    Ok(())
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
    (least < 4).then(|| {
        format!(
            "note: some energy ratios rest on {least} measurement window(s) per runtime (energy is one value per window); \
             with fewer than 4 a side no energy difference can reach p < 0.05: raise `repetitions` in the config"
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
    }
}
