//! One row of `comparison.csv`, in tidy long form: a (function, input, concurrency)'s runtime
//! against a reference runtime on one metric, as the ratio of medians with its interval, the raw
//! and adjusted Mann–Whitney p-values and Cliff's delta with its interval, computed by
//! `export::comparison`.

use super::call::{
    NATIVE, WASM, WASM_COLD, WASM_OPT_NONE, WASM_OPT_NONE_COLD, WASM_OPT_SIZE, WASM_OPT_SIZE_COLD,
    WASM_PULLEY, WASM_PULLEY_COLD, WASM_SIMD128, WASM_WINCH, WASM_WINCH_COLD,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// The runtime every other one is compared against when the run's config names none (its
/// `reference` key; see `Metadata::reference`).
pub const REFERENCE: &str = NATIVE;

/// Wasm variants compared against warm `wasm` as well: (variant, its reference). The other
/// engines' warm runtimes are compared against `wasm` (Cranelift at `speed`), their cold ones
/// against `wasm-cold`.
pub const VARIANTS: [(&str, &str); 10] = [
    (WASM_COLD, WASM),
    (WASM_SIMD128, WASM),
    (WASM_OPT_NONE, WASM),
    (WASM_OPT_SIZE, WASM),
    (WASM_WINCH, WASM),
    (WASM_PULLEY, WASM),
    (WASM_OPT_NONE_COLD, WASM_COLD),
    (WASM_OPT_SIZE_COLD, WASM_COLD),
    (WASM_WINCH_COLD, WASM_COLD),
    (WASM_PULLEY_COLD, WASM_COLD),
];

/// The (runtime, reference) pairs among the `present` runtimes of a cell: each against
/// `reference` (the run's, [`REFERENCE`] by default), then the [`VARIANTS`] against their
/// references, less those already there either way round (with `reference = "wasm"`,
/// `wasm-cold / wasm` is a pair against the reference; with `reference = "wasm-cold"`, its
/// reverse `wasm / wasm-cold` answers the same question).
pub fn pairs_of<'a>(present: &BTreeSet<&'a str>, reference: &str) -> Vec<(&'a str, &'a str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    if let Some(reference) = present.get(reference) {
        out.extend(
            present
                .iter()
                .filter(|r| *r != reference)
                .map(|r| (*r, *reference)),
        );
    }
    for (variant, base) in VARIANTS {
        if let (Some(v), Some(b)) = (present.get(variant), present.get(base)) {
            if !out.contains(&(v, b)) && !out.contains(&(b, v)) {
                out.push((v, b));
            }
        }
    }
    out
}

/// What a comparison row compares, and so which question it answers: `latency` and `energy` are
/// of whole calls (the FaaS question: what a call costs as a client makes it, start-up
/// included); `kernel_time` and `kernel_energy` are of the marked kernel only (the code-speed
/// question: how fast the same code runs under each runtime).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Wall time of a whole call (`wall_ns`), one sample per ok call.
    #[default]
    Latency,
    /// Gross energy of a whole call (`energy_gross_j`), one sample per measurement window.
    Energy,
    /// Time between the kernel's markers (`kernel_ns`), one sample per ok call.
    KernelTime,
    /// Energy between the kernel's markers (`kernel_energy_j`), one sample per ok call.
    KernelEnergy,
}

impl Metric {
    /// Every metric, in the order the table lists them.
    pub const ALL: [Metric; 4] = [
        Metric::Latency,
        Metric::Energy,
        Metric::KernelTime,
        Metric::KernelEnergy,
    ];

    /// The metric as the table spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Latency => "latency",
            Metric::Energy => "energy",
            Metric::KernelTime => "kernel_time",
            Metric::KernelEnergy => "kernel_energy",
        }
    }

    /// The question the metric answers: `call` (the FaaS question) or `kernel` (code speed).
    pub fn scope(self) -> Scope {
        match self {
            Metric::Latency | Metric::Energy => Scope::Call,
            Metric::KernelTime | Metric::KernelEnergy => Scope::Kernel,
        }
    }

    /// The unit of the medians: `ns` or `J`.
    pub fn unit(self) -> &'static str {
        match self {
            Metric::Latency | Metric::KernelTime => "ns",
            Metric::Energy | Metric::KernelEnergy => "J",
        }
    }

    /// What one sample of the metric is: a `call`, or a measurement `window` (a window's energy is
    /// shared by its calls, so they are not independent samples of it).
    pub fn sample(self) -> &'static str {
        match self {
            Metric::Energy => "window",
            _ => "call",
        }
    }

    /// Whether the metric is an energy.
    pub fn is_energy(self) -> bool {
        matches!(self, Metric::Energy | Metric::KernelEnergy)
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which question a row answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// A whole call as a client pays for it (the FaaS question).
    #[default]
    Call,
    /// The marked kernel alone (the code-speed question).
    Kernel,
}

/// One row of `comparison.csv`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ComparisonRow {
    /// The function whose runtimes the row compares.
    pub function: String,
    /// The input given to both runtimes.
    pub input: String,
    /// Calls in flight in both cells compared.
    pub concurrency: u32,
    /// The runtime compared (the numerator of the ratio).
    pub runtime: String,
    /// The runtime it is compared against (the denominator).
    pub reference: String,
    /// `latency`, `energy`, `kernel_time` or `kernel_energy`.
    pub metric: Metric,
    /// `call` (the FaaS question) or `kernel` (the code-speed question).
    pub scope: Scope,
    /// What one sample is: `call` or `window`.
    pub sample: String,
    /// The unit of the medians: `ns` or `J`.
    pub unit: String,
    /// Samples of `runtime`.
    pub n: usize,
    /// Samples of `reference`.
    pub n_reference: usize,
    /// Median of `runtime`'s samples.
    pub median: Option<f64>,
    /// Median of `reference`'s samples.
    pub median_reference: Option<f64>,
    /// `median / median_reference`.
    pub ratio: Option<f64>,
    /// Bootstrap 95% interval of the ratio, low end; empty when a side has a single sample.
    pub ratio_ci_lo: Option<f64>,
    /// Bootstrap 95% interval of the ratio, high end.
    pub ratio_ci_hi: Option<f64>,
    /// Two-sided Mann–Whitney U p-value of the two samples, unadjusted.
    pub p_value: Option<f64>,
    /// `p_value` adjusted over every p-value of the table by `p_adjust`.
    pub p_adjusted: Option<f64>,
    /// The adjustment: `holm` (family-wise error rate) or `bh` (Benjamini–Hochberg, false
    /// discovery rate).
    pub p_adjust: String,
    /// The ratio's interval excludes 1 and `p_adjusted < 0.05`.
    pub significant: Option<bool>,
    /// Cliff's delta of `runtime` against `reference`: from -1 (every runtime sample below every
    /// reference sample) to 1 (every one above).
    pub cliffs_delta: Option<f64>,
    /// Cliff's (1993) 95% interval of the delta, low end; empty with fewer than 2 samples a side.
    pub cliffs_delta_ci_lo: Option<f64>,
    /// Cliff's 95% interval of the delta, high end.
    pub cliffs_delta_ci_hi: Option<f64>,
    /// Every completed call of this function and input (any runtime, any concurrency) printed
    /// the same output.
    pub digests_agree: bool,
    /// Energy rows: the distinct energy labels of the calls compared, joined by `+`; empty on time
    /// rows.
    pub energy_label: String,
    /// The machine both sides ran on (a stable host id); a merged run of several machines has
    /// its rows per machine. Empty in older runs.
    #[serde(default)]
    pub machine: String,
}

/// The row of `rows` for this cell, pair and metric.
pub fn find<'a>(
    rows: &'a [ComparisonRow],
    (function, input, concurrency): (&str, &str, u32),
    (runtime, reference): (&str, &str),
    metric: Metric,
) -> Option<&'a ComparisonRow> {
    rows.iter().find(|c| {
        c.metric == metric
            && c.concurrency == concurrency
            && c.runtime == runtime
            && c.reference == reference
            && c.function == function
            && c.input == input
    })
}

/// The (runtime, reference) pairs of `rows`, in the order they first appear.
pub fn pairs(rows: &[ComparisonRow]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for c in rows {
        if !out.iter().any(|(r, f)| r == &c.runtime && f == &c.reference) {
            out.push((c.runtime.clone(), c.reference.clone()));
        }
    }
    out
}

/// The (function, input, concurrency) cells of `rows`, in table order.
pub fn cells(rows: &[ComparisonRow]) -> Vec<(&str, &str, u32)> {
    let mut out: Vec<(&str, &str, u32)> = Vec::new();
    for c in rows {
        let k = (c.function.as_str(), c.input.as_str(), c.concurrency);
        if out.last() != Some(&k) && !out.contains(&k) {
            out.push(k);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set<'a>(names: &[&'a str]) -> BTreeSet<&'a str> {
        names.iter().copied().collect()
    }

    #[test]
    fn every_runtime_is_paired_with_the_reference_and_variants_with_their_base() {
        let present = set(&["native", "wasm", "wasm-cold", "node", "my-rt"]);
        assert_eq!(
            pairs_of(&present, REFERENCE),
            vec![
                ("my-rt", "native"),
                ("node", "native"),
                ("wasm", "native"),
                ("wasm-cold", "native"),
                ("wasm-cold", "wasm"),
            ]
        );
        // Against wasm, the cold/warm pair is one of the reference's and is not repeated.
        assert_eq!(
            pairs_of(&present, "wasm"),
            vec![
                ("my-rt", "wasm"),
                ("native", "wasm"),
                ("node", "wasm"),
                ("wasm-cold", "wasm"),
            ]
        );
        // Against wasm-cold, wasm / wasm-cold stands for wasm-cold / wasm.
        assert_eq!(
            pairs_of(&set(&["wasm", "wasm-cold"]), "wasm-cold"),
            vec![("wasm", "wasm-cold")]
        );
        // Without the reference only the variants are compared.
        assert_eq!(
            pairs_of(&set(&["wasm", "wasm-cold", "node"]), "my-rt"),
            vec![("wasm-cold", "wasm")]
        );
        assert!(pairs_of(&set(&["node"]), "node").is_empty());
    }
}
