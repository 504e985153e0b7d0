//! `nebula compare`: a planted 2x slowdown of warm wasm is reported as about +100% and
//! significant; two samples of the same distribution show no significant change; how the runs
//! were made differently (energy settings, config, builds compiled differently) is named.

use crate::fixture_run;

use fixture_run::{rows, write_run, Spec};
use nebula::report::{compare_runs, write_compare};
use nebula::results::comparison::Metric;
use nebula::stats::adjust::PAdjust;
use std::path::{Path, PathBuf};

const RESAMPLES: usize = 1000;

#[test]
fn planted_slowdown_is_found() {
    let spec = Spec {
        full: false,
        ..Spec::default()
    };
    let (a, _) = rows("a", spec);
    let (b, _) = rows(
        "b",
        Spec {
            wasm_scale: 2.0,
            seed: 8,
            ..spec
        },
    );
    let cmp = compare_runs(&a, &b, RESAMPLES, 1, PAdjust::Holm);
    let of = |rt: &'static str, m: Metric| cmp.iter().filter(move |r| r.runtime == rt && r.metric == m);
    // 10 cells, each with latency, energy and kernel time (the fixture has no kernel energy).
    assert_eq!(cmp.len(), 30);
    assert_eq!(of("wasm", Metric::Latency).count(), 5);
    for r in of("wasm", Metric::Latency) {
        let pct = r.change_pct.expect("change");
        assert!((pct - 100.0).abs() < 10.0, "{r:?}");
        assert_eq!(r.significant, Some(true), "{r:?}");
        assert!(r.verdict.contains("slower"), "{}", r.verdict);
        // Every B call is slower than every A call.
        assert!(r.cliffs_delta.expect("delta") > 0.9, "{r:?}");
        assert!(
            r.p_adjusted.expect("adjusted") >= r.p_value.expect("raw"),
            "{r:?}"
        );
    }
    for r in of("wasm", Metric::Energy) {
        assert!(r.change_pct.expect("energy change") > 50.0, "{r:?}");
        assert_eq!(r.energy_label_a, "estimated");
    }
    for r in of("native", Metric::Latency) {
        assert_eq!(r.significant, Some(false), "{r:?}");
    }
}

#[test]
fn same_distribution_is_no_change() {
    let spec = Spec {
        full: false,
        ..Spec::default()
    };
    let (a, _) = rows("a", spec);
    let (b, _) = rows("b", Spec { seed: 99, ..spec });
    for r in compare_runs(&a, &b, RESAMPLES, 1, PAdjust::Holm) {
        assert_eq!(r.significant, Some(false), "{r:?}");
        assert_eq!(r.verdict, "no significant change");
        if r.metric == Metric::Latency {
            assert!(r.change_pct.expect("change").abs() < 10.0, "{r:?}");
        }
    }
}

/// Fixture runs `a` (the default spec) and `b` (the default spec changed by `b_spec`) in `dir`.
fn two_runs(dir: &Path, b_spec: impl FnOnce(Spec) -> Spec) -> (PathBuf, PathBuf) {
    let spec = Spec {
        full: false,
        ..Spec::default()
    };
    let (da, db) = (dir.join("a"), dir.join("b"));
    write_run(&da, "run-a", spec);
    write_run(&db, "run-b", b_spec(spec));
    (da, db)
}

#[test]
fn writes_csv_and_chart() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (da, db) = two_runs(tmp.path(), |spec| Spec {
        wasm_scale: 2.0,
        seed: 8,
        ..spec
    });
    let c = write_compare(&da, &db, None).expect("compare");
    assert_eq!(c.out, db.join("compare-a"));
    assert!(c.out.join("compare.csv").exists());
    let files = c.chart.expect("chart drawn");
    assert_eq!(files.len(), 2);
    let img = image::open(c.out.join("compare.png")).expect("png").to_rgba8();
    let blue = nebula::plot::WASM_COLOR;
    assert!(img.pixels().any(|p| p.0[..3] == [blue.0, blue.1, blue.2]));
    let table = nebula::report::compare::table(&c.rows);
    assert!(table.contains("slower"), "{table}");
}

#[test]
fn differences_in_how_the_runs_were_made_are_reported() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (da, db) = two_runs(tmp.path(), |spec| Spec { seed: 9, ..spec });
    let same = write_compare(&da, &db, Some(&tmp.path().join("same"))).expect("compare");
    assert_eq!(same.differences, Vec::<String>::new());
    assert!(same.energy_note.contains("ESTIMATE"), "{}", same.energy_note);
    assert!(same
        .rows
        .iter()
        .filter(|r| r.metric == Metric::Energy)
        .all(|r| r.energy_label_a == "estimated" && r.energy_label_b == "estimated"));
    // B ran with other model coefficients: every energy change could come from that alone.
    let path = db.join("metadata.json");
    let mut meta: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let config = meta["config_toml"].as_str().unwrap_or_default().to_string();
    meta["config_toml"] = serde_json::Value::String(format!("{config}\n[energy]\nidle_watts = 10.0\n"));
    meta["config_sha256"] = serde_json::Value::String("0".repeat(64));
    std::fs::write(&path, serde_json::to_vec(&meta).unwrap()).unwrap();
    let c = write_compare(&da, &db, Some(&tmp.path().join("other"))).expect("compare");
    assert!(
        c.differences
            .iter()
            .any(|d| d.contains("[energy] settings") && d.contains("idle_watts = 10.0")),
        "{:?}",
        c.differences
    );
    // A set no [energy] table: what it ran with is named, never an empty `A = ,`.
    assert!(
        c.differences
            .iter()
            .any(|d| d.contains("[energy] settings: A = defaults (source = \"auto\"")),
        "{:?}",
        c.differences
    );
    assert!(
        c.differences.iter().all(|d| !d.contains("A = ,")),
        "{:?}",
        c.differences
    );
    assert!(
        c.differences.iter().any(|d| d.contains("config (SHA-256)")),
        "{:?}",
        c.differences
    );
}

#[test]
fn builds_compiled_differently_are_reported() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (da, db) = two_runs(tmp.path(), |spec| Spec { seed: 9, ..spec });
    // Both runs' native build of alpha, A's choosing SHA-NI at run time, B's forced to
    // software; B's host has SHA-NI too.
    let target = |forced_soft: bool| {
        serde_json::json!({
            "triple": "x86_64-unknown-linux-gnu", "cpu": "x86-64", "features": ["fxsr", "sse", "sse2"],
            "rustflags": "", "source": "test",
            "runtime_dispatch": [{"name": "sha2", "version": "0.10.9",
                                  "features": if forced_soft { vec!["force-soft"] } else { vec![] },
                                  "forced_soft": forced_soft}]
        })
    };
    for (dir, soft, features) in [(&da, false, vec!["sse2"]), (&db, true, vec!["sse2", "sha_ni"])] {
        let path = dir.join("metadata.json");
        let mut meta: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        meta["modules"] = serde_json::json!([{
            "function": "alpha", "build": "native", "runtimes": ["native"], "path": "/f/alpha",
            "bytes": 1, "sha256": "aa", "hashed_at": "2026-01-01T00:00:00.000Z", "target": target(soft)
        }]);
        meta["machine"]["cpu_features"] = serde_json::json!(features);
        std::fs::write(&path, serde_json::to_vec(&meta).unwrap()).unwrap();
    }
    let c = write_compare(&da, &db, Some(&tmp.path().join("builds"))).expect("compare");
    assert!(
        c.differences
            .iter()
            .any(|d| d.starts_with("A and B differ in the native build of 'alpha'")
                && d.contains("sha2 0.10.9 (chooses at run time)")
                && d.contains("sha2 0.10.9 (portable only: force-soft)")),
        "{:?}",
        c.differences
    );
    assert!(
        c.differences
            .iter()
            .any(|d| d == "A and B differ in CPU features: A = sse2, B = sse2 sha_ni"),
        "{:?}",
        c.differences
    );
    assert_eq!(c.differences.len(), 2, "{:?}", c.differences);
}

#[test]
fn the_verdict_names_energy_changes_too() {
    use nebula::report::compare::{verdict, CompareRow};
    let row = |metric: Metric, lo: f64, hi: f64, significant: bool| CompareRow {
        metric,
        ratio: Some((lo + hi) / 2.0),
        ratio_ci_lo: Some(lo),
        ratio_ci_hi: Some(hi),
        significant: Some(significant),
        ..CompareRow::default()
    };
    let flat = row(Metric::Latency, 0.98, 1.02, false);
    let flat_e = row(Metric::Energy, 0.98, 1.02, false);
    let up = row(Metric::Latency, 1.95, 2.05, true);
    let up_e = row(Metric::Energy, 1.9, 2.1, true);
    assert_eq!(verdict(&[&flat, &flat_e]), "no significant change");
    assert_eq!(verdict(&[&flat, &up_e]), "B 1.90x–2.10x more energy");
    assert_eq!(
        verdict(&[&up, &up_e]),
        "B 1.95x–2.05x slower, 1.90x–2.10x more energy"
    );
    // A fall is named by the reciprocal of the interval: 0.5x-0.4x faster reads 2.00x-2.50x.
    assert_eq!(
        verdict(&[&row(Metric::KernelTime, 0.4, 0.5, true)]),
        "B 2.00x–2.50x faster kernel"
    );
    assert_eq!(verdict(&[&CompareRow::default()]), "not comparable");
}

#[test]
fn a_partial_run_and_cells_of_one_run_only_are_pointed_out() {
    // B is interrupted and lacks the concurrency-4 and wasm-cold cells of A: the comparison read like
    // one of two whole runs, the missing cells dropped without a word.
    let tmp = tempfile::tempdir().expect("tempdir");
    let (da, db) = (tmp.path().join("a"), tmp.path().join("b"));
    write_run(&da, "run-a", Spec::default());
    write_run(
        &db,
        "run-b",
        Spec {
            full: false,
            ..Spec::default()
        },
    );
    let whole = write_compare(&da, &da, Some(&tmp.path().join("self"))).expect("compare");
    assert_eq!(whole.coverage, Vec::<String>::new());
    let mut meta = nebula::results::metadata::read(&db).unwrap();
    meta.status = nebula::results::Status::Interrupted;
    meta.windows_done = 7;
    meta.windows_planned = 50;
    nebula::results::metadata::write(&db, &meta).unwrap();
    let c = write_compare(&da, &db, None).expect("compare");
    assert_eq!(
        c.rows.len(),
        30,
        "the wasm and native cells at c1, three metrics each"
    );
    assert_eq!(
        c.coverage,
        vec![
            "B is a partial run (interrupted: 7 of 50 windows measured)".to_string(),
            "11 cell(s) only in A are not compared: alpha/10/native/c4 and 10 more".to_string(),
        ]
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nebula"))
        .args(["compare"])
        .arg(&da)
        .arg(&db)
        .output()
        .expect("nebula compare");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("warning: B is a partial run (interrupted: 7 of 50 windows measured)")
            && err.contains("warning: 11 cell(s) only in A are not compared"),
        "{err}"
    );
}
