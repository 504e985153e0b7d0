//! Charts drawn from a fixture run: every chart exists as PNG and SVG, the PNGs decode at the
//! documented size and contain pixels of each runtime's colour, the SVGs carry the series labels
//! and the energy note; charts without data are skipped with a reason, never drawn empty.

mod fixture_run;

use fixture_run::{write_run, Spec};
use nebula::plot::style::{runtime_color, HEIGHT, WIDTH};
use nebula::plot::{read_manifest, CHARTS, PLOTS_DIR};
use plotters::style::RGBColor;
use std::path::Path;

fn count(img: &image::RgbaImage, c: RGBColor) -> usize {
    img.pixels().filter(|p| p.0[..3] == [c.0, c.1, c.2]).count()
}

fn png(dir: &Path, name: &str) -> image::RgbaImage {
    let path = dir.join(PLOTS_DIR).join(format!("{name}.png"));
    image::open(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgba8()
}

#[test]
fn every_chart_is_drawn_with_runtime_colours_and_labels() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("run");
    write_run(&dir, "fixture-1", Spec::default());
    if let Some(keep) = std::env::var_os("NEBULA_KEEP_FIXTURE") {
        // For looking at the charts by eye: NEBULA_KEEP_FIXTURE=/tmp/fx cargo test --test plot_charts
        let _ = std::fs::remove_dir_all(&keep);
        std::fs::rename(tmp.path(), &keep).expect("keep fixture");
        return;
    }
    let m = read_manifest(&dir).expect("manifest written");
    assert!(m.failed.is_empty(), "{:?}", m.failed);
    assert!(m.skipped.is_empty(), "{:?}", m.skipped);
    assert_eq!(m.drawn.len(), CHARTS.len());
    for chart in CHARTS {
        let img = png(&dir, chart.name);
        assert_eq!(img.width(), WIDTH, "{}", chart.name);
        assert!(img.height() >= HEIGHT, "{}", chart.name);
        let distinct: std::collections::HashSet<[u8; 4]> = img.pixels().map(|p| p.0).collect();
        assert!(distinct.len() > 20, "{} looks blank", chart.name);
        let svg =
            std::fs::read_to_string(dir.join(PLOTS_DIR).join(format!("{}.svg", chart.name))).expect("svg");
        assert!(svg.contains("ESTIMATE"), "{} lacks the energy note", chart.name);
    }
    // Single-panel charts have the fixed size.
    let power = png(&dir, "power");
    assert_eq!((power.width(), power.height()), (WIDTH, HEIGHT));
    for (chart, runtimes) in [
        ("latency", &["wasm", "wasm-cold", "native"][..]),
        ("energy", &["wasm", "wasm-cold", "native"][..]),
        ("distributions", &["wasm", "wasm-cold", "native"][..]),
        ("phases", &["wasm", "wasm-cold", "native"][..]),
        ("concurrency", &["wasm", "wasm-cold", "native"][..]),
        ("power", &["wasm", "wasm-cold", "native"][..]),
        ("ratio", &["wasm", "wasm-cold"][..]),
    ] {
        let img = png(&dir, chart);
        let svg = std::fs::read_to_string(dir.join(PLOTS_DIR).join(format!("{chart}.svg"))).expect("svg");
        for rt in runtimes {
            let n = count(&img, runtime_color(rt));
            assert!(n > 50, "{chart}: only {n} pixels of {rt}'s colour");
            if chart != "phases" && chart != "ratio" {
                assert!(
                    svg.lines().any(|l| l.trim() == *rt),
                    "{chart}: no legend label {rt}"
                );
            }
        }
    }
    let latency_svg = std::fs::read_to_string(dir.join(PLOTS_DIR).join("latency.svg")).expect("svg");
    for label in [
        "wasm",
        "wasm-cold",
        "native",
        "alpha",
        "beta",
        "Latency (",
        "Input size",
    ] {
        assert!(latency_svg.contains(label), "latency.svg lacks {label}");
    }
}

#[test]
fn charts_without_data_are_skipped_with_a_reason() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("run");
    write_run(
        &dir,
        "fixture-2",
        Spec {
            full: false,
            ..Spec::default()
        },
    );
    let m = read_manifest(&dir).expect("manifest written");
    assert!(m.failed.is_empty(), "{:?}", m.failed);
    let skipped: Vec<&str> = m.skipped.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(skipped, vec!["phases", "concurrency"]);
    assert!(m.skipped.iter().all(|s| !s.reason.is_empty()));
    for name in skipped {
        assert!(
            !dir.join(PLOTS_DIR).join(format!("{name}.png")).exists(),
            "{name} drawn anyway"
        );
    }
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report");
    assert!(
        html.contains("id=\"skipped\"") && html.contains("wasm-cold"),
        "report does not list skipped charts"
    );
}

#[test]
fn a_chart_failure_does_not_fail_the_run() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("run");
    // A file where the plots folder should be: every chart fails, the run's CSVs stay.
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join(PLOTS_DIR), b"not a folder").expect("write");
    write_run(&dir, "fixture-3", Spec::default());
    assert!(dir.join("summary.csv").exists() && dir.join("comparison.csv").exists());
    assert!(dir.join("report.html").exists(), "the report is still written");
}
