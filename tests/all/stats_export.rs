//! `summary.csv`, `comparison.csv` and `calls.csv` from hand-built call rows with known values.

use nebula::energy::Split;
use nebula::export::{compare_cells, summarize_cells, write_comparison, write_summary};
use nebula::results::call::{CallRow, EnergyLabel};
use nebula::results::comparison::{Metric, Scope, REFERENCE};
use nebula::results::{read_calls, write_calls, ComparisonRow};
use nebula::stats::adjust::PAdjust;

const RESAMPLES: usize = 1000;
const SEED: u64 = 42;

/// An ok call with the given wall time and energy, one window per call, 1 ms apart.
fn call(function: &str, input: &str, runtime: &str, rep: u32, wall_ns: u64, energy_j: f64) -> CallRow {
    CallRow {
        run_id: "r1".into(),
        cell: format!("{function}/{input}/{runtime}/c1"),
        function: function.into(),
        runtime: runtime.into(),
        input: input.into(),
        concurrency: 1,
        repetition: rep,
        start_unix_ns: 1_000_000 * u64::from(rep),
        wall_ns,
        kernel_ns: Some(wall_ns / 2),
        cpu_user_ns: wall_ns / 4,
        cpu_system_ns: wall_ns / 4,
        energy_gross_j: Some(energy_j),
        energy_net_j: Some(energy_j / 2.0),
        energy_source: "model".into(),
        energy_label: Some(EnergyLabel::Estimated),
        energy_split: Some(Split::Direct),
        window_id: u64::from(rep),
        calls_in_window: 1,
        exit_code: Some(0),
        output_digest: "abc".into(),
        ok: true,
        ..CallRow::default()
    }
}

/// 30 calls per runtime: native walls 1000 + (i mod 10) ns, wasm exactly twice as long; energy
/// likewise doubled; wasm-cold equal in distribution to wasm.
fn planted() -> Vec<CallRow> {
    let mut rows = Vec::new();
    for i in 0..30u32 {
        let base = 1000 + u64::from(i % 10);
        let e = 1e-3 * (1.0 + f64::from(i % 10) / 100.0);
        rows.push(call("fib", "100", "native", i, base, e));
        rows.push(call("fib", "100", "wasm", i, 2 * base, 2.0 * e));
        rows.push(call(
            "fib",
            "100",
            "wasm-cold",
            i,
            2 * (1009 - u64::from(i % 10)),
            2.0 * e,
        ));
    }
    rows
}

#[test]
fn summary_numbers_are_exact() {
    let mut rows: Vec<CallRow> = (1..=10)
        .map(|i| call("sort", "10", "native", i, u64::from(i) * 100, f64::from(i)))
        .collect();
    let mut failed = call("sort", "10", "native", 11, 1_000_000, 99.0);
    failed.ok = false;
    failed.error_kind = "trap".into();
    rows.push(failed);
    let s = summarize_cells(&rows, RESAMPLES, SEED);
    assert_eq!(s.len(), 1);
    let r = &s[0];
    assert_eq!((r.n, r.errors), (10, 1));
    assert_eq!(r.cell, "sort/10/native/c1");
    assert_eq!(r.wall_median_ns, Some(550.0));
    assert_eq!(r.wall_iqr_ns, Some(450.0));
    assert_eq!(r.wall_p5_ns, Some(145.0));
    assert_eq!(r.wall_mean_ns, Some(550.0));
    let sd = r.wall_sd_ns.expect("n >= 2");
    assert!((sd - 302.76503540974917).abs() < 1e-9);
    let (lo, hi) = (r.wall_ci_lo_ns.expect("ci"), r.wall_ci_hi_ns.expect("ci"));
    assert!(lo <= 550.0 && 550.0 <= hi && lo >= 100.0 && hi <= 1000.0);
    assert_eq!(r.kernel_median_ns, Some(275.0));
    assert_eq!(r.cpu_median_ns, Some(275.0)); // user + system = wall / 4 + wall / 4
    assert_eq!(r.energy_gross_median_j, Some(5.5));
    assert_eq!(r.energy_net_median_j, Some(2.75));
    assert_eq!(
        (r.energy_label.as_str(), r.energy_source.as_str()),
        ("estimated", "model")
    );
    // Ten ok calls over ten windows of 100..1000 ns (5500 ns) plus the failed call's window
    // (1 ms): failed calls take measurement time too.
    let t = r.throughput_calls_per_s.expect("span");
    let want = 10.0 / (1_005_500.0 * 1e-9);
    assert!((t - want).abs() < 1e-9 * want, "{t} vs {want}");
}

#[test]
fn missing_metrics_are_empty_not_zero() {
    let mut r = call("f", "1", "wasm", 0, 100, 1.0);
    r.kernel_ns = None;
    r.energy_gross_j = None;
    r.energy_net_j = Some(f64::NAN);
    let s = summarize_cells(&[r], RESAMPLES, SEED);
    assert_eq!(s[0].kernel_median_ns, None);
    assert_eq!(s[0].energy_gross_median_j, None);
    assert_eq!(s[0].energy_net_median_j, None);
    assert_eq!(s[0].wall_sd_ns, None);
    assert_eq!(s[0].wall_median_ns, Some(100.0));

    let mut bad = call("f", "1", "wasm", 0, 100, 1.0);
    bad.ok = false;
    let s = summarize_cells(&[bad], RESAMPLES, SEED);
    assert_eq!((s[0].n, s[0].errors, s[0].wall_median_ns), (0, 1, None));
    assert_eq!(s[0].throughput_calls_per_s, Some(0.0));
}

#[test]
fn cells_are_in_natural_order() {
    let rows = vec![
        call("b", "1", "native", 0, 1, 1.0),
        call("a", "100", "wasm", 0, 1, 1.0),
        call("a", "100", "native", 0, 1, 1.0),
        call("a", "10", "wasm", 0, 1, 1.0),
        call("a", "2", "wasm", 0, 1, 1.0),
    ];
    let order: Vec<String> = summarize_cells(&rows, 10, SEED)
        .into_iter()
        .map(|r| r.cell)
        .collect();
    assert_eq!(
        order,
        [
            "a/2/wasm/c1",
            "a/10/wasm/c1",
            "a/100/native/c1",
            "a/100/wasm/c1",
            "b/1/native/c1"
        ]
    );
    // Only a/100 ran under two runtimes; its rows come in metric order.
    let cmp: Vec<String> = compare_cells(&rows, 10, SEED, PAdjust::Holm, REFERENCE)
        .into_iter()
        .map(|r| format!("{}/{}/{}", r.function, r.input, r.metric))
        .collect();
    assert_eq!(
        cmp,
        [
            "a/100/latency",
            "a/100/energy",
            "a/100/kernel_time",
            "a/100/kernel_energy"
        ][..3]
    );
}

/// The row of `rows` for this pair and metric.
fn pick<'a>(rows: &'a [ComparisonRow], runtime: &str, reference: &str, metric: Metric) -> &'a ComparisonRow {
    rows.iter()
        .find(|r| r.runtime == runtime && r.reference == reference && r.metric == metric)
        .unwrap_or_else(|| panic!("no {runtime}/{reference} {metric} row in {rows:?}"))
}

#[test]
fn planted_doubling_is_found_and_equal_samples_are_not() {
    let c = compare_cells(&planted(), RESAMPLES, SEED, PAdjust::Holm, REFERENCE);
    // Pairs wasm/native, wasm-cold/native, wasm-cold/wasm; metrics latency, energy, kernel time
    // (the fixture has no kernel energy).
    assert_eq!(c.len(), 9, "{c:?}");
    let r = pick(&c, "wasm", "native", Metric::Latency);
    assert_eq!((r.n, r.n_reference), (30, 30));
    assert_eq!(
        (r.scope, r.sample.as_str(), r.unit.as_str()),
        (Scope::Call, "call", "ns")
    );
    let ratio = r.ratio.expect("both runtimes");
    assert!((ratio - 2.0).abs() < 1e-9, "{ratio}");
    assert_eq!(r.significant, Some(true));
    assert!(r.ratio_ci_lo.expect("ci") > 1.9);
    assert!(r.ratio_ci_hi.expect("ci") < 2.1);
    assert!(r.p_value.expect("p") < 1e-6);
    // Every wasm call is slower than every native one.
    assert_eq!(r.cliffs_delta, Some(1.0));
    let e = pick(&c, "wasm", "native", Metric::Energy);
    assert!((e.ratio.expect("energy") - 2.0).abs() < 1e-9, "{e:?}");
    assert_eq!((e.sample.as_str(), e.unit.as_str()), ("window", "J"));
    assert_eq!(e.significant, Some(true));
    assert_eq!(e.energy_label, "estimated");
    assert_eq!(r.energy_label, "");
    // wasm-cold has the same values as wasm in another order.
    let cold = pick(&c, "wasm-cold", "wasm", Metric::Latency);
    assert_eq!(cold.ratio, Some(1.0));
    assert_eq!(cold.significant, Some(false));
    assert_eq!(cold.cliffs_delta, Some(0.0));
    assert!(cold.p_value.expect("p") > 0.5);
    assert_eq!(
        pick(&c, "wasm-cold", "wasm", Metric::Energy).significant,
        Some(false)
    );
    assert!(c.iter().all(|r| r.digests_agree && r.p_adjust == "holm"));
}

#[test]
fn missing_runtime_and_disagreeing_digests() {
    let mut rows: Vec<CallRow> = planted().into_iter().filter(|r| r.runtime != "native").collect();
    rows[3].output_digest = "def".into();
    let c = compare_cells(&rows, RESAMPLES, SEED, PAdjust::Holm, REFERENCE);
    // Without native only the cold/warm pair is left.
    assert!(c
        .iter()
        .all(|r| (r.runtime.as_str(), r.reference.as_str()) == ("wasm-cold", "wasm")));
    assert!(pick(&c, "wasm-cold", "wasm", Metric::Latency).ratio.is_some());
    assert!(c.iter().all(|r| !r.digests_agree));
    // A failed call's digest does not count.
    let mut rows = planted();
    rows[3].output_digest = "def".into();
    rows[3].ok = false;
    assert!(compare_cells(&rows, 10, SEED, PAdjust::Holm, REFERENCE)
        .iter()
        .all(|r| r.digests_agree));
}

#[test]
fn deterministic_for_a_seed() {
    let rows = planted();
    assert_eq!(summarize_cells(&rows, 200, 7), summarize_cells(&rows, 200, 7));
    assert_eq!(
        compare_cells(&rows, 200, 7, PAdjust::Holm, REFERENCE),
        compare_cells(&rows, 200, 7, PAdjust::Holm, REFERENCE)
    );
}

#[test]
fn calls_round_trip_and_files_are_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rows = planted();
    rows[0].energy_gross_j = None;
    rows[1].kernel_ns = None;
    rows[2].ok = false;
    rows[2].error = "trap: unreachable, \"quoted\"".into();
    let path = dir.path().join("calls.csv");
    write_calls(&path, &rows).expect("write");
    let back = read_calls(&path).expect("read");
    assert_eq!(back, rows);

    let summary = dir.path().join("summary.csv");
    write_summary(&summary, &summarize_cells(&rows, 100, SEED)).expect("summary");
    let text = std::fs::read_to_string(&summary).expect("read summary");
    let header = text.lines().next().expect("header");
    for col in [
        "cell",
        "wall_median_ns",
        "energy_gross_median_j",
        "energy_net_ci_hi_j",
        "throughput_calls_per_s",
    ] {
        assert!(header.split(',').any(|c| c == col), "{col} missing from {header}");
    }
    assert_eq!(text.lines().count(), 4);

    let comparison = dir.path().join("comparison.csv");
    write_comparison(
        &comparison,
        &compare_cells(&rows, 100, SEED, PAdjust::Holm, REFERENCE),
    )
    .expect("comparison");
    let text = std::fs::read_to_string(&comparison).expect("read comparison");
    assert!(text.starts_with("function,input,concurrency,runtime,reference,metric,scope,"));
    // Three pairs by three metrics.
    assert_eq!(text.lines().count(), 10);
}

#[test]
fn bad_row_names_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("calls.csv");
    write_calls(&path, &planted()[..3]).expect("write");
    let mut text = std::fs::read_to_string(&path).expect("read");
    text = text.replacen(",1000,", ",not-a-number,", 1);
    std::fs::write(&path, text).expect("write");
    let err = format!("{:#}", read_calls(&path).expect_err("bad row"));
    assert!(err.contains("calls.csv"), "{err}");
    assert!(err.contains("line 2"), "{err}");

    let missing = dir.path().join("nope.csv");
    let err = format!("{:#}", read_calls(&missing).expect_err("missing"));
    assert!(err.contains("nope.csv"), "{err}");
}

#[test]
fn one_value_gives_a_median_but_no_interval() {
    // One native and one wasm call, each alone in its window: resampling one value can only
    // return it, so a bootstrap "interval" would be the zero-width [x, x].
    let rows = vec![
        call("f", "1", "native", 0, 1000, 1.0),
        call("f", "1", "wasm", 1, 2000, 3.0),
    ];
    let s = summarize_cells(&rows, RESAMPLES, SEED);
    let native = s.iter().find(|r| r.runtime == "native").expect("native row");
    assert_eq!((native.n, native.energy_n), (1, 1));
    assert_eq!(native.wall_median_ns, Some(1000.0));
    assert_eq!((native.wall_ci_lo_ns, native.wall_ci_hi_ns), (None, None));
    assert_eq!(native.energy_gross_median_j, Some(1.0));
    assert_eq!(
        (native.energy_gross_ci_lo_j, native.energy_gross_ci_hi_j),
        (None, None)
    );
    let c = compare_cells(&rows, RESAMPLES, SEED, PAdjust::Holm, REFERENCE);
    // The ratios of the two values remain, without an interval and never significant.
    let lat = pick(&c, "wasm", "native", Metric::Latency);
    assert_eq!(lat.ratio, Some(2.0));
    assert_eq!((lat.ratio_ci_lo, lat.ratio_ci_hi), (None, None));
    assert_eq!(lat.significant, Some(false));
    assert_eq!(lat.p_value, Some(1.0));
    // One value a side: a delta, but no interval.
    assert_eq!(lat.cliffs_delta, Some(1.0));
    assert_eq!((lat.cliffs_delta_ci_lo, lat.cliffs_delta_ci_hi), (None, None));
    let en = pick(&c, "wasm", "native", Metric::Energy);
    assert_eq!(en.ratio, Some(3.0));
    assert_eq!((en.ratio_ci_lo, en.ratio_ci_hi), (None, None));
    assert_eq!(en.significant, Some(false));
}

#[test]
fn net_energy_within_the_idle_noise_is_flagged_not_passed_as_measured() {
    // Ten windows whose net energy straddles zero (the calls drew about idle power), and ten
    // clearly above idle.
    let noise_mj = [-5.0, -3.0, -2.0, -1.0, 1.0, -4.0, 2.0, -6.0, 3.0, -2.5];
    let mut rows = Vec::new();
    for (i, mj) in (0..10u32).zip(noise_mj) {
        let mut noisy = call("f", "1", "native", i, 1000, 1.0);
        noisy.energy_net_j = Some(mj * 1e-3);
        noisy.energy_label = Some(EnergyLabel::Measured);
        rows.push(noisy);
        let mut clear = call("f", "1", "wasm", i, 1000, 1.0);
        clear.energy_net_j = Some(0.5 + 0.01 * f64::from(i));
        rows.push(clear);
    }
    let s = summarize_cells(&rows, RESAMPLES, SEED);
    let native = s.iter().find(|r| r.runtime == "native").expect("native row");
    // Sorted: -6 -5 -4 -3 -2.5 -2 -1 1 2 3 mJ: the median is -2.25 mJ, reported as is, flagged.
    assert!((native.energy_net_median_j.expect("net") + 2.25e-3).abs() < 1e-12);
    assert_eq!(native.energy_net_above_idle, Some(false));
    let wasm = s.iter().find(|r| r.runtime == "wasm").expect("wasm row");
    assert!((wasm.energy_net_median_j.expect("net") - 0.545).abs() < 1e-12);
    assert_eq!(wasm.energy_net_above_idle, Some(true));
    // One window: no interval, so not resolved; no baseline: empty.
    let one = summarize_cells(&rows[1..2], RESAMPLES, SEED);
    assert_eq!(one[0].energy_net_above_idle, Some(false));
    let mut bare = call("f", "1", "wasm", 0, 1000, 1.0);
    bare.energy_net_j = None;
    assert_eq!(
        summarize_cells(&[bare], RESAMPLES, SEED)[0].energy_net_above_idle,
        None
    );
}
