//! The per-call record: one row of `calls.csv`, written by the orchestrator and the server alike
//! and read back by `nebula plot`, `report` and `compare`. Units are in the column names;
//! absent values are empty cells (NaN in pandas, NA in R), never zeros.

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
    pub output_bytes: u64,
    /// Hex SHA-256 of stdout.
    pub output_digest: String,
    pub ok: bool,
    /// Empty when ok, else the error kind (`trap`, `timeout`, `digest-mismatch`, ...).
    pub error_kind: String,
    pub error: String,
}
