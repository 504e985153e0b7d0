//! report.html and the Markdown summary of a fixture run: every drawn chart is embedded as a
//! data: URI, the summary and comparison tables and the metadata are there, text is escaped,
//! and there is no external URL; the provenance (module hashes, idle baselines, the model's
//! coefficients, the functions folder) and the run's warnings are shown, and a metadata.json
//! written before they existed still renders.

use crate::fixture_run;

use fixture_run::{write_run, Spec};
use nebula::plot::read_manifest;
use nebula::report::format::esc;
use nebula::results::metadata::{self, Metadata, ModelCoefficients};
use nebula::results::metadata::{Baseline, ModuleFile};
use std::path::Path;

#[test]
fn report_is_self_contained_and_complete() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("run");
    write_run(&dir, "fixture-html", Spec::default());
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html written");
    let m = read_manifest(&dir).expect("manifest");
    assert!(!m.drawn.is_empty());
    for d in &m.drawn {
        assert!(
            html.contains(&format!("id=\"chart-{}\"", d.name)),
            "chart {} missing",
            d.name
        );
        assert!(html.contains(&format!("plots/{}", d.svg)), "{} not named", d.svg);
    }
    assert_eq!(
        html.matches("src=\"data:image/png;base64,").count(),
        m.drawn.len()
    );
    for id in [
        "summary-table",
        "comparison-table",
        "metadata",
        "config",
        "energy-note",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id} missing");
    }
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "external URL in report"
    );
    assert!(!html.contains("<script"), "unescaped text from the config");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("Test CPU &lt;model&gt;"));
    assert!(html.contains("ESTIMATE"));
    // One summary row per cell.
    let data = nebula::export::load_run(&dir).expect("load");
    let rows = html
        .split("id=\"summary-table\"")
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .expect("table");
    assert_eq!(rows.matches("<tr>").count(), data.summary.len() + 1);
}

#[test]
fn markdown_table_has_a_row_per_comparison() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("run");
    write_run(
        &dir,
        "fixture-md",
        Spec {
            full: false,
            ..Spec::default()
        },
    );
    let data = nebula::export::load_run(&dir).expect("load");
    let md = nebula::report::markdown(&data);
    let table_rows = md.lines().filter(|l| l.starts_with("| ")).count();
    // A row per runtime of each function and input, the reference (native) first (and the
    // header).
    let cells = nebula::results::comparison::cells(&data.comparison).len();
    assert_eq!(table_rows, 2 * cells + 1, "{md}");
    let native = "| alpha | 100000 | 1 | native |";
    let wasm = "| alpha | 100000 | 1 | wasm |";
    assert!(
        md.find(native).zip(md.find(wasm)).is_some_and(|(n, w)| n < w),
        "{md}"
    );
    assert!(md.contains("| latency / native |"), "{md}");
    assert!(md.contains("ESTIMATE"));
    assert!(md.contains("*"), "significant ratios are starred");
}

/// The parts of an interval cell `V [L, H]` (`V` with an optional unit, `*` allowed at the
/// end): (value, unit, lo, hi, decimals of each). `None` when the cell has another shape.
fn interval(cell: &str) -> Option<(f64, String, f64, f64, [usize; 3])> {
    let cell = cell.strip_suffix('*').unwrap_or(cell);
    let (head, rest) = cell.split_once(" [")?;
    let (lo, hi) = rest.strip_suffix(']')?.split_once(", ")?;
    let mut words = head.split(' ');
    let value = words.next()?;
    let unit = words.next().unwrap_or("").to_string();
    if words.next().is_some() || !["", "ns", "µs", "ms", "s", "µJ", "mJ", "J"].contains(&unit.as_str()) {
        return None;
    }
    let decimals = |s: &str| s.split_once('.').map_or(0, |(_, d)| d.len());
    let num = |s: &str| s.parse::<f64>().ok();
    Some((
        num(value)?,
        unit,
        num(lo)?,
        num(hi)?,
        [decimals(value), decimals(lo), decimals(hi)],
    ))
}

/// Checks that every cell of `columns` is an interval in one style, with bounds around the
/// value to the same decimals, and that each column uses one unit; returns how many interval
/// cells it saw.
fn check_intervals(rows: &[Vec<String>], columns: &[usize]) -> usize {
    let mut seen = 0;
    let mut units: Vec<Option<String>> = vec![None; columns.len()];
    for row in rows {
        for (k, &c) in columns.iter().enumerate() {
            let cell = row[c].as_str();
            if cell == "–" || cell == "reference" {
                continue;
            }
            let (v, unit, lo, hi, d) =
                interval(cell).unwrap_or_else(|| panic!("cell {cell:?} is not `V [L, H]`"));
            assert!(lo <= v && v <= hi, "{cell}: the value is outside its interval");
            assert!(d[0] == d[1] && d[1] == d[2], "{cell}: mixed decimals");
            match &units[k] {
                Some(u) => assert_eq!(u, &unit, "column {c} mixes units: {cell}"),
                None => units[k] = Some(unit),
            }
            seen += 1;
        }
    }
    seen
}

#[test]
fn intervals_are_written_one_way_with_one_unit_per_column() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("run");
    write_run(&dir, "fixture-intervals", Spec::default());
    let data = nebula::export::load_run(&dir).expect("load");
    let md = nebula::report::markdown(&data);
    // The confidence level is stated once, above the table, not in every header.
    assert_eq!(md.matches("95%").count(), 1, "{md}");
    let rows: Vec<Vec<String>> = md
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| function"))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect();
    // A row per runtime (wasm, wasm-cold, native) of each function, input and concurrency.
    assert_eq!(
        rows.len(),
        3 * nebula::results::comparison::cells(&data.comparison).len()
    );
    // Every runtime's latency in one column and one unit, so its energy; ratios have none.
    let latency = check_intervals(&rows, &[4]);
    let energy = check_intervals(&rows, &[7]);
    let ratios = check_intervals(&rows, &[5, 6, 8]);
    assert_eq!(latency, rows.len(), "{md}");
    assert!(energy > 0 && ratios > 0, "{md}");
    // The reference's row has no ratio of its own.
    assert!(
        rows.iter()
            .filter(|r| r[3] == "native")
            .all(|r| [5, 6, 8].iter().all(|&c| r[c] == "reference")),
        "{md}"
    );
    assert!(md.contains("energy (gross, ESTIMATED)"), "{md}");

    // The HTML summary table writes its intervals the same way.
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    let table = html
        .split("id=\"summary-table\"")
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .expect("summary table");
    let rows: Vec<Vec<String>> = table
        .split("<tr>")
        .skip(2)
        .map(|r| {
            r.split("<td")
                .skip(1)
                .map(|c| {
                    let c = c.split_once('>').map_or("", |x| x.1);
                    c.split("</td>").next().unwrap_or("").to_string()
                })
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), data.summary.len());
    assert!(check_intervals(&rows, &[6]) > 0, "latency");
    assert!(
        check_intervals(&rows, &[9]) + check_intervals(&rows, &[10]) > 0,
        "energy"
    );
    let gross = rows.iter().find_map(|r| interval(&r[9]).map(|i| i.1));
    let net = rows.iter().find_map(|r| interval(&r[10]).map(|i| i.1));
    assert_eq!(gross, net, "gross and net energy in one unit");
}

const WASM_SHA: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const NATIVE_SHA: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Edits the fixture run's metadata.json and writes report.html again; returns the page.
fn rerender(dir: &Path, edit: impl FnOnce(&mut Metadata)) -> String {
    let mut m = metadata::read(dir).expect("read metadata");
    edit(&mut m);
    metadata::write(dir, &m).expect("write metadata");
    nebula::report::write_html(dir).expect("write report.html");
    std::fs::read_to_string(dir.join("report.html")).expect("report.html")
}

fn module(build: &str, sha: &str, bytes: u64) -> ModuleFile {
    ModuleFile {
        function: "alpha".into(),
        build: build.into(),
        runtimes: vec![build.into()],
        path: format!("/fixture/functions/target/alpha.{build}"),
        bytes,
        sha256: sha.into(),
        hashed_at: "2026-01-01T00:00:00.000Z".parse().unwrap(),
        target: None,
    }
}

fn baseline(at: &str, watts: f64, session: &str, in_use: bool) -> Baseline {
    Baseline {
        measured_at: at.parse().unwrap(),
        watts,
        duration_s: 2.0,
        session: session.into(),
        in_use,
    }
}

/// The text of the element that starts with `id="ID"`, up to `end`.
fn part<'a>(html: &'a str, id: &str, end: &str) -> &'a str {
    html.split(&format!("id=\"{id}\""))
        .nth(1)
        .and_then(|t| t.split(end).next())
        .unwrap_or_else(|| panic!("no {id} in the report"))
}

#[test]
fn provenance_and_warnings_are_shown() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("run");
    write_run(&dir, "fixture-provenance", Spec::default());
    let first = "the native build of 'alpha' changed since the run started: <b>rebuilt</b> & rehashed";
    let second =
        "the idle power measured now (4.900 W) differs from the run's idle baseline (4.250 W) by 15%";
    let html = rerender(&dir, |m| {
        m.functions_dir = "/fixture/functions & co".into();
        m.modules = vec![
            module("wasm", WASM_SHA, 1234),
            module("native", NATIVE_SHA, 56789),
        ];
        m.energy.baselines = vec![
            baseline("2026-01-01T00:00:00.000Z", 4.25, "run", true),
            baseline("2026-01-02T00:00:00.000Z", 4.9, "resume", false),
        ];
        m.energy.model = Some(ModelCoefficients {
            formula: "energy_j = idle_watts * wall_s + active_watts_per_core * cpu_s".into(),
            idle_watts: 1.48,
            active_watts_per_core: 2.76,
            default_idle_watts_per_vcpu: 0.74,
            default_busy_watts_per_vcpu: 3.5,
        });
        m.warnings = vec![first.into(), second.into()];
    });
    assert!(
        !html.contains("<b>rebuilt</b>"),
        "a warning's markup is not escaped"
    );

    // The warnings: a box under the title, before the charts, with both, escaped.
    let box_at = html.find("id=\"warnings\"").expect("warnings box");
    assert!(
        box_at < html.find("id=\"charts\"").expect("charts"),
        "the box is not near the top"
    );
    let warnings = part(&html, "warnings", "</div>");
    assert!(warnings.contains("2 warnings"), "{warnings}");
    assert!(
        warnings.contains("started: &lt;b&gt;rebuilt&lt;/b&gt; &amp; rehashed</li>"),
        "{warnings}"
    );
    assert!(warnings.contains(&esc(first)), "{warnings}");
    assert!(
        warnings.contains("(4.900 W) differs from the run&#39;s idle baseline (4.250 W) by 15%"),
        "{warnings}"
    );
    assert_eq!(warnings.matches("<li>").count(), 2, "{warnings}");

    // The Provenance part of the metadata section: the functions folder, and the warnings again.
    let prov = part(&html, "provenance", "<h3>Config</h3>");
    assert!(html.find("id=\"metadata\"") < html.find("id=\"provenance\""));
    assert!(html.contains("href=\"#provenance\""), "no link to the provenance");
    assert!(
        prov.contains("<code>/fixture/functions &amp; co</code>"),
        "{prov}"
    );
    assert!(
        prov.contains(&esc(first)) && prov.contains(&esc(second)),
        "{prov}"
    );

    // Each module file with its full SHA-256, its build and size.
    let modules = part(&html, "modules-table", "</table>");
    assert_eq!(
        modules.matches("<tr>").count(),
        3,
        "a header and 2 files: {modules}"
    );
    let wasm_row = modules
        .split("<tr>")
        .find(|r| r.contains(WASM_SHA))
        .expect("wasm row");
    assert!(
        wasm_row.contains(">wasm<") && wasm_row.contains(">1234<"),
        "{wasm_row}"
    );
    assert!(
        wasm_row.contains(&format!("<code>{WASM_SHA}</code>")),
        "{wasm_row}"
    );
    let native_row = modules
        .split("<tr>")
        .find(|r| r.contains(NATIVE_SHA))
        .expect("native row");
    assert!(
        native_row.contains(">native<") && native_row.contains(">56789<"),
        "{native_row}"
    );
    assert!(
        native_row.contains("/fixture/functions/target/alpha.native"),
        "{native_row}"
    );

    // Every baseline with its watts and which one is in use; estimates (the fixture's energy is
    // the model's) say so.
    let baselines = part(&html, "baselines-table", "</table>");
    assert!(baselines.contains("idle power, ESTIMATED"), "{baselines}");
    let rows: Vec<&str> = baselines.split("<tr>").skip(2).collect();
    assert_eq!(rows.len(), 2, "{baselines}");
    assert!(
        rows[0].contains("4.250 W") && rows[0].contains(">run<") && rows[0].contains(">yes<"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].contains("4.900 W") && rows[1].contains(">resume<") && rows[1].contains(">no<"),
        "{}",
        rows[1]
    );
    assert!(
        prov.contains("Idle baselines (ESTIMATED by the model, not measured)"),
        "{prov}"
    );

    // The model's coefficients, as the ESTIMATE model.
    let model = part(&html, "model", "</dl>");
    assert!(model.contains("ESTIMATE, not a measurement"), "{model}");
    assert!(model.contains("<dd>1.480 W</dd>"), "{model}");
    assert!(model.contains("<dd>2.760 W per busy core</dd>"), "{model}");
    assert!(
        model.contains("0.74 W x logical cores") && model.contains("3.5 W - 0.74 W"),
        "{model}"
    );
    assert!(
        model.contains("idle_watts * wall_s + active_watts_per_core * cpu_s"),
        "{model}"
    );
}

#[test]
fn a_run_without_warnings_has_no_warnings_box_and_a_measured_baseline_is_not_an_estimate() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("run");
    write_run(&dir, "fixture-no-warnings", Spec::default());
    let html = rerender(&dir, |m| {
        m.energy.source = "powercap".into();
        m.energy.label = "measured".into();
        m.energy.baselines = vec![baseline("2026-01-01T00:00:00.000Z", 7.125, "run", true)];
        m.energy.model = None;
        m.warnings = vec![];
        m.modules_note = Some("an HTTP run: the <modules> are on the server".into());
    });
    assert!(
        !html.contains("id=\"warnings\""),
        "a warnings box without warnings"
    );
    assert!(!html.contains("class=\"warnings\""), "an empty warnings box");
    assert!(!html.contains("<h4>Warnings</h4>"));
    let prov = part(&html, "provenance", "<h3>Config</h3>");
    assert!(prov.contains("<code>/fixture/functions</code>"), "{prov}");
    assert!(prov.contains("<h4>Idle baselines</h4>"), "{prov}");
    let baselines = part(&html, "baselines-table", "</table>");
    assert!(
        baselines.contains("7.125 W") && !baselines.contains("ESTIMATE"),
        "{baselines}"
    );
    assert!(
        !html.contains("id=\"model\""),
        "no model coefficients for a measured run"
    );
    assert!(
        prov.contains("<p>an HTTP run: the &lt;modules&gt; are on the server</p>"),
        "{prov}"
    );
    assert!(
        !html.contains("id=\"modules-table\""),
        "no module table without modules"
    );
}

#[test]
fn an_old_metadata_json_without_the_provenance_keys_still_renders() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("run");
    write_run(&dir, "fixture-old", Spec::default());
    let path = dir.join("metadata.json");
    let text = std::fs::read_to_string(&path).expect("metadata.json");
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("json");
    let top = v.as_object_mut().expect("an object");
    for k in ["functions_dir", "modules", "modules_note", "warnings"] {
        top.remove(k);
    }
    let energy = top
        .get_mut("energy")
        .and_then(|e| e.as_object_mut())
        .expect("energy");
    energy.remove("baselines");
    energy.remove("model");
    let old = serde_json::to_string_pretty(&v).expect("json");
    assert!(!old.contains("baselines") && !old.contains("functions_dir") && !old.contains("warnings"));
    std::fs::write(&path, old).expect("write metadata.json");
    std::fs::remove_file(dir.join("report.html")).expect("remove report.html");

    nebula::report::write_html(&dir).expect("an old run renders");
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    for id in ["metadata", "config", "summary-table", "energy-note"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id} missing");
    }
    assert!(html.contains("Test CPU &lt;model&gt;"));
    assert!(
        html.contains("1.000 W, ESTIMATED"),
        "the idle power of an estimated run"
    );
    for absent in [
        "id=\"provenance\"",
        "href=\"#provenance\"",
        "id=\"warnings\"",
        "modules-table",
        "baselines-table",
        "id=\"model\"",
    ] {
        assert!(!html.contains(absent), "{absent} in an old run's report");
    }
}
