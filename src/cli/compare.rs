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
        eprintln!("warning: {d}: changes between the runs may come from this, not from the code");
    }
    for c in &c.coverage {
        eprintln!("warning: {c}");
    }
    println!("{}", c.energy_note);
    print!("{}", report::compare::table(&c.rows));
    println!("wrote {}", c.out.join("compare.csv").display());
    match &c.chart {
        Ok(files) => {
            for f in files {
                println!("wrote {}", f.display());
            }
        }
        Err(e) => eprintln!("warning: no comparison chart: {e}"),
    }
    Ok(ExitCode::SUCCESS)
}
