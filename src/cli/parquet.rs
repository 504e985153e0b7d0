//! `nebula parquet RUN`: (re)write `RUN/calls.parquet`, the columnar copy of `RUN/calls.csv` that
//! `nebula run` writes at its end (for a run made before it did, or after a failed write).

use crate::export::parquet;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct ParquetArgs {
    /// The results directory (results/NAME-TIMESTAMP).
    run: PathBuf,
}

pub fn run(a: ParquetArgs) -> Result<ExitCode> {
    let w = parquet::write(&a.run)?;
    crate::outln!(
        "wrote {} ({} rows, {} from {} of calls.csv)",
        w.path.display(),
        w.rows,
        indicatif::HumanBytes(w.parquet_bytes),
        indicatif::HumanBytes(w.csv_bytes)
    );
    Ok(ExitCode::SUCCESS)
}
