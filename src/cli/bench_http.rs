//! `nebula bench-http`: requests per second and p50/p99 latency of functions served over HTTP
//! at several concurrency levels, next to a bare axum handler measured in the same run.

use crate::bench::baseline::StockBare;
use crate::bench::http::{self as bench, BenchPlan};
use crate::energy::auto::EnergyOptions;
use crate::server::sched::SchedPolicy;
use crate::server::{spawn_local_server, ServerConfig};
use crate::suite::Suite;
use anyhow::{bail, Context, Result};
use clap::Args;
use std::collections::HashMap;
use std::process::ExitCode;

#[derive(Args)]
pub struct BenchHttpArgs {
    /// A running server; its `/bare` route, if it has one, is the baseline (default: start
    /// `nebula serve` in this process on 127.0.0.1:0, and a stock axum server beside it as the
    /// baseline).
    #[arg(long)]
    pub url: Option<String>,
    /// Functions to invoke, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "noop,fibonacci")]
    pub functions: Vec<String>,
    /// Concurrency levels (keep-alive connections), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,8,32")]
    pub concurrency: Vec<usize>,
    /// Measured requests per function and level.
    #[arg(long, default_value_t = 5000)]
    pub requests: usize,
    /// Unmeasured requests before each measurement.
    #[arg(long, default_value_t = 500)]
    pub warmup: usize,
    /// Input for a function, NAME=VALUE (repeatable); default: the suite's example.
    #[arg(long = "input", value_parser = parse_input)]
    pub inputs: Vec<(String, String)>,
    /// Guest calls at once in the local server (default: one per core).
    #[arg(long)]
    pub max_inflight: Option<usize>,
    /// Async I/O workers of the local server (default: half the cores, at least one; see
    /// `nebula serve`).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub io_workers: Option<u16>,
    /// Load generators (their thread counts, comma-separated): each target is measured with
    /// each and keeps its highest rate (default: 1 and one per core).
    #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u16).range(1..))]
    pub load_threads: Vec<u16>,
    /// Scheduling policy of the local server's call pool and I/O workers (see `nebula serve`).
    #[arg(long, value_enum, default_value_t = SchedPolicy::Batch)]
    pub sched: SchedPolicy,
    /// Alternating rounds per level (bare, each function, bare, ...): rates and CPU are
    /// medians over the rounds, and each function's ratio to bare is the median of the
    /// rounds' ratios with its range.
    #[arg(long, default_value_t = 1)]
    pub rounds: usize,
    /// Print JSON rows instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// One runtime per load generator: the thread counts asked for, else 1 and one per core.
fn load_generators(threads: &[u16]) -> Result<Vec<(usize, tokio::runtime::Runtime)>> {
    let mut counts: Vec<usize> = threads.iter().map(|&n| usize::from(n)).collect();
    if counts.is_empty() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        counts = vec![1, cores];
    }
    counts.sort_unstable();
    counts.dedup();
    counts
        .into_iter()
        .map(|n| {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(n)
                .enable_all()
                .thread_name("nebula-load")
                .build()
                .with_context(|| format!("cannot start a load generator of {n} threads"))?;
            Ok((n, rt))
        })
        .collect()
}

fn parse_input(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("'{s}' is not NAME=VALUE")),
    }
}

pub fn run(a: BenchHttpArgs) -> Result<ExitCode> {
    if a.concurrency.contains(&0) || a.requests == 0 || a.rounds == 0 {
        bail!("--concurrency levels, --requests and --rounds must be at least 1");
    }
    let max_level = a.concurrency.iter().copied().max().unwrap_or(1);
    let local = match &a.url {
        Some(_) => None,
        None => {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            let mut c = ServerConfig::new(cores);
            if let Some(n) = a.max_inflight {
                c.max_inflight = n.max(1);
            }
            if let Some(n) = a.io_workers {
                c.io_workers = usize::from(n);
            }
            // Requests beyond the slots wait in the queue, never 503, at the highest level.
            c.queue = max_level;
            c.in_process_bench = true;
            c.sched = a.sched;
            let root = Suite::default_root();
            c.suite_root = Some(root);
            c.csv_path = None;
            c.meter = crate::server::Meter::from_options(&EnergyOptions::default())?;
            Some((spawn_local_server(c)?, StockBare::start()?))
        }
    };
    let url = match (&a.url, &local) {
        (Some(u), _) => u.clone(),
        (None, Some((s, _))) => s.url(),
        (None, None) => bail!("no server"),
    };
    let runtimes = load_generators(&a.load_threads)?;
    let plan = BenchPlan {
        url,
        functions: a.functions.clone(),
        concurrency: a.concurrency.clone(),
        requests: a.requests,
        warmup: a.warmup,
        inputs: a.inputs.iter().cloned().collect::<HashMap<_, _>>(),
        local: local.is_some(),
        bare_url: local.as_ref().map(|(_, bare)| bare.url()),
        rounds: a.rounds,
        generators: runtimes
            .iter()
            .map(|(threads, rt)| bench::Generator {
                threads: *threads,
                handle: rt.handle().clone(),
            })
            .collect(),
    };
    let rt = &runtimes.first().context("no load generator")?.1;
    let rows = rt.block_on(bench::run(&plan))?;
    if a.json {
        for r in &rows {
            crate::outln!("{}", serde_json::to_string(r)?);
        }
    } else {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        crate::outln!(
            "bench-http against {} ({} cores, load generator in the same {}):",
            plan.url,
            cores,
            if local.is_some() { "process" } else { "machine" }
        );
        crate::out!("{}", bench::table(&rows));
    }
    if let Some((s, bare)) = local {
        drop(bare);
        s.stop()?;
    }
    Ok(ExitCode::SUCCESS)
}
