//! The per-window record: one row of `windows.csv`, a window's energy in one domain with the
//! raw counter readings, the CPU steal and the load around it. `docs/columns.md` describes
//! every column.

use super::call::{EnergyLabel, RuntimeName};
use serde::{Deserialize, Serialize};

/// One row of `windows.csv`: a window's energy in one domain, with its raw readings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowRow {
    /// The run id (the run folder's name).
    pub run_id: String,
    /// The window, as `window_id` in `calls.csv`; a window measured on two domains has two rows.
    pub window_id: u64,
    /// `function/input/runtime/cN`: the cell the window measured.
    pub cell: String,
    /// The function called in the window.
    pub function: String,
    /// The runtime of the window's calls (`wasm`, `wasm-cold`, `native`, ...).
    pub runtime: RuntimeName,
    /// The input given on stdin to the window's calls.
    pub input: String,
    /// Calls in flight in the cell.
    pub concurrency: u32,
    /// The repetition round (0-based).
    pub repetition: u32,
    /// Wall-clock time the window opened, nanoseconds since the Unix epoch.
    pub start_unix_ns: u64,
    /// The window's length between its two energy readings, nanoseconds; 0 when the window has no
    /// energy figure (`unavailable`).
    pub duration_ns: u64,
    /// Calls in the window.
    pub calls: u32,
    /// Calls in the window that were ok.
    pub ok_calls: u32,
    /// The window's whole energy (all domains of the source).
    pub energy_j: Option<f64>,
    /// `powercap`, `perf` or `model`.
    pub energy_source: String,
    /// `measured`, `estimated` or `unavailable` (the source failed to read).
    pub energy_label: Option<EnergyLabel>,
    /// The run's idle baseline, watts (the same in every row of a run); `None` without a baseline.
    pub idle_watts: Option<f64>,
    /// This row's energy domain, e.g. `package-0`, `dram-0` or `cpu-model`.
    pub domain: String,
    /// The domain's raw counter at the window's start, in the source's units: µJ for powercap,
    /// event counts for perf, process CPU ns for the model.
    pub raw_start: Option<u64>,
    /// The domain's raw counter at the window's end, in the source's units.
    pub raw_end: Option<u64>,
    /// The domain's energy over the window, joules, wraparound corrected.
    pub domain_j: Option<f64>,
    /// The counter wrapped during the window (corrected with `max_energy_range_uj`).
    pub wrapped: bool,
    /// The window was long enough for the counter to wrap twice unseen: its energy is suspect.
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
    /// The machine that measured the window (a stable host id); empty in older runs.
    #[serde(default)]
    pub machine: String,
}
