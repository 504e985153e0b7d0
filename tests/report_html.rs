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
            if cell == "–" {
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
    let data = RunData::load(&dir).expect("load");
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
    assert_eq!(rows.len(), data.comparison.len());
    // wasm and native latency share a unit, so do the energies; ratios have none.
    let latency = check_intervals(&rows, &[3]) + check_intervals(&rows, &[4]);
    let energy = check_intervals(&rows, &[6]) + check_intervals(&rows, &[7]);
    let ratios = check_intervals(&rows, &[5]) + check_intervals(&rows, &[8]);
    assert!(latency > 0 && energy > 0 && ratios > 0, "{md}");
    let unit_of = |c: usize| rows.iter().find_map(|r| interval(&r[c]).map(|i| i.1));
    assert_eq!(unit_of(3), unit_of(4), "wasm and native latency in one unit");
    assert_eq!(unit_of(6), unit_of(7), "wasm and native energy in one unit");
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
