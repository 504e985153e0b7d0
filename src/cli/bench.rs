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
    /// Instead: the results benchmark. Write a synthetic run of N call rows (e.g. 10M) and
    /// measure the end of a run, `nebula report` and `nebula plot` on it (wall time, peak memory).
    #[arg(long, value_name = "N", value_parser = crate::bench::results::parse_count)]
    results: Option<u64>,
    /// Instead: every wasmtime engine (warm and cold) next to a bare wasmtime loop, and every
    /// command runtime found on PATH next to a bare spawn loop of the same command.
    #[arg(long, conflicts_with = "results")]
    runtimes: bool,
    /// A suite file of one's own, for --runtimes: its [[runtime]] tables are measured too.
    #[arg(long, value_name = "FILE", requires = "runtimes")]
    suite: Option<std::path::PathBuf>,
    /// With --results: split the synthetic run into two shards and measure `nebula merge` of
    /// them, then `report` and `plot` of the merged run.
    #[arg(long, requires = "results")]
    merge: bool,
    /// With --results: write the synthetic run into this folder and keep it (default: a
    /// temporary folder, removed after).
    #[arg(long, value_name = "DIR", requires = "results")]
    keep: Option<std::path::PathBuf>,
    /// Finish the run folder DIR as the end of `nebula run` does (summary.csv, comparison.csv,
    /// calls.parquet, charts, report): the step the results benchmark times.
    #[arg(long, value_name = "DIR", hide = true)]
    finish_run: Option<std::path::PathBuf>,
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
    if let Some(dir) = &a.finish_run {
        crate::experiment::finish::finish_files(dir, |_| {})?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(n) = a.results {
        let (steps, _) = crate::bench::results::run(n, a.keep.clone(), a.merge)?;
        if a.json {
            crate::outln!("{}", serde_json::to_string_pretty(&steps)?);
        } else {
            crate::bench::results::print(&steps);
        }
        let ok = steps.iter().all(|s| s.ok);
        return Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE });
    }
    let suite = Suite::load_with(a.suite.as_deref())?;
    let lines = match a.runtimes {
        true => crate::bench::runtimes::run(&suite, &a.functions, a.calls)?,
        false => crate::bench::run(&suite, &a.functions, a.calls)?,
    };
    if a.json {
        crate::outln!("{}", serde_json::to_string_pretty(&lines)?);
    } else {
        crate::bench::print(&lines);
    }
    Ok(ExitCode::SUCCESS)
}
