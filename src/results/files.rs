//! The run folder's CSV files on disk: every file gets its header line even with no rows;
//! `calls.csv` and `windows.csv` are appended window by window as a run goes (each window's rows
//! together, flushed), so a killed run leaves whole windows up to its last one; [`recover`]
//! drops a window cut short and tells `--resume` what is done (and rewrites both files with the
//! current header, so a run begun by an older Nebula gains the newer columns, empty in its
//! earlier rows); whole files are read back as typed rows, a bad row named by file and line.

use super::call::CallRow;
use super::window::WindowRow;
use anyhow::{anyhow, Context, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The header line of a CSV of `T` rows (the serde field names, with its line end). The `csv`
/// crate writes a header only with the first row: a file with no rows would be empty, which
/// pandas and R refuse; writing this line first gives every file its header.
pub fn header_line<T: Serialize + Default>() -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.serialize(T::default()).context("cannot form a CSV header")?;
    let bytes = w.into_inner().context("cannot form a CSV header")?;
    let end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| i + 1);
    Ok(bytes[..end].to_vec())
}

/// A CSV writer on `out` that has written the header line of `T` rows and writes none again.
pub fn with_header<T: Serialize + Default, W: std::io::Write>(mut out: W) -> Result<csv::Writer<W>> {
    out.write_all(&header_line::<T>()?)?;
    Ok(csv::WriterBuilder::new().has_headers(false).from_writer(out))
}

/// Writes `rows` to `path` as CSV with a header row from the serde field names, written even
/// when there are no rows.
pub fn write_csv<T: Serialize + Default>(path: &Path, rows: &[T]) -> Result<()> {
    let f = std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut w = with_header::<T, _>(std::io::BufWriter::new(f))
        .with_context(|| format!("cannot write {}", path.display()))?;
    for r in rows {
        w.serialize(r)
            .with_context(|| format!("cannot write a row to {}", path.display()))?;
    }
    w.flush()
        .with_context(|| format!("cannot flush {}", path.display()))?;
    Ok(())
}

/// Rows of a CSV file; an empty file has none.
pub fn read_rows<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    if std::fs::metadata(path).map(|m| m.len() == 0).unwrap_or(false) {
        return Ok(Vec::new());
    }
    let mut rd = csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    rd.deserialize()
        .enumerate()
        .map(|(i, r)| r.map_err(|e| anyhow!("{}: row {}: {e}", path.display(), i + 1)))
        .collect()
}

/// Every row of `calls.csv` at `path`. A row that does not parse is an error naming the file,
/// its line and the reason.
pub fn read_calls(path: &Path) -> Result<Vec<CallRow>> {
    let mut rd = csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    rd.deserialize::<CallRow>()
        .enumerate()
        .map(|(i, row)| {
            row.map_err(|e| {
                // Line numbers are 1-based and count the header; fall back to the record index.
                let line = e.position().map_or(i as u64 + 2, |p| p.line());
                anyhow!("{}: line {line}: bad call row: {e}", path.display())
            })
        })
        .collect()
}

/// Writes `rows` to `path` as `calls.csv` (headers from the field names), replacing the file.
pub fn write_calls(path: &Path, rows: &[CallRow]) -> Result<()> {
    write_csv(path, rows)
}

/// Appending writers for the two per-call files.
pub struct Writers {
    calls: csv::Writer<File>,
    windows: csv::Writer<File>,
}

/// A writer appending rows to `path`; a new or empty file gets its header line first, so that
/// it is a valid CSV from the start (a run stopped before its first window leaves headers).
fn appender<T: Serialize + Default>(path: &Path) -> Result<csv::Writer<File>> {
    let exists = path.metadata().map(|m| m.len() > 0).unwrap_or(false);
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| {
            format!(
                "cannot write {}: check the results directory is writable",
                path.display()
            )
        })?;
    if !exists {
        f.write_all(&header_line::<T>()?)
            .and_then(|()| f.flush())
            .with_context(|| format!("cannot write {} (disk full?)", path.display()))?;
    }
    Ok(csv::WriterBuilder::new().has_headers(false).from_writer(f))
}

impl Writers {
    /// Opens `calls.csv` and `windows.csv` in `dir` for appending; a new or empty file gets its
    /// header line first.
    pub fn open(dir: &Path) -> Result<Writers> {
        Ok(Writers {
            calls: appender::<CallRow>(&dir.join("calls.csv"))?,
            windows: appender::<WindowRow>(&dir.join("windows.csv"))?,
        })
    }

    /// Write one window's rows and flush both files.
    pub fn window(&mut self, calls: &[CallRow], windows: &[WindowRow]) -> Result<()> {
        for r in calls {
            self.calls
                .serialize(r)
                .context("cannot write calls.csv (disk full?)")?;
        }
        for w in windows {
            self.windows
                .serialize(w)
                .context("cannot write windows.csv (disk full?)")?;
        }
        self.calls
            .flush()
            .context("cannot flush calls.csv (disk full?)")?;
        self.windows
            .flush()
            .context("cannot flush windows.csv (disk full?)")?;
        Ok(())
    }
}

/// What an earlier, interrupted run of this directory finished.
#[derive(Debug, Default)]
pub struct Recovered {
    /// The (cell, repetition) pairs whose whole window is recorded.
    pub done: HashSet<(String, u32)>,
    /// The id to give the next window: one past the highest either file holds (0 when none).
    pub next_window_id: u64,
    /// Rows removed from both files because their window was cut short.
    pub dropped_rows: usize,
}

impl Recovered {
    /// Whether repetition `repetition` of cell `cell_id` has its whole window recorded.
    pub fn is_done(&self, cell_id: &str, repetition: u32) -> bool {
        self.done.contains(&(cell_id.to_string(), repetition))
    }
}

/// Read what a run left behind, keep only whole windows (every call row present, and its
/// window row), rewrite both files with just those rows, and report what is done.
pub fn recover(dir: &Path) -> Result<Recovered> {
    let calls_path = dir.join("calls.csv");
    let windows_path = dir.join("windows.csv");
    let calls: Vec<CallRow> = read_lenient(&calls_path)?;
    let windows: Vec<WindowRow> = read_lenient(&windows_path)?;
    let mut count: HashMap<u64, u32> = HashMap::new();
    for r in &calls {
        *count.entry(r.window_id).or_default() += 1;
    }
    let have_window: HashSet<u64> = windows.iter().map(|w| w.window_id).collect();
    let whole: HashSet<u64> = calls
        .iter()
        .filter(|r| count.get(&r.window_id) == Some(&r.calls_in_window) && have_window.contains(&r.window_id))
        .map(|r| r.window_id)
        .collect();
    let keep_calls: Vec<&CallRow> = calls.iter().filter(|r| whole.contains(&r.window_id)).collect();
    let keep_windows: Vec<&WindowRow> = windows.iter().filter(|w| whole.contains(&w.window_id)).collect();
    let dropped_rows = calls.len() - keep_calls.len() + windows.len() - keep_windows.len();
    rewrite::<CallRow>(&calls_path, &keep_calls)?;
    rewrite::<WindowRow>(&windows_path, &keep_windows)?;
    Ok(Recovered {
        done: keep_calls
            .iter()
            .map(|r| (r.cell.clone(), r.repetition))
            .collect(),
        next_window_id: calls
            .iter()
            .map(|r| r.window_id + 1)
            .chain(windows.iter().map(|w| w.window_id + 1))
            .max()
            .unwrap_or(0),
        dropped_rows,
    })
}

/// Rows of a CSV file up to the first one that does not parse (a row cut short by a kill). A row
/// is whole only with its line end: a kill or a full disk can cut the last row anywhere, even
/// inside its last field, where what is left would still parse (with a wrong value).
fn read_lenient<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let mut bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    bytes.truncate(whole);
    let mut rd = csv::ReaderBuilder::new().flexible(true).from_reader(&bytes[..]);
    Ok(rd.deserialize().map_while(|r| r.ok()).collect())
}

/// Replace `path` with its header line and `rows` (the header also when no rows are left).
fn rewrite<T: Serialize + Default>(path: &Path, rows: &[&T]) -> Result<()> {
    let tmp: PathBuf = path.with_extension("csv.tmp");
    {
        let f = File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
        let mut w = with_header::<T, _>(f).with_context(|| format!("cannot write {}", tmp.display()))?;
        for r in rows {
            w.serialize(r)?;
        }
        w.flush()?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}
