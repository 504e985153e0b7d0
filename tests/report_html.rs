//! report.html and the Markdown summary of a fixture run: every drawn chart is embedded as a
//! data: URI, the summary and comparison tables and the metadata are there, text is escaped,
//! and there is no external URL.

mod fixture_run;

use fixture_run::{write_run, Spec};
use nebula::plot::{read_manifest, RunData};

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
    let data = RunData::load(&dir).expect("load");
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
    let data = RunData::load(&dir).expect("load");
    let md = nebula::report::markdown(&data);
    let table_rows = md.lines().filter(|l| l.starts_with("| ")).count();
    assert_eq!(table_rows, data.comparison.len() + 1, "{md}");
    assert!(md.contains("| alpha | 100000 | 1 |"), "{md}");
    assert!(md.contains("ESTIMATE"));
    assert!(md.contains("*"), "significant ratios are starred");
}
