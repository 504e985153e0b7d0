//! `comparison.csv`, in tidy long form: for every (function, input, concurrency), every runtime
//! against its reference on every metric with samples, one row each: the ratio of medians with a
//! bootstrap 95% interval, the raw Mann–Whitney p-value and the p-value adjusted over the whole
//! table (Holm by default, Benjamini–Hochberg on request), Cliff's delta with its interval, and
//! whether the outputs agreed.
//!
//! The pairs: every runtime against the run's reference (its config's `reference`, `native` by
//! default), and the Wasm variants against warm `wasm` (`wasm-cold / wasm`: the cost of a cold
//! start; `wasm-simd128 / wasm`: what `simd128` buys), each pair once. The metrics: `latency` and `energy` of whole calls (the FaaS question) and
//! `kernel_time` and `kernel_energy` of the marked kernel (the code-speed question). A metric
//! neither side has a sample of (no markers, no energy) has no row. A difference is significant
//! when its interval excludes 1 and its adjusted p-value is below 0.05.

use super::contrast::{adjust_all, contrast, samples};
use super::summary::{distinct_joined, natural_cmp};
use crate::results::cells::{CellCalls, RunCalls};
use crate::results::comparison::{pairs_of, Metric};
use crate::results::{CallRow, ComparisonRow};
use crate::stats::adjust::PAdjust;
use std::collections::{BTreeMap, BTreeSet};

/// Every comparison row of the run, each runtime against `reference` (the run's, see
/// `Metadata::reference`) and the Wasm variants against their base, ordered by function, input
/// (natural order), concurrency, pair, metric; every interval uses `resamples` resamples drawn
/// from `seed`; the p-values are adjusted over the whole table by `adjust`.
pub fn compare(
    run: &RunCalls,
    resamples: usize,
    seed: u64,
    adjust: PAdjust,
    reference: &str,
) -> Vec<ComparisonRow> {
    // Both sides of a pair are of one machine: a merged run of several has its pairs per machine.
    let mut groups: BTreeMap<(&str, &str, u32, &str), Vec<&CellCalls>> = BTreeMap::new();
    for c in &run.cells {
        groups
            .entry((
                c.function.as_str(),
                c.input.as_str(),
                c.concurrency,
                c.machine.as_str(),
            ))
            .or_default()
            .push(c);
    }
    let mut keys: Vec<(&str, &str, u32, &str)> = groups.keys().copied().collect();
    keys.sort_by(|a, b| {
        a.0.cmp(b.0)
            .then_with(|| natural_cmp(a.1, b.1))
            .then_with(|| a.2.cmp(&b.2))
            .then_with(|| a.3.cmp(b.3))
    });
    let mut out: Vec<(ComparisonRow, super::contrast::Contrast)> = Vec::new();
    for k in keys {
        let cells = groups.get(&k).map(Vec::as_slice).unwrap_or_default();
        let digests_agree = run
            .digests
            .get(&(k.0.to_string(), k.1.to_string()))
            .is_some_and(|d| d.len() == 1);
        let present: BTreeSet<&str> = cells.iter().map(|c| c.runtime.as_str()).collect();
        for (runtime, reference) in pairs_of(&present, reference) {
            let (Some(num), Some(den)) = (
                cells.iter().find(|c| c.runtime == runtime),
                cells.iter().find(|c| c.runtime == reference),
            ) else {
                continue;
            };
            for metric in Metric::ALL {
                let (a, b) = (samples(num, metric), samples(den, metric));
                if a.values.is_empty() && b.values.is_empty() {
                    continue;
                }
                let c = contrast(&a, &b, resamples, seed);
                let energy_label = if metric.is_energy() {
                    distinct_joined(num.labels.iter().chain(&den.labels).map(String::as_str))
                } else {
                    String::new()
                };
                let row = ComparisonRow {
                    function: k.0.to_string(),
                    input: k.1.to_string(),
                    concurrency: k.2,
                    runtime: runtime.to_string(),
                    reference: reference.to_string(),
                    metric,
                    scope: metric.scope(),
                    sample: metric.sample().to_string(),
                    unit: metric.unit().to_string(),
                    n: c.n,
                    n_reference: c.n_den,
                    median: c.median,
                    median_reference: c.median_den,
                    ratio: c.ratio,
                    ratio_ci_lo: c.ci.map(|ci| ci.0),
                    ratio_ci_hi: c.ci.map(|ci| ci.1),
                    p_value: c.p,
                    p_adjusted: None,
                    p_adjust: adjust.as_str().to_string(),
                    significant: None,
                    cliffs_delta: c.delta.map(|d| d.d),
                    cliffs_delta_ci_lo: c.delta.and_then(|d| d.lo),
                    cliffs_delta_ci_hi: c.delta.and_then(|d| d.hi),
                    digests_agree,
                    energy_label,
                    machine: k.3.to_string(),
                };
                out.push((row, c));
            }
        }
    }
    adjust_all(out, adjust)
        .into_iter()
        .map(|(mut row, p, significant)| {
            row.p_adjusted = p;
            row.significant = significant;
            row
        })
        .collect()
}

/// [`compare`] of rows.
pub fn compare_cells(
    rows: &[CallRow],
    resamples: usize,
    seed: u64,
    adjust: PAdjust,
    reference: &str,
) -> Vec<ComparisonRow> {
    compare(&RunCalls::from_rows(rows), resamples, seed, adjust, reference)
}
