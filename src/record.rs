//! The per-call record: one row of `calls.csv`, written by the orchestrator and the server alike
//! and read back by `nebula plot`, `report` and `compare`. Units are in the column names;
//! absent values are empty cells (NaN in pandas, NA in R), never zeros.

use crate::runtime::CallOutcome;
use crate::units::ns;
use serde::{Deserialize, Serialize};

/// One call, flattened for CSV and JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CallRow {
    pub run_id: String,
    /// `function/input/runtime/cN`.
    pub cell: String,
    pub function: String,
    /// `wasm`, `wasm-cold` or `native`.
    pub runtime: String,
    pub input: String,
    pub concurrency: u32,
    pub repetition: u32,
    pub worker: u32,
    /// Wall-clock start, nanoseconds since the Unix epoch.
    pub start_unix_ns: u64,
    pub wall_ns: u64,
    pub compile_ns: Option<u64>,
    pub instantiate_ns: Option<u64>,
    pub execute_ns: Option<u64>,
    /// Wasm: store teardown after the guest returned (resetting its memory slot).
    #[serde(default)]
    pub teardown_ns: Option<u64>,
    pub spawn_to_exit_ns: Option<u64>,
    pub kernel_ns: Option<u64>,
    pub cpu_user_ns: u64,
    pub cpu_system_ns: u64,
    pub peak_memory_bytes: u64,
    /// Energy of this call: the window's energy divided by its calls, or attributed by CPU share.
    pub energy_gross_j: Option<f64>,
    /// Gross minus the idle baseline over the call's share of the window.
    pub energy_net_j: Option<f64>,
    /// Energy of the marked kernel, where the source resolves it.
    pub kernel_energy_j: Option<f64>,
    /// `powercap`, `perf` or `model`.
    pub energy_source: String,
    /// `measured` or `estimated`.
    pub energy_label: String,
    /// How the window's energy reached this call: `direct`, `mean` (divided among sequential
    /// calls) or `cpu-share` (attributed by CPU time under concurrency).
    pub energy_split: String,
    /// Domains summed, e.g. `package-0+dram-0`.
    pub energy_domains: String,
    pub window_id: u64,
    pub calls_in_window: u32,
    pub exit_code: Option<i32>,
    /// HTTP experiments: the server's own wall time for the call (`wall_ns` is the client's).
    pub server_wall_ns: Option<u64>,
    pub output_bytes: u64,
    /// Hex SHA-256 of stdout.
    pub output_digest: String,
    pub ok: bool,
    /// Empty when ok, else the error kind (`trap`, `timeout`, `digest-mismatch`, ...).
    pub error_kind: String,
    pub error: String,
}

/// Where a call sits in a run: what the outcome alone does not know.
#[derive(Debug, Clone, Default)]
pub struct CallContext {
    pub run_id: String,
    pub function: String,
    pub input: String,
    pub concurrency: u32,
    pub repetition: u32,
    pub worker: u32,
    pub start_unix_ns: u64,
}

impl CallContext {
    /// `function/input/runtime/cN`.
    pub fn cell(&self, runtime: &str) -> String {
        format!(
            "{}/{}/{}/c{}",
            self.function, self.input, runtime, self.concurrency
        )
    }
}

impl CallRow {
    /// The time and outcome columns of a call; the energy columns are filled by the caller
    /// that measured the window (see `energy::window`).
    pub fn from_outcome(ctx: &CallContext, o: &CallOutcome) -> CallRow {
        let runtime = o.runtime.as_str().to_string();
        CallRow {
            run_id: ctx.run_id.clone(),
            cell: ctx.cell(&runtime),
            function: ctx.function.clone(),
            runtime,
            input: ctx.input.clone(),
            concurrency: ctx.concurrency,
            repetition: ctx.repetition,
            worker: ctx.worker,
            start_unix_ns: ctx.start_unix_ns,
            wall_ns: ns(o.wall),
            compile_ns: o.phases.compile.map(ns),
            instantiate_ns: o.phases.instantiate.map(ns),
            execute_ns: o.phases.execute.map(ns),
            teardown_ns: o.phases.teardown.map(ns),
            spawn_to_exit_ns: o.phases.spawn_to_exit.map(ns),
            kernel_ns: o.kernel.as_ref().map(|k| ns(k.duration)),
            cpu_user_ns: ns(o.cpu.user),
            cpu_system_ns: ns(o.cpu.system),
            peak_memory_bytes: o.peak_memory_bytes,
            exit_code: o.exit_code,
            output_bytes: o.stdout.len() as u64,
            output_digest: o.digest(),
            ok: o.ok(),
            error_kind: o.error.as_ref().map(|e| e.kind().to_string()).unwrap_or_default(),
            error: o
                .error
                .as_ref()
                .map(|e| error_text(e, &o.stderr_tail))
                .unwrap_or_default(),
            ..CallRow::default()
        }
    }
}

/// The error message, with the guest's last stderr line when it said something.
fn error_text(e: &crate::runtime::CallError, stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    match text.lines().rev().find(|l| !l.trim().is_empty()) {
        Some(line) => format!("{e}: {}", line.trim()),
        None => e.to_string(),
    }
}

/// Nanoseconds since the Unix epoch, now.
pub fn unix_now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(ns)
        .unwrap_or(0)
}
