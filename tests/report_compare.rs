//! `nebula compare`: a planted 2x slowdown of warm wasm is reported as about +100% and
//! significant; two samples of the same distribution show no significant change.

mod fixture_run;

use fixture_run::{rows, write_run, Spec};
use nebula::report::{compare_runs, write_compare};

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
    let cmp = compare_runs(&a, &b, RESAMPLES, 1);
    assert_eq!(cmp.len(), 10);
    for r in cmp.iter().filter(|r| r.runtime == "wasm") {
        let pct = r.latency_change_pct.expect("change");
        assert!((pct - 100.0).abs() < 10.0, "{r:?}");
        assert_eq!(r.latency_significant, Some(true), "{r:?}");
        assert!(r.verdict.contains("slower"), "{}", r.verdict);
        assert!(r.energy_change_pct.expect("energy change") > 50.0, "{r:?}");
    }
    for r in cmp.iter().filter(|r| r.runtime == "native") {
        assert_eq!(r.latency_significant, Some(false), "{r:?}");
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
    for r in compare_runs(&a, &b, RESAMPLES, 1) {
        assert_eq!(r.latency_significant, Some(false), "{r:?}");
        assert_eq!(r.verdict, "no significant change");
        assert!(r.latency_change_pct.expect("change").abs() < 10.0, "{r:?}");
    }
}

#[test]
fn writes_csv_and_chart() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let spec = Spec {
        full: false,
        ..Spec::default()
    };
    let (da, db) = (tmp.path().join("a"), tmp.path().join("b"));
    write_run(&da, "run-a", spec);
    write_run(
        &db,
        "run-b",
        Spec {
            wasm_scale: 2.0,
            seed: 8,
            ..spec
        },
    );
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
