//! `calls.parquet`, the columnar copy of `calls.csv`: it reads back (with the parquet crate's own
//! reader) equal to the CSV cell for cell, empty cells as NULL, across several row groups; the
//! end of a run writes it, and a failed write is a warning that loses nothing; `nebula parquet
//! RUN` rewrites it; a missing, corrupt or cut-short `calls.csv` is an error naming the file, the
//! line and the fix, and leaves no file behind; and pandas (with pyarrow, which
//! `scripts/test.sh` installs into `target/pyenv`) reads it equal to the CSV.

use crate::fixture_run::{self, write_run, Spec};
use ::parquet::basic::{LogicalType, Repetition, Type as Physical};
use ::parquet::file::reader::{FileReader, SerializedFileReader};
use ::parquet::record::Field;
use nebula::energy::Split;
use nebula::export::parquet::{self as copy, FILE};
use nebula::results::call::{CallRow, EnergyLabel};
use nebula::results::write_calls;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A run folder whose calls.csv has the fixture's rows plus rows with every awkward cell: quotes,
/// commas and a line break in text, every optional value absent, a failed call.
fn awkward_run(dir: &Path) -> Vec<CallRow> {
    write_run(dir, "pq-1", Spec::default());
    let (mut calls, _) = fixture_run::rows("pq-1", Spec::default());
    let base = calls[0].clone();
    calls.push(CallRow {
        input: "a,b \"quoted\" input".into(),
        cell: "alpha/a,b \"quoted\" input/wasm/c1".into(),
        compile_ns: None,
        instantiate_ns: None,
        execute_ns: None,
        teardown_ns: None,
        spawn_to_exit_ns: None,
        kernel_ns: None,
        energy_gross_j: None,
        energy_net_j: None,
        kernel_energy_j: None,
        energy_source: String::new(),
        energy_label: None,
        energy_split: None,
        energy_domains: String::new(),
        exit_code: None,
        server_wall_ns: None,
        output_digest: String::new(),
        ok: false,
        error_kind: "trap".into(),
        error: "wasm trap: \"unreachable\", at 0x1f\nlast stderr line: a, b".into(),
        ..base.clone()
    });
    calls.push(CallRow {
        teardown_ns: Some(1234),
        server_wall_ns: Some(u64::from(u32::MAX) * 4),
        exit_code: Some(-1),
        energy_net_j: Some(-1.25e-7),
        kernel_energy_j: Some(0.1 + 0.2),
        energy_label: Some(EnergyLabel::Unavailable),
        energy_split: Some(Split::CpuShare),
        start_unix_ns: 1_799_999_999_999_999_999,
        ..base
    });
    write_calls(&dir.join("calls.csv"), &calls).unwrap();
    calls
}

/// Every row of `calls.parquet` in `dir`, each as (column name, value).
fn parquet_rows(dir: &Path) -> (Vec<Vec<(String, Field)>>, usize) {
    let reader = SerializedFileReader::new(std::fs::File::open(dir.join(FILE)).unwrap()).unwrap();
    let groups = reader.metadata().num_row_groups();
    let rows = reader
        .get_row_iter(None)
        .unwrap()
        .map(|r| {
            r.unwrap()
                .get_column_iter()
                .map(|(n, f)| (n.clone(), f.clone()))
                .collect()
        })
        .collect();
    (rows, groups)
}

/// Checks that `dir/calls.parquet` holds `dir/calls.csv` cell for cell: same columns in the same
/// order, an empty cell NULL, numbers equal to the cell's text exactly, text byte for byte.
fn assert_equal_to_csv(dir: &Path) -> usize {
    let mut csv = csv::Reader::from_path(dir.join("calls.csv")).unwrap();
    let header: Vec<String> = csv.headers().unwrap().iter().map(String::from).collect();
    let records: Vec<csv::StringRecord> = csv.records().map(|r| r.unwrap()).collect();
    let (rows, groups) = parquet_rows(dir);
    assert_eq!(rows.len(), records.len(), "row count");
    for (i, (row, rec)) in rows.iter().zip(&records).enumerate() {
        let names: Vec<&str> = row.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, header, "columns of row {i}");
        for ((name, field), cell) in row.iter().zip(rec.iter()) {
            let at = format!("row {i}, column {name}: parquet {field:?}, csv {cell:?}");
            match field {
                Field::Null => assert_eq!(cell, "", "{at}"),
                Field::Str(s) => {
                    assert!(!s.is_empty(), "empty text is NULL: {at}");
                    assert_eq!(s, cell, "{at}");
                }
                Field::Long(v) => assert_eq!(v.to_string(), cell, "{at}"),
                Field::Int(v) => assert_eq!(v.to_string(), cell, "{at}"),
                Field::Double(v) => assert_eq!(v.to_bits(), cell.parse::<f64>().unwrap().to_bits(), "{at}"),
                Field::Bool(b) => assert_eq!(b.to_string(), cell, "{at}"),
                other => panic!("unexpected type {other:?}: {at}"),
            }
        }
    }
    groups
}

#[test]
fn copy_reads_back_equal_to_the_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let calls = awkward_run(&dir);
    // Small row groups, so that several are written and the last one is partial.
    let w = copy::write_grouped(&dir, 500).unwrap();
    assert_eq!(w.rows, calls.len() as u64);
    assert_eq!(w.path, dir.join(FILE));
    assert!(w.parquet_bytes > 0 && w.csv_bytes > 0);
    let groups = assert_equal_to_csv(&dir);
    assert_eq!(groups, calls.len().div_ceil(500));
    assert!(!dir.join(format!("{FILE}.tmp")).exists());

    // The awkward rows, by value: NULLs where the record has none.
    let (rows, _) = parquet_rows(&dir);
    let get = |row: usize, name: &str| {
        rows[row]
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, f)| f.clone())
            .unwrap()
    };
    let failed = calls.len() - 2;
    for name in [
        "kernel_ns",
        "energy_gross_j",
        "energy_label",
        "energy_split",
        "exit_code",
        "energy_source",
    ] {
        assert_eq!(get(failed, name), Field::Null, "{name}");
    }
    assert_eq!(get(0, "ok"), Field::Bool(true));
    assert_eq!(get(0, "error_kind"), Field::Null);
    assert_eq!(get(failed, "error"), Field::Str(calls[failed].error.clone()));
    assert_eq!(get(failed, "input"), Field::Str("a,b \"quoted\" input".into()));
    assert_eq!(get(failed, "ok"), Field::Bool(false));
    let last = calls.len() - 1;
    assert_eq!(get(last, "exit_code"), Field::Int(-1));
    assert_eq!(get(last, "start_unix_ns"), Field::Long(1_799_999_999_999_999_999));
    assert_eq!(get(last, "kernel_energy_j"), Field::Double(0.1 + 0.2));
    assert_eq!(get(last, "energy_split"), Field::Str("cpu-share".into()));
}

#[test]
fn columns_have_their_types() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    write_run(&dir, "pq-types", Spec::default());
    let reader = SerializedFileReader::new(std::fs::File::open(dir.join(FILE)).unwrap()).unwrap();
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let of = |name: &str| {
        let c = schema
            .columns()
            .iter()
            .find(|c| c.name() == name)
            .unwrap()
            .clone();
        (
            c.physical_type(),
            c.self_type().get_basic_info().repetition(),
            c.logical_type_ref().cloned(),
        )
    };
    let (opt, req) = (Repetition::OPTIONAL, Repetition::REQUIRED);
    assert_eq!(of("wall_ns"), (Physical::INT64, req, None));
    assert_eq!(of("concurrency"), (Physical::INT64, req, None));
    assert_eq!(of("kernel_ns"), (Physical::INT64, opt, None));
    assert_eq!(of("exit_code"), (Physical::INT32, opt, None));
    assert_eq!(of("energy_gross_j"), (Physical::DOUBLE, opt, None));
    assert_eq!(of("ok"), (Physical::BOOLEAN, req, None));
    assert_eq!(
        of("function"),
        (Physical::BYTE_ARRAY, opt, Some(LogicalType::String))
    );
    // Written by the end of the run (finish), equal to the CSV.
    assert_equal_to_csv(&dir);
    // The repeated text is dictionary-encoded.
    let group = reader.metadata().row_group(0);
    let function = group
        .columns()
        .iter()
        .find(|c| c.column_path().string() == "function")
        .unwrap();
    assert!(function.dictionary_page_offset().is_some());
}

fn nebula(args: &[&Path]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nebula"))
        .arg("parquet")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_command_rewrites_the_copy() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    awkward_run(&dir);
    std::fs::remove_file(dir.join(FILE)).unwrap();
    let out = nebula(&[&dir]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout.contains("calls.parquet") && stdout.contains("rows"),
        "{stdout}"
    );
    assert_equal_to_csv(&dir);
}

/// `nebula parquet DIR` fails with exit 1; its stderr, which must name every one of `needles`.
fn fails(dir: &Path, needles: &[&str]) -> String {
    let out = nebula(&[dir]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "`{n}` not in: {stderr}");
    }
    assert!(!dir.join(format!("{FILE}.tmp")).exists(), "a half file was left");
    stderr
}

#[test]
fn a_bad_calls_csv_is_an_error_naming_file_line_and_fix() {
    let tmp = tempfile::tempdir().unwrap();
    // No calls.csv at all.
    let empty: PathBuf = tmp.path().join("not-a-run");
    std::fs::create_dir_all(&empty).unwrap();
    fails(&empty, &["calls.csv", "run folder"]);
    assert!(!empty.join(FILE).exists());

    // A row that does not parse: its line is named, the old copy stays as it was.
    let dir = tmp.path().join("run");
    write_run(&dir, "pq-bad", Spec::default());
    let old = std::fs::read(dir.join(FILE)).unwrap();
    let csv = std::fs::read_to_string(dir.join("calls.csv")).unwrap();
    let mut lines: Vec<String> = csv.lines().map(String::from).collect();
    lines[3] = lines[3].replacen(",1700", ",x1700", 1);
    std::fs::write(dir.join("calls.csv"), lines.join("\n") + "\n").unwrap();
    fails(&dir, &["calls.csv: line 4", "bad call row", "remove that line"]);
    assert_eq!(std::fs::read(dir.join(FILE)).unwrap(), old);

    // The last row cut short by a kill: the fix is to resume the run.
    let whole = csv.len();
    std::fs::write(dir.join("calls.csv"), &csv.as_bytes()[..whole - 20]).unwrap();
    let n = csv.lines().count();
    fails(
        &dir,
        &[
            &format!("calls.csv: line {n}"),
            "cut short",
            "nebula run --resume",
        ],
    );
    // Only its line end lost: the row still parses, and is refused all the same.
    std::fs::write(dir.join("calls.csv"), &csv.as_bytes()[..whole - 1]).unwrap();
    fails(
        &dir,
        &[
            &format!("calls.csv: line {n}"),
            "cut short",
            "nebula run --resume",
        ],
    );

    // Not a calls.csv.
    std::fs::write(dir.join("calls.csv"), "a,b\n1,2\n").unwrap();
    fails(&dir, &["calls.csv: line 1", "not a calls.csv"]);
}

#[test]
fn a_failed_copy_at_the_end_of_a_run_is_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    // A folder where the temporary file goes: the copy cannot be written.
    std::fs::create_dir_all(dir.join(format!("{FILE}.tmp"))).unwrap();
    write_run(&dir, "pq-warn", Spec::default());
    assert!(dir.join("summary.csv").is_file() && dir.join("comparison.csv").is_file());
    assert!(dir.join("report.html").is_file());
    assert!(!dir.join(FILE).exists());
}

/// The Python with pandas and pyarrow that `scripts/test.sh` installs (`target/pyenv`), or
/// `NEBULA_TEST_PYTHON`.
fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("NEBULA_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/pyenv/bin/python")
}

#[test]
fn pandas_reads_it_equal_to_the_csv() {
    let py = python();
    let has = Command::new(&py)
        .args(["-c", "import pyarrow, pandas"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        has,
        "{} has no pandas and pyarrow: scripts/test.sh installs them into target/pyenv",
        py.display()
    );
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    awkward_run(&dir);
    copy::write(&dir).unwrap();
    let script = r#"
import sys, pandas as pd
d = sys.argv[1]
c = pd.read_csv(d + "/calls.csv")
p = pd.read_parquet(d + "/calls.parquet")
assert list(c.columns) == list(p.columns), (list(c.columns), list(p.columns))
assert len(c) == len(p)
for col in c.columns:
    a, b = c[col], p[col]
    assert a.isna().equals(b.isna()), col
    if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
        assert (a.dropna().astype("float64").values == b.dropna().astype("float64").values).all(), col
    else:
        assert (a.dropna().astype(str).values == b.dropna().astype(str).values).all(), col
print("pandas ok", len(p))
"#;
    let out = Command::new(&py).args(["-c", script]).arg(&dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
