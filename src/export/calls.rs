//! Reading and writing `calls.csv` as a whole (the orchestrator appends to it as it runs).

use super::write_csv;
use crate::record::CallRow;
use anyhow::{anyhow, Context, Result};
use std::path::Path;

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
