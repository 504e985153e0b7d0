//! `nebula bench`: p50 / p99 per-call latency of each runtime next to a bare wasmtime loop and a
//! bare spawn-and-wait loop, measured in the same run.

use crate::suite::Suite;
use anyhow::Result;
use clap::Args;
use std::process::ExitCode;

#[derive(Args)]
pub struct BenchArgs {
    /// Functions to measure (with the suite's example input).
    #[arg(long, value_delimiter = ',', default_value = "noop,fibonacci")]
    functions: Vec<String>,
    /// Calls per warm runtime (fewer for cold and native).
    #[arg(long, default_value_t = 2000)]
    calls: usize,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(a: BenchArgs) -> Result<ExitCode> {
    let suite = Suite::load_default()?;
    let lines = crate::bench::run(&suite, &a.functions, a.calls.max(20))?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&lines)?);
    } else {
        crate::bench::print(&lines);
    }
    Ok(ExitCode::SUCCESS)
}
