//! `nebula compare RUN_A RUN_B [--out DIR]`: per cell, the change in median latency and energy
//! from A to B with a 95% interval and significance, printed as a table and written as
//! `compare.csv` and `compare.png`/`compare.svg` (default into RUN_B/compare-<A>/).

use crate::report;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct CompareArgs {
    /// The baseline run (A).
    run_a: PathBuf,
    /// The run compared with it (B).
    run_b: PathBuf,
    /// Write compare.csv and the chart here instead of RUN_B/compare-<name of A>/.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(a: CompareArgs) -> Result<ExitCode> {
    let c = report::write_compare(&a.run_a, &a.run_b, a.out.as_deref())?;
    for d in &c.differences {
        crate::errln!("warning: {d}: changes between the runs may come from this, not from the code");
    }
    for c in &c.coverage {
        crate::errln!("warning: {c}");
    }
    crate::outln!("{}", c.energy_note);
    crate::out!("{}", report::compare::table(&c.rows));
    crate::outln!("wrote {}", c.out.join("compare.csv").display());
    match &c.chart {
        Ok(files) => {
            for f in files {
                crate::outln!("wrote {}", f.display());
            }
        }
        Err(e) => crate::errln!("warning: no comparison chart: {e}"),
    }
    Ok(ExitCode::SUCCESS)
}
