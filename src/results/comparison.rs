//! One row of `comparison.csv`: a (function, input, concurrency)'s Wasm/native and cold/warm
//! ratios of latency and energy with their intervals and tests, computed by `export::comparison`.

use serde::{Deserialize, Serialize};

/// One row of `comparison.csv`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ComparisonRow {
    /// The function whose runtimes the row compares.
    pub function: String,
    /// The input given on stdin to every runtime compared.
    pub input: String,
    /// Calls in flight in each of the cells compared.
    pub concurrency: u32,
    /// Ok calls per runtime.
    pub n_wasm: usize,
    /// Ok `native` calls.
    pub n_native: usize,
    /// Ok `wasm-cold` calls.
    pub n_cold: usize,
    /// Measurement windows with energy per runtime: the sample sizes of the energy ratios and
    /// their tests (one value per window).
    #[serde(default)]
    pub energy_n_wasm: usize,
    /// `native` windows with energy.
    #[serde(default)]
    pub energy_n_native: usize,
    /// `wasm-cold` windows with energy.
    #[serde(default)]
    pub energy_n_cold: usize,
    /// `median(wasm wall) / median(native wall)`.
    pub wasm_native_latency_ratio: Option<f64>,
    /// Bootstrap 95% interval of the Wasm/native latency ratio, low end; `None` when either side
    /// has a single value.
    pub wasm_native_latency_ci_lo: Option<f64>,
    /// Bootstrap 95% interval of the Wasm/native latency ratio, high end.
    pub wasm_native_latency_ci_hi: Option<f64>,
    /// Mann-Whitney U two-sided p-value of the Wasm and native wall times.
    pub wasm_native_latency_p_value: Option<f64>,
    /// The latency interval excludes 1 and p < 0.05.
    pub wasm_native_latency_significant: Option<bool>,
    /// `median(wasm energy) / median(native energy)`, gross energy per call.
    pub wasm_native_energy_ratio: Option<f64>,
    /// Bootstrap 95% interval of the Wasm/native energy ratio, low end.
    pub wasm_native_energy_ci_lo: Option<f64>,
    /// Bootstrap 95% interval of the Wasm/native energy ratio, high end.
    pub wasm_native_energy_ci_hi: Option<f64>,
    /// Mann-Whitney U two-sided p-value of the Wasm and native energy, over windows.
    pub wasm_native_energy_p_value: Option<f64>,
    /// The energy interval excludes 1 and p < 0.05.
    pub wasm_native_energy_significant: Option<bool>,
    /// `median(wasm-cold wall) / median(wasm wall)`.
    pub cold_warm_latency_ratio: Option<f64>,
    /// Bootstrap 95% interval of the cold/warm latency ratio, low end.
    pub cold_warm_latency_ci_lo: Option<f64>,
    /// Bootstrap 95% interval of the cold/warm latency ratio, high end.
    pub cold_warm_latency_ci_hi: Option<f64>,
    /// Mann-Whitney U two-sided p-value of the `wasm-cold` and `wasm` wall times.
    pub cold_warm_latency_p_value: Option<f64>,
    /// The cold/warm latency interval excludes 1 and p < 0.05.
    pub cold_warm_latency_significant: Option<bool>,
    /// `median(wasm-cold energy) / median(wasm energy)`.
    pub cold_warm_energy_ratio: Option<f64>,
    /// Bootstrap 95% interval of the cold/warm energy ratio, low end.
    pub cold_warm_energy_ci_lo: Option<f64>,
    /// Bootstrap 95% interval of the cold/warm energy ratio, high end.
    pub cold_warm_energy_ci_hi: Option<f64>,
    /// Mann-Whitney U two-sided p-value of the `wasm-cold` and `wasm` energy, over windows.
    pub cold_warm_energy_p_value: Option<f64>,
    /// The cold/warm energy interval excludes 1 and p < 0.05.
    pub cold_warm_energy_significant: Option<bool>,
    /// True when there is at least one ok call of this function and input (any runtime, any
    /// concurrency) and all of them have the same `output_digest`.
    pub digests_agree: bool,
    /// Distinct energy labels of the rows compared, joined by `+`.
    pub energy_label: String,
}
