//! The wasm runtimes. `wasm` (warm): the module is loaded once (from the precompiled cache
//! when possible) and pre-instantiated; each call gets a fresh `Store`, WASI context and instance.
//! `wasm-simd128` is the same warm path over the module built with `simd128`.
//! `wasm-cold`: each call compiles the module from its bytes, as a FaaS cold start does.
//! The other engines' runtimes (`wasm-winch`, `wasm-pulley-cold`, ...) are the same two paths on
//! their own [`WasmEngine`].

use super::cache::{CacheStatus, Loaded};
use super::engine::{EngineKind, WasmEngine, WasmHost};
use super::store::{HostState, Stdio};
use super::{describe_compile_error, describe_link_error};
use super::{CallError, CallInput, CallOutcome, Phases, Runtime, RuntimeKind};
use crate::clock as cpu;
use crate::clock::CpuTime;
use anyhow::{Context, Result};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::{InstancePre, Module, Store, Trap};

/// Marks errors of instantiation (before any guest code ran) as load errors.
const LOAD_PREFIX: &str = "cannot instantiate the module";

/// What a function runs on: a [`WasmEngine`], or a [`WasmHost`] for its default engine (the
/// one `wasm` runs on).
pub trait IntoEngine {
    /// The engine; an error when it cannot be created.
    fn into_engine(self) -> Result<Arc<WasmEngine>>;
}

impl IntoEngine for Arc<WasmEngine> {
    fn into_engine(self) -> Result<Arc<WasmEngine>> {
        Ok(self)
    }
}

impl IntoEngine for Arc<WasmHost> {
    fn into_engine(self) -> Result<Arc<WasmEngine>> {
        self.engine(EngineKind::Cranelift)
    }
}

/// A module ready for warm calls.
pub struct WasmFunction {
    host: Arc<WasmEngine>,
    name: String,
    pre: InstancePre<HostState>,
    kind: RuntimeKind,
    /// Hex SHA-256 of the module's bytes.
    pub sha256: String,
    /// Whether the module came from the cache, and how long loading it took.
    pub cache: CacheStatus,
    /// How long loading (or compiling) the module took.
    pub load_time: Duration,
}

impl WasmFunction {
    /// Reads the module at `path` and prepares it for warm calls, via the cache.
    pub fn load(host: impl IntoEngine, name: &str, path: &Path) -> Result<WasmFunction> {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read the module {}: check the path", path.display()))?;
        Self::from_bytes(host, name, &bytes)
    }

    /// Prepares the module `bytes` for warm calls: loaded from the cache or compiled, then
    /// pre-instantiated.
    pub fn from_bytes(host: impl IntoEngine, name: &str, bytes: &[u8]) -> Result<WasmFunction> {
        let host = host.into_engine()?;
        let Loaded {
            module,
            status,
            took,
            sha256,
        } = host.cache.load_or_compile(&host.engine, bytes)?;
        let pre = host
            .linker
            .instantiate_pre(&module)
            .map_err(|e| describe_link_error(e.into()))?;
        Ok(WasmFunction {
            kind: warm_kind(host.kind),
            host,
            name: name.to_string(),
            pre,
            sha256,
            cache: status,
            load_time: took,
        })
    }

    /// The same warm function, its calls recorded as `kind`'s (`wasm-simd128` for the module
    /// built with `simd128`); a kind that is not warm wasm on this function's engine leaves it as
    /// it is.
    pub fn running_as(mut self, kind: RuntimeKind) -> WasmFunction {
        if kind.engine() == Some(self.host.kind) && !kind.is_cold() {
            self.kind = kind;
        }
        self
    }

    /// The engine the function runs on.
    pub fn engine(&self) -> &WasmEngine {
        &self.host
    }

    /// The function's name (the guest's program name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The compiled module (its imports and exports).
    pub fn module(&self) -> &Module {
        self.pre.module()
    }
}

impl Runtime for WasmFunction {
    fn kind(&self) -> RuntimeKind {
        self.kind
    }

    fn call(&self, input: &CallInput) -> CallOutcome {
        let t0 = Instant::now();
        let cpu0 = cpu::thread_mark();
        run(
            &self.host, &self.pre, &self.name, input, self.kind, None, t0, cpu0,
        )
    }
}

/// A module compiled afresh on every call.
pub struct ColdFunction {
    host: Arc<WasmEngine>,
    name: String,
    bytes: Arc<[u8]>,
    kind: RuntimeKind,
}

impl ColdFunction {
    /// Reads the module at `path` and validates it; each call compiles it afresh.
    pub fn load(host: impl IntoEngine, name: &str, path: &Path) -> Result<ColdFunction> {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read the module {}: check the path", path.display()))?;
        Self::from_bytes(host, name, &bytes)
    }

    /// A module given as bytes; each call compiles it afresh.
    pub fn from_bytes(host: impl IntoEngine, name: &str, bytes: &[u8]) -> Result<ColdFunction> {
        let host = host.into_engine()?;
        let bytes = bytes.to_vec();
        // Validate once up front so that a bad module is a load error, not N failed calls.
        Module::validate(&host.engine, &bytes).map_err(|e| describe_compile_error(e.into()))?;
        Ok(ColdFunction {
            kind: cold_kind(host.kind),
            host,
            name: name.to_string(),
            bytes: bytes.into(),
        })
    }

    /// The same cold function, its calls recorded as `kind`'s; a kind that is not cold wasm on
    /// this function's engine leaves it as it is.
    pub fn running_as(mut self, kind: RuntimeKind) -> ColdFunction {
        if kind.engine() == Some(self.host.kind) && kind.is_cold() {
            self.kind = kind;
        }
        self
    }
}

/// The warm runtime of an engine.
fn warm_kind(engine: EngineKind) -> RuntimeKind {
    match engine {
        EngineKind::Cranelift => RuntimeKind::Wasm,
        EngineKind::CraneliftOptNone => RuntimeKind::WasmOptNone,
        EngineKind::CraneliftOptSize => RuntimeKind::WasmOptSize,
        EngineKind::Winch => RuntimeKind::WasmWinch,
        EngineKind::Pulley => RuntimeKind::WasmPulley,
    }
}

/// The cold runtime of an engine.
fn cold_kind(engine: EngineKind) -> RuntimeKind {
    match engine {
        EngineKind::Cranelift => RuntimeKind::WasmCold,
        EngineKind::CraneliftOptNone => RuntimeKind::WasmOptNoneCold,
        EngineKind::CraneliftOptSize => RuntimeKind::WasmOptSizeCold,
        EngineKind::Winch => RuntimeKind::WasmWinchCold,
        EngineKind::Pulley => RuntimeKind::WasmPulleyCold,
    }
}

impl Runtime for ColdFunction {
    fn kind(&self) -> RuntimeKind {
        self.kind
    }

    fn call(&self, input: &CallInput) -> CallOutcome {
        let t0 = Instant::now();
        let cpu0 = cpu::thread_mark();
        let compiled = Module::new(&self.host.engine, &self.bytes)
            .map_err(|e| describe_compile_error(e.into()))
            .and_then(|m| {
                self.host
                    .linker
                    .instantiate_pre(&m)
                    .map_err(|e| describe_link_error(e.into()))
            });
        let compile = t0.elapsed();
        match compiled {
            Ok(pre) => run(
                &self.host,
                &pre,
                &self.name,
                input,
                self.kind,
                Some(compile),
                t0,
                cpu0,
            ),
            Err(e) => failed(self.kind, t0, CallError::Load(format!("{e:#}"))),
        }
    }
}

/// An outcome for a call that never ran.
pub(crate) fn failed(runtime: RuntimeKind, t0: Instant, error: CallError) -> CallOutcome {
    CallOutcome {
        runtime,
        wall: t0.elapsed(),
        phases: Phases::default(),
        kernel: None,
        cpu: CpuTime::default(),
        peak_memory_bytes: 0,
        exit_code: None,
        stdout: Vec::new(),
        stderr_tail: Vec::new(),
        error: Some(error),
    }
}

#[allow(clippy::too_many_arguments)]
fn run(
    host: &WasmEngine,
    pre: &InstancePre<HostState>,
    name: &str,
    input: &CallInput,
    runtime: RuntimeKind,
    compile: Option<Duration>,
    t0: Instant,
    cpu0: cpu::ThreadMark,
) -> CallOutcome {
    let limits = host.limits;
    let t_inst = Instant::now();
    let (state, stdio) = match HostState::new(input, name, limits.memory_bytes, limits.output_bytes) {
        Ok(s) => s,
        Err(e) => return failed(runtime, t0, CallError::Load(format!("{e:#}"))),
    };
    let mut store = Store::new(&host.engine, state);
    store.limiter(|s| &mut s.limiter);
    store.set_epoch_deadline(host.deadline_ticks());
    store.epoch_deadline_trap();
    // One clock reading ends a phase and starts the next; it is taken inside the future, which
    // a deadline may drop, so it lands in a cell. A guest held in a host call past the deadline
    // (a `poll_oneoff` sleep, which epoch interruption cannot reach) is unwound and its call is
    // a timeout, like a guest that ran wasm past it.
    let exec_start = std::cell::Cell::new(None);
    let result = super::drive::drive(t_inst + host.call_deadline(), async {
        let instance = pre
            .instantiate_async(&mut store)
            .await
            .map_err(|e| e.context(LOAD_PREFIX))?;
        exec_start.set(Some(Instant::now()));
        let start = instance.get_typed_func::<(), ()>(&mut store, "_start").map_err(|_| {
            wasmtime::format_err!(
                "{LOAD_PREFIX}: the module has no `_start` export: Nebula runs WASI command modules (a Rust `main` built for wasm32-wasip1)"
            )
        })?;
        start.call_async(&mut store, ()).await
    });
    let t_exec = exec_start.get();
    // Dropping the store frees the instance and resets its pooled memory slot: a cost of every
    // call, so it is inside the call's wall and CPU time (a phase of its own).
    let t_down = Instant::now();
    let (instantiate, execute) = match t_exec {
        Some(t) => (t - t_inst, Some(t_down - t)),
        None => (t_down - t_inst, None),
    };
    let data = store.into_data();
    let teardown = t_down.elapsed();
    // CPU time is read inside the wall interval at both ends, so that an interrupt between the
    // two readings cannot make a call's CPU time exceed its wall time; it is split into user
    // and system after the wall clock stops.
    let cpu = cpu0.stop();
    let wall = t0.elapsed();
    let cpu = cpu.split();
    let (exit_code, error) = classify(
        result,
        &data,
        &stdio,
        limits.memory_bytes,
        limits.output_bytes,
        limits.timeout,
    );
    let Stdio { stdout, stderr } = stdio;
    CallOutcome {
        runtime,
        wall,
        phases: Phases {
            compile,
            instantiate: Some(instantiate),
            execute,
            spawn_to_exit: None,
            teardown: Some(teardown),
        },
        kernel: data.markers.kernel(),
        cpu,
        peak_memory_bytes: data.limiter.peak_memory as u64,
        exit_code,
        stdout: {
            let out = stdout.contents();
            out[..out.len().min(limits.output_bytes)].to_vec()
        },
        stderr_tail: tail(&stderr.contents(), 4096),
        error,
    }
}

fn tail(b: &[u8], n: usize) -> Vec<u8> {
    b[b.len().saturating_sub(n)..].to_vec()
}

/// Turn the result of `_start` into an exit code and an error kind.
fn classify(
    result: wasmtime::Result<()>,
    data: &HostState,
    stdio: &Stdio,
    memory_cap: u64,
    output_cap: usize,
    timeout: Duration,
) -> (Option<i32>, Option<CallError>) {
    // A guest whose output went over the cap (the pipe holds one byte more) had writes refused
    // (short writes, then errors), even if it went on to exit cleanly: its output is truncated.
    let full = stdio.stdout.contents().len() > output_cap;
    let e = match result {
        Ok(()) if full => return (Some(0), Some(CallError::OutputLimit(output_cap))),
        Ok(()) => return (Some(0), None),
        Err(e) => e,
    };
    let exit = e.downcast_ref::<wasmtime_wasi::I32Exit>().map(|x| x.0);
    if exit == Some(0) {
        return (Some(0), None);
    }
    let trap = e.downcast_ref::<Trap>().copied();
    // A guest that went on writing after its writes were refused ran into the timeout, but
    // what went wrong is its output.
    if trap == Some(Trap::Interrupt) && full {
        return (None, Some(CallError::OutputLimit(output_cap)));
    }
    if trap == Some(Trap::Interrupt) {
        return (None, Some(CallError::Timeout(timeout)));
    }
    // A refused grow explains the failure, whether the guest trapped on it or gave up with an
    // error exit (Rust's `try_reserve`, a C `malloc` returning NULL).
    if data.limiter.refused.is_some() {
        return (exit, Some(CallError::MemoryLimit(memory_cap)));
    }
    if let Some(c) = exit {
        return (Some(c), Some(CallError::Exit(c)));
    }
    let message = first_line(&e);
    if full || message.contains("beyond capacity") {
        return (None, Some(CallError::OutputLimit(output_cap)));
    }
    match trap {
        Some(t) => (None, Some(CallError::Trap(t.to_string()))),
        None if message.starts_with(LOAD_PREFIX) => (None, Some(CallError::Load(message))),
        None => (None, Some(CallError::Trap(message))),
    }
}

/// The outermost message and the root cause, without the wasm backtrace lines.
fn first_line(e: &wasmtime::Error) -> String {
    let top = e.to_string();
    let top = top.lines().next().unwrap_or("unknown error");
    let root = e.root_cause().to_string();
    if e.chain().count() > 1 && !top.starts_with("error while executing") {
        format!("{top}: {root}")
    } else if e.chain().count() > 1 {
        root
    } else {
        top.to_string()
    }
}
