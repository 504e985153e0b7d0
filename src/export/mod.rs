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

/// Writes `rows` to `path` as CSV with a header row from the serde field names. With no rows the
/// file is empty (the header comes from the first row).
pub fn write_csv<T: Serialize>(path: &Path, rows: &[T]) -> Result<()> {
    let mut w = csv::Writer::from_path(path).with_context(|| format!("cannot write {}", path.display()))?;
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
