//! Files derived from a run for people and other tools: `calls.csv` read back whole,
//! `summary.csv` (statistics per cell) and `comparison.csv` (Wasm/native and cold/warm ratios).

pub mod calls;
pub mod comparison;
pub mod summary;

pub use calls::{read_calls, write_calls};
pub use comparison::{compare_cells, ComparisonRow};
pub use summary::{summarize_cells, SummaryRow};

use anyhow::{Context, Result};
use serde::Serialize;
use std::path::Path;

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

/// Writes `summary.csv`.
pub fn write_summary(path: &Path, rows: &[SummaryRow]) -> Result<()> {
    write_csv(path, rows)
}

/// Writes `comparison.csv`.
pub fn write_comparison(path: &Path, rows: &[ComparisonRow]) -> Result<()> {
    write_csv(path, rows)
}
