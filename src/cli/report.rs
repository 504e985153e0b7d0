//! `nebula report RUN [--markdown]`: write `RUN/report.html` from the run's files and charts, or
//! print the summary as a Markdown table.

use crate::report;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct ReportArgs {
    /// The results directory (results/NAME-TIMESTAMP).
    run: PathBuf,
    /// Print the wasm/native summary as a Markdown table instead of writing report.html.
    #[arg(long)]
    markdown: bool,
}

pub fn run(a: ReportArgs) -> Result<ExitCode> {
    if a.markdown {
        crate::out!("{}", report::markdown(&crate::export::load_run(&a.run)?));
    } else {
        crate::outln!("report: {}", report::write_html(&a.run)?.display());
    }
    Ok(ExitCode::SUCCESS)
}
