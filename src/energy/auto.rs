//! Choosing a source: `auto` tries powercap, then perf, then the model, and says which it picked
//! and why the others were not used; an explicit choice of an unavailable source is an error that
//! carries the reason and the fix.

use super::model::Model;
use super::perf::{Perf, PerfPaths};
use super::powercap::{self, DomainSet, Powercap, PowercapOptions, RealFs};
use super::{EnergyError, EnergySource};
use crate::units::Watts;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// Which source to use (`--energy auto|powercap|perf|model`).
// clap prints a variant's doc comment in `--help`: the variants are said in plain comments so
// that the help text stays the flag's own.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Choice {
    // The best available source: powercap, else perf, else the model.
    #[default]
    Auto,
    // RAPL counters through powercap sysfs (/sys/class/powercap).
    Powercap,
    // RAPL counters through perf_event (the power PMU).
    Perf,
    // The labelled estimate from CPU and wall time.
    Model,
}

impl Choice {
    /// The choice as `--energy` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Choice::Auto => "auto",
            Choice::Powercap => "powercap",
            Choice::Perf => "perf",
            Choice::Model => "model",
        }
    }
}

impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Choice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Choice::Auto),
            "powercap" | "rapl" => Ok(Choice::Powercap),
            "perf" => Ok(Choice::Perf),
            "model" => Ok(Choice::Model),
            other => Err(format!(
                "unknown energy source {other:?}: expected auto, powercap, perf or model"
            )),
        }
    }
}

/// Everything that decides which source is used and how it is set up.
#[derive(Debug, Clone, PartialEq)]
pub struct EnergyOptions {
    /// Which source to use (`--energy`).
    pub choice: Choice,
    /// `--powercap-root`; else `NEBULA_POWERCAP_ROOT`; else `/sys/class/powercap`.
    pub powercap_root: Option<PathBuf>,
    /// Prefix for the perf PMU tree; else `NEBULA_PERF_ROOT`; else `/`.
    pub perf_root: Option<PathBuf>,
    /// Which non-overlapping set of RAPL domains powercap sums.
    pub domains: DomainSet,
    /// Upper bound on one counter's power, for the missed-wrap flag.
    pub max_watts: Watts,
    /// Busy loop used to check that perf counters move.
    pub perf_probe: Duration,
    /// The model's coefficients, used when the model is the source.
    pub model: Model,
}

impl Default for EnergyOptions {
    fn default() -> Self {
        EnergyOptions {
            choice: Choice::Auto,
            powercap_root: None,
            perf_root: None,
            domains: DomainSet::Auto,
            max_watts: powercap::DEFAULT_MAX_WATTS,
            perf_probe: super::perf::DEFAULT_PROBE,
            model: Model::default(),
        }
    }
}

impl EnergyOptions {
    /// The powercap tree to read: `powercap_root`, else `NEBULA_POWERCAP_ROOT`, else
    /// `/sys/class/powercap`.
    pub fn powercap_root(&self) -> PathBuf {
        powercap::resolve_root(self.powercap_root.as_deref())
    }

    /// Where the perf PMU, CPU topology and paranoid setting are: under `perf_root`, else
    /// `NEBULA_PERF_ROOT`, else `/`.
    pub fn perf_paths(&self) -> PerfPaths {
        PerfPaths::resolve(self.perf_root.as_deref())
    }

    /// Opens powercap at [`EnergyOptions::powercap_root`] with these domains and power bound.
    pub fn open_powercap(&self) -> Result<Powercap, EnergyError> {
        let opts = PowercapOptions {
            domains: self.domains,
            max_watts: self.max_watts,
        };
        Powercap::open_with(&self.powercap_root(), opts, Arc::new(RealFs))
    }

    /// Opens the perf RAPL counters, checking with a busy loop of `perf_probe` that they move.
    pub fn open_perf(&self) -> Result<Perf, EnergyError> {
        Perf::open(&self.perf_paths(), self.perf_probe)
    }
}

/// The chosen source and the story of the choice.
#[derive(Clone)]
pub struct Selected {
    /// The source to read.
    pub source: Arc<dyn EnergySource>,
    /// Why this source: what it covers, or why better ones were passed over.
    pub why: String,
    /// Sources tried and not used, with the reason (and fix).
    pub rejected: Vec<(&'static str, String)>,
}

impl fmt::Debug for Selected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Selected")
            .field("source", &self.source.info().name)
            .field("why", &self.why)
            .field("rejected", &self.rejected)
            .finish()
    }
}

fn measured_why(name: &str, where_: &Path, source: &dyn EnergySource) -> String {
    let info = source.info();
    format!(
        "{name}: measured RAPL counters {} at {}",
        info.domains.join("+"),
        where_.display()
    )
}

fn model_why(model: &Model, rejected: &[(&'static str, String)]) -> String {
    let mut s = format!(
        "model: energy figures are ESTIMATES from CPU and wall time, coefficients {}",
        model.describe()
    );
    if !rejected.is_empty() {
        s = format!("no RAPL present; {s}");
    }
    s
}

/// Pick the source `opts` asks for (or the best available one for `auto`).
pub fn select(opts: &EnergyOptions) -> Result<Selected, EnergyError> {
    let model = || -> Arc<dyn EnergySource> { Arc::new(opts.model) };
    match opts.choice {
        Choice::Powercap => {
            let pc = opts.open_powercap()?;
            let why = measured_why("powercap", pc.root(), &pc);
            Ok(Selected {
                source: Arc::new(pc),
                why,
                rejected: vec![],
            })
        }
        Choice::Perf => {
            let p = opts.open_perf()?;
            let why = measured_why("perf", &opts.perf_paths().pmu, &p);
            Ok(Selected {
                source: Arc::new(p),
                why,
                rejected: vec![],
            })
        }
        Choice::Model => Ok(Selected {
            source: model(),
            why: format!("{} (chosen explicitly)", model_why(&opts.model, &[])),
            rejected: vec![],
        }),
        Choice::Auto => {
            let mut rejected = Vec::new();
            match opts.open_powercap() {
                Ok(pc) => {
                    let why = measured_why("powercap", pc.root(), &pc);
                    return Ok(Selected {
                        source: Arc::new(pc),
                        why,
                        rejected,
                    });
                }
                Err(e) => rejected.push(("powercap", e.to_string())),
            }
            match opts.open_perf() {
                Ok(p) => {
                    let why = format!(
                        "{} (powercap not used: {})",
                        measured_why("perf", &opts.perf_paths().pmu, &p),
                        rejected[0].1
                    );
                    return Ok(Selected {
                        source: Arc::new(p),
                        why,
                        rejected,
                    });
                }
                Err(e) => rejected.push(("perf", e.to_string())),
            }
            let why = model_why(&opts.model, &rejected);
            Ok(Selected {
                source: model(),
                why,
                rejected,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(p: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(p)
    }

    #[test]
    fn choices_parse_and_print() {
        for c in [Choice::Auto, Choice::Powercap, Choice::Perf, Choice::Model] {
            assert_eq!(c.as_str().parse::<Choice>(), Ok(c));
        }
        assert!("rapl2".parse::<Choice>().is_err());
    }

    #[test]
    fn auto_prefers_powercap_when_present() {
        let opts = EnergyOptions {
            powercap_root: Some(fixture("powercap/two-socket-dram")),
            ..EnergyOptions::default()
        };
        let s = select(&opts).unwrap();
        assert_eq!(s.source.info().name, "powercap");
        assert!(s.why.contains("package-0+dram-0+package-1+dram-1"), "{}", s.why);
    }

    #[test]
    fn auto_falls_back_to_the_model_and_says_why() {
        let opts = EnergyOptions {
            powercap_root: Some(fixture("powercap/none-here")),
            perf_root: Some(fixture("perf/none-here")),
            ..EnergyOptions::default()
        };
        let s = select(&opts).unwrap();
        assert_eq!(s.source.info().name, "model");
        assert!(
            s.why.contains("ESTIMATES") && s.why.contains("no RAPL"),
            "{}",
            s.why
        );
        let names: Vec<_> = s.rejected.iter().map(|r| r.0).collect();
        assert_eq!(names, ["powercap", "perf"]);
        assert!(s.rejected[0].1.contains("none-here"));
    }

    #[test]
    fn explicit_unavailable_choice_is_an_error_with_a_fix() {
        let opts = EnergyOptions {
            choice: Choice::Powercap,
            powercap_root: Some(fixture("powercap/none-here")),
            ..EnergyOptions::default()
        };
        let e = select(&opts).unwrap_err();
        assert!(e.fix().is_some_and(|f| f.contains("modprobe")), "{e}");
    }
}
