//! One row of `comparison.csv`: a (function, input, concurrency)'s Wasm/native and cold/warm
//! ratios of latency and energy with their intervals and tests, computed by `export::comparison`.

use serde::{Deserialize, Serialize};

/// One row of `comparison.csv`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ComparisonRow {
    pub function: String,
    pub input: String,
    pub concurrency: u32,
    /// Ok calls per runtime.
    pub n_wasm: usize,
    pub n_native: usize,
    pub n_cold: usize,
    /// Measurement windows with energy per runtime: the sample sizes of the energy ratios and
    /// their tests (one value per window).
    #[serde(default)]
    pub energy_n_wasm: usize,
    #[serde(default)]
    pub energy_n_native: usize,
    #[serde(default)]
    pub energy_n_cold: usize,
    /// `median(wasm wall) / median(native wall)`.
    pub wasm_native_latency_ratio: Option<f64>,
    pub wasm_native_latency_ci_lo: Option<f64>,
    pub wasm_native_latency_ci_hi: Option<f64>,
    pub wasm_native_latency_p_value: Option<f64>,
    pub wasm_native_latency_significant: Option<bool>,
    /// `median(wasm energy) / median(native energy)`, gross energy per call.
    pub wasm_native_energy_ratio: Option<f64>,
    pub wasm_native_energy_ci_lo: Option<f64>,
    pub wasm_native_energy_ci_hi: Option<f64>,
    pub wasm_native_energy_p_value: Option<f64>,
    pub wasm_native_energy_significant: Option<bool>,
    /// `median(wasm-cold wall) / median(wasm wall)`.
    pub cold_warm_latency_ratio: Option<f64>,
    pub cold_warm_latency_ci_lo: Option<f64>,
    pub cold_warm_latency_ci_hi: Option<f64>,
    pub cold_warm_latency_p_value: Option<f64>,
    pub cold_warm_latency_significant: Option<bool>,
    /// `median(wasm-cold energy) / median(wasm energy)`.
    pub cold_warm_energy_ratio: Option<f64>,
    pub cold_warm_energy_ci_lo: Option<f64>,
    pub cold_warm_energy_ci_hi: Option<f64>,
    pub cold_warm_energy_p_value: Option<f64>,
    pub cold_warm_energy_significant: Option<bool>,
    /// True when there is at least one ok call of this function and input (any runtime, any
    /// concurrency) and all of them have the same `output_digest`.
    pub digests_agree: bool,
    /// Distinct energy labels of the rows compared, joined by `+`.
    pub energy_label: String,
}
