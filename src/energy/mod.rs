//! Energy sources behind one trait: RAPL through powercap sysfs (`powercap.rs`), RAPL through
//! perf_event (`perf.rs`), and a labelled estimate from CPU and wall time (`model.rs`);
//! `auto.rs` picks the best available one. `window.rs` turns two readings into a window's energy
//! and splits it (evenly or by CPU share); `sensors.rs` surveys every source for `nebula sensors`.
//! CPU clocks are in `crate::clock`; giving each call of a window its energy row is
//! `experiment::attribute`'s.

pub mod auto;
pub mod model;
pub mod perf;
pub mod powercap;
pub mod sensors;
pub mod window;

use crate::units::Joules;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// Whether an energy figure was read from a hardware counter or estimated by a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Quality {
    /// Read from a hardware energy counter (RAPL through powercap or perf).
    Measured,
    /// Estimated by the model from CPU and wall time.
    Estimated,
}

impl Quality {
    /// The quality as the `energy_label` column spells it (`measured` or `estimated`).
    pub fn as_str(self) -> &'static str {
        match self {
            Quality::Measured => "measured",
            Quality::Estimated => "estimated",
        }
    }
}

/// How a window's energy reached one call (the `energy_split` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Split {
    /// The window held exactly this call.
    Direct,
    /// The window's energy divided evenly among its sequential calls.
    Mean,
    /// Attributed by the call's share of the window's CPU time (concurrent calls).
    CpuShare,
}

impl Split {
    /// The split as the `energy_split` column spells it (`direct`, `mean` or `cpu-share`).
    pub fn as_str(self) -> &'static str {
        match self {
            Split::Direct => "direct",
            Split::Mean => "mean",
            Split::CpuShare => "cpu-share",
        }
    }
}

/// One raw reading of a source: a timestamp, one raw counter per domain (in the source's own
/// units, before wrap correction), and the process's CPU time (self + waited-for children),
/// which the model source needs and the others may ignore.
#[derive(Debug, Clone)]
pub struct Reading {
    /// When the reading was taken (monotonic clock).
    pub at: Instant,
    /// One raw counter per domain, in the source's units (µJ for powercap, event counts for perf);
    /// empty for the model, which reads `process_cpu`.
    pub counters: Vec<u64>,
    /// CPU time of the process and its waited-for children at the reading.
    pub process_cpu: Duration,
}

/// The energy of the interval between two readings.
#[derive(Debug, Clone, Serialize)]
pub struct WindowEnergy {
    /// Energy of all domains together over the window.
    pub total: Joules,
    /// Each domain's energy, in the order of the reading's counters.
    pub per_domain: Vec<DomainEnergy>,
    /// Time between the two readings.
    pub duration: Duration,
    /// The window was long enough that a counter could have wrapped twice unseen.
    pub missed_wrap_suspected: bool,
    /// Why these readings cannot be the window's energy (e.g. a counter went backwards by more
    /// than one wrap can explain: it was reset). [`window::Meter::close`] then reports the
    /// window's energy as unavailable instead of a figure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implausible: Option<String>,
}

/// One domain's energy over a window, with the raw counter readings it comes from.
#[derive(Debug, Clone, Serialize)]
pub struct DomainEnergy {
    /// The domain's label, e.g. `package-0`, `dram-0` or `cpu-model`.
    pub domain: String,
    /// Its energy over the window, wraparound corrected.
    pub joules: Joules,
    /// The raw counter at the window's start, in the source's units.
    pub raw_start: u64,
    /// The raw counter at the window's end, in the source's units.
    pub raw_end: u64,
    /// The counter wrapped during the window (and was corrected for it).
    pub wrapped: bool,
}

/// What a source is: name, domains, units and ranges, for `nebula sensors` and metadata.json.
#[derive(Debug, Clone, Serialize)]
pub struct SourceInfo {
    /// `powercap`, `perf` or `model`.
    pub name: &'static str,
    /// Measured by hardware, or estimated by the model.
    pub quality: Quality,
    /// The domains it sums, e.g. `package-0`, `dram-0`.
    pub domains: Vec<String>,
    /// Human-readable unit and range of each domain, e.g. "uJ, wraps at 262143328850".
    pub details: Vec<String>,
    /// The smallest energy step the counters resolve.
    pub resolution: Option<Joules>,
    /// How often the counters update (about 1 ms for RAPL).
    pub update_interval: Option<Duration>,
}

/// Why a source cannot be opened or read; [`EnergyError::fix`] says what would help.
#[derive(Debug, thiserror::Error)]
pub enum EnergyError {
    /// The source exists but gives no usable energy figures here; the message says why.
    #[error("{0}")]
    Unavailable(String),
    /// Reading the source was refused.
    #[error("{what}: permission denied. {fix}")]
    Permission {
        /// What was refused, e.g. reading an `energy_uj` file, or `perf_event_open`.
        what: String,
        /// How to get access: a sysctl, a capability, file permissions or running as root.
        fix: String,
    },
    /// Reading the source failed; the message names the file or counter and the reason.
    #[error("{0}")]
    Io(String),
    /// The source is absent on this machine; `fix` says what would make it available.
    #[error("{what}. {fix}")]
    Missing {
        /// What is absent, e.g. no power PMU at its path.
        what: String,
        /// What would make the source available.
        fix: String,
    },
}

impl EnergyError {
    /// What went wrong, without the fix.
    pub fn reason(&self) -> String {
        match self {
            EnergyError::Unavailable(m) | EnergyError::Io(m) => m.clone(),
            EnergyError::Permission { what, .. } => format!("{what}: permission denied"),
            EnergyError::Missing { what, .. } => what.clone(),
        }
    }

    /// How to fix it, where known.
    pub fn fix(&self) -> Option<&str> {
        match self {
            EnergyError::Permission { fix, .. } | EnergyError::Missing { fix, .. } => Some(fix),
            EnergyError::Unavailable(_) | EnergyError::Io(_) => None,
        }
    }
}

/// A source of energy readings.
pub trait EnergySource: Send + Sync {
    /// What the source is: name, quality, domains, units and ranges.
    fn info(&self) -> SourceInfo;
    /// One reading: every domain's raw counter, the time and the process's CPU time.
    fn read(&self) -> Result<Reading, EnergyError>;
    /// The energy between two readings of this source, wraparound corrected.
    fn between(&self, start: &Reading, end: &Reading) -> WindowEnergy;
}
