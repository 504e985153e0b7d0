//! Charts drawn from a fixture run: every chart exists as PNG and SVG, the PNGs decode at the
//! documented size and contain pixels of each runtime's colour, the SVGs carry the series labels
//! and the energy note; one scale per chart, said in every axis label; input axes labelled by
//! what the input is; estimated energy labelled ESTIMATED on its axes; charts without data are
//! skipped with a reason, never drawn empty.

use crate::fixture_run;

use fixture_run::{write_run, Spec};
use nebula::plot::style::{runtime_color, HEIGHT, LABEL_PX, PANEL_TITLE_PX, WIDTH};
use nebula::plot::{draw_data, read_manifest, CHARTS, PLOTS_DIR};
use nebula::results::InputKind;
use nebula::results::RunData;
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
        ("kernel-ratio", &["wasm", "wasm-cold"][..]),
    ] {
        let img = png(&dir, chart);
        let svg = std::fs::read_to_string(dir.join(PLOTS_DIR).join(format!("{chart}.svg"))).expect("svg");
        for rt in runtimes {
            let n = count(&img, runtime_color(rt));
            assert!(n > 50, "{chart}: only {n} pixels of {rt}'s colour");
            if !["phases", "ratio", "kernel-ratio"].contains(&chart) {
                assert!(
                    svg.lines().any(|l| l.trim() == *rt),
                    "{chart}: no legend label {rt}"
                );
            }
        }
    }
    // Each ratio figure says which question it answers, and names its series by runtime pair.
    let call = svg_text(&dir, "ratio");
    let kernel = svg_text(&dir, "kernel-ratio");
    assert!(
        call.iter()
            .any(|l| l.starts_with("Whole calls (the FaaS question)")),
        "{call:?}"
    );
    assert!(
        kernel.iter().any(|l| l.starts_with("Kernel alone (code speed)")),
        "{kernel:?}"
    );
    for pair in ["wasm / native", "wasm-cold / native", "wasm-cold / wasm"] {
        assert!(
            call.iter().any(|l| l == pair) && kernel.iter().any(|l| l == pair),
            "{pair}"
        );
    }
    assert!(kernel.iter().any(|l| l == "Kernel time"), "{kernel:?}");
    let latency_svg = std::fs::read_to_string(dir.join(PLOTS_DIR).join("latency.svg")).expect("svg");
    for label in ["wasm", "wasm-cold", "native", "alpha", "beta", "Latency ("] {
        assert!(latency_svg.contains(label), "latency.svg lacks {label}");
    }
}

/// The text lines of `dir/plots/NAME.svg` (plotters writes each text on a line of its own).
pub fn svg_text(dir: &Path, name: &str) -> Vec<String> {
    let path = dir.join(PLOTS_DIR).join(format!("{name}.svg"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.starts_with('<'))
        .collect()
}

fn count_lines(text: &[String], line: &str) -> usize {
    text.iter().filter(|l| *l == line).count()
}

/// Says what alpha's input is: `label`, a size in bytes when `bytes_per_unit` is given.
fn label_alpha(data: &mut RunData, label: &str, bytes_per_unit: Option<f64>) {
    let kind = InputKind {
        label: label.into(),
        bytes_per_unit,
    };
    data.inputs.insert("alpha".into(), kind);
}

/// Draws `data`'s charts into `out/plots`; panics when one fails.
fn draw(data: &RunData, out: &Path) {
    let m = draw_data(data, &out.join(PLOTS_DIR)).expect("draw");
    assert!(m.failed.is_empty(), "{:?}", m.failed);
}

#[test]
fn one_scale_per_chart_said_on_every_axis() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("run");
    write_run(&dir, "fixture-scale", Spec::default());
    // alpha's latencies span 20 µs..4 ms (> 100x): every panel of the chart is log, beta's
    // (50..750 µs) too, and each y label says so.
    let text = svg_text(&dir, "latency");
    assert_eq!(count_lines(&text, "Latency (log scale)"), 2, "{text:?}");
    assert!(!text
        .iter()
        .any(|l| l.starts_with("Latency (") && l.ends_with("s)")));
    // Log ticks carry their unit, decade by decade or in 1-3 steps.
    for tick in ["100 µs", "1 ms"] {
        assert!(text.iter().any(|l| l == tick), "no tick {tick}: {text:?}");
    }
    // The numeric input axis of alpha is log too, the category axis of beta is not a scale.
    assert_eq!(count_lines(&text, "Input n (log scale)"), 1, "{text:?}");
    assert_eq!(count_lines(&text, "Input"), 1, "{text:?}");
    assert!(text.iter().any(|l| l == "10⁴"), "{text:?}");

    // beta alone spans 10x: every axis linear, in one unit named in the label.
    let mut data = nebula::export::load_run(&dir).expect("load");
    data.summary.retain(|s| s.function == "beta");
    data.calls.cells.retain(|c| c.function == "beta");
    let out = tmp.path().join("beta");
    draw(&data, &out);
    let text = svg_text(&out, "latency");
    assert_eq!(
        count_lines(&text, "Latency (µs)") + count_lines(&text, "Latency (ms)"),
        1,
        "{text:?}"
    );
    assert!(!text.iter().any(|l| l.contains("log scale")), "{text:?}");
    let dist = svg_text(&out, "distributions");
    assert!(
        dist.iter().any(|l| l == "Latency (µs)" || l == "Latency (ms)"),
        "{dist:?}"
    );
}

#[test]
fn input_axes_say_what_the_input_is() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("run");
    write_run(&dir, "fixture-inputs", Spec::default());
    let mut data = nebula::export::load_run(&dir).expect("load");
    // alpha's n is KiB of data, as sha256's is in the suite.
    label_alpha(&mut data, "Data size", Some(1024.0));
    let out = tmp.path().join("bytes");
    draw(&data, &out);
    let text = svg_text(&out, "latency");
    assert_eq!(count_lines(&text, "Data size (bytes, log scale)"), 1, "{text:?}");
    assert!(!text.iter().any(|l| l.starts_with("Input n")), "{text:?}");
    // 10 KiB .. 100000 KiB: binary ticks.
    for tick in ["32 KiB", "1 MiB", "32 MiB"] {
        assert!(text.iter().any(|l| l == tick), "no tick {tick}: {text:?}");
    }
    let phases = svg_text(&out, "phases");
    assert!(phases.iter().any(|l| l == "alpha (input 10 KiB)"), "{phases:?}");

    // An input of 0 (sha256 and memory have one) keeps the log axis: 0 is drawn apart, past a
    // break, and the label says so.
    let zeros: Vec<_> = data
        .summary
        .iter()
        .filter(|s| s.function == "alpha" && s.input == "10")
        .map(|s| nebula::results::SummaryRow {
            input: "0".into(),
            ..s.clone()
        })
        .collect();
    let mut with_zero = data.clone();
    with_zero.summary.extend(zeros);
    let out = tmp.path().join("zero");
    draw(&with_zero, &out);
    let text = svg_text(&out, "latency");
    let label = "Data size (bytes, log scale, 0 set apart)";
    assert_eq!(count_lines(&text, label), 1, "{text:?}");
    for tick in ["0", "32 KiB", "32 MiB"] {
        assert!(text.iter().any(|l| l == tick), "no tick {tick}: {text:?}");
    }

    // A count keeps its own words; a linear count axis has no scale note.
    label_alpha(&mut data, "n (number of terms)", None);
    data.summary.retain(|s| s.input != "100000");
    let out = tmp.path().join("count");
    draw(&data, &out);
    let text = svg_text(&out, "latency");
    assert_eq!(count_lines(&text, "n (number of terms)"), 1, "{text:?}");
}

#[test]
fn the_panels_of_a_chart_share_one_description_size() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("run");
    write_run(&dir, "fixture-desc", Spec::default());
    let mut data = nebula::export::load_run(&dir).expect("load");
    // Too long for alpha's panel: it shrinks, and beta's short "Input" with it.
    label_alpha(&mut data, "n (index of the Fibonacci number computed)", None);
    let out = tmp.path().join("long");
    draw(&data, &out);
    let path = out.join(PLOTS_DIR).join("latency.svg");
    let svg = std::fs::read_to_string(&path).expect("svg");
    let lines: Vec<&str> = svg.lines().map(str::trim).collect();
    // The font size of the first text element whose text (on the line after it) starts with `text`.
    let size = |text: &str| -> f64 {
        let at = lines.iter().position(|l| l.starts_with(text)).expect(text);
        let attr = lines[at - 1].split("font-size=\"").nth(1).expect("font-size");
        attr.split('"')
            .next()
            .and_then(|v| v.parse().ok())
            .expect("a number")
    };
    // Smaller than in full (descriptions are LABEL_PX, panel titles PANEL_TITLE_PX) ...
    let alpha = size("n (index");
    assert!(alpha < size("alpha") * LABEL_PX / PANEL_TITLE_PX, "{alpha}");
    // ... and the same on beta's panel, the y descriptions too (plotters sets both in one style).
    assert_eq!(size("Input"), alpha);
    assert_eq!(size("Latency ("), alpha);
}

#[test]
fn estimated_energy_says_so_on_every_energy_axis() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("run");
    write_run(&dir, "fixture-estimate", Spec::default());
    for (chart, label) in [
        ("energy", "Net energy, ESTIMATED (log scale)"),
        ("concurrency", "Energy, ESTIMATED (mJ)"),
        ("ratio", "Gross energy per call, ESTIMATED"),
        ("power", "Average power, ESTIMATED (W)"),
    ] {
        let text = svg_text(&dir, chart);
        assert!(text.iter().any(|l| l == label), "{chart} lacks {label}: {text:?}");
    }
    // Measured energy is not called an estimate.
    let mut data = nebula::export::load_run(&dir).expect("load");
    if let Some(m) = data.meta.as_mut() {
        m.energy.label = "measured".into();
        m.energy.source = "powercap".into();
    }
    let out = tmp.path().join("measured");
    draw(&data, &out);
    for chart in ["energy", "concurrency", "ratio", "power"] {
        let text = svg_text(&out, chart);
        assert!(!text.iter().any(|l| l.contains("ESTIMATE")), "{chart}: {text:?}");
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

#[test]
fn a_run_labels_its_input_axes_from_its_own_metadata_wherever_it_is_read() {
    // The run recorded what alpha's input is (as `nebula run` records its suite's manifest);
    // read from a folder with no suite that knows alpha, the charts still say it.
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("run");
    write_run(&dir, "fixture-recorded", Spec::default());
    let path = dir.join("metadata.json");
    let mut meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("metadata")).expect("json");
    meta["inputs"] = serde_json::json!({ "alpha": { "label": "Data size", "unit": "KiB" } });
    std::fs::write(&path, meta.to_string()).expect("write");
    let data = nebula::export::load_run(&dir).expect("load");
    let alpha = data.input_kind("alpha");
    assert_eq!(
        (alpha.label.as_str(), alpha.bytes_per_unit),
        ("Data size", Some(1024.0))
    );
    assert_eq!(data.input_kind("beta").label, "Input n", "beta was not recorded");
    let out = tmp.path().join("drawn");
    draw(&data, &out);
    let text = svg_text(&out, "latency");
    assert_eq!(count_lines(&text, "Data size (bytes, log scale)"), 1, "{text:?}");
}
