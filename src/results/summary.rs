//! One row of `summary.csv`: a cell's (function, input, runtime, concurrency) statistics of
//! latency, kernel time, CPU time and energy, computed by `export::summary`.

use serde::{Deserialize, Serialize};

/// One row of `summary.csv`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// `function/input/runtime/cN`, as in `calls.csv`.
    pub cell: String,
    /// The suite function (or uploaded module) called.
    pub function: String,
    /// The runtime (`wasm`, `wasm-cold`, `native` or one the config names).
    pub runtime: String,
    /// The input given on stdin (for the suite, a decimal n).
    pub input: String,
    /// Calls in flight in the cell.
    pub concurrency: u32,
    /// Calls with `ok = true` (the sample size of the statistics).
    pub n: usize,
    /// Calls that failed (`ok = false`).
    pub errors: usize,
    /// Measurement windows with an energy value: the sample size of the energy statistics,
    /// which take one value per window (a window's energy is shared by its calls).
    #[serde(default)]
    pub energy_n: usize,
    /// Median wall time per call, nanoseconds.
    pub wall_median_ns: Option<f64>,
    /// Interquartile range of the wall time, nanoseconds.
    pub wall_iqr_ns: Option<f64>,
    /// 5th percentile (type 7) of the wall time, nanoseconds.
    pub wall_p5_ns: Option<f64>,
    /// 95th percentile (type 7) of the wall time, nanoseconds.
    pub wall_p95_ns: Option<f64>,
    /// Mean wall time, nanoseconds.
    pub wall_mean_ns: Option<f64>,
    /// Sample standard deviation of the wall time, nanoseconds; `None` with a single value.
    pub wall_sd_ns: Option<f64>,
    /// Bootstrap 95% interval of the median wall time, low end, nanoseconds; `None` with a single
    /// value.
    pub wall_ci_lo_ns: Option<f64>,
    /// Bootstrap 95% interval of the median wall time, high end, nanoseconds; `None` with a single
    /// value.
    pub wall_ci_hi_ns: Option<f64>,
    /// Median marked-kernel time per call (`kernel_ns`), nanoseconds.
    pub kernel_median_ns: Option<f64>,
    /// Interquartile range of the kernel time, nanoseconds.
    pub kernel_iqr_ns: Option<f64>,
    /// 5th percentile (type 7) of the kernel time, nanoseconds.
    pub kernel_p5_ns: Option<f64>,
    /// 95th percentile (type 7) of the kernel time, nanoseconds.
    pub kernel_p95_ns: Option<f64>,
    /// Mean kernel time, nanoseconds.
    pub kernel_mean_ns: Option<f64>,
    /// Sample standard deviation of the kernel time, nanoseconds; `None` with a single value.
    pub kernel_sd_ns: Option<f64>,
    /// Bootstrap 95% interval of the median kernel time, low end, nanoseconds; `None` with a single
    /// value.
    pub kernel_ci_lo_ns: Option<f64>,
    /// Bootstrap 95% interval of the median kernel time, high end, nanoseconds; `None` with a
    /// single value.
    pub kernel_ci_hi_ns: Option<f64>,
    /// CPU time is `cpu_user_ns + cpu_system_ns`.
    pub cpu_median_ns: Option<f64>,
    /// Interquartile range of the CPU time, nanoseconds.
    pub cpu_iqr_ns: Option<f64>,
    /// 5th percentile (type 7) of the CPU time, nanoseconds.
    pub cpu_p5_ns: Option<f64>,
    /// 95th percentile (type 7) of the CPU time, nanoseconds.
    pub cpu_p95_ns: Option<f64>,
    /// Mean CPU time, nanoseconds.
    pub cpu_mean_ns: Option<f64>,
    /// Sample standard deviation of the CPU time, nanoseconds; `None` with a single value.
    pub cpu_sd_ns: Option<f64>,
    /// Bootstrap 95% interval of the median CPU time, low end, nanoseconds; `None` with a single
    /// value.
    pub cpu_ci_lo_ns: Option<f64>,
    /// Bootstrap 95% interval of the median CPU time, high end, nanoseconds; `None` with a single
    /// value.
    pub cpu_ci_hi_ns: Option<f64>,
    /// Median gross energy per call (one value per window), joules.
    pub energy_gross_median_j: Option<f64>,
    /// Interquartile range of the gross energy, joules.
    pub energy_gross_iqr_j: Option<f64>,
    /// 5th percentile (type 7) of the gross energy, joules.
    pub energy_gross_p5_j: Option<f64>,
    /// 95th percentile (type 7) of the gross energy, joules.
    pub energy_gross_p95_j: Option<f64>,
    /// Mean gross energy, joules.
    pub energy_gross_mean_j: Option<f64>,
    /// Sample standard deviation of the gross energy, joules; `None` with a single value.
    pub energy_gross_sd_j: Option<f64>,
    /// Bootstrap 95% interval of the median gross energy, low end, joules; `None` with a single
    /// value.
    pub energy_gross_ci_lo_j: Option<f64>,
    /// Bootstrap 95% interval of the median gross energy, high end, joules; `None` with a single
    /// value.
    pub energy_gross_ci_hi_j: Option<f64>,
    /// Median net energy per call (gross minus the idle baseline; one value per window), joules;
    /// may be negative within the baseline's noise (see `energy_net_above_idle`).
    pub energy_net_median_j: Option<f64>,
    /// Interquartile range of the net energy, joules.
    pub energy_net_iqr_j: Option<f64>,
    /// 5th percentile (type 7) of the net energy, joules.
    pub energy_net_p5_j: Option<f64>,
    /// 95th percentile (type 7) of the net energy, joules.
    pub energy_net_p95_j: Option<f64>,
    /// Mean net energy, joules.
    pub energy_net_mean_j: Option<f64>,
    /// Sample standard deviation of the net energy, joules; `None` with a single value.
    pub energy_net_sd_j: Option<f64>,
    /// Bootstrap 95% interval of the median net energy, low end, joules; `None` with a single
    /// value.
    pub energy_net_ci_lo_j: Option<f64>,
    /// Bootstrap 95% interval of the median net energy, high end, joules; `None` with a single
    /// value.
    pub energy_net_ci_hi_j: Option<f64>,
    /// Whether the net energy is resolved above the idle baseline: true when the 95% interval
    /// of its median lies above 0; false when the interval reaches 0 or below, or there is no
    /// interval (one window): the net figures are then within the baseline's noise, and a
    /// negative median is no measurement of negative energy. Empty without net values.
    #[serde(default)]
    pub energy_net_above_idle: Option<bool>,
    /// Ok calls per second of the cell's measurement windows (see `throughput`).
    pub throughput_calls_per_s: Option<f64>,
    /// Distinct labels of the cell's rows joined by `+` (normally one: `measured`/`estimated`).
    pub energy_label: String,
    /// Distinct sources of the cell's rows joined by `+`.
    pub energy_source: String,
    /// The machine that ran the cell (a stable host id); a merged run of several machines has
    /// a row per machine. Empty in older runs.
    #[serde(default)]
    pub machine: String,
}
