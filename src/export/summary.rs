//! `summary.csv`: one row per cell (function, input, runtime, concurrency) with the median,
//! IQR, 5th/95th percentiles, mean, standard deviation and a bootstrap 95% interval of the median
//! for latency, kernel time, CPU time and energy (gross and net), plus throughput. The intervals
//! resample measurement windows, not calls (`stats::cluster`); energy has one value per window.
//!
//! Only calls with `ok = true` count toward the statistics; the others are counted in `errors`.
//! Units are in the column names; a metric without values is an empty cell, never a zero.

use super::contrast::samples;
use crate::results::cells::{CellCalls, RunCalls};
use crate::results::comparison::Metric;
use crate::results::{CallRow, SummaryRow};
use crate::stats::cluster::{median_ci, Clustered};
use crate::stats::summarize as describe;
use std::cmp::Ordering;
use std::collections::BTreeSet;

/// The statistics of one metric, each `None` when the metric has no value.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MetricStats {
    /// Median (type 7), in the metric's unit.
    pub median: Option<f64>,
    /// Interquartile range, q3 - q1.
    pub iqr: Option<f64>,
    /// 5th percentile (type 7).
    pub p5: Option<f64>,
    /// 95th percentile (type 7).
    pub p95: Option<f64>,
    /// Arithmetic mean.
    pub mean: Option<f64>,
    /// Sample standard deviation (denominator n - 1); `None` with a single value.
    pub sd: Option<f64>,
    /// Bootstrap 95% interval of the median, low end; `None` with fewer than two values.
    pub ci_lo: Option<f64>,
    /// Bootstrap 95% interval of the median, high end; `None` with fewer than two values.
    pub ci_hi: Option<f64>,
}

/// Statistics of `xs` with a bootstrap interval of the median (`resamples`, `seed`) that
/// resamples the windows of `windows` (the window of each value), or the values themselves
/// when `windows` is `None` (one value per window).
pub fn metric_stats(xs: &[f64], windows: Option<&[u64]>, resamples: usize, seed: u64) -> MetricStats {
    let Some(s) = describe(xs) else {
        return MetricStats::default();
    };
    let clustered = match windows {
        Some(w) => Clustered::new(xs, w),
        None => Clustered::independent(xs),
    };
    let ci = clustered.and_then(|c| median_ci(&c, resamples, seed));
    MetricStats {
        median: Some(s.median),
        iqr: Some(s.iqr),
        p5: Some(s.p5),
        p95: Some(s.p95),
        mean: Some(s.mean),
        sd: s.sd,
        ci_lo: ci.map(|c| c.lo),
        ci_hi: ci.map(|c| c.hi),
    }
}

/// Compares strings the way people read them: runs of ASCII digits compare as numbers
/// (`"10" < "100"`, `"n2" < "n10"`), everything else byte by byte.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].is_ascii_digit() && b[j].is_ascii_digit() {
            let (si, sj) = (i, j);
            while i < a.len() && a[i].is_ascii_digit() {
                i += 1;
            }
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            let da = trim_zeros(&a[si..i]);
            let db = trim_zeros(&b[sj..j]);
            let ord = da.len().cmp(&db.len()).then_with(|| da.cmp(db));
            if ord != Ordering::Equal {
                return ord;
            }
        } else {
            if a[i] != b[j] {
                return a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
    }
    (a.len() - i).cmp(&(b.len() - j)).then_with(|| a.cmp(b))
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let first = digits.iter().position(|&d| d != b'0').unwrap_or(digits.len());
    &digits[first..]
}

/// Distinct non-empty values joined by `+`, sorted.
pub fn distinct_joined<'a>(values: impl Iterator<Item = &'a str>) -> String {
    let set: BTreeSet<&str> = values.filter(|v| !v.is_empty()).collect();
    set.into_iter().collect::<Vec<_>>().join("+")
}

/// One summary row per cell, ordered by function, input (natural order), runtime, concurrency.
/// Every interval uses `resamples` bootstrap resamples drawn from `seed`, so the file is
/// reproducible.
pub fn summarize(run: &RunCalls, resamples: usize, seed: u64) -> Vec<SummaryRow> {
    let mut cells: Vec<&CellCalls> = run.cells.iter().collect();
    cells.sort_by(|a, b| {
        a.function
            .cmp(&b.function)
            .then_with(|| natural_cmp(&a.input, &b.input))
            .then_with(|| a.runtime.cmp(&b.runtime))
            .then_with(|| a.concurrency.cmp(&b.concurrency))
    });
    cells
        .into_iter()
        .map(|c| summary_row(c, resamples, seed))
        .collect()
}

/// [`summarize`] of rows.
pub fn summarize_cells(rows: &[CallRow], resamples: usize, seed: u64) -> Vec<SummaryRow> {
    summarize(&RunCalls::from_rows(rows), resamples, seed)
}

fn summary_row(cell: &CellCalls, resamples: usize, seed: u64) -> SummaryRow {
    let ids = cell.window_ids();
    let kernel = samples(cell, Metric::KernelTime);
    let (gross, net) = (cell.window_energy(false), cell.window_energy(true));
    let (w, kn, c, g, nt) = (
        metric_stats(&cell.wall, Some(&ids), resamples, seed),
        metric_stats(&kernel.values, Some(&kernel.windows), resamples, seed),
        metric_stats(&cell.cpu, Some(&ids), resamples, seed),
        metric_stats(&gross, None, resamples, seed),
        metric_stats(&net, None, resamples, seed),
    );
    let n = cell.ok();
    SummaryRow {
        machine: cell.machine.clone(),
        cell: distinct_joined(cell.cell_names.iter().map(String::as_str)),
        function: cell.function.clone(),
        runtime: cell.runtime.clone(),
        input: cell.input.clone(),
        concurrency: cell.concurrency,
        n,
        errors: cell.rows - n,
        energy_n: gross.len(),
        wall_median_ns: w.median,
        wall_iqr_ns: w.iqr,
        wall_p5_ns: w.p5,
        wall_p95_ns: w.p95,
        wall_mean_ns: w.mean,
        wall_sd_ns: w.sd,
        wall_ci_lo_ns: w.ci_lo,
        wall_ci_hi_ns: w.ci_hi,
        kernel_median_ns: kn.median,
        kernel_iqr_ns: kn.iqr,
        kernel_p5_ns: kn.p5,
        kernel_p95_ns: kn.p95,
        kernel_mean_ns: kn.mean,
        kernel_sd_ns: kn.sd,
        kernel_ci_lo_ns: kn.ci_lo,
        kernel_ci_hi_ns: kn.ci_hi,
        cpu_median_ns: c.median,
        cpu_iqr_ns: c.iqr,
        cpu_p5_ns: c.p5,
        cpu_p95_ns: c.p95,
        cpu_mean_ns: c.mean,
        cpu_sd_ns: c.sd,
        cpu_ci_lo_ns: c.ci_lo,
        cpu_ci_hi_ns: c.ci_hi,
        energy_gross_median_j: g.median,
        energy_gross_iqr_j: g.iqr,
        energy_gross_p5_j: g.p5,
        energy_gross_p95_j: g.p95,
        energy_gross_mean_j: g.mean,
        energy_gross_sd_j: g.sd,
        energy_gross_ci_lo_j: g.ci_lo,
        energy_gross_ci_hi_j: g.ci_hi,
        energy_net_median_j: nt.median,
        energy_net_iqr_j: nt.iqr,
        energy_net_p5_j: nt.p5,
        energy_net_p95_j: nt.p95,
        energy_net_mean_j: nt.mean,
        energy_net_sd_j: nt.sd,
        energy_net_ci_lo_j: nt.ci_lo,
        energy_net_ci_hi_j: nt.ci_hi,
        energy_net_above_idle: nt.median.map(|_| nt.ci_lo.is_some_and(|lo| lo > 0.0)),
        throughput_calls_per_s: cell.throughput(),
        energy_label: distinct_joined(cell.labels.iter().map(String::as_str)),
        energy_source: distinct_joined(cell.sources.iter().map(String::as_str)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        assert_eq!(natural_cmp("10", "100"), Ordering::Less);
        assert_eq!(natural_cmp("9", "10"), Ordering::Less);
        assert_eq!(natural_cmp("n2", "n10"), Ordering::Less);
        assert_eq!(natural_cmp("abc", "abd"), Ordering::Less);
        assert_eq!(natural_cmp("a", "a1"), Ordering::Less);
        assert_ne!(natural_cmp("007", "7"), Ordering::Equal);
        assert_eq!(natural_cmp("small", "small"), Ordering::Equal);
        let mut v = vec!["100", "large", "10", "2", "small"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, vec!["2", "10", "100", "large", "small"]);
    }

    #[test]
    fn throughput_sums_window_spans() {
        let mk = |w: u64, start: u64, wall: u64, ok: bool| CallRow {
            window_id: w,
            start_unix_ns: start,
            wall_ns: wall,
            ok,
            ..CallRow::default()
        };
        // Two windows of 0.5 s each, 1000 s apart: 4 ok calls in 1 s of measurement.
        let rows = [
            mk(1, 0, 250_000_000, true),
            mk(1, 250_000_000, 250_000_000, true),
            mk(2, 1_000_000_000_000, 500_000_000, true),
            mk(2, 1_000_000_000_000, 400_000_000, true),
            mk(2, 1_000_000_000_000, 100_000_000, false),
        ];
        let run = RunCalls::from_rows(&rows);
        let t = run.cells[0].throughput().expect("non-zero span");
        assert!((t - 4.0).abs() < 1e-9, "{t}");
        assert_eq!(CellCalls::default().throughput(), None);
    }

    #[test]
    fn metric_stats_of_nothing_is_empty() {
        assert_eq!(metric_stats(&[], None, 100, 1), MetricStats::default());
        // One value: a median but no spread and no interval (not the zero-width [2, 2]).
        let m = metric_stats(&[2.0], None, 100, 1);
        assert_eq!((m.median, m.sd, m.ci_lo, m.ci_hi), (Some(2.0), None, None, None));
    }
}
