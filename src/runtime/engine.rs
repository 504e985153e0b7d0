//! The wasmtime hosts: one `Engine` per [`EngineKind`] (Cranelift at each opt level, Winch,
//! Pulley), each created on first use with the pooling allocator, copy-on-write memory images
//! and epoch interruption, its own `Linker` with WASI preview 1 and the `bench` kernel markers,
//! its epoch ticker thread and its own keys in the on-disk cache of precompiled modules.

use super::cache::ModuleCache;
use super::store::{add_bench_markers, HostState};
use super::Limits;
use crate::results::metadata::EngineSettings;
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, Linker, OptLevel, PoolingAllocationConfig, Strategy,
};

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

/// A wasmtime engine configuration: the compiler, Cranelift's opt level and the target. Each
/// has its own `Engine` in the process ([`WasmHost::engine`]) and its own artifacts in the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EngineKind {
    /// Cranelift at opt level `speed`, wasmtime's default (`wasm`, `wasm-cold`, `wasm-simd128`).
    Cranelift,
    /// Cranelift at opt level `none` (`wasm-opt-none`, `wasm-opt-none-cold`).
    CraneliftOptNone,
    /// Cranelift at opt level `speed-and-size` (`wasm-opt-size`, `wasm-opt-size-cold`).
    CraneliftOptSize,
    /// Winch, wasmtime's baseline compiler: one pass, no optimisation (`wasm-winch`,
    /// `wasm-winch-cold`); x86_64 only.
    Winch,
    /// Pulley, wasmtime's portable interpreter: Cranelift (`speed`) compiles to `pulley64`
    /// bytecode, which wasmtime interprets (`wasm-pulley`, `wasm-pulley-cold`).
    Pulley,
}

impl EngineKind {
    /// Every engine configuration.
    pub const ALL: [EngineKind; 5] = [
        EngineKind::Cranelift,
        EngineKind::CraneliftOptNone,
        EngineKind::CraneliftOptSize,
        EngineKind::Winch,
        EngineKind::Pulley,
    ];

    /// The compiler: `cranelift` or `winch` (Pulley's bytecode comes from Cranelift).
    pub fn strategy(self) -> &'static str {
        match self {
            EngineKind::Winch => "winch",
            _ => "cranelift",
        }
    }

    /// Cranelift's opt level (`none`, `speed`, `speed-and-size`); `None` for Winch, which has
    /// none.
    pub fn opt_level(self) -> Option<&'static str> {
        match self {
            EngineKind::Cranelift | EngineKind::Pulley => Some("speed"),
            EngineKind::CraneliftOptNone => Some("none"),
            EngineKind::CraneliftOptSize => Some("speed-and-size"),
            EngineKind::Winch => None,
        }
    }

    /// What the engine compiles for: the host's triple, or `pulley64` for Pulley.
    pub fn target(self) -> &'static str {
        match self {
            EngineKind::Pulley => "pulley64",
            _ => env!("NEBULA_HOST_TARGET"),
        }
    }

    /// The engine's short name, as the cache's file names carry it: `cranelift-speed`,
    /// `cranelift-none`, `cranelift-speed-and-size`, `winch`, `pulley`.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Cranelift => "cranelift-speed",
            EngineKind::CraneliftOptNone => "cranelift-none",
            EngineKind::CraneliftOptSize => "cranelift-speed-and-size",
            EngineKind::Winch => "winch",
            EngineKind::Pulley => "pulley",
        }
    }

    /// The engine in words for messages: `cranelift (opt level speed) for pulley64`.
    pub fn describe(self) -> String {
        let opt = self
            .opt_level()
            .map(|o| format!(" (opt level {o})"))
            .unwrap_or_default();
        format!("{}{opt} for {}", self.strategy(), self.target())
    }

    /// Why the engine cannot run on this machine, and the fix; `None` when it can.
    pub fn unsupported_here(self) -> Option<(String, String)> {
        self.unsupported_on(std::env::consts::ARCH)
    }

    /// Why the engine cannot run on a host of architecture `arch` (as `std::env::consts::ARCH`
    /// names it), and the fix; `None` when it can.
    pub fn unsupported_on(self, arch: &str) -> Option<(String, String)> {
        (self == EngineKind::Winch && arch != "x86_64").then(|| {
            (
                format!(
                    "Winch (wasmtime {}'s baseline compiler) compiles only for x86_64, and this \
                     machine is {arch}",
                    env!("NEBULA_WASMTIME_VERSION")
                ),
                "use \"wasm-opt-none\" (Cranelift without optimisation) or \"wasm-pulley\" instead"
                    .to_string(),
            )
        })
    }

    /// The settings metadata.json records for the engine (no runtimes yet).
    pub fn settings(self) -> EngineSettings {
        EngineSettings {
            runtimes: Vec::new(),
            strategy: self.strategy().to_string(),
            opt_level: self.opt_level().map(str::to_string),
            target: self.target().to_string(),
            wasmtime: env!("NEBULA_WASMTIME_VERSION").to_string(),
        }
    }

    /// Sets the compiler, opt level and target on `config`.
    fn configure(self, config: &mut Config) -> Result<()> {
        match self {
            EngineKind::Cranelift => {}
            EngineKind::CraneliftOptNone => {
                config.cranelift_opt_level(OptLevel::None);
            }
            EngineKind::CraneliftOptSize => {
                config.cranelift_opt_level(OptLevel::SpeedAndSize);
            }
            EngineKind::Winch => {
                config.strategy(Strategy::Winch);
            }
            EngineKind::Pulley => {
                config
                    .target(self.target())
                    .map_err(anyhow::Error::from)
                    .context("cannot set the Pulley target")?;
            }
        }
        Ok(())
    }
}

/// The engines a list of runtimes uses, each with the runtimes that use it, in engine order.
pub fn engine_settings(runtimes: &[super::RuntimeKind]) -> Vec<EngineSettings> {
    EngineKind::ALL
        .into_iter()
        .filter_map(|e| {
            let users: Vec<String> = runtimes
                .iter()
                .filter(|r| r.engine() == Some(e))
                .map(|r| r.to_string())
                .collect();
            (!users.is_empty()).then(|| EngineSettings {
                runtimes: users,
                ..e.settings()
            })
        })
        .collect()
}

/// Every engine of the process, by [`EngineKind`], each created on first use, and the bounds
/// on every call.
pub struct WasmHost {
    /// Bounds on every call.
    pub limits: Limits,
    cfg: HostConfig,
    engines: Mutex<BTreeMap<EngineKind, Arc<WasmEngine>>>,
}

impl WasmHost {
    /// A host for `cfg`, with the default engine (Cranelift, `speed`) created now, so that a
    /// cache directory that cannot be used is an error at once; the others come on first use.
    pub fn new(cfg: HostConfig) -> Result<Arc<WasmHost>> {
        let default = Arc::new(WasmEngine::new(EngineKind::Cranelift, &cfg)?);
        Ok(Arc::new(WasmHost {
            limits: cfg.limits,
            engines: Mutex::new(BTreeMap::from([(EngineKind::Cranelift, default)])),
            cfg,
        }))
    }

    /// The engine of `kind`, created now if this is its first use; an error (with the fix)
    /// where it cannot run on this machine.
    pub fn engine(&self, kind: EngineKind) -> Result<Arc<WasmEngine>> {
        if let Some((problem, fix)) = kind.unsupported_here() {
            anyhow::bail!("{problem}. Fix: {fix}");
        }
        // A poisoned lock only means a thread panicked while it held the map, which is whole.
        let mut engines = self.engines.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = engines.get(&kind) {
            return Ok(e.clone());
        }
        let e = Arc::new(WasmEngine::new(kind, &self.cfg)?);
        engines.insert(kind, e.clone());
        Ok(e)
    }

    /// The engines created so far, in engine order.
    pub fn engines_created(&self) -> Vec<EngineKind> {
        let engines = self.engines.lock().unwrap_or_else(|p| p.into_inner());
        engines.keys().copied().collect()
    }

    /// Where precompiled modules are kept.
    pub fn cache_dir(&self) -> &std::path::Path {
        &self.cfg.cache_dir
    }

    /// A short version string for metadata: `wasmtime 48.0.8`.
    pub fn version() -> &'static str {
        concat!("wasmtime ", env!("NEBULA_WASMTIME_VERSION"))
    }
}

/// One engine with its linker and its cache keys, shared by every function and call on it.
pub struct WasmEngine {
    /// Which engine configuration this is.
    pub kind: EngineKind,
    /// The wasmtime engine (pooling allocator, epoch interruption).
    pub engine: Engine,
    /// The linker with WASI preview 1 and the `bench` kernel markers.
    pub linker: Linker<HostState>,
    /// The on-disk cache of precompiled modules, keyed for this engine.
    pub cache: ModuleCache,
    /// Bounds on every call.
    pub limits: Limits,
    stop: Arc<AtomicBool>,
}

impl WasmEngine {
    /// Creates the engine of `kind`, its linker and cache from `cfg` and starts its epoch ticker
    /// thread. Every engine bounds its calls alike: epoch interruption (Cranelift, Winch and
    /// Pulley code all check the epoch at function entries and loop headers), the pooling
    /// allocator's memory slots and the store's limiter.
    pub fn new(kind: EngineKind, cfg: &HostConfig) -> Result<WasmEngine> {
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
        kind.configure(&mut config)?;
        let engine = Engine::new(&config)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("cannot create the wasmtime engine {}", kind.describe()))?;
        let mut linker: Linker<HostState> = Linker::new(&engine);
        // The async WASI host: a guest blocked in a host call (a `poll_oneoff` sleep) is a
        // suspended future that the call's deadline can drop; see `wasm::drive`.
        wasmtime_wasi::p1::add_to_linker_async(&mut linker, |s: &mut HostState| &mut s.wasi)
            .map_err(anyhow::Error::from)
            .context("cannot add WASI preview 1 to the linker")?;
        add_bench_markers(&mut linker)?;
        let cache = ModuleCache::open(&cfg.cache_dir, &engine, kind.name())?;
        let stop = Arc::new(AtomicBool::new(false));
        spawn_ticker(engine.clone(), stop.clone())?;
        Ok(WasmEngine {
            kind,
            engine,
            linker,
            cache,
            limits: cfg.limits,
            stop,
        })
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
}

impl Drop for WasmEngine {
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
