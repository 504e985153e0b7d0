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
    Measured,
    Estimated,
}

impl Quality {
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
    pub at: Instant,
    pub counters: Vec<u64>,
    pub process_cpu: Duration,
}

/// The energy of the interval between two readings.
#[derive(Debug, Clone, Serialize)]
pub struct WindowEnergy {
    pub total: Joules,
    pub per_domain: Vec<DomainEnergy>,
    pub duration: Duration,
    /// The window was long enough that a counter could have wrapped twice unseen.
    pub missed_wrap_suspected: bool,
    /// Why these readings cannot be the window's energy (e.g. a counter went backwards by more
    /// than one wrap can explain: it was reset). [`window::Meter::close`] then reports the
    /// window's energy as unavailable instead of a figure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implausible: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DomainEnergy {
    pub domain: String,
    pub joules: Joules,
    pub raw_start: u64,
    pub raw_end: u64,
    pub wrapped: bool,
}

/// What a source is: name, domains, units and ranges, for `nebula sensors` and metadata.json.
#[derive(Debug, Clone, Serialize)]
pub struct SourceInfo {
    pub name: &'static str,
    pub quality: Quality,
    pub domains: Vec<String>,
    /// Human-readable unit and range of each domain, e.g. "uJ, wraps at 262143328850".
    pub details: Vec<String>,
    /// The smallest energy step the counters resolve.
    pub resolution: Option<Joules>,
    /// How often the counters update (about 1 ms for RAPL).
    pub update_interval: Option<Duration>,
}

#[derive(Debug, thiserror::Error)]
pub enum EnergyError {
    #[error("{0}")]
    Unavailable(String),
    #[error("{what}: permission denied. {fix}")]
    Permission { what: String, fix: String },
    #[error("{0}")]
    Io(String),
    /// The source is absent on this machine; `fix` says what would make it available.
    #[error("{what}. {fix}")]
    Missing { what: String, fix: String },
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
    fn info(&self) -> SourceInfo;
    fn read(&self) -> Result<Reading, EnergyError>;
    /// The energy between two readings of this source, wraparound corrected.
    fn between(&self, start: &Reading, end: &Reading) -> WindowEnergy;
}
