//! The runtimes that execute one call of a function: `wasm` (warm: cached, pre-instantiated),
//! `wasm-cold` (compile per call), `wasm-simd128` (warm, the module built with `simd128`),
//! `native` (spawn the host build per call), and the same warm and cold wasm on wasmtime's other
//! engines (`wasm-opt-none`, `wasm-opt-size`, `wasm-winch`, `wasm-pulley`, each with a `-cold`
//! twin), and the runtimes a config defines by a command template (`[[runtime]]`: a process
//! per call, measured as `native` is), behind [`Runtime`].
//! Every call is bounded (timeout, memory cap, output cap) and every failure is a [`CallError`]
//! inside the [`CallOutcome`], never a panic of the host.

use crate::clock::CpuTime;
use crate::energy::{EnergySource, Reading};
use crate::suite::Build;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Which runtime runs a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum RuntimeKind {
    /// Warm wasm: each call instantiates the module from a cached pre-instantiation.
    #[serde(rename = "wasm")]
    Wasm,
    /// Cold wasm: the module compiled and instantiated afresh for every call.
    #[serde(rename = "wasm-cold")]
    WasmCold,
    /// The function's host build, spawned as a child process per call.
    #[serde(rename = "native")]
    Native,
    /// Warm wasm, as `wasm`, running the function's build with the `simd128` target feature.
    #[serde(rename = "wasm-simd128")]
    WasmSimd128,
    /// Warm wasm compiled by Cranelift at opt level `none`.
    #[serde(rename = "wasm-opt-none")]
    WasmOptNone,
    /// Cold wasm compiled by Cranelift at opt level `none`.
    #[serde(rename = "wasm-opt-none-cold")]
    WasmOptNoneCold,
    /// Warm wasm compiled by Cranelift at opt level `speed-and-size`.
    #[serde(rename = "wasm-opt-size")]
    WasmOptSize,
    /// Cold wasm compiled by Cranelift at opt level `speed-and-size`.
    #[serde(rename = "wasm-opt-size-cold")]
    WasmOptSizeCold,
    /// Warm wasm compiled by Winch, wasmtime's baseline compiler (x86_64 only).
    #[serde(rename = "wasm-winch")]
    WasmWinch,
    /// Cold wasm compiled by Winch.
    #[serde(rename = "wasm-winch-cold")]
    WasmWinchCold,
    /// Warm wasm run by Pulley, wasmtime's interpreter (Cranelift compiles to its bytecode).
    #[serde(rename = "wasm-pulley")]
    WasmPulley,
    /// Cold wasm run by Pulley.
    #[serde(rename = "wasm-pulley-cold")]
    WasmPulleyCold,
    /// A runtime defined by a command template (`[[runtime]]`): a process per call.
    #[serde(untagged)]
    Command(command::CommandRef),
}

impl RuntimeKind {
    /// Every runtime, in the order `wasm`, `wasm-cold`, `native`, `wasm-simd128`, then the other
    /// engines' (each warm, then cold).
    pub const ALL: [RuntimeKind; 12] = [
        RuntimeKind::Wasm,
        RuntimeKind::WasmCold,
        RuntimeKind::Native,
        RuntimeKind::WasmSimd128,
        RuntimeKind::WasmOptNone,
        RuntimeKind::WasmOptNoneCold,
        RuntimeKind::WasmOptSize,
        RuntimeKind::WasmOptSizeCold,
        RuntimeKind::WasmWinch,
        RuntimeKind::WasmWinchCold,
        RuntimeKind::WasmPulley,
        RuntimeKind::WasmPulleyCold,
    ];

    /// The runtime's name as configs and records spell it (`wasm`, `wasm-cold`, `native`,
    /// `wasm-simd128`, `wasm-winch`, ...).
    pub fn as_str(self) -> &'static str {
        use crate::results::call;
        match self {
            RuntimeKind::Wasm => call::WASM,
            RuntimeKind::WasmCold => call::WASM_COLD,
            RuntimeKind::Native => call::NATIVE,
            RuntimeKind::WasmSimd128 => call::WASM_SIMD128,
            RuntimeKind::WasmOptNone => call::WASM_OPT_NONE,
            RuntimeKind::WasmOptNoneCold => call::WASM_OPT_NONE_COLD,
            RuntimeKind::WasmOptSize => call::WASM_OPT_SIZE,
            RuntimeKind::WasmOptSizeCold => call::WASM_OPT_SIZE_COLD,
            RuntimeKind::WasmWinch => call::WASM_WINCH,
            RuntimeKind::WasmWinchCold => call::WASM_WINCH_COLD,
            RuntimeKind::WasmPulley => call::WASM_PULLEY,
            RuntimeKind::WasmPulleyCold => call::WASM_PULLEY_COLD,
            RuntimeKind::Command(c) => c.name(),
        }
    }

    /// The engine that compiles and runs the runtime's module; `None` for `native`.
    pub fn engine(self) -> Option<EngineKind> {
        Some(match self {
            RuntimeKind::Native | RuntimeKind::Command(_) => return None,
            RuntimeKind::Wasm | RuntimeKind::WasmCold | RuntimeKind::WasmSimd128 => EngineKind::Cranelift,
            RuntimeKind::WasmOptNone | RuntimeKind::WasmOptNoneCold => EngineKind::CraneliftOptNone,
            RuntimeKind::WasmOptSize | RuntimeKind::WasmOptSizeCold => EngineKind::CraneliftOptSize,
            RuntimeKind::WasmWinch | RuntimeKind::WasmWinchCold => EngineKind::Winch,
            RuntimeKind::WasmPulley | RuntimeKind::WasmPulleyCold => EngineKind::Pulley,
        })
    }

    /// Whether each call compiles the module afresh (`wasm-cold` and the other `-cold`s).
    pub fn is_cold(self) -> bool {
        matches!(
            self,
            RuntimeKind::WasmCold
                | RuntimeKind::WasmOptNoneCold
                | RuntimeKind::WasmOptSizeCold
                | RuntimeKind::WasmWinchCold
                | RuntimeKind::WasmPulleyCold
        )
    }

    /// Why the runtime cannot run on this machine, and the fix; `None` when it can.
    pub fn unsupported_here(self) -> Option<(String, String)> {
        let (why, fix) = self.engine()?.unsupported_here()?;
        Some((format!("runtime '{self}' cannot run here: {why}"), fix))
    }

    /// Every built-in runtime's name for a message, each between `quote`s, the last after `conj`:
    /// `names("", "or")` is `wasm, wasm-cold, native or wasm-simd128`.
    pub fn names(quote: &str, conj: &str) -> String {
        let names: Vec<String> = Self::ALL.iter().map(|k| format!("{quote}{k}{quote}")).collect();
        match names.split_last() {
            Some((last, rest)) => format!("{} {conj} {last}", rest.join(", ")),
            None => String::new(),
        }
    }

    /// The build the runtime runs: `wasm-simd128` the module built with `simd128`, `native` the
    /// host program, a command runtime the one its template names, every other runtime the
    /// plain module.
    pub fn build(self) -> Build {
        match self {
            RuntimeKind::WasmSimd128 => Build::WasmSimd128,
            RuntimeKind::Native => Build::Native,
            RuntimeKind::Command(c) if !c.spec().runs_wasm() => Build::Native,
            _ => Build::Wasm,
        }
    }

    /// The definition of a runtime defined by a command template; `None` for a built-in one.
    pub fn command(self) -> Option<&'static crate::suite::runtimes::CommandSpec> {
        match self {
            RuntimeKind::Command(c) => Some(c.spec()),
            _ => None,
        }
    }

    /// The built-in runtime of that name; `None` for any other text.
    pub fn parse(s: &str) -> Option<RuntimeKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the call runs WebAssembly (every runtime but `native`).
    pub fn is_wasm(self) -> bool {
        self.build().is_wasm()
    }
}

impl fmt::Display for RuntimeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Bounds on one call.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Limits {
    /// Wall-clock limit of one call (default 10 s).
    pub timeout: Duration,
    /// Wasm: the most linear memory a call may grow to, bytes (default 512 MiB).
    pub memory_bytes: u64,
    /// The most stdout a call may write, bytes (default 16 MiB).
    pub output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(10),
            memory_bytes: 512 << 20,
            output_bytes: 16 << 20,
        }
    }
}

/// What one call gets: stdin, arguments, environment, read-only preopened directories.
#[derive(Clone, Default)]
pub struct CallInput {
    /// Bytes given to the call on stdin (for the suite, the input n as text).
    pub stdin: Vec<u8>,
    /// Command-line arguments, after the program name.
    pub args: Vec<String>,
    /// Environment variables (name, value) given to the call; Nebula's own are not inherited.
    pub env: Vec<(String, String)>,
    /// Directories the guest may open (wasm preopens; a native program gets the host path).
    pub dirs: Vec<Preopen>,
    /// Pass the guest's stderr straight to this process's stderr (`nebula invoke`) instead of
    /// capturing it; `stderr_tail` is then empty.
    pub inherit_stderr: bool,
    /// When set, the wasm host reads this source at the kernel markers.
    pub probe: Option<Arc<dyn EnergySource>>,
}

/// A host directory a wasm guest sees at `guest`: read-only unless `writable`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preopen {
    /// The directory on the host.
    pub host: PathBuf,
    /// Where the guest sees it, e.g. `/data`.
    pub guest: String,
    /// The guest may create, write and remove files in it.
    pub writable: bool,
}

impl Preopen {
    /// A read-only preopen.
    pub fn read_only(host: impl Into<PathBuf>, guest: impl Into<String>) -> Preopen {
        Preopen {
            host: host.into(),
            guest: guest.into(),
            writable: false,
        }
    }

    /// `HOST::GUEST` (read-only) or `HOST::GUEST::rw` (read-write), as `--dir` and a
    /// function's `dirs` write them.
    pub fn parse(s: &str) -> Result<Preopen, String> {
        let pair = |spec: &str| match spec.split_once("::") {
            Some((h, g)) if !h.is_empty() && !g.is_empty() => Some((PathBuf::from(h), g.to_string())),
            _ => None,
        };
        // `::rw` / `::ro` are flags only where a HOST::GUEST remains before them: `data::rw`
        // is the host folder `data` seen as `rw`.
        let flagged = [("::rw", true), ("::ro", false)]
            .into_iter()
            .find_map(|(suffix, writable)| {
                let (host, guest) = pair(s.strip_suffix(suffix)?)?;
                Some(Preopen {
                    host,
                    guest,
                    writable,
                })
            });
        flagged
            .or_else(|| pair(s).map(|(host, guest)| Preopen { host, guest, writable: false }))
            .ok_or_else(|| {
                format!("'{s}' is not HOST::GUEST (e.g. ./data::/data), or HOST::GUEST::rw for a read-write directory")
            })
    }
}

/// The phases of one call's wall time. Absent phases are `None`, never zero.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Phases {
    /// Compiling the module (wasm-cold) or loading it from the cache (first warm call only).
    pub compile: Option<Duration>,
    /// Wasm: creating the store, WASI context and instance.
    pub instantiate: Option<Duration>,
    /// Wasm: running `_start`.
    pub execute: Option<Duration>,
    /// Native: fork/exec until the child was reaped.
    pub spawn_to_exit: Option<Duration>,
    /// Wasm: dropping the store after the guest returned (the instance's memory slot reset
    /// for the next call). Part of the call's wall time, after `execute`.
    pub teardown: Option<Duration>,
}

/// The span between the guest's `bench.start` and `bench.end` markers.
#[derive(Debug, Clone)]
pub struct Kernel {
    /// From the start of the call to `bench.start`.
    pub offset: Duration,
    /// Wall time from `bench.start` to `bench.end`.
    pub duration: Duration,
    /// CPU time of the guest thread over the kernel, where known.
    pub cpu: Option<Duration>,
    /// Readings of the call's energy probe at the two markers (wasm only).
    pub readings: Option<(Reading, Reading)>,
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "message", rename_all = "kebab-case")]
pub enum CallError {
    /// The guest trapped (unreachable, out-of-bounds, stack overflow, ...).
    Trap(String),
    /// The call ran past its wall-clock limit and was interrupted or killed.
    Timeout(Duration),
    /// The guest tried to grow memory past the cap.
    MemoryLimit(u64),
    /// The guest wrote more output than the cap.
    OutputLimit(usize),
    /// The guest exited with a non-zero status.
    Exit(i32),
    /// The native child died from a signal.
    Signal(i32),
    /// The module or binary could not be loaded, linked or started.
    Load(String),
}

impl CallError {
    /// A short stable name for CSV columns, metrics labels and HTTP mapping.
    pub fn kind(&self) -> &'static str {
        match self {
            CallError::Trap(_) => "trap",
            CallError::Timeout(_) => "timeout",
            CallError::MemoryLimit(_) => "memory-limit",
            CallError::OutputLimit(_) => "output-limit",
            CallError::Exit(_) => "exit",
            CallError::Signal(_) => "signal",
            CallError::Load(_) => "load",
        }
    }

    /// The exit status a command that runs one call reports for it (`nebula invoke`), as shells
    /// and `timeout(1)` do: the guest's own status for an exit, 128 + the signal for a native
    /// process killed by one, 134 for a trap (what `wasmtime run` reports), 124 for a timeout,
    /// 125 for a memory or output limit, 126 for a module or program that could not be loaded.
    pub fn exit_status(&self) -> u8 {
        match self {
            CallError::Exit(c) => u8::try_from(*c & 0xff).unwrap_or(1).max(1),
            CallError::Signal(s) => u8::try_from(128 + (*s & 0x7f)).unwrap_or(255),
            CallError::Trap(_) => TRAP_STATUS,
            CallError::Timeout(_) => TIMEOUT_STATUS,
            CallError::MemoryLimit(_) | CallError::OutputLimit(_) => LIMIT_STATUS,
            CallError::Load(_) => LOAD_STATUS,
        }
    }
}

/// Exit status for a trapped call: 128 + SIGABRT, as `wasmtime run` reports a trap.
pub const TRAP_STATUS: u8 = 134;
/// Exit status for a call stopped at its timeout, as `timeout(1)` reports one.
pub const TIMEOUT_STATUS: u8 = 124;
/// Exit status for a call stopped at its memory or output cap.
pub const LIMIT_STATUS: u8 = 125;
/// Exit status for a module or program that could not be loaded, linked or started.
pub const LOAD_STATUS: u8 = 126;

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Trap(m) => write!(f, "guest trapped: {m}"),
            CallError::Timeout(d) => write!(f, "call exceeded its timeout of {d:?}"),
            CallError::MemoryLimit(b) => write!(f, "guest exceeded the memory cap of {b} bytes"),
            CallError::OutputLimit(b) => write!(f, "guest wrote more than the output cap of {b} bytes"),
            CallError::Exit(c) => write!(f, "guest exited with status {c}"),
            CallError::Signal(s) => write!(f, "native process killed by signal {s}"),
            CallError::Load(m) => write!(f, "{m}"),
        }
    }
}

/// Everything one call measured.
#[derive(Debug, Clone)]
pub struct CallOutcome {
    /// The runtime that ran the call.
    pub runtime: RuntimeKind,
    /// Wall time of the whole call (every phase; native: spawn to reap).
    pub wall: Duration,
    /// The call's wall time by phase.
    pub phases: Phases,
    /// The marked kernel; `None` when the guest has no markers or they were not both seen in order.
    pub kernel: Option<Kernel>,
    /// User and system CPU time of the call (the calling thread's for wasm, the child's for
    /// native).
    pub cpu: CpuTime,
    /// Wasm: the largest linear memory size; native: max RSS.
    pub peak_memory_bytes: u64,
    /// The guest's exit status; `None` when it did not exit (trap, timeout, signal).
    pub exit_code: Option<i32>,
    /// What the guest wrote to stdout (a call over the output cap fails with `output-limit`).
    pub stdout: Vec<u8>,
    /// The last few KiB of stderr, for error messages.
    pub stderr_tail: Vec<u8>,
    /// Why the call failed; `None` when it succeeded.
    pub error: Option<CallError>,
}

impl CallOutcome {
    /// Whether the call succeeded (no [`CallError`]).
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }

    /// Hex SHA-256 of stdout.
    pub fn digest(&self) -> String {
        crate::digest::sha256_hex(&self.stdout)
    }
}

/// A runtime able to run a prepared function.
pub trait Runtime: Send + Sync {
    /// Which runtime this is.
    fn kind(&self) -> RuntimeKind;
    /// Runs one call with `input`; every failure is in the outcome's `error`, never a panic.
    fn call(&self, input: &CallInput) -> CallOutcome;
}

pub mod cache;
pub mod command;
mod drive;
pub mod engine;
pub mod input;
pub mod native;
pub mod null;
pub mod record;
pub mod scan;
pub mod store;
pub mod strip;
pub mod wasm;

pub use engine::{EngineKind, HostConfig, WasmEngine, WasmHost};
pub use input::input_for;
pub use native::NativeFunction;
pub use wasm::{ColdFunction, WasmFunction};

/// A compile or validation error, explained. A module whose declared minimum memory is larger
/// than the per-call memory cap is valid: wasmtime refuses it because it does not fit the
/// instance pool sized from the cap, and the error says to raise the cap.
pub(crate) fn describe_compile_error(e: anyhow::Error) -> anyhow::Error {
    let msg = format!("{e:#}");
    if let Some(need) = memory_over_cap(&msg) {
        return anyhow::anyhow!(
            "the module needs {need} of linear memory to start (its declared minimum), more than \
             the per-call memory cap allows. Fix: raise the cap: `memory` in the config (e.g. \
             --set memory=\"2GiB\") or `--memory` on the command line"
        );
    }
    anyhow::anyhow!(
        "not a valid WebAssembly module ({}): Nebula runs WASI preview-1 command modules (.wasm built for wasm32-wasip1)",
        one_line(&msg, 300)
    )
}

/// `msg` on one line (wasmtime spreads some messages, such as the expected magic bytes, over
/// several), at most about `max` bytes.
fn one_line(msg: &str, max: usize) -> String {
    let mut out = msg.split_whitespace().collect::<Vec<_>>().join(" ");
    if out.len() > max {
        let cut = (0..=max).rev().find(|i| out.is_char_boundary(*i)).unwrap_or(0);
        out.truncate(cut);
        out.push_str(" ...");
    }
    if out.is_empty() {
        "unknown error".into()
    } else {
        out
    }
}

/// When `msg` (a wasmtime error chain) says the module's memory does not fit the pooling
/// allocator, the module's minimum memory as text ("1250.0 MiB (1310720000 bytes)"), or "more".
pub(crate) fn memory_over_cap(msg: &str) -> Option<String> {
    // Tables have pool limits too ("minimum element size"), fixed and not the memory cap's.
    if !msg.contains("memory does not fit in pooling allocator requirements") {
        return None;
    }
    let need = msg
        .split_once("memory has a minimum byte size of ")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .and_then(|n| n.parse::<u64>().ok());
    Some(match need {
        Some(n) => format!("{:.1} MiB ({n} bytes)", n as f64 / 1048576.0),
        None => "more".into(),
    })
}

/// A link error (an import Nebula does not provide), explained.
pub(crate) fn describe_link_error(e: anyhow::Error) -> anyhow::Error {
    let msg = format!("{e:#}");
    let first = msg.lines().next().unwrap_or("unknown error");
    anyhow::anyhow!(
        "the module cannot be linked: {first}. Nebula provides only `wasi_snapshot_preview1` and `bench.start`/`bench.end` (no parameters, no results)"
    )
}

/// Load `path` for `kind`: the runtime that will run its calls.
pub fn prepare(
    kind: RuntimeKind,
    host: &Arc<WasmHost>,
    name: &str,
    path: &std::path::Path,
) -> anyhow::Result<Box<dyn Runtime>> {
    if kind == RuntimeKind::Native {
        return Ok(Box::new(NativeFunction::new(path, host.limits)?));
    }
    if let RuntimeKind::Command(c) = kind {
        return Ok(Box::new(command::CommandFunction::new(c, path, host.limits)?));
    }
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the module {}: check the path", path.display()))?;
    prepare_wasm(kind, host, name, &bytes)
}

/// The module `bytes` ready for `kind`'s calls, on `kind`'s engine: warm (cached and
/// pre-instantiated) or cold (compiled per call). `kind` must be a wasm runtime.
pub fn prepare_wasm(
    kind: RuntimeKind,
    host: &Arc<WasmHost>,
    name: &str,
    bytes: &[u8],
) -> anyhow::Result<Box<dyn Runtime>> {
    let Some(engine) = kind.engine() else {
        anyhow::bail!("'{kind}' does not run a wasm module: use a wasm runtime such as \"wasm\"");
    };
    let engine = host.engine(engine)?;
    Ok(if kind.is_cold() {
        Box::new(ColdFunction::from_bytes(engine, name, bytes)?.running_as(kind))
    } else {
        Box::new(WasmFunction::from_bytes(engine, name, bytes)?.running_as(kind))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_memory_over_the_cap_is_blamed_on_the_cap() {
        let memory = "module memory does not fit in pooling allocator requirements: memory index 0 is \
                      unsupported in this pooling allocator configuration: memory has a minimum byte \
                      size of 1310720000 which exceeds the limit of 0x20010000 bytes";
        assert_eq!(
            memory_over_cap(memory).as_deref(),
            Some("1250.0 MiB (1310720000 bytes)")
        );
        let e = format!("{}", describe_compile_error(anyhow::anyhow!("{memory}")));
        assert!(e.contains("raise the cap") && !e.contains("not a valid"), "{e}");
        let table = "module table does not fit in pooling allocator requirements: table index 0 has a \
                     minimum element size of 50000000 which exceeds the limit of 20000 elements";
        assert_eq!(memory_over_cap(table), None);
        let e = format!("{}", describe_compile_error(anyhow::anyhow!("{table}")));
        assert!(e.starts_with("not a valid WebAssembly module"), "{e}");
    }

    #[test]
    fn a_message_over_several_lines_is_kept_whole_on_one() {
        let magic = "failed to parse WebAssembly module: bad magic number - expected=[\n    0x0,\n    0x61,\n    0x73,\n    0x6d,\n] actual=[\n    0x23,\n] (at offset 0x0)";
        let e = format!("{}", describe_compile_error(anyhow::anyhow!("{magic}")));
        assert!(
            e.contains("expected=[ 0x0, 0x61, 0x73, 0x6d, ] actual=[ 0x23, ] (at offset 0x0)"),
            "{e}"
        );
        let long = one_line(&"x".repeat(1000), 300);
        assert_eq!(long.len(), 304, "{long}");
        assert!(long.ends_with(" ..."));
        assert_eq!(one_line(" \n ", 300), "unknown error");
    }
}
