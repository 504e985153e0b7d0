//! `comparison.csv`: one row per (function, input, concurrency) with the Wasm/native ratios of
//! latency and energy and the cold/warm Wasm ratios, each with a bootstrap 95% interval, a
//! Mann–Whitney p-value and a significance flag, plus whether the outputs agreed.
//!
//! Ratios are of medians over ok calls: `wasm / native` and `wasm-cold / wasm`. Energy is the
//! gross per-call energy (`energy_gross_j`, one mean value per measurement window). A ratio is significant when its interval excludes 1
//! and the p-value is below 0.05 (`stats::change`). Missing ratios are empty cells.

use super::summary::{distinct_joined, energy_gross, natural_cmp, ok_values, wall, window_values};
use crate::results::call::{label_str, NATIVE, WASM, WASM_COLD};
use crate::results::{CallRow, ComparisonRow};
use crate::stats::{change, mann_whitney, median};
use std::collections::{BTreeMap, BTreeSet};

/// A ratio's columns: estimate, interval, p-value, significance.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct RatioCols {
    ratio: Option<f64>,
    lo: Option<f64>,
    hi: Option<f64>,
    p: Option<f64>,
    significant: Option<bool>,
}

/// The ratio `median(num) / median(den)` with its interval and test. A side with one value
/// still has a ratio and a p-value, but no bootstrap interval (`stats::bootstrap::MIN_N`), and
/// so is never significant.
fn ratio_cols(num: &[f64], den: &[f64], resamples: usize, seed: u64) -> RatioCols {
    if let Some(c) = change(den, num, resamples, seed) {
        return RatioCols {
            ratio: Some(c.ratio.estimate),
            lo: Some(c.ratio.ci.lo),
            hi: Some(c.ratio.ci.hi),
            p: Some(c.p_value),
            significant: Some(c.significant),
        };
    }
    let ratio = match (median(num), median(den)) {
        (Some(n), Some(d)) if d != 0.0 => Some(n / d).filter(|r| r.is_finite()),
        _ => None,
    };
    RatioCols {
        ratio,
        p: ratio.and_then(|_| mann_whitney(den, num)).map(|t| t.p_value),
        significant: ratio.map(|_| false),
        ..RatioCols::default()
    }
}

/// Whether all completed calls of each (function, input) share one output digest: ok rows and
/// rows the orchestrator marked `digest-mismatch` (they ran to the end but printed otherwise).
fn digest_agreement(rows: &[CallRow]) -> BTreeMap<(&str, &str), bool> {
    let mut digests: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.ok || r.error_kind == "digest-mismatch") {
        digests
            .entry((r.function.as_str(), r.input.as_str()))
            .or_default()
            .insert(r.output_digest.as_str());
    }
    digests.into_iter().map(|(k, d)| (k, d.len() == 1)).collect()
}

/// One comparison row per (function, input, concurrency), ordered by function, input (natural
/// order), concurrency. Every interval uses `resamples` resamples drawn from `seed`.
pub fn compare_cells(rows: &[CallRow], resamples: usize, seed: u64) -> Vec<ComparisonRow> {
    let mut groups: BTreeMap<(&str, &str, u32), Vec<&CallRow>> = BTreeMap::new();
    for r in rows {
        groups
            .entry((r.function.as_str(), r.input.as_str(), r.concurrency))
            .or_default()
            .push(r);
    }
    let agree = digest_agreement(rows);
    let mut keys: Vec<(&str, &str, u32)> = groups.keys().copied().collect();
    keys.sort_by(|a, b| {
        a.0.cmp(b.0)
            .then_with(|| natural_cmp(a.1, b.1))
            .then_with(|| a.2.cmp(&b.2))
    });
    keys.into_iter()
        .map(|k| {
            let rs = groups.get(&k).map(Vec::as_slice).unwrap_or_default();
            let digests_agree = agree.get(&(k.0, k.1)).copied().unwrap_or(false);
            comparison_row(k, rs, digests_agree, resamples, seed)
        })
        .collect()
}

fn comparison_row(
    (function, input, concurrency): (&str, &str, u32),
    rs: &[&CallRow],
    digests_agree: bool,
    resamples: usize,
    seed: u64,
) -> ComparisonRow {
    let of =
        |runtime: &str| -> Vec<&CallRow> { rs.iter().copied().filter(|r| r.runtime == runtime).collect() };
    let (wasm, native, cold) = (of(WASM), of(NATIVE), of(WASM_COLD));
    let count = |v: &[&CallRow]| v.iter().filter(|r| r.ok).count();
    let windows = |v: &[&CallRow]| window_values(v, energy_gross).len();
    let lat = |num: &[&CallRow], den: &[&CallRow]| {
        ratio_cols(&ok_values(num, wall), &ok_values(den, wall), resamples, seed)
    };
    let en = |num: &[&CallRow], den: &[&CallRow]| {
        ratio_cols(
            &window_values(num, energy_gross),
            &window_values(den, energy_gross),
            resamples,
            seed,
        )
    };
    let (wl, we, cl, ce) = (
        lat(&wasm, &native),
        en(&wasm, &native),
        lat(&cold, &wasm),
        en(&cold, &wasm),
    );
    ComparisonRow {
        function: function.to_string(),
        input: input.to_string(),
        concurrency,
        n_wasm: count(&wasm),
        n_native: count(&native),
        n_cold: count(&cold),
        energy_n_wasm: windows(&wasm),
        energy_n_native: windows(&native),
        energy_n_cold: windows(&cold),
        wasm_native_latency_ratio: wl.ratio,
        wasm_native_latency_ci_lo: wl.lo,
        wasm_native_latency_ci_hi: wl.hi,
        wasm_native_latency_p_value: wl.p,
        wasm_native_latency_significant: wl.significant,
        wasm_native_energy_ratio: we.ratio,
        wasm_native_energy_ci_lo: we.lo,
        wasm_native_energy_ci_hi: we.hi,
        wasm_native_energy_p_value: we.p,
        wasm_native_energy_significant: we.significant,
        cold_warm_latency_ratio: cl.ratio,
        cold_warm_latency_ci_lo: cl.lo,
        cold_warm_latency_ci_hi: cl.hi,
        cold_warm_latency_p_value: cl.p,
        cold_warm_latency_significant: cl.significant,
        cold_warm_energy_ratio: ce.ratio,
        cold_warm_energy_ci_lo: ce.lo,
        cold_warm_energy_ci_hi: ce.hi,
        cold_warm_energy_p_value: ce.p,
        cold_warm_energy_significant: ce.significant,
        digests_agree,
        energy_label: distinct_joined(rs.iter().map(|r| label_str(r.energy_label))),
    }
}
