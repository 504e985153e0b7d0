//! The per-call record: one row of `calls.csv`, written by the orchestrator and the server alike
//! and read back by `nebula plot`, `report` and `compare`. Units are in the column names;
//! absent values are empty cells (NaN in pandas, NA in R), never zeros.

use crate::energy::{Quality, Split};
use crate::units::ns;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The built-in runtimes' names, as records spell them.
pub const WASM: &str = "wasm";
/// `wasm-cold`: the module compiled and instantiated afresh for every call.
pub const WASM_COLD: &str = "wasm-cold";
/// `native`: the function built for the host, one child process per call.
pub const NATIVE: &str = "native";
/// `wasm-simd128`: warm wasm running the suite's build with the `simd128` target feature.
pub const WASM_SIMD128: &str = "wasm-simd128";
/// `wasm-opt-none`: warm wasm compiled by Cranelift at opt level `none`.
pub const WASM_OPT_NONE: &str = "wasm-opt-none";
/// `wasm-opt-none-cold`: cold wasm compiled by Cranelift at opt level `none`.
pub const WASM_OPT_NONE_COLD: &str = "wasm-opt-none-cold";
/// `wasm-opt-size`: warm wasm compiled by Cranelift at opt level `speed-and-size`.
pub const WASM_OPT_SIZE: &str = "wasm-opt-size";
/// `wasm-opt-size-cold`: cold wasm compiled by Cranelift at opt level `speed-and-size`.
pub const WASM_OPT_SIZE_COLD: &str = "wasm-opt-size-cold";
/// `wasm-winch`: warm wasm compiled by Winch, wasmtime's baseline compiler.
pub const WASM_WINCH: &str = "wasm-winch";
/// `wasm-winch-cold`: cold wasm compiled by Winch.
pub const WASM_WINCH_COLD: &str = "wasm-winch-cold";
/// `wasm-pulley`: warm wasm run by Pulley, wasmtime's interpreter.
pub const WASM_PULLEY: &str = "wasm-pulley";
/// `wasm-pulley-cold`: cold wasm run by Pulley.
pub const WASM_PULLEY_COLD: &str = "wasm-pulley-cold";
/// The runtimes a config that names none runs.
pub const DEFAULT_RUNTIMES: [&str; 2] = [WASM, NATIVE];

/// A runtime's name in a record (`wasm`, `wasm-cold`, `native`, or a runtime a config names):
/// open text, checked against the run's runtimes where a run folder is read
/// ([`RuntimeName::check`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RuntimeName(String);

impl RuntimeName {
    /// A runtime's name as given, not yet checked against a run's runtimes.
    pub fn new(name: impl Into<String>) -> RuntimeName {
        RuntimeName(name.into())
    }

    /// The name as records spell it, e.g. `wasm-cold`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// This name, when it is one of `runtimes` (the run's); else a message naming both.
    pub fn check(&self, runtimes: &[String]) -> Result<(), String> {
        if runtimes.iter().any(|r| r == &self.0) {
            return Ok(());
        }
        Err(format!(
            "runtime `{}` is not one of the run's runtimes ({})",
            self.0,
            runtimes.join(", ")
        ))
    }
}

impl fmt::Display for RuntimeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for RuntimeName {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for RuntimeName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for RuntimeName {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl From<&str> for RuntimeName {
    fn from(s: &str) -> RuntimeName {
        RuntimeName(s.to_string())
    }
}

/// Where a call's energy figure comes from: a hardware counter, a model, or nowhere (the source
/// failed to read in the call's window). The `energy_label` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EnergyLabel {
    /// Read from a hardware energy counter (`powercap` or `perf`).
    Measured,
    /// Estimated by the CPU-time model (`energy_source` `model`).
    Estimated,
    /// No energy figure: the source failed to read over the window, its counters did not move, or
    /// one was reset.
    Unavailable,
}

impl EnergyLabel {
    /// The label as the `energy_label` column spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            EnergyLabel::Measured => "measured",
            EnergyLabel::Estimated => "estimated",
            EnergyLabel::Unavailable => "unavailable",
        }
    }
}

impl From<Quality> for EnergyLabel {
    fn from(q: Quality) -> EnergyLabel {
        match q {
            Quality::Measured => EnergyLabel::Measured,
            Quality::Estimated => EnergyLabel::Estimated,
        }
    }
}

impl std::str::FromStr for EnergyLabel {
    type Err = String;
    fn from_str(s: &str) -> Result<EnergyLabel, String> {
        [
            EnergyLabel::Measured,
            EnergyLabel::Estimated,
            EnergyLabel::Unavailable,
        ]
        .into_iter()
        .find(|l| l.as_str() == s)
        .ok_or_else(|| format!("`{s}` is not an energy label (measured, estimated, unavailable)"))
    }
}

impl fmt::Display for EnergyLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text of an optional label: empty when there is none, as the CSV cell is.
pub fn label_str(label: Option<EnergyLabel>) -> &'static str {
    label.map_or("", EnergyLabel::as_str)
}

/// One call, flattened for CSV and JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CallRow {
    /// The run id `<name>-<YYYYMMDD-HHMMSS>-<6 hex>` (the run folder's name).
    pub run_id: String,
    /// `function/input/runtime/cN`.
    pub cell: String,
    /// The suite function (or uploaded module) called.
    pub function: String,
    /// `wasm`, `wasm-cold`, `native` or a runtime the config names.
    pub runtime: RuntimeName,
    /// The input given on stdin (for the suite, a decimal n).
    pub input: String,
    /// Calls in flight in the cell (worker threads for wasm, child processes for native).
    pub concurrency: u32,
    /// The repetition round (0-based) the call's window belongs to.
    pub repetition: u32,
    /// Which of the `concurrency` workers made the call (0-based).
    pub worker: u32,
    /// Wall-clock start, nanoseconds since the Unix epoch.
    pub start_unix_ns: u64,
    /// Wall time of the call (CLOCK_MONOTONIC), nanoseconds: every phase for wasm, spawn to reap
    /// for native, the client's request latency in HTTP runs.
    pub wall_ns: u64,
    /// `wasm-cold` only: compiling the module from its bytes, nanoseconds.
    pub compile_ns: Option<u64>,
    /// Wasm: creating the store, WASI context and instance, nanoseconds.
    pub instantiate_ns: Option<u64>,
    /// Wasm: running `_start`, nanoseconds.
    pub execute_ns: Option<u64>,
    /// Wasm: store teardown after the guest returned (resetting its memory slot).
    #[serde(default)]
    pub teardown_ns: Option<u64>,
    /// Native: from spawning the process to reaping it with `wait4`, nanoseconds.
    pub spawn_to_exit_ns: Option<u64>,
    /// The marked compute kernel (`bench.start` to `bench.end`), nanoseconds; `None` for modules
    /// without markers.
    pub kernel_ns: Option<u64>,
    /// User CPU time of the call, nanoseconds (the calling thread's for wasm, the child's for
    /// native).
    pub cpu_user_ns: u64,
    /// System CPU time of the call, nanoseconds; for calls shorter than a few ms only its sum with
    /// `cpu_user_ns` is exact.
    pub cpu_system_ns: u64,
    /// Peak memory, bytes: the instance's linear memory for wasm, the guest's VmHWM (peak resident
    /// set) for native.
    pub peak_memory_bytes: u64,
    /// Energy of this call: the window's energy divided by its calls, or attributed by CPU share.
    pub energy_gross_j: Option<f64>,
    /// Gross minus the idle baseline over the call's share of the window.
    pub energy_net_j: Option<f64>,
    /// Energy of the marked kernel, where the source resolves it.
    pub kernel_energy_j: Option<f64>,
    /// `powercap`, `perf` or `model`.
    pub energy_source: String,
    /// `measured`, `estimated` or `unavailable`; empty before the call's window is attributed.
    pub energy_label: Option<EnergyLabel>,
    /// How the window's energy reached this call: `direct`, `mean` (divided among sequential
    /// calls) or `cpu-share` (attributed by CPU time under concurrency).
    pub energy_split: Option<Split>,
    /// Domains summed, e.g. `package-0+dram-0`.
    pub energy_domains: String,
    /// The measurement window (a row of `windows.csv`); unique within the run.
    pub window_id: u64,
    /// Calls in that window (1 when the call was alone in it).
    pub calls_in_window: u32,
    /// The guest's exit status; `None` when it did not exit (trap, timeout, signal).
    pub exit_code: Option<i32>,
    /// HTTP experiments: the server's own wall time for the call (`wall_ns` is the client's).
    pub server_wall_ns: Option<u64>,
    /// Size of the call's stdout, bytes (HTTP: of the response body).
    pub output_bytes: u64,
    /// Hex SHA-256 of stdout.
    pub output_digest: String,
    /// The call succeeded and its output matched the reference.
    pub ok: bool,
    /// Empty when ok, else the error kind (`trap`, `timeout`, `digest-mismatch`, ...).
    pub error_kind: String,
    /// The error message, with the guest's last stderr line; empty when ok.
    pub error: String,
    /// The machine that made the call (a stable host id, see `metadata::machine_id`); empty
    /// in older runs.
    #[serde(default)]
    pub machine: String,
}

/// Where a call sits in a run: what the outcome alone does not know.
#[derive(Debug, Clone, Default)]
pub struct CallContext {
    /// The run id (or `serve-<timestamp>` for the server's calls).
    pub run_id: String,
    /// The function called.
    pub function: String,
    /// The input given on stdin, as the record shows it.
    pub input: String,
    /// Calls in flight in the cell (in the server: when this one started, itself included).
    pub concurrency: u32,
    /// The repetition round, 0-based (in the server: its call sequence number).
    pub repetition: u32,
    /// Which worker made the call (0-based; in the server, the 1-based call-pool thread).
    pub worker: u32,
    /// Wall-clock time the call started, nanoseconds since the Unix epoch.
    pub start_unix_ns: u64,
}

impl CallContext {
    /// `function/input/runtime/cN`.
    pub fn cell(&self, runtime: &RuntimeName) -> String {
        format!(
            "{}/{}/{}/c{}",
            self.function, self.input, runtime, self.concurrency
        )
    }
}

/// Nanoseconds since the Unix epoch, now.
pub fn unix_now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(ns)
        .unwrap_or(0)
}
