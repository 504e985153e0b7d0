//! `docs/columns.md` against the files: each table lists exactly the columns of its CSV, in
//! order (headers from the record types that write the files, the server's from its real writer),
//! and every CSV file name in the source has a section.

use nebula::report::compare::CompareRow;
use nebula::results::call::CallRow;
use nebula::results::WindowRow;
use nebula::results::{ComparisonRow, SummaryRow};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const DOC: &str = "docs/columns.md";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Section heading -> (the section's text, the first column of its table rows, in order).
fn sections() -> BTreeMap<String, (String, Vec<String>)> {
    let text = std::fs::read_to_string(root().join(DOC)).expect("docs/columns.md exists");
    let mut out: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            let name = h.trim().trim_matches('`').to_string();
            assert!(!out.contains_key(&name), "{DOC}: section '{name}' twice");
            out.insert(name.clone(), (String::new(), Vec::new()));
            current = Some(name);
            continue;
        }
        let Some(name) = &current else { continue };
        let entry = out.get_mut(name).expect("current section");
        entry.0.push_str(line);
        entry.0.push('\n');
        if let Some(rest) = line.strip_prefix("| `") {
            let col = rest.split('`').next().unwrap_or_default().to_string();
            let cells: Vec<&str> = line.trim_matches('|').split(" | ").collect();
            assert_eq!(
                cells.len(),
                3,
                "{DOC}: '{col}' needs column | unit | meaning: {line}"
            );
            assert!(
                cells.iter().all(|c| !c.trim().is_empty()),
                "{DOC}: '{col}' has an empty unit or meaning"
            );
            entry.1.push(col);
        }
    }
    out
}

/// The header a CSV writer gives rows of `T`.
fn header<T: Serialize + Default>() -> Vec<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.serialize(T::default()).expect("serialize a default row");
    let bytes = w.into_inner().expect("flush");
    let text = String::from_utf8(bytes).expect("utf-8");
    text.lines()
        .next()
        .expect("a header line")
        .split(',')
        .map(str::to_string)
        .collect()
}

fn assert_same(file: &str, doc: &[String], csv: &[String]) {
    let missing: Vec<&String> = csv.iter().filter(|c| !doc.contains(c)).collect();
    let extra: Vec<&String> = doc.iter().filter(|c| !csv.contains(c)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{DOC} and {file} disagree: columns the dictionary lacks: {missing:?}; columns it lists \
         that the file does not have: {extra:?}. Update the '{file}' table of {DOC}"
    );
    assert_eq!(
        doc, csv,
        "{DOC}: the '{file}' table is not in the file's column order"
    );
}

#[test]
fn every_csv_table_lists_exactly_the_columns_of_its_file_in_order() {
    let s = sections();
    let files = [
        ("calls.csv", header::<CallRow>()),
        ("windows.csv", header::<WindowRow>()),
        ("summary.csv", header::<SummaryRow>()),
        ("comparison.csv", header::<ComparisonRow>()),
        ("compare.csv", header::<CompareRow>()),
    ];
    for (file, csv) in &files {
        let (_, doc) = s
            .get(*file)
            .unwrap_or_else(|| panic!("{DOC} has no '## `{file}`' section"));
        assert!(csv.len() > 5, "{file}: a real header ({csv:?})");
        assert_same(file, doc, csv);
    }
    // The new per-window columns are there, with units in their names.
    let w = header::<WindowRow>();
    for c in ["steal_ms", "steal_fraction", "load_avg_1m"] {
        assert!(w.iter().any(|x| x == c), "windows.csv lacks {c}");
    }
}

#[test]
fn the_server_csv_has_the_calls_columns_and_its_table_names_only_those() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("calls.csv");
    let log = nebula::server::csv_log::CsvLog::open(&path).unwrap();
    log.append(std::sync::Arc::new(CallRow::default()));
    // The writer thread flushes once its queue is empty.
    let t0 = Instant::now();
    let text = loop {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if text.lines().count() >= 2 || t0.elapsed() > Duration::from_secs(10) {
            break text;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let server: Vec<String> = text
        .lines()
        .next()
        .expect("the server wrote a header")
        .split(',')
        .map(str::to_string)
        .collect();
    assert_eq!(
        server,
        header::<CallRow>(),
        "the server CSV has the calls.csv columns"
    );
    let s = sections();
    let (text, doc) = s
        .get("server calls CSV")
        .unwrap_or_else(|| panic!("{DOC} has no '## server calls CSV' section"));
    assert!(
        text.contains("Same columns as `calls.csv`"),
        "{DOC}: the server section says its columns are those of calls.csv"
    );
    let unknown: Vec<&String> = doc.iter().filter(|c| !server.contains(c)).collect();
    assert!(
        unknown.is_empty(),
        "{DOC}: the server table lists {unknown:?}, which it does not write"
    );
}

/// Every `NAME.csv` literal in the source, so that a new file needs a section.
fn csv_names(dir: &Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            csv_names(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            let text = std::fs::read_to_string(&p).unwrap();
            // Every piece between quotes (not only string literals: a stray piece of code is
            // never a bare file name).
            for piece in text.split('"') {
                let name = piece.rsplit('/').next().unwrap_or(piece);
                let stem = name.strip_suffix(".csv").unwrap_or_default();
                if !stem.is_empty() && stem.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
                    out.push(name.to_string());
                }
            }
        }
    }
}

#[test]
fn every_csv_file_named_in_the_source_is_in_the_dictionary() {
    let doc = std::fs::read_to_string(root().join(DOC)).unwrap();
    let mut names = Vec::new();
    csv_names(&root().join("src"), &mut names);
    names.sort();
    names.dedup();
    for must in [
        "calls.csv",
        "windows.csv",
        "summary.csv",
        "comparison.csv",
        "compare.csv",
    ] {
        assert!(
            names.iter().any(|n| n == must),
            "the scan finds {must}: {names:?}"
        );
    }
    for n in &names {
        assert!(
            doc.contains(&format!("`{n}`")),
            "{n} is written by Nebula but {DOC} does not describe it"
        );
    }
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.contains("docs/columns.md"),
        "the README links the column dictionary"
    );
}
