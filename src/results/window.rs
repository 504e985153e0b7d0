//! The per-window record: one row of `windows.csv`, a window's energy in one domain with the
//! raw counter readings, the CPU steal and the load around it. `docs/columns.md` describes
//! every column.

use super::call::{EnergyLabel, RuntimeName};
use serde::{Deserialize, Serialize};

/// One row of `windows.csv`: a window's energy in one domain, with its raw readings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowRow {
    pub run_id: String,
    pub window_id: u64,
    pub cell: String,
    pub function: String,
    pub runtime: RuntimeName,
    pub input: String,
    pub concurrency: u32,
    pub repetition: u32,
    pub start_unix_ns: u64,
    pub duration_ns: u64,
    pub calls: u32,
    pub ok_calls: u32,
    /// The window's whole energy (all domains of the source).
    pub energy_j: Option<f64>,
    pub energy_source: String,
    /// `measured`, `estimated` or `unavailable` (the source failed to read).
    pub energy_label: Option<EnergyLabel>,
    pub idle_watts: Option<f64>,
    pub domain: String,
    pub raw_start: Option<u64>,
    pub raw_end: Option<u64>,
    pub domain_j: Option<f64>,
    pub wrapped: bool,
    pub missed_wrap_suspected: bool,
    /// Process CPU time (self + children) over the window.
    pub process_cpu_ns: u64,
    /// CPU steal over the window, all CPUs added up, in ms (measured by `experiment::contention`).
    #[serde(default)]
    pub steal_ms: Option<f64>,
    /// `steal_ms` divided by the window's wall time x CPUs.
    #[serde(default)]
    pub steal_fraction: Option<f64>,
    /// The 1-minute load average when the window opened.
    #[serde(default)]
    pub load_avg_1m: Option<f64>,
}
