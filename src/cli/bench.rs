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
    /// Calls per warm runtime, at least 20 (cold and native get calls / 20, at least 5).
    #[arg(long, default_value_t = 2000, value_parser = parse_calls)]
    calls: usize,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `--calls`: 20 or more (a p99 needs calls to rank; fewer used to be raised to 20 silently).
fn parse_calls(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n >= 20 => Ok(n),
        Ok(n) => Err(format!("{n} calls are too few for a p99: use 20 or more")),
        Err(_) => Err(format!(
            "'{s}' is not a number of calls: use 20 or more, e.g. 2000"
        )),
    }
}

pub fn run(a: BenchArgs) -> Result<ExitCode> {
    let suite = Suite::load_default()?;
    let lines = crate::bench::run(&suite, &a.functions, a.calls)?;
    if a.json {
        crate::outln!("{}", serde_json::to_string_pretty(&lines)?);
    } else {
        crate::bench::print(&lines);
    }
    Ok(ExitCode::SUCCESS)
}
