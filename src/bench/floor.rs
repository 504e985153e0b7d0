//! The floors Nebula's runtimes are compared with: a bare wasmtime loop (what the wasmtime notes
//! measure: new WASI context + Store + instantiate from an `InstancePre` + `_start` + read stdout,
//! then drop the store; pooling allocator, no limits, no markers bookkeeping) and a bare spawn-and-wait loop.

use anyhow::{Context, Result};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, Linker, Module, PoolingAllocationConfig, Store};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::WasiCtxBuilder;

/// Per-call wall times of `n` calls of a bare wasmtime loop over `wasm` with `stdin`.
pub fn bare_wasmtime(wasm: &Path, stdin: &[u8], n: usize) -> Result<Vec<Duration>> {
    let mut config = Config::new();
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(
        PoolingAllocationConfig::default(),
    ));
    let engine = Engine::new(&config).map_err(anyhow::Error::from)?;
    let module = Module::from_file(&engine, wasm).map_err(anyhow::Error::from)?;
    let mut linker: Linker<WasiP1Ctx> = Linker::new(&engine);
    wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |s| s).map_err(anyhow::Error::from)?;
    linker
        .func_wrap("bench", "start", || {})
        .map_err(anyhow::Error::from)?;
    linker
        .func_wrap("bench", "end", || {})
        .map_err(anyhow::Error::from)?;
    let pre = linker.instantiate_pre(&module).map_err(anyhow::Error::from)?;
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let out = MemoryOutputPipe::new(1 << 20);
        let wasi = WasiCtxBuilder::new()
            .stdin(MemoryInputPipe::new(stdin.to_vec()))
            .stdout(out.clone())
            .build_p1();
        let mut store = Store::new(&engine, wasi);
        let inst = pre.instantiate(&mut store).map_err(anyhow::Error::from)?;
        let start = inst
            .get_typed_func::<(), ()>(&mut store, "_start")
            .map_err(anyhow::Error::from)?;
        start
            .call(&mut store, ())
            .map_err(anyhow::Error::from)
            .context("bare loop call failed")?;
        std::hint::black_box(out.contents());
        // Nebula's wall time ends after the store's teardown (the slot reset): so does the floor's.
        drop(store);
        times.push(t.elapsed());
    }
    Ok(times)
}

/// Per-call wall times of `n` spawn-write-wait cycles of `bin` with `args` and `stdin`, in the
/// environment `env` alone, as Nebula's calls get theirs (a runtime such as Node reads its
/// environment at start-up: `NODE_EXTRA_CA_CERTS` alone doubles its start).
pub fn bare_spawn(
    bin: &Path,
    args: &[String],
    env: &[(String, String)],
    stdin: &[u8],
    n: usize,
) -> Result<Vec<Duration>> {
    use std::io::Write;
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let mut child = Command::new(bin)
            .args(args)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        if let Some(mut s) = child.stdin.take() {
            s.write_all(stdin)?;
        }
        let out = child.wait_with_output()?;
        std::hint::black_box(out.stdout);
        times.push(t.elapsed());
    }
    Ok(times)
}
