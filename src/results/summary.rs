//! One row of `summary.csv`: a cell's (function, input, runtime, concurrency) statistics of
//! latency, kernel time, CPU time and energy, computed by `export::summary`.

use serde::{Deserialize, Serialize};

/// One row of `summary.csv`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// `function/input/runtime/cN`, as in `calls.csv`.
    pub cell: String,
    pub function: String,
    pub runtime: String,
    pub input: String,
    pub concurrency: u32,
    /// Calls with `ok = true` (the sample size of the statistics).
    pub n: usize,
    /// Calls that failed (`ok = false`).
    pub errors: usize,
    /// Measurement windows with an energy value: the sample size of the energy statistics,
    /// which take one value per window (a window's energy is shared by its calls).
    #[serde(default)]
    pub energy_n: usize,
    pub wall_median_ns: Option<f64>,
    pub wall_iqr_ns: Option<f64>,
    pub wall_p5_ns: Option<f64>,
    pub wall_p95_ns: Option<f64>,
    pub wall_mean_ns: Option<f64>,
    pub wall_sd_ns: Option<f64>,
    pub wall_ci_lo_ns: Option<f64>,
    pub wall_ci_hi_ns: Option<f64>,
    pub kernel_median_ns: Option<f64>,
    pub kernel_iqr_ns: Option<f64>,
    pub kernel_p5_ns: Option<f64>,
    pub kernel_p95_ns: Option<f64>,
    pub kernel_mean_ns: Option<f64>,
    pub kernel_sd_ns: Option<f64>,
    pub kernel_ci_lo_ns: Option<f64>,
    pub kernel_ci_hi_ns: Option<f64>,
    /// CPU time is `cpu_user_ns + cpu_system_ns`.
    pub cpu_median_ns: Option<f64>,
    pub cpu_iqr_ns: Option<f64>,
    pub cpu_p5_ns: Option<f64>,
    pub cpu_p95_ns: Option<f64>,
    pub cpu_mean_ns: Option<f64>,
    pub cpu_sd_ns: Option<f64>,
    pub cpu_ci_lo_ns: Option<f64>,
    pub cpu_ci_hi_ns: Option<f64>,
    pub energy_gross_median_j: Option<f64>,
    pub energy_gross_iqr_j: Option<f64>,
    pub energy_gross_p5_j: Option<f64>,
    pub energy_gross_p95_j: Option<f64>,
    pub energy_gross_mean_j: Option<f64>,
    pub energy_gross_sd_j: Option<f64>,
    pub energy_gross_ci_lo_j: Option<f64>,
    pub energy_gross_ci_hi_j: Option<f64>,
    pub energy_net_median_j: Option<f64>,
    pub energy_net_iqr_j: Option<f64>,
    pub energy_net_p5_j: Option<f64>,
    pub energy_net_p95_j: Option<f64>,
    pub energy_net_mean_j: Option<f64>,
    pub energy_net_sd_j: Option<f64>,
    pub energy_net_ci_lo_j: Option<f64>,
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
}
