//! Tables derived from a run's calls for people and other tools: `summary.csv` (statistics per
//! cell) and `comparison.csv` (each runtime against its reference, per metric), computed from the records of
//! `crate::results` and written beside them; [`load_run`] reads a run folder and computes the
//! tables its files lack.

pub mod comparison;
pub mod contrast;
pub mod parquet;
pub mod summary;

pub use comparison::{compare, compare_cells};
pub use summary::{summarize, summarize_cells};

use crate::results::{write_csv, ComparisonRow, Metadata, RunData, SummaryRow};
use crate::stats::DEFAULT_RESAMPLES;
use anyhow::Result;
use std::path::Path;

/// Writes `summary.csv`.
pub fn write_summary(path: &Path, rows: &[SummaryRow]) -> Result<()> {
    write_csv(path, rows)
}

/// Writes `comparison.csv`.
pub fn write_comparison(path: &Path, rows: &[ComparisonRow]) -> Result<()> {
    write_csv(path, rows)
}

/// A run folder read back whole ([`RunData::read`]), with `summary` and `comparison` computed
/// from its calls where the folder's files are missing or stale (the comparison against the
/// run's reference).
pub fn load_run(dir: &Path) -> Result<RunData> {
    let (mut data, stale) = RunData::read(dir)?;
    let seed = data.seed();
    if stale.summary {
        data.summary = summarize(&data.calls, DEFAULT_RESAMPLES, seed);
    }
    if stale.comparison {
        let adjust = data.meta.as_ref().map(Metadata::p_adjust).unwrap_or_default();
        data.comparison = compare(&data.calls, DEFAULT_RESAMPLES, seed, adjust, &data.reference());
    }
    Ok(data)
}
