//! The per-call record: one row of `calls.csv`, written by the orchestrator and the server alike
//! and read back by `nebula plot`, `report` and `compare`. Units are in the column names;
//! absent values are empty cells (NaN in pandas, NA in R), never zeros.

use crate::energy::{Quality, Split};
use crate::units::ns;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The built-in runtimes' names, as records spell them.
pub const WASM: &str = "wasm";
pub const WASM_COLD: &str = "wasm-cold";
pub const NATIVE: &str = "native";
/// The runtimes a config that names none runs.
pub const DEFAULT_RUNTIMES: [&str; 2] = [WASM, NATIVE];

/// A runtime's name in a record (`wasm`, `wasm-cold`, `native`, or a runtime a config names):
/// open text, checked against the run's runtimes where a run folder is read
/// ([`RuntimeName::check`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RuntimeName(String);

impl RuntimeName {
    pub fn new(name: impl Into<String>) -> RuntimeName {
        RuntimeName(name.into())
    }

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
    Measured,
    Estimated,
    Unavailable,
}

impl EnergyLabel {
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
    pub run_id: String,
    /// `function/input/runtime/cN`.
    pub cell: String,
    pub function: String,
    /// `wasm`, `wasm-cold`, `native` or a runtime the config names.
    pub runtime: RuntimeName,
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
    /// `measured`, `estimated` or `unavailable`; empty before the call's window is attributed.
    pub energy_label: Option<EnergyLabel>,
    /// How the window's energy reached this call: `direct`, `mean` (divided among sequential
    /// calls) or `cpu-share` (attributed by CPU time under concurrency).
    pub energy_split: Option<Split>,
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
