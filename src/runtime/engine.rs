//! The shared wasmtime host: one `Engine` (pooling allocator, copy-on-write memory images, epoch
//! interruption), one `Linker` with WASI preview 1 and the `bench` kernel markers, the epoch
//! ticker thread, and the on-disk cache of precompiled modules.

use super::cache::ModuleCache;
use super::store::{add_bench_markers, HostState};
use super::Limits;
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, Linker, PoolingAllocationConfig};

/// How often the epoch advances: the granularity of wasm timeouts.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Bytes of each pooled memory and table slot kept resident between calls (a typical
/// wasm32-wasip1 guest uses about 1.1 MB: 1 MiB of stack plus its data).
pub const KEEP_RESIDENT: usize = 2 << 20;

/// The largest memory a wasm32 module can have: 65 536 pages of 64 KiB.
const WASM32_MAX_MEMORY: usize = 1 << 32;

/// Settings of a [`WasmHost`].
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Bounds on every call: timeout, memory cap, output cap.
    pub limits: Limits,
    /// Instances alive at once (concurrent calls); sizes the pooling allocator.
    pub max_instances: u32,
    /// Where precompiled modules are kept.
    pub cache_dir: PathBuf,
}

impl HostConfig {
    /// Settings with `limits`, 64 concurrent instances and the default cache directory.
    pub fn new(limits: Limits) -> HostConfig {
        HostConfig {
            limits,
            max_instances: 64,
            cache_dir: ModuleCache::default_dir(),
        }
    }
}

/// The engine, the linker and the cache, shared by every wasm function and call.
pub struct WasmHost {
    /// The wasmtime engine (pooling allocator, epoch interruption).
    pub engine: Engine,
    /// The linker with WASI preview 1 and the `bench` kernel markers.
    pub linker: Linker<HostState>,
    /// The on-disk cache of precompiled modules.
    pub cache: ModuleCache,
    /// Bounds on every call.
    pub limits: Limits,
    stop: Arc<AtomicBool>,
}

impl WasmHost {
    /// Creates the engine, linker and cache from `cfg` and starts the epoch ticker thread.
    pub fn new(cfg: HostConfig) -> Result<Arc<WasmHost>> {
        let mut pool = PoolingAllocationConfig::default();
        let slots = cfg.max_instances.max(1);
        let max_memory = usize::try_from(cfg.limits.memory_bytes).unwrap_or(usize::MAX);
        // The pool's slots must hold the largest memory a call may grow to (plus one page for
        // the grow that the limiter refuses, so that refusal is ours, not the pool's), and no
        // more than a 32-bit memory can be (4 GiB, the engine's memory reservation): a cap of
        // 4 GiB or more is then never reached, as wasm32 cannot address past it.
        pool.total_core_instances(slots)
            .total_memories(slots)
            .total_tables(slots)
            .total_stacks(slots)
            .max_memory_size(max_memory.saturating_add(1 << 16).min(WASM32_MAX_MEMORY))
            // Reset the first MiBs of a reused slot in place (restoring the image) instead of
            // madvise: no TLB shootdown across threads, no page faults on reuse; with
            // PAGEMAP_SCAN (Linux 6.7+) only the pages the call dirtied are reset.
            // A warm call then takes 0.4-0.55x of a bare wasmtime loop's time (docs/benchmarks.md,
            // "Per-call latency of the runtimes").
            .linear_memory_keep_resident(KEEP_RESIDENT)
            .table_keep_resident(KEEP_RESIDENT)
            .pagemap_scan(wasmtime::Enabled::Auto);
        let mut config = Config::new();
        config
            .epoch_interruption(true)
            .memory_init_cow(true)
            // Compile on the calling thread: a cold call's CPU time then includes its compilation.
            .parallel_compilation(false)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config)
            .map_err(anyhow::Error::from)
            .context("cannot create the wasmtime engine")?;
        let mut linker: Linker<HostState> = Linker::new(&engine);
        // The async WASI host: a guest blocked in a host call (a `poll_oneoff` sleep) is a
        // suspended future that the call's deadline can drop; see `wasm::drive`.
        wasmtime_wasi::p1::add_to_linker_async(&mut linker, |s: &mut HostState| &mut s.wasi)
            .map_err(anyhow::Error::from)
            .context("cannot add WASI preview 1 to the linker")?;
        add_bench_markers(&mut linker)?;
        let cache = ModuleCache::open(&cfg.cache_dir, &engine)?;
        let stop = Arc::new(AtomicBool::new(false));
        spawn_ticker(engine.clone(), stop.clone())?;
        Ok(Arc::new(WasmHost {
            engine,
            linker,
            cache,
            limits: cfg.limits,
            stop,
        }))
    }

    /// Epoch ticks for the call timeout (rounded up, at least one).
    pub fn deadline_ticks(&self) -> u64 {
        let t = self.limits.timeout.as_nanos() / EPOCH_TICK.as_nanos();
        (t as u64).saturating_add(1)
    }

    /// When a call is dropped even if it is not running wasm (blocked in a host call, where
    /// epoch interruption cannot reach it): the timeout plus two epoch ticks, so that a guest
    /// running wasm meets the epoch deadline first, as before.
    pub fn call_deadline(&self) -> Duration {
        self.limits.timeout.saturating_add(EPOCH_TICK * 2)
    }

    /// A short version string for metadata: `wasmtime 48.0.8`.
    pub fn version() -> &'static str {
        concat!("wasmtime ", env!("NEBULA_WASMTIME_VERSION"))
    }
}

impl Drop for WasmHost {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn spawn_ticker(engine: Engine, stop: Arc<AtomicBool>) -> Result<()> {
    std::thread::Builder::new()
        .name("nebula-epoch".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(EPOCH_TICK);
                engine.increment_epoch();
            }
        })
        .context("cannot start the epoch ticker thread")?;
    Ok(())
}
