//! Benchmarks, figures not pass/fail (the numbers go into docs/benchmarks.md): `nebula bench`,
//! per-call latency of each runtime next to its floor (here and `floor.rs`), and
//! `nebula bench-http`, the server's throughput against a stock axum handler (`http.rs`,
//! `baseline.rs`), with the CPU and context switches of each thread role (`threads.rs`); and
//! `nebula bench --results N`, reading a run of N calls (`results.rs`); and `nebula bench
//! --runtimes`, every engine and command runtime next to its floor (`runtimes.rs`).

pub mod baseline;
pub mod floor;
pub mod http;
pub mod merge;
pub mod results;
pub mod runtimes;
pub mod threads;

use crate::runtime::cache::CacheStatus;
use crate::runtime::{
    CallInput, ColdFunction, HostConfig, Limits, NativeFunction, Runtime, WasmFunction, WasmHost,
};
use crate::suite::{Build, Suite};
use crate::units::human_duration;
use anyhow::{bail, Result};
use std::time::{Duration, Instant};

/// One benchmark line.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Line {
    /// The suite function measured.
    pub function: String,
    /// What was timed: a runtime (`wasm (warm)`, `wasm-cold (compile every call)`, `native`, the
    /// cold start from the disk cache) or a floor (a bare wasmtime or spawn-and-wait loop).
    pub what: String,
    /// Calls timed.
    pub n: usize,
    /// Median wall time per call (ns).
    pub p50_ns: u64,
    /// 99th percentile of the wall time per call (ns).
    pub p99_ns: u64,
    /// Fastest call (ns).
    pub min_ns: u64,
}

fn line(function: &str, what: &str, mut t: Vec<Duration>) -> Line {
    t.sort_unstable();
    let q = |p: f64| crate::units::ns(t[((t.len() - 1) as f64 * p).round() as usize]);
    Line {
        function: function.into(),
        what: what.into(),
        n: t.len(),
        p50_ns: q(0.5),
        p99_ns: q(0.99),
        min_ns: q(0.0),
    }
}

fn time_calls(rt: &dyn Runtime, input: &CallInput, n: usize) -> Result<Vec<Duration>> {
    let mut t = Vec::with_capacity(n);
    for _ in 0..n {
        let o = rt.call(input);
        if let Some(e) = o.error {
            bail!("benchmark call failed: {e}");
        }
        t.push(o.wall);
    }
    Ok(t)
}

/// Run the benchmark for `functions` with `n` calls each (cold: n / 20).
pub fn run(suite: &Suite, functions: &[String], n: usize) -> Result<Vec<Line>> {
    let tmp = std::env::temp_dir().join(format!("nebula-bench-cache-{}", std::process::id()));
    let mut cfg = HostConfig::new(Limits::default());
    cfg.cache_dir = tmp.clone();
    let host = WasmHost::new(cfg)?;
    let mut out = Vec::new();
    for f in functions {
        let spec = suite.get(f)?;
        let wasm = suite.build_for(f, Build::Wasm)?;
        let native = suite.build_for(f, Build::Native)?;
        let input = CallInput {
            stdin: spec.example.clone().into_bytes(),
            ..CallInput::default()
        };
        let warm = WasmFunction::load(host.clone(), f, &wasm)?;
        time_calls(&warm, &input, n / 10 + 1)?;
        out.push(line(
            f,
            "bare wasmtime loop (floor)",
            floor::bare_wasmtime(&wasm, &input.stdin, n)?,
        ));
        out.push(line(f, "wasm (warm)", time_calls(&warm, &input, n)?));
        // A cold start from the on-disk cache: load the precompiled artifact, link, first call.
        let mut from_cache = Vec::new();
        for _ in 0..(n / 10).max(5) {
            let t = Instant::now();
            let w = WasmFunction::load(host.clone(), f, &wasm)?;
            if w.cache != CacheStatus::Hit {
                bail!(
                    "the module was not found in the cache {}",
                    host.cache_dir().display()
                );
            }
            let o = w.call(&input);
            if let Some(e) = o.error {
                bail!("benchmark call failed: {e}");
            }
            from_cache.push(t.elapsed());
        }
        out.push(line(
            f,
            "cold start from disk cache (load + first call)",
            from_cache,
        ));
        let cold = ColdFunction::load(host.clone(), f, &wasm)?;
        out.push(line(
            f,
            "wasm-cold (compile every call)",
            time_calls(&cold, &input, (n / 20).max(5))?,
        ));
        let spawn_n = (n / 5).max(20);
        out.push(line(
            f,
            "bare spawn-and-wait loop (floor)",
            floor::bare_spawn(
                &native,
                &[],
                &[("PATH".into(), crate::runtime::native::NATIVE_PATH.into())],
                &input.stdin,
                spawn_n,
            )?,
        ));
        let nat = NativeFunction::new(&native, Limits::default())?;
        out.push(line(f, "native", time_calls(&nat, &input, spawn_n)?));
    }
    std::fs::remove_dir_all(&tmp).ok();
    Ok(out)
}

/// The table `nebula bench` prints, with the ratio of each runtime to its floor.
pub fn print(lines: &[Line]) {
    crate::outln!(
        "{:<14} {:<48} {:>7} {:>10} {:>10} {:>10}  vs floor",
        "function",
        "runtime",
        "n",
        "p50",
        "p99",
        "min"
    );
    let mut floor = 0u64;
    for l in lines {
        if l.what.contains("floor") {
            floor = l.p50_ns;
        }
        let ratio = if l.what.contains("floor") || floor == 0 || l.what.contains("cold") {
            String::new()
        } else {
            format!("{:.2}x", l.p50_ns as f64 / floor as f64)
        };
        let d = |n: u64| human_duration(Duration::from_nanos(n));
        crate::outln!(
            "{:<14} {:<48} {:>7} {:>10} {:>10} {:>10}  {ratio}",
            l.function,
            l.what,
            l.n,
            d(l.p50_ns),
            d(l.p99_ns),
            d(l.min_ns)
        );
    }
}
