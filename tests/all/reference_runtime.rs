//! A run's reference runtime (its config's `reference`, `native` when it names none) with
//! runtimes of any name: comparison.csv has every runtime against the reference and the Wasm
//! variants against warm wasm, each pair once, with figures checked against medians computed
//! here; the console table, the Markdown and HTML reports and the ratio charts show every
//! runtime against the reference and name it, each runtime in its own colour; a run from before
//! the key (no `reference`) still compares against native, and a comparison.csv against another
//! reference than the run's is recomputed.

use crate::common::median_by_hand;
use crate::fixture_run::{self, write_run, Spec};
use nebula::plot::style::{runtime_color, GREYS};
use nebula::plot::PLOTS_DIR;
use nebula::results::call::{CallRow, EnergyLabel};
use nebula::results::comparison::Metric;
use nebula::results::files::read_rows;
use nebula::results::metadata::{self, Metadata};
use nebula::results::{write_calls, ComparisonRow};
use std::collections::BTreeSet;
use std::path::Path;

/// The runtimes of the synthetic run, each with the factor its latency is scaled by: two
/// built-in ones, warm and cold wasm, and two of one's own.
const RUNTIMES: [(&str, f64); 5] = [
    ("native", 1.0),
    ("wasm", 1.5),
    ("wasm-cold", 9.0),
    ("node", 3.0),
    ("my-rt", 0.7),
];
/// The inputs of the one function `f`, each with its base latency in ns.
const INPUTS: [(&str, f64); 2] = [("1", 10_000.0), ("2", 40_000.0)];
const CALLS: u32 = 12;

/// Call rows of function `f` on every runtime and input, each call alone in its window;
/// `CALLS` calls a cell with a little deterministic spread.
fn calls() -> Vec<CallRow> {
    let mut rows = Vec::new();
    let mut window_id = 0u64;
    for (input, base) in INPUTS {
        for (runtime, scale) in RUNTIMES {
            for rep in 0..CALLS {
                let wall = base * scale * (1.0 + f64::from(rep % 7) / 50.0);
                let energy = wall * 2e-9;
                window_id += 1;
                rows.push(CallRow {
                    run_id: "ref-run".into(),
                    cell: format!("f/{input}/{runtime}/c1"),
                    function: "f".into(),
                    runtime: runtime.into(),
                    input: input.into(),
                    concurrency: 1,
                    repetition: rep,
                    wall_ns: wall as u64,
                    kernel_ns: Some((wall * 0.8) as u64),
                    kernel_energy_j: Some(energy * 0.8),
                    energy_gross_j: Some(energy),
                    energy_source: "model".into(),
                    energy_label: Some(EnergyLabel::Estimated),
                    window_id,
                    calls_in_window: 1,
                    exit_code: Some(0),
                    output_digest: format!("f-{input}"),
                    ok: true,
                    ..CallRow::default()
                });
            }
        }
    }
    rows
}

/// The metadata of a run of [`RUNTIMES`] whose config says `reference` (none when `None`).
fn meta(reference: Option<&str>) -> Metadata {
    let mut m = fixture_run::meta("ref-run");
    let names: Vec<String> = RUNTIMES.iter().map(|(r, _)| format!("\"{r}\"")).collect();
    m.config_toml = format!("name = \"ref\"\nseed = 42\nruntimes = [{}]\n", names.join(", "));
    if let Some(r) = reference {
        m.config_toml.push_str(&format!("reference = \"{r}\"\n"));
    }
    m
}

/// Writes the synthetic run into `dir` and finishes it like `nebula run` does.
fn write(dir: &Path, reference: Option<&str>) -> Metadata {
    std::fs::create_dir_all(dir).unwrap();
    write_calls(&dir.join("calls.csv"), &calls()).unwrap();
    let m = meta(reference);
    metadata::write(dir, &m).unwrap();
    nebula::experiment::finish::finish(dir, &m, false).unwrap();
    m
}

/// The latencies of a cell as the calls have them.
fn latencies(rows: &[CallRow], input: &str, runtime: &str) -> Vec<f64> {
    rows.iter()
        .filter(|c| c.input == input && c.runtime == runtime)
        .map(|c| c.wall_ns as f64)
        .collect()
}

fn pairs_of(rows: &[ComparisonRow]) -> BTreeSet<(String, String)> {
    rows.iter()
        .map(|c| (c.runtime.clone(), c.reference.clone()))
        .collect()
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}

#[test]
fn every_runtime_is_compared_with_the_configured_reference() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    write(&dir, Some("wasm"));
    let rows: Vec<ComparisonRow> = read_rows(&dir.join("comparison.csv")).unwrap();
    // Every runtime against wasm; wasm-cold / wasm, a Wasm variant's pair too, once.
    let want: BTreeSet<(String, String)> = [
        pair("native", "wasm"),
        pair("node", "wasm"),
        pair("my-rt", "wasm"),
        pair("wasm-cold", "wasm"),
    ]
    .into();
    assert_eq!(pairs_of(&rows), want);
    // Each pair once per input and metric: 2 inputs x 4 pairs x 4 metrics.
    assert_eq!(rows.len(), INPUTS.len() * want.len() * Metric::ALL.len());
    let calls = calls();
    for (input, _) in INPUTS {
        let reference = latencies(&calls, input, "wasm");
        for (runtime, _) in RUNTIMES.iter().filter(|r| r.0 != "wasm") {
            let row = rows
                .iter()
                .find(|c| c.input == input && &c.runtime == runtime && c.metric == Metric::Latency)
                .unwrap_or_else(|| panic!("no {runtime} / wasm latency row of input {input}"));
            let mine = latencies(&calls, input, runtime);
            assert_eq!((row.n, row.n_reference), (CALLS as usize, CALLS as usize));
            assert_eq!(row.median, Some(median_by_hand(&mine)));
            assert_eq!(row.median_reference, Some(median_by_hand(&reference)));
            let ratio = median_by_hand(&mine) / median_by_hand(&reference);
            let got = row.ratio.unwrap();
            assert!((got - ratio).abs() < 1e-12 * ratio, "{runtime}: {got} vs {ratio}");
        }
    }
    // The planted factors, relative to wasm's 1.5.
    let at = |rt: &str| {
        rows.iter()
            .find(|c| c.input == "1" && c.runtime == rt && c.metric == Metric::Latency)
            .and_then(|c| c.ratio)
            .unwrap()
    };
    assert!((at("node") - 2.0).abs() < 0.01, "{}", at("node"));
    assert!((at("native") - 1.0 / 1.5).abs() < 0.01, "{}", at("native"));
    assert!((at("my-rt") - 0.7 / 1.5).abs() < 0.01, "{}", at("my-rt"));
    // Read back, the file is taken as computed against the run's reference (not recomputed).
    let data = nebula::export::load_run(&dir).unwrap();
    assert_eq!(data.reference(), "wasm");
    assert_eq!(data.comparison, rows);
}

#[test]
fn the_report_and_console_table_name_every_runtime_against_the_reference() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let m = write(&dir, Some("wasm"));
    let data = nebula::export::load_run(&dir).unwrap();

    // The console table: a row per runtime of each input, wasm (the reference) first.
    let table = nebula::experiment::finish::table(&data.summary, &data.comparison, &m);
    assert!(table.contains("ratios to the reference, wasm:"), "{table}");
    assert!(table.contains("ratio = runtime / wasm"), "{table}");
    let rows: Vec<Vec<&str>> = table
        .lines()
        .filter(|l| l.starts_with("f "))
        .map(|l| l.split_whitespace().collect())
        .collect();
    let order: Vec<(&str, &str)> = rows.iter().map(|r| (r[1], r[2])).collect();
    let want: Vec<(&str, &str)> = INPUTS
        .iter()
        .flat_map(|(i, _)| ["wasm", "wasm-cold", "native", "my-rt", "node"].map(|rt| (*i, rt)))
        .collect();
    assert_eq!(order, want, "{table}");
    for r in &rows {
        // function, input, runtime, latency (number and unit), ratio, ...
        let ratio = r[5];
        if r[2] == "wasm" {
            assert_eq!(ratio, "ref", "{r:?}");
        } else {
            let row = nebula::results::comparison::find(
                &data.comparison,
                ("f", r[1], 1),
                (r[2], "wasm"),
                Metric::Latency,
            )
            .unwrap();
            let shown = format!("{:.2}", row.ratio.unwrap());
            assert_eq!(ratio.trim_end_matches('*'), shown, "{r:?}");
        }
    }

    // The Markdown table: the same rows, the ratios' headers name the reference.
    let md = nebula::report::markdown(&data);
    assert!(md.contains("| latency / wasm | kernel time / wasm |"), "{md}");
    for rt in ["node", "my-rt", "native", "wasm-cold"] {
        let line = md
            .lines()
            .find(|l| l.starts_with(&format!("| f | 1 | 1 | {rt} |")))
            .unwrap_or_else(|| panic!("no {rt} row in\n{md}"));
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        assert!(cells[5].contains('[') && cells[8].contains('['), "{line}");
    }
    assert!(md.contains("| f | 1 | 1 | wasm |"), "{md}");
    assert!(
        md.contains("Ratio = runtime / wasm (the run's reference)"),
        "{md}"
    );

    // The HTML report names the reference and every pair.
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        html.contains("the run's reference, <b>wasm</b>"),
        "no reference in the report"
    );
    for p in ["node / wasm", "my-rt / wasm", "native / wasm", "wasm-cold / wasm"] {
        assert!(html.contains(p), "{p} missing from report.html");
    }
}

#[test]
fn the_ratio_charts_show_every_runtime_against_the_reference_in_its_colour() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    write(&dir, Some("wasm"));
    let m = nebula::plot::read_manifest(&dir).unwrap();
    assert!(m.failed.is_empty(), "{:?}", m.failed);
    for chart in ["ratio", "kernel-ratio"] {
        let text = crate::plot_charts::svg_text(&dir, chart);
        assert!(
            text.iter().any(|l| l.contains("relative to wasm")),
            "{chart}: the title does not name the reference: {text:?}"
        );
        assert!(
            text.iter()
                .any(|l| l.starts_with("Ratio of medians (runtime / wasm")),
            "{chart}: {text:?}"
        );
        for p in ["native / wasm", "node / wasm", "my-rt / wasm", "wasm-cold / wasm"] {
            assert_eq!(
                text.iter().filter(|l| *l == p).count(),
                1,
                "{chart}: one legend entry {p}"
            );
        }
        let img = image::open(dir.join(PLOTS_DIR).join(format!("{chart}.png")))
            .unwrap()
            .to_rgba8();
        for rt in ["native", "node", "my-rt", "wasm-cold"] {
            let c = runtime_color(rt);
            let n = img.pixels().filter(|p| p.0[..3] == [c.0, c.1, c.2]).count();
            assert!(n > 50, "{chart}: only {n} pixels of {rt}'s colour");
        }
    }
    // The latency chart draws and names the runtimes of one's own in the same colours.
    let latency = crate::plot_charts::svg_text(&dir, "latency");
    assert!(latency.iter().any(|l| l == "node") && latency.iter().any(|l| l == "my-rt"));
    let img = image::open(dir.join(PLOTS_DIR).join("latency.png"))
        .unwrap()
        .to_rgba8();
    for rt in ["node", "my-rt"] {
        let c = runtime_color(rt);
        assert!(!GREYS.contains(&c), "{rt} is drawn grey");
        assert!(img.pixels().any(|p| p.0[..3] == [c.0, c.1, c.2]), "{rt}");
    }
}

#[test]
fn a_run_without_a_reference_compares_against_native() {
    let tmp = tempfile::tempdir().unwrap();
    // The synthetic run with no `reference` key, as every run before it was.
    let dir = tmp.path().join("run");
    let m = write(&dir, None);
    assert_eq!(m.reference(), "native");
    let rows: Vec<ComparisonRow> = read_rows(&dir.join("comparison.csv")).unwrap();
    let want: BTreeSet<(String, String)> = [
        pair("wasm", "native"),
        pair("wasm-cold", "native"),
        pair("node", "native"),
        pair("my-rt", "native"),
        pair("wasm-cold", "wasm"),
    ]
    .into();
    assert_eq!(pairs_of(&rows), want);
    let calls = calls();
    let node = rows
        .iter()
        .find(|c| c.input == "2" && c.runtime == "node" && c.metric == Metric::Latency)
        .unwrap();
    let ratio =
        median_by_hand(&latencies(&calls, "2", "node")) / median_by_hand(&latencies(&calls, "2", "native"));
    assert!((node.ratio.unwrap() - ratio).abs() < 1e-12 * ratio, "{node:?}");
    let table =
        nebula::experiment::finish::table(&nebula::export::load_run(&dir).unwrap().summary, &rows, &m);
    assert!(table.contains("ratio = runtime / native"), "{table}");

    // `nebula compare` of it and a run against wasm says the references differ.
    let new = tmp.path().join("new");
    write(&new, Some("wasm"));
    let c = nebula::report::write_compare(&dir, &new, Some(&tmp.path().join("cmp"))).unwrap();
    assert!(
        c.differences
            .iter()
            .any(|d| d == "A and B differ in reference runtime: A = native, B = wasm"),
        "{:?}",
        c.differences
    );

    // The fixture run of the chart tests (wasm, wasm-cold, native; no `reference`) too.
    let old = tmp.path().join("old");
    write_run(&old, "run-old", Spec::default());
    let data = nebula::export::load_run(&old).unwrap();
    assert_eq!(data.reference(), "native");
    assert_eq!(
        pairs_of(&data.comparison),
        [
            pair("wasm", "native"),
            pair("wasm-cold", "native"),
            pair("wasm-cold", "wasm")
        ]
        .into()
    );
}

#[test]
fn a_comparison_against_another_reference_than_the_runs_is_recomputed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    write(&dir, None);
    let against_native: Vec<ComparisonRow> = read_rows(&dir.join("comparison.csv")).unwrap();
    // The same calls, the run's config now naming wasm: the file's rows are of other pairs.
    metadata::write(&dir, &meta(Some("wasm"))).unwrap();
    let data = nebula::export::load_run(&dir).unwrap();
    assert_ne!(data.comparison, against_native);
    assert!(
        data.comparison
            .iter()
            .all(|c| c.reference == "wasm" && c.runtime != "wasm"),
        "{:?}",
        pairs_of(&data.comparison)
    );
}
