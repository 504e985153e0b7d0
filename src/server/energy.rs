//! The energy of one served call.
//!
//! - With the model (no RAPL, the usual case on virtual machines): `estimate(call wall, call
//!   CPU)`, labelled `estimated`, split `direct`.
//! - With a measured source (RAPL): the source is read just before and just after the call.
//!   When no other call overlapped, the whole interval is the call's (`direct`); when others
//!   overlapped, the interval's energy is scaled by the call's share of the process's CPU time
//!   over the interval (`cpu-share`).
//!   Readings the source finds implausible (a counter reset) or counters that did not move
//!   over a long call leave the call `unavailable` (logged once), as in an experiment's window.
//! - Without a source the energy cells stay empty and the label says `unavailable`: never a
//!   silent zero.

use crate::energy::{EnergySource, Reading, Split};
use crate::results::EnergyLabel;
use crate::units::Joules;
use std::sync::Arc;
use std::time::Duration;

/// A per-call estimate from wall and CPU time.
pub type EstimateFn = Arc<dyn Fn(Duration, Duration) -> Joules + Send + Sync>;

/// How the server obtains each call's energy.
#[derive(Clone)]
pub enum Meter {
    /// No energy source: every call's energy is `unavailable`.
    Unavailable {
        /// Why, for logs and the landing page.
        reason: String,
    },
    /// The model's per-call estimate from wall and CPU time (`estimated`, `direct`).
    Model {
        /// The estimate of a call from its wall and CPU time.
        estimate: EstimateFn,
        /// The coefficients, for logs and the landing page.
        description: String,
    },
    /// A measured source, read just before and just after each call (`measured`).
    Measured {
        /// The source read around each call.
        source: Arc<dyn EnergySource>,
    },
}

/// The energy columns of one call.
#[derive(Debug, Clone, PartialEq)]
pub struct CallEnergy {
    /// The call's energy in joules (`energy_gross_j`); `None` when unavailable.
    pub joules: Option<Joules>,
    /// `powercap`, `perf`, `model` or empty.
    pub source: String,
    /// `measured`, `estimated` or `unavailable`.
    pub label: EnergyLabel,
    /// `direct` or `cpu-share`; none when unavailable.
    pub split: Option<Split>,
    /// The energy domains summed, e.g. `package-0+dram-0` or `cpu-model`; empty when unavailable.
    pub domains: String,
}

impl CallEnergy {
    fn unavailable() -> CallEnergy {
        CallEnergy {
            joules: None,
            source: String::new(),
            label: EnergyLabel::Unavailable,
            split: None,
            domains: String::new(),
        }
    }
}

/// What the meter saw of the process when a call started.
pub struct Before(Option<Reading>);

impl Meter {
    /// A meter without a source; `reason` says why.
    pub fn unavailable(reason: impl Into<String>) -> Meter {
        Meter::Unavailable {
            reason: reason.into(),
        }
    }

    /// A meter that estimates each call's energy with `estimate(wall, cpu)`; `description` gives
    /// the coefficients.
    pub fn model(
        estimate: impl Fn(Duration, Duration) -> Joules + Send + Sync + 'static,
        description: impl Into<String>,
    ) -> Meter {
        Meter::Model {
            estimate: Arc::new(estimate),
            description: description.into(),
        }
    }

    /// A measured source. An estimated source cannot be split per call from its readings:
    /// use [`Meter::model`] with its coefficients instead.
    pub fn measured(source: Arc<dyn EnergySource>) -> Meter {
        Meter::Measured { source }
    }

    /// The meter for the configured source: the model's per-call estimate when the best source
    /// is the model, else the measured source.
    pub fn from_options(opts: &crate::energy::auto::EnergyOptions) -> anyhow::Result<Meter> {
        let selected = crate::energy::auto::select(opts)?;
        tracing::info!("energy: {}", selected.why);
        if selected.source.info().quality == crate::energy::Quality::Estimated {
            let model = opts.model;
            Ok(Meter::model(
                move |wall, cpu| model.estimate(wall, cpu),
                model.describe(),
            ))
        } else {
            Ok(Meter::measured(selected.source))
        }
    }

    /// One line for logs and the landing page.
    pub fn describe(&self) -> String {
        match self {
            Meter::Unavailable { reason } => format!("unavailable ({reason})"),
            Meter::Model { description, .. } => format!("model, ESTIMATED: {description}"),
            Meter::Measured { source } => {
                let info = source.info();
                format!("{}, measured: {}", info.name, info.domains.join("+"))
            }
        }
    }

    /// Read the source before a call (measured sources only).
    pub fn before(&self) -> Before {
        match self {
            Meter::Measured { source } => Before(source.read().ok()),
            _ => Before(None),
        }
    }

    /// The energy of a call of `wall` and `cpu`, started at `before`; `overlapped` says whether
    /// another call ran during it.
    pub fn attribute(&self, before: Before, wall: Duration, cpu: Duration, overlapped: bool) -> CallEnergy {
        match self {
            Meter::Unavailable { .. } => CallEnergy::unavailable(),
            Meter::Model { estimate, .. } => CallEnergy {
                joules: Some(estimate(wall, cpu)),
                source: "model".into(),
                label: EnergyLabel::Estimated,
                split: Some(Split::Direct),
                domains: "cpu-model".into(),
            },
            Meter::Measured { source } => {
                let (Some(start), Ok(end)) = (before.0, source.read()) else {
                    return CallEnergy::unavailable();
                };
                let window = source.between(&start, &end);
                let info = source.info();
                // A counter reset, or counters frozen over a long call: no figure, not 0 J.
                if let Some(why) = crate::energy::window::window_problem(&info, &window) {
                    static ONCE: std::sync::Once = std::sync::Once::new();
                    ONCE.call_once(|| tracing::warn!("energy of a call is unavailable: {why}"));
                    return CallEnergy::unavailable();
                }
                let (joules, split) = if overlapped {
                    let process = end.process_cpu.saturating_sub(start.process_cpu);
                    (window.total.scale(cpu_share(cpu, process)), Split::CpuShare)
                } else {
                    (window.total, Split::Direct)
                };
                CallEnergy {
                    joules: Some(joules),
                    source: info.name.into(),
                    label: info.quality.into(),
                    split: Some(split),
                    domains: info.domains.join("+"),
                }
            }
        }
    }
}

/// The call's share of the process's CPU time over its interval, in [0, 1].
pub fn cpu_share(call: Duration, process: Duration) -> f64 {
    if process.is_zero() {
        return 0.0;
    }
    (call.as_secs_f64() / process.as_secs_f64()).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_bounded() {
        let ms = Duration::from_millis;
        assert_eq!(cpu_share(ms(5), ms(10)), 0.5);
        assert_eq!(cpu_share(ms(20), ms(10)), 1.0);
        assert_eq!(cpu_share(ms(5), Duration::ZERO), 0.0);
    }

    #[test]
    fn the_model_is_labelled_and_unavailable_is_never_zero() {
        let m = Meter::model(|w, c| Joules(w.as_secs_f64() + c.as_secs_f64()), "test");
        let e = m.attribute(m.before(), Duration::from_secs(1), Duration::from_secs(1), true);
        assert_eq!(e.joules, Some(Joules(2.0)));
        assert_eq!(
            (e.label.as_str(), e.split.map(Split::as_str)),
            ("estimated", Some("direct"))
        );
        let u = Meter::unavailable("none");
        let e = u.attribute(u.before(), Duration::from_secs(1), Duration::ZERO, false);
        assert_eq!((e.joules, e.label.as_str()), (None, "unavailable"));
    }

    /// A copy of a powercap fixture tree, to write counters into.
    fn fixture_copy(name: &str, to: &std::path::Path) {
        fn copy(from: &std::path::Path, to: &std::path::Path) {
            std::fs::create_dir_all(to).unwrap();
            for e in std::fs::read_dir(from).unwrap().flatten() {
                let (src, dst) = (e.path(), to.join(e.file_name()));
                if src.is_dir() {
                    copy(&src, &dst);
                } else {
                    std::fs::copy(&src, &dst).unwrap();
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/powercap");
        copy(&root.join(name), to);
    }

    #[test]
    fn a_counter_reset_during_a_call_leaves_it_unavailable_not_a_huge_figure() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("powercap");
        fixture_copy("near-wrap", &root);
        let pkg = root.join("intel-rapl:0/energy_uj");
        std::fs::write(&pkg, "100000000000\n").unwrap();
        let pc = crate::energy::powercap::Powercap::open(&root).unwrap();
        let m = Meter::measured(Arc::new(pc));
        let ms = Duration::from_millis;
        // A call during which the counter moved on by 2 J: measured, direct.
        let before = m.before();
        std::fs::write(&pkg, "100002000000\n").unwrap();
        let e = m.attribute(before, ms(5), ms(5), false);
        assert_eq!(
            (e.label.as_str(), e.split.map(Split::as_str)),
            ("measured", Some("direct"))
        );
        assert!(e.joules.is_some_and(|j| (j.value() - 2.0).abs() < 1e-6), "{e:?}");
        // A call during which it was reset to 5 J: as a wrap that would be ~162 kJ.
        let before = m.before();
        std::fs::write(&pkg, "5000000\n").unwrap();
        let e = m.attribute(before, ms(5), ms(5), false);
        assert_eq!((e.joules, e.label.as_str()), (None, "unavailable"), "{e:?}");
    }
}
