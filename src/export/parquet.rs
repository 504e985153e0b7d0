//! `calls.parquet`: a columnar copy of `calls.csv` that pandas, polars and R read several times
//! faster, a column at a time if they like, written beside the CSV (which stays the record a
//! person reads). The CSV is streamed row by row into typed column buffers, one row group of
//! [`ROW_GROUP_ROWS`] at a time, so memory stays bounded whatever the run's size (200 MB for ten
//! million rows, docs/benchmarks.md). Columns keep the CSV's names and order; integers are signed
//! 64-bit (`exit_code` 32-bit), energies doubles, `ok` a boolean, text UTF-8; an empty cell is
//! NULL, never 0 or "". Snappy-compressed, text dictionary-encoded, times delta-encoded. The file
//! is written under a temporary name and renamed when whole, so a killed write never leaves a
//! half file named `calls.parquet`.

use crate::results::call::{label_str, CallRow};
use anyhow::{anyhow, bail, Context, Result};
use bytes::Bytes;
use indicatif::{ProgressBar, ProgressFinish, ProgressStyle};
use parquet::basic::{Compression, Encoding, LogicalType, Repetition, Type as Physical};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use std::collections::HashSet;
use std::fs::File;
use std::io::{IsTerminal, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The columnar copy's file name, beside `calls.csv`.
pub const FILE: &str = "calls.parquet";

/// Rows per row group: what is held in memory at once, and the unit readers skip by (polars'
/// own default size).
pub const ROW_GROUP_ROWS: usize = 1 << 18;

/// A `calls.csv` larger than this gets a progress bar (on a terminal).
const PROGRESS_BYTES: u64 = 64 << 20;

/// Distinct strings a text column shares per row group: repeated values (function, runtime,
/// cell, ...) are held once; past this many, new ones are held per row.
const INTERN_LIMIT: usize = 1 << 16;

/// What writing the copy did.
#[derive(Debug, Clone)]
pub struct Written {
    /// The file written (`RUN/calls.parquet`).
    pub path: PathBuf,
    /// Rows written (the rows of `calls.csv`).
    pub rows: u64,
    /// Size of `calls.csv`, bytes.
    pub csv_bytes: u64,
    /// Size of the Parquet file, bytes.
    pub parquet_bytes: u64,
}

/// One column of `calls.csv`: how its value is taken from a row, and the values of the row group
/// being buffered (NULLs are in `def` only: 1 for a value, 0 for NULL).
struct Column {
    name: &'static str,
    data: Data,
    def: Vec<i16>,
}

/// A column's type, the getter of its value and its buffered values.
enum Data {
    /// UTF-8 text, empty is NULL; repeated values share one buffer (`seen`).
    Text(fn(&CallRow) -> &str, Vec<ByteArray>, HashSet<Bytes>),
    /// An unsigned integer stored as signed 64-bit: R reads unsigned 64-bit as double, which
    /// would round `start_unix_ns` to 256 ns.
    Int(fn(&CallRow) -> u64, Vec<i64>),
    /// An optional unsigned integer, as above; `None` is NULL.
    OptInt(fn(&CallRow) -> Option<u64>, Vec<i64>),
    /// An optional signed 32-bit integer (`exit_code`).
    OptInt32(fn(&CallRow) -> Option<i32>, Vec<i32>),
    /// An optional double (energies).
    OptDouble(fn(&CallRow) -> Option<f64>, Vec<f64>),
    /// A boolean, never empty.
    Bool(fn(&CallRow) -> bool, Vec<bool>),
}

fn col(name: &'static str, data: Data) -> Column {
    Column {
        name,
        data,
        def: Vec::new(),
    }
}

fn text(name: &'static str, get: fn(&CallRow) -> &str) -> Column {
    col(name, Data::Text(get, Vec::new(), HashSet::new()))
}

fn int(name: &'static str, get: fn(&CallRow) -> u64) -> Column {
    col(name, Data::Int(get, Vec::new()))
}

fn opt_int(name: &'static str, get: fn(&CallRow) -> Option<u64>) -> Column {
    col(name, Data::OptInt(get, Vec::new()))
}

fn opt_double(name: &'static str, get: fn(&CallRow) -> Option<f64>) -> Column {
    col(name, Data::OptDouble(get, Vec::new()))
}

/// The columns of `calls.csv`, in its order, with their types (the unit tests check the names
/// against the header Nebula writes).
fn columns() -> Vec<Column> {
    vec![
        text("run_id", |r| &r.run_id),
        text("cell", |r| &r.cell),
        text("function", |r| &r.function),
        text("runtime", |r| r.runtime.as_str()),
        text("input", |r| &r.input),
        int("concurrency", |r| r.concurrency.into()),
        int("repetition", |r| r.repetition.into()),
        int("worker", |r| r.worker.into()),
        int("start_unix_ns", |r| r.start_unix_ns),
        int("wall_ns", |r| r.wall_ns),
        opt_int("compile_ns", |r| r.compile_ns),
        opt_int("instantiate_ns", |r| r.instantiate_ns),
        opt_int("execute_ns", |r| r.execute_ns),
        opt_int("teardown_ns", |r| r.teardown_ns),
        opt_int("spawn_to_exit_ns", |r| r.spawn_to_exit_ns),
        opt_int("kernel_ns", |r| r.kernel_ns),
        int("cpu_user_ns", |r| r.cpu_user_ns),
        int("cpu_system_ns", |r| r.cpu_system_ns),
        int("peak_memory_bytes", |r| r.peak_memory_bytes),
        opt_double("energy_gross_j", |r| r.energy_gross_j),
        opt_double("energy_net_j", |r| r.energy_net_j),
        opt_double("kernel_energy_j", |r| r.kernel_energy_j),
        text("energy_source", |r| &r.energy_source),
        text("energy_label", |r| label_str(r.energy_label)),
        text("energy_split", |r| r.energy_split.map_or("", |s| s.as_str())),
        text("energy_domains", |r| &r.energy_domains),
        int("window_id", |r| r.window_id),
        int("calls_in_window", |r| r.calls_in_window.into()),
        col("exit_code", Data::OptInt32(|r| r.exit_code, Vec::new())),
        opt_int("server_wall_ns", |r| r.server_wall_ns),
        int("output_bytes", |r| r.output_bytes),
        text("output_digest", |r| &r.output_digest),
        col("ok", Data::Bool(|r| r.ok, Vec::new())),
        text("error_kind", |r| &r.error_kind),
        text("error", |r| &r.error),
        text("machine", |r| &r.machine),
    ]
}

/// Pushes `v` (a value, or NULL) onto a nullable column's values and levels.
fn push_opt<T>(values: &mut Vec<T>, def: &mut Vec<i16>, v: Option<T>) {
    def.push(i16::from(v.is_some()));
    values.extend(v);
}

/// `v` as a signed 64-bit integer; beyond `i64::MAX` (no time, size or count Nebula records) an
/// error naming the column.
fn signed(name: &str, v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| anyhow!("`{name}` = {v} exceeds a signed 64-bit integer"))
}

/// `s` as a Parquet byte array, sharing the buffer of an equal earlier value of the row group.
fn intern(seen: &mut HashSet<Bytes>, s: &str) -> ByteArray {
    if let Some(b) = seen.get(s.as_bytes()) {
        return ByteArray::from(b.clone());
    }
    let b = Bytes::copy_from_slice(s.as_bytes());
    if seen.len() < INTERN_LIMIT {
        seen.insert(b.clone());
    }
    ByteArray::from(b)
}

impl Column {
    fn nullable(&self) -> bool {
        !matches!(self.data, Data::Int(..) | Data::Bool(..))
    }

    /// The column's Parquet type: its physical type, and UTF-8 (`STRING`) for text.
    fn parquet_type(&self) -> Result<Arc<Type>> {
        let (physical, logical) = match self.data {
            Data::Text(..) => (Physical::BYTE_ARRAY, Some(LogicalType::String)),
            Data::Int(..) | Data::OptInt(..) => (Physical::INT64, None),
            Data::OptInt32(..) => (Physical::INT32, None),
            Data::OptDouble(..) => (Physical::DOUBLE, None),
            Data::Bool(..) => (Physical::BOOLEAN, None),
        };
        let repetition = if self.nullable() {
            Repetition::OPTIONAL
        } else {
            Repetition::REQUIRED
        };
        Ok(Arc::new(
            Type::primitive_type_builder(self.name, physical)
                .with_repetition(repetition)
                .with_logical_type(logical)
                .build()?,
        ))
    }

    /// Buffers `row`'s value of this column.
    fn push(&mut self, row: &CallRow) -> Result<()> {
        let def = &mut self.def;
        match &mut self.data {
            Data::Text(get, values, seen) => {
                let s = get(row);
                push_opt(values, def, (!s.is_empty()).then(|| intern(seen, s)));
            }
            Data::Int(get, values) => values.push(signed(self.name, get(row))?),
            Data::OptInt(get, values) => {
                let v = get(row).map(|v| signed(self.name, v)).transpose()?;
                push_opt(values, def, v);
            }
            Data::OptInt32(get, values) => push_opt(values, def, get(row)),
            Data::OptDouble(get, values) => push_opt(values, def, get(row)),
            Data::Bool(get, values) => values.push(get(row)),
        }
        Ok(())
    }

    /// Writes the buffered values as this column's chunk of the row group, and empties them.
    fn write(&mut self, w: &mut parquet::file::writer::SerializedColumnWriter<'_>) -> Result<()> {
        let def = self.nullable().then_some(&self.def[..]);
        match &mut self.data {
            Data::Text(_, values, seen) => {
                w.typed::<ByteArrayType>().write_batch(values, def, None)?;
                values.clear();
                seen.clear();
            }
            Data::Int(_, values) | Data::OptInt(_, values) => {
                w.typed::<Int64Type>().write_batch(values, def, None)?;
                values.clear();
            }
            Data::OptInt32(_, values) => {
                w.typed::<Int32Type>().write_batch(values, def, None)?;
                values.clear();
            }
            Data::OptDouble(_, values) => {
                w.typed::<DoubleType>().write_batch(values, def, None)?;
                values.clear();
            }
            Data::Bool(_, values) => {
                w.typed::<BoolType>().write_batch(values, def, None)?;
                values.clear();
            }
        }
        self.def.clear();
        Ok(())
    }
}

/// Snappy compression (fast, and every reader has it); dictionary encoding, but for the times
/// (`*_ns`) and `window_id`, whose values are almost all distinct: those are delta-encoded,
/// which halves them.
fn properties(columns: &[Column]) -> WriterProperties {
    let mut props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_created_by(format!("nebula {}", env!("CARGO_PKG_VERSION")));
    for c in columns {
        let distinct = c.name.ends_with("_ns") || c.name == "window_id";
        if distinct && matches!(c.data, Data::Int(..) | Data::OptInt(..)) {
            props = props
                .set_column_dictionary_enabled(c.name.into(), false)
                .set_column_encoding(c.name.into(), Encoding::DELTA_BINARY_PACKED);
        }
    }
    props.build()
}

/// The file's schema: one column per `calls.csv` column, in its order.
fn schema(columns: &[Column]) -> Result<Type> {
    let fields = columns
        .iter()
        .map(Column::parquet_type)
        .collect::<Result<Vec<_>>>()?;
    Ok(Type::group_type_builder("calls").with_fields(fields).build()?)
}

/// Writes `dir/calls.parquet` from `dir/calls.csv`, replacing an older copy, and says what it
/// wrote. The CSV is read once, row by row; the copy is written to `calls.parquet.tmp` and
/// renamed when whole. A row that does not parse, or a last row cut short (a run killed while
/// writing it), is an error naming the file, the line and the fix, and leaves no copy behind.
pub fn write(dir: &Path) -> Result<Written> {
    write_grouped(dir, ROW_GROUP_ROWS)
}

/// [`write`] with row groups of `group_rows` rows (at least 1) instead of [`ROW_GROUP_ROWS`].
pub fn write_grouped(dir: &Path, group_rows: usize) -> Result<Written> {
    let csv = dir.join("calls.csv");
    let path = dir.join(FILE);
    let tmp = dir.join(format!("{FILE}.tmp"));
    let (rows, csv_bytes) = match convert(dir, &csv, &tmp, group_rows.max(1)) {
        Ok(done) => done,
        Err(e) => {
            // Nothing half-written stays behind; the error says what went wrong.
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot replace {}", path.display()))?;
    let parquet_bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    Ok(Written {
        path,
        rows,
        csv_bytes,
        parquet_bytes,
    })
}

/// [`write`] at the end of a run: a failure is a warning on stderr, never the run's error
/// (`calls.csv`, the record, is whole). A copy left from before the run's last windows is removed
/// then, so that no `calls.parquet` disagrees with `calls.csv`.
pub fn write_or_warn(dir: &Path) {
    if let Err(e) = write(dir) {
        let stale = std::fs::remove_file(dir.join(FILE)).is_ok();
        crate::errln!(
            "warning: no {FILE} (calls.csv, the record, is complete{}): {e:#}; `nebula parquet {}` writes it again",
            if stale { "; the older copy was removed" } else { "" },
            dir.display()
        );
    }
}

/// Streams `csv` into a Parquet file at `tmp`; returns the rows written and the CSV's size.
fn convert(dir: &Path, csv: &Path, tmp: &Path, group_rows: usize) -> Result<(u64, u64)> {
    let mut file = File::open(csv).with_context(|| {
        format!(
            "cannot read {}: is {} a run folder (results/<run id>)?",
            csv.display(),
            dir.display()
        )
    })?;
    let csv_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    let cut = ends_cut_short(&mut file).with_context(|| format!("cannot read {}", csv.display()))?;
    let mut rd = csv::ReaderBuilder::new()
        .buffer_capacity(1 << 20)
        .from_reader(std::io::BufReader::with_capacity(1 << 20, file));
    let headers = rd
        .byte_headers()
        .map_err(|e| bad_row(dir, csv, 1, &e, cut))?
        .clone();
    for name in ["run_id", "cell", "wall_ns", "ok"] {
        if !headers.iter().any(|h| h == name.as_bytes()) {
            bail!(
                "{}: line 1: the header has no `{name}` column: this is not a calls.csv that Nebula wrote",
                csv.display()
            );
        }
    }

    let mut columns = columns();
    let out = File::create(tmp).with_context(|| {
        format!(
            "cannot write {}: check that the run folder is writable and the disk has room",
            tmp.display()
        )
    })?;
    let mut writer =
        SerializedFileWriter::new(out, Arc::new(schema(&columns)?), Arc::new(properties(&columns)))
            .with_context(|| format!("cannot write {}", tmp.display()))?;

    let bar = progress(csv_bytes);
    let mut record = csv::ByteRecord::new();
    let (mut rows, mut buffered, mut line) = (0u64, 0usize, 1u64);
    loop {
        match rd.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let at = e.position().map_or(line + 1, |p| p.line());
                return Err(bad_row(dir, csv, at, &e, cut));
            }
        }
        line = record.position().map_or(line + 1, |p| p.line());
        let row: CallRow = record
            .deserialize(Some(&headers))
            .map_err(|e| bad_row(dir, csv, line, &e, cut))?;
        for c in &mut columns {
            c.push(&row)
                .map_err(|e| anyhow!("{}: line {line}: {e}", csv.display()))?;
        }
        rows += 1;
        buffered += 1;
        if buffered == group_rows {
            write_group(&mut writer, &mut columns)
                .with_context(|| format!("cannot write {}", tmp.display()))?;
            buffered = 0;
        }
        if rows % 8192 == 0 {
            bar.set_position(record.position().map_or(0, |p| p.byte()));
        }
    }
    if cut && rows > 0 {
        bail!(
            "{}: line {line}: the last row is cut short (the file does not end with a line end: the run was stopped while writing it); {}",
            csv.display(),
            resume_hint(dir)
        );
    }
    if buffered > 0 {
        write_group(&mut writer, &mut columns).with_context(|| format!("cannot write {}", tmp.display()))?;
    }
    let out = writer
        .into_inner()
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    // On disk before it takes the real name: a crash after the rename finds a whole file.
    out.sync_all()
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    Ok((rows, csv_bytes))
}

/// Writes the buffered rows as one row group.
fn write_group(writer: &mut SerializedFileWriter<File>, columns: &mut [Column]) -> Result<()> {
    let mut group = writer.next_row_group()?;
    for c in columns.iter_mut() {
        let mut w = group
            .next_column()?
            .ok_or_else(|| anyhow!("the schema has fewer columns than calls.csv"))?;
        c.write(&mut w)?;
        w.close()?;
    }
    group.close()?;
    Ok(())
}

/// Whether the file's last byte is not a line end: its last row was cut short (a kill or a full
/// disk while a window was written). An empty file is not.
fn ends_cut_short(file: &mut File) -> std::io::Result<bool> {
    if file.metadata()?.len() == 0 {
        return Ok(false);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8];
    file.read_exact(&mut last)?;
    file.seek(SeekFrom::Start(0))?;
    Ok(last[0] != b'\n')
}

/// What to do about a run folder whose `calls.csv` was cut short.
fn resume_hint(dir: &Path) -> String {
    format!(
        "`nebula run --resume {}` drops the row cut short, completes the run and writes calls.parquet",
        dir.display()
    )
}

/// The error for a row of `calls.csv` that does not read: file, line, reason and the fix.
fn bad_row(dir: &Path, csv: &Path, line: u64, e: &csv::Error, cut: bool) -> anyhow::Error {
    let fix = if cut {
        format!(
            "calls.csv ends without a line end, so its last row was cut short (the run was stopped while writing it): {}",
            resume_hint(dir)
        )
    } else {
        format!(
            "the row is not as Nebula writes it (edited, or another file?): restore calls.csv or remove that line, then `nebula parquet {}`",
            dir.display()
        )
    };
    anyhow!("{}: line {line}: bad call row: {e}; {fix}", csv.display())
}

/// A progress bar by bytes of `calls.csv` read, for a large file on a terminal; else hidden.
fn progress(len: u64) -> ProgressBar {
    if len <= PROGRESS_BYTES || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    // Cleared when dropped, on an error as well.
    let bar = ProgressBar::new(len).with_finish(ProgressFinish::AndClear);
    bar.set_style(
        ProgressStyle::with_template(
            "calls.parquet {bar:30} {bytes}/{total_bytes} of calls.csv  ~{eta} left",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_match_the_csv_header() {
        let header = crate::results::files::header_line::<CallRow>().unwrap();
        let header = String::from_utf8(header).unwrap();
        let names: Vec<&str> = columns().iter().map(|c| c.name).collect();
        assert_eq!(header.trim_end().split(',').collect::<Vec<_>>(), names);
    }

    #[test]
    fn beyond_i64_is_an_error_naming_the_column() {
        let e = signed("wall_ns", u64::MAX).unwrap_err().to_string();
        assert!(e.contains("wall_ns"), "{e}");
    }
}
