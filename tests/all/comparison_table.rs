//! `comparison.csv` in tidy long form, checked against figures computed here by hand: the
//! kernel-time ratio beside the whole-call ratio, Cliff's delta by its pairwise definition, the
//! p-values adjusted by Holm and by Benjamini–Hochberg (and significance that follows the adjusted
//! p, not the raw one), the file read back equal, and a run's comparison.csv of the wide form of
//! earlier versions recomputed in the long form.

use crate::common::median_by_hand;
use crate::fixture_run::{write_run, Spec};
use nebula::export::{compare_cells, write_comparison};
use nebula::results::call::{CallRow, EnergyLabel};
use nebula::results::comparison::{Metric, Scope, REFERENCE};
use nebula::results::files::read_rows;
use nebula::results::ComparisonRow;
use nebula::stats::adjust::PAdjust;

const RESAMPLES: usize = 1000;

/// An ok call alone in its window.
fn call(runtime: &str, rep: u32, wall_ns: u64, kernel_ns: u64, energy_j: f64) -> CallRow {
    CallRow {
        run_id: "r".into(),
        cell: format!("f/1/{runtime}/c1"),
        function: "f".into(),
        runtime: runtime.into(),
        input: "1".into(),
        concurrency: 1,
        repetition: rep,
        wall_ns,
        kernel_ns: Some(kernel_ns),
        kernel_energy_j: Some(energy_j / 4.0),
        energy_gross_j: Some(energy_j),
        energy_source: "model".into(),
        energy_label: Some(EnergyLabel::Estimated),
        window_id: u64::from(rep) + 1000 * u64::from(runtime.len() as u32),
        calls_in_window: 1,
        output_digest: "d".into(),
        ok: true,
        ..CallRow::default()
    }
}

fn pick<'a>(rows: &'a [ComparisonRow], runtime: &str, reference: &str, metric: Metric) -> &'a ComparisonRow {
    rows.iter()
        .find(|r| r.runtime == runtime && r.reference == reference && r.metric == metric)
        .unwrap_or_else(|| panic!("no {runtime}/{reference} {metric} row"))
}

/// Cliff's delta by its definition: over all pairs, (#a > b - #a < b) / (n_a n_b).
fn delta_by_pairs(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0i64;
    for x in a {
        for y in b {
            s += i64::from(x > y) - i64::from(x < y);
        }
    }
    s as f64 / (a.len() * b.len()) as f64
}

/// Holm's adjustment written out: sort ascending, multiply the i-th smallest (from 0) by m - i,
/// carry the running maximum, cap at 1.
fn holm_by_hand(p: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.sort_by(|&i, &j| p[i].total_cmp(&p[j]));
    let m = p.len() as f64;
    let (mut out, mut run) = (vec![0.0; p.len()], 0.0f64);
    for (rank, &i) in idx.iter().enumerate() {
        run = run.max((p[i] * (m - rank as f64)).min(1.0));
        out[i] = run;
    }
    out
}

/// Benjamini–Hochberg written out: from the largest down, p * m / rank (rank from 1), carrying
/// the running minimum.
fn bh_by_hand(p: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.sort_by(|&i, &j| p[i].total_cmp(&p[j]));
    let m = p.len() as f64;
    let (mut out, mut run) = (vec![0.0; p.len()], 1.0f64);
    for (rank, &i) in idx.iter().enumerate().rev() {
        run = run.min((p[i] * m / (rank as f64 + 1.0)).min(1.0));
        out[i] = run;
    }
    out
}

#[test]
fn kernel_ratio_stands_beside_the_whole_call_ratio() {
    // Native calls spend 900 ns spawning around a kernel of 100..109 ns; wasm calls have no
    // spawn (wall = kernel + 50) but a kernel 1.5 times as long: the FaaS question says wasm is
    // cheaper, the code-speed question says it is slower.
    let mut rows = Vec::new();
    let (mut nk, mut wk, mut nw, mut ww) = (vec![], vec![], vec![], vec![]);
    for i in 0..20u32 {
        let k = 100 + u64::from(i % 10);
        let (n_wall, w_kernel) = (k + 900, k * 3 / 2);
        let w_wall = w_kernel + 50;
        rows.push(call("native", i, n_wall, k, 1e-3));
        rows.push(call("wasm", i, w_wall, w_kernel, 0.5e-3));
        nk.push(k as f64);
        wk.push(w_kernel as f64);
        nw.push(n_wall as f64);
        ww.push(w_wall as f64);
    }
    let c = compare_cells(&rows, RESAMPLES, 1, PAdjust::Holm, REFERENCE);
    let call_ratio = pick(&c, "wasm", "native", Metric::Latency);
    let kernel_ratio = pick(&c, "wasm", "native", Metric::KernelTime);
    assert_eq!(
        (call_ratio.scope, kernel_ratio.scope),
        (Scope::Call, Scope::Kernel)
    );
    assert_eq!(call_ratio.ratio, Some(median_by_hand(&ww) / median_by_hand(&nw)));
    assert_eq!(
        kernel_ratio.ratio,
        Some(median_by_hand(&wk) / median_by_hand(&nk))
    );
    assert!(
        call_ratio.ratio < Some(0.3) && kernel_ratio.ratio > Some(1.4),
        "{c:?}"
    );
    assert_eq!(
        (kernel_ratio.median, kernel_ratio.median_reference),
        (Some(median_by_hand(&wk)), Some(median_by_hand(&nk)))
    );
    assert_eq!(kernel_ratio.cliffs_delta, Some(delta_by_pairs(&wk, &nk)));
    assert_eq!(call_ratio.cliffs_delta, Some(-1.0));
    // Kernel energy per call: a quarter of the gross, so the ratio of kernel energies is 0.5.
    assert_eq!(pick(&c, "wasm", "native", Metric::KernelEnergy).ratio, Some(0.5));
    assert!(c.iter().all(|r| r.significant == Some(true)), "{c:?}");
}

#[test]
fn cliffs_delta_matches_its_definition_on_overlapping_samples() {
    // Overlapping samples with ties between the runtimes.
    let native = [10u64, 12, 12, 15, 18, 20, 22, 25, 25, 30];
    let wasm = [12u64, 14, 15, 19, 21, 25, 27, 28, 33, 40, 41];
    let mut rows = Vec::new();
    for (i, &w) in native.iter().enumerate() {
        rows.push(call("native", i as u32, w, w, 1.0));
    }
    for (i, &w) in wasm.iter().enumerate() {
        rows.push(call("wasm", i as u32, w, w, 1.0));
    }
    let c = compare_cells(&rows, RESAMPLES, 1, PAdjust::Holm, REFERENCE);
    let r = pick(&c, "wasm", "native", Metric::Latency);
    let (a, b): (Vec<f64>, Vec<f64>) = (
        wasm.iter().map(|&x| x as f64).collect(),
        native.iter().map(|&x| x as f64).collect(),
    );
    let d = delta_by_pairs(&a, &b);
    // 110 pairs: 73 with wasm above, 32 below, 5 tied.
    assert!((d - 41.0 / 110.0).abs() < 1e-12, "{d}");
    assert!((r.cliffs_delta.expect("delta") - d).abs() < 1e-12, "{r:?}");
    let (lo, hi) = (
        r.cliffs_delta_ci_lo.expect("lo"),
        r.cliffs_delta_ci_hi.expect("hi"),
    );
    assert!(
        -1.0 <= lo && lo < d && d < hi && hi <= 1.0,
        "[{lo}, {hi}] around {d}"
    );
    // The interval reaches 0: not a difference one could call significant.
    assert!(lo < 0.0, "{lo}");
    assert_eq!(r.significant, Some(false));
}

/// Five native calls, five wasm calls twice as long, five wasm-cold calls three times as long,
/// every sample apart from the others: nine comparisons (three pairs, three metrics), each with
/// a raw p below 0.05 but not far below (five against five).
fn separated() -> Vec<CallRow> {
    let mut rows = Vec::new();
    for i in 0..5u32 {
        let base = 1000 + 10 * u64::from(i);
        let e = 1e-3 * (1.0 + f64::from(i) / 100.0);
        rows.push(call("native", i, base, base / 2, e));
        rows.push(call("wasm", i, 2 * base, base, 2.0 * e));
        rows.push(call("wasm-cold", i, 3 * base, 3 * base / 2, 3.0 * e));
    }
    rows
}

#[test]
fn adjusted_p_values_are_holm_or_bh_over_the_whole_table() {
    let rows = separated();
    let holm = compare_cells(&rows, RESAMPLES, 1, PAdjust::Holm, REFERENCE);
    let bh = compare_cells(&rows, RESAMPLES, 1, PAdjust::BenjaminiHochberg, REFERENCE);
    // 3 pairs x (latency, energy, kernel time, kernel energy).
    assert_eq!(holm.len(), 12);
    let raw: Vec<f64> = holm.iter().map(|r| r.p_value.expect("p")).collect();
    assert!(raw.iter().all(|&p| p < 0.05 && p > 0.05 / 12.0), "{raw:?}");
    for (r, want) in holm.iter().zip(holm_by_hand(&raw)) {
        assert!(
            (r.p_adjusted.expect("adjusted") - want).abs() < 1e-12,
            "{r:?} vs {want}"
        );
        assert_eq!(r.p_adjust, "holm");
    }
    for (r, want) in bh.iter().zip(bh_by_hand(&raw)) {
        assert!(
            (r.p_adjusted.expect("adjusted") - want).abs() < 1e-12,
            "{r:?} vs {want}"
        );
        assert_eq!(r.p_adjust, "bh");
    }
    // Every interval excludes 1 and every raw p is below 0.05; Holm over 12 tests lifts every p
    // above 0.05 (none is significant), Benjamini-Hochberg keeps them below (all are).
    assert!(holm.iter().all(|r| r.ratio_ci_lo > Some(1.0)), "{holm:?}");
    assert!(holm.iter().all(|r| r.significant == Some(false)), "{holm:?}");
    assert!(bh.iter().all(|r| r.significant == Some(true)), "{bh:?}");
}

#[test]
fn the_long_file_reads_back_equal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rows = compare_cells(&separated(), RESAMPLES, 1, PAdjust::BenjaminiHochberg, REFERENCE);
    let path = dir.path().join("comparison.csv");
    write_comparison(&path, &rows).expect("write");
    let back: Vec<ComparisonRow> = read_rows(&path).expect("read");
    assert_eq!(back, rows);
    let text = std::fs::read_to_string(&path).expect("text");
    assert!(text
        .lines()
        .nth(1)
        .is_some_and(|l| l.starts_with("f,1,1,wasm,native,latency,call,call,ns,5,5,")));
}

#[test]
fn a_wide_comparison_of_an_earlier_version_is_recomputed_long() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = dir.path().join("run");
    write_run(&run, "run-old", Spec::default());
    std::fs::write(
        run.join("comparison.csv"),
        "function,input,concurrency,n_wasm,n_native,n_cold,wasm_native_latency_ratio\nalpha,10,1,5,5,0,1.0\n",
    )
    .expect("write");
    let data = nebula::export::load_run(&run).expect("load");
    assert!(!data.comparison.is_empty());
    let lat = data
        .comparison
        .iter()
        .find(|c| {
            c.function == "alpha" && c.runtime == "wasm" && c.metric == Metric::Latency && c.concurrency == 1
        })
        .expect("alpha wasm/native latency");
    assert_eq!(lat.reference, "native");
    assert!(lat.n > 0 && lat.n == lat.n_reference, "{lat:?}");
    // The report of such a run renders from the recomputed rows.
    let html = nebula::report::html::render(&data, None, &run.join("plots"));
    assert!(html.contains("wasm / native"), "no pair in the report");
}
