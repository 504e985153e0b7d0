//! `nebula plot RUN`: (re)draw the charts of a results directory into `RUN/plots/` and write
//! `RUN/report.html`.

use crate::{plot, report};
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct PlotArgs {
    /// The results directory (results/NAME-TIMESTAMP).
    run: PathBuf,
}

pub fn run(a: PlotArgs) -> Result<ExitCode> {
    let m = plot::draw_all(&a.run)?;
    let dir = a.run.join(plot::PLOTS_DIR);
    for d in &m.drawn {
        crate::outln!(
            "drew {} ({}, {})",
            d.title,
            dir.join(&d.png).display(),
            dir.join(&d.svg).display()
        );
    }
    for s in &m.skipped {
        crate::outln!("skipped {}: {}", s.title, s.reason);
    }
    for f in &m.failed {
        crate::errln!("warning: {} failed: {}", f.title, f.reason);
    }
    let html = report::write_html(&a.run)?;
    crate::outln!("report: {}", html.display());
    Ok(if m.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
