//! Results at scale: the one-pass columnar reader of calls.csv holds the same calls as the rows
//! (so summaries and comparisons are those of the rows), the window-resampling intervals cover
//! the true median and ratio at their nominal rate in a simulation, agree with the former
//! bootstrap over calls where every window holds one call, and `nebula bench --results` writes a
//! run that the end of a run, `report` and `plot` read.

use crate::fixture_run::{write_run, Spec};
use nebula::export::{compare, compare_cells, summarize, summarize_cells};
use nebula::results::cells::RunCalls;
use nebula::results::comparison::REFERENCE;
use nebula::results::read_calls;
use nebula::stats::adjust::PAdjust;
use nebula::stats::cluster::{median_ci, ratio_ci, Clustered};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[test]
fn the_columnar_reader_holds_the_rows_calls() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    write_run(&dir, "columns", Spec::default());
    let path = dir.join("calls.csv");
    let rows = read_calls(&path).unwrap();
    let mut seen = Vec::new();
    let columns = RunCalls::read_csv(&path, &mut |n| seen.push(n)).unwrap();
    assert_eq!(columns.rows, rows.len());
    assert_eq!(
        seen.last().copied(),
        Some(std::fs::metadata(&path).unwrap().len())
    );
    let from_rows = RunCalls::from_rows(&rows);
    // The same cells with the same columns, so every figure computed from them is the same.
    assert_eq!(columns.cells, from_rows.cells);
    assert_eq!(columns.digests, from_rows.digests);
    assert_eq!(summarize(&columns, 500, 3), summarize_cells(&rows, 500, 3));
    assert_eq!(
        compare(&columns, 500, 3, PAdjust::Holm, REFERENCE),
        compare_cells(&rows, 500, 3, PAdjust::Holm, REFERENCE)
    );
    // And a row that does not parse names its line and column.
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let bad = lines[3].replacen(",true,", ",maybe,", 1);
    lines[3] = &bad;
    std::fs::write(&path, lines.join("\n")).unwrap();
    let e = RunCalls::read_csv(&path, &mut |_| {}).unwrap_err().to_string();
    assert!(
        e.contains("calls.csv: line 4") && e.contains("`ok` is `maybe`"),
        "{e}"
    );
}

/// A draw from the exponential distribution of rate 1 (median ln 2).
fn exp1(rng: &mut ChaCha8Rng) -> f64 {
    -rng.gen_range(f64::EPSILON..1.0f64).ln()
}

#[test]
fn window_intervals_cover_the_true_median_and_ratio_at_their_nominal_rate() {
    // 400 simulated cells of 30 windows x 20 calls from an exponential law (median ln 2), and
    // 400 pairs whose true ratio of medians is 2. A 95% interval should miss about 20 times in
    // 400; binomial(400, 0.05) stays within 8..34 with probability > 0.998.
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let ids: Vec<u64> = (0..600).map(|i| i / 20).collect();
    let sample = |rng: &mut ChaCha8Rng, scale: f64| -> Clustered {
        let v: Vec<f64> = (0..600).map(|_| scale * exp1(rng)).collect();
        Clustered::new(&v, &ids).unwrap()
    };
    let (mut median_misses, mut ratio_misses) = (0, 0);
    for sim in 0..400u64 {
        let a = sample(&mut rng, 1.0);
        let ci = median_ci(&a, 1000, sim).unwrap();
        median_misses += usize::from(!ci.contains(std::f64::consts::LN_2));
        let b = sample(&mut rng, 2.0);
        let r = ratio_ci(&b, &a, 1000, sim).unwrap();
        ratio_misses += usize::from(!r.ci.contains(2.0));
    }
    assert!(
        (8..=34).contains(&median_misses),
        "median: {median_misses} of 400 missed"
    );
    assert!(
        (8..=34).contains(&ratio_misses),
        "ratio: {ratio_misses} of 400 missed"
    );
}

#[test]
fn with_one_call_per_window_the_interval_is_the_former_bootstrap_over_calls() {
    // The former method resampled calls; with one call per window resampling windows is the
    // same method, so the two intervals differ only by Monte Carlo noise.
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let v: Vec<f64> = (0..200).map(|_| 1000.0 * (1.0 + exp1(&mut rng))).collect();
    // The former method, written out: resample the calls, take each resample's median, and
    // the 2.5th and 97.5th percentiles of those.
    let mut medians: Vec<f64> = (0..4000)
        .map(|_| {
            let r: Vec<f64> = (0..v.len()).map(|_| v[rng.gen_range(0..v.len())]).collect();
            nebula::stats::median(&r).unwrap()
        })
        .collect();
    medians.sort_by(f64::total_cmp);
    let (lo, hi) = (
        nebula::stats::quantile_sorted(&medians, 0.025).unwrap(),
        nebula::stats::quantile_sorted(&medians, 0.975).unwrap(),
    );
    let new = median_ci(&Clustered::independent(&v).unwrap(), 4000, 1).unwrap();
    let width = hi - lo;
    assert!(
        (lo - new.lo).abs() < 0.15 * width && (hi - new.hi).abs() < 0.15 * width,
        "[{lo}, {hi}] {new:?}"
    );
}

#[test]
fn the_results_benchmark_writes_a_run_that_reads_back() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bench");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_nebula"))
        .args(["bench", "--results", "5000", "--json", "--keep"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let steps: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let steps = steps.as_array().unwrap();
    assert_eq!(steps.len(), 4);
    assert!(
        steps
            .iter()
            .all(|s| s["ok"] == true && s["wall_s"].as_f64().unwrap() > 0.0),
        "{steps:?}"
    );
    assert!(
        steps[1..].iter().all(|s| s["peak_mib"].as_f64().unwrap() > 1.0),
        "{steps:?}"
    );
    let rows = read_calls(&dir.join("calls.csv")).unwrap();
    assert_eq!(rows.len(), 5000);
    let data = nebula::export::load_run(&dir).unwrap();
    // 13 functions x 4 inputs x 3 runtimes, each cell in 10 windows.
    assert_eq!(data.summary.len(), 156);
    assert!(
        data.summary.iter().all(|s| s.energy_n == 10),
        "{:?}",
        data.summary[0]
    );
    assert!(dir.join("report.html").exists() && dir.join("plots/manifest.json").exists());
}
