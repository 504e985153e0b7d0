//! The `model` source: an ESTIMATE of energy from wall time and CPU time, for machines without
//! RAPL (virtual machines, CI). Always labelled [`Quality::Estimated`].
//!
//! Formula (the Cloud Carbon Footprint linear model, `W = min + util x (max - min)` per vCPU,
//! integrated over a window): `E = idle_watts x wall + active_watts_per_core x cpu_seconds`,
//! where `cpu_seconds` is user + system CPU time of the process and its waited-for children.
//!
//! Default coefficients come from Cloud Carbon Footprint's AWS averages ("Methodology",
//! <https://www.cloudcarbonfootprint.org/docs/methodology>): 0.74 W per vCPU at idle and 3.5 W per
//! vCPU at full load. So `idle_watts = 0.74 W x logical cores` and `active_watts_per_core =
//! 3.5 - 0.74 = 2.76 W` per busy core. These are fleet averages, not this machine: treat the
//! figures as an order of magnitude (CodeCarbon reports -60 %..+190 % for similar models) and
//! override them (`idle_watts` / `active_watts_per_core` in the config's `[energy]` table, or
//! `--idle-watts` / `--active-watts-per-core`) when you have a better figure.

use super::{DomainEnergy, EnergyError, EnergySource, Quality, Reading, SourceInfo, WindowEnergy};
use crate::clock as cpu;
use crate::units::{Joules, Watts};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// Cloud Carbon Footprint, AWS average, watts per vCPU at idle.
pub const CCF_AWS_MIN_WATTS_PER_VCPU: f64 = 0.74;
/// Cloud Carbon Footprint, AWS average, watts per vCPU at 100 % utilisation.
pub const CCF_AWS_MAX_WATTS_PER_VCPU: f64 = 3.5;

/// The largest coefficient accepted from a config or a flag, in watts.
pub const MAX_WATTS: f64 = 10_000.0;

/// A model coefficient given by the user, checked: a finite power from 0 to [`MAX_WATTS`].
/// The error says what is wrong and the allowed range; the caller adds the key or flag.
pub fn check_watts(w: f64) -> Result<Watts, String> {
    if (0.0..=MAX_WATTS).contains(&w) {
        Ok(Watts(w))
    } else {
        let shown = if w.abs() >= 1e6 {
            format!("{w:e}")
        } else {
            format!("{w}")
        };
        Err(format!(
            "{shown} W is out of range: use a power in watts from 0 to {MAX_WATTS}"
        ))
    }
}

/// The coefficients of the estimate. Deserializable from the config; missing fields take the
/// documented defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Model {
    /// Power drawn whatever the load (the whole machine's idle share).
    pub idle_watts: Watts,
    /// Extra power of one core kept busy (per CPU-second).
    pub active_watts_per_core: Watts,
}

impl Default for Model {
    fn default() -> Self {
        Model::for_cores(logical_cores())
    }
}

/// Logical CPUs available to this process (at least 1).
pub fn logical_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Model {
    /// The Cloud Carbon Footprint defaults for a machine with `cores` logical CPUs.
    pub fn for_cores(cores: usize) -> Self {
        Model {
            idle_watts: Watts(CCF_AWS_MIN_WATTS_PER_VCPU * cores.max(1) as f64),
            active_watts_per_core: Watts(CCF_AWS_MAX_WATTS_PER_VCPU - CCF_AWS_MIN_WATTS_PER_VCPU),
        }
    }

    /// The estimated energy of `wall` of wall time during which `cpu` of CPU time was used.
    pub fn estimate(&self, wall: Duration, cpu: Duration) -> Joules {
        self.idle_watts.for_duration(wall) + self.active_watts_per_core.for_duration(cpu)
    }

    /// The estimate without the idle part: what `cpu` of CPU time adds.
    pub fn active(&self, cpu: Duration) -> Joules {
        self.active_watts_per_core.for_duration(cpu)
    }

    /// One line describing the coefficients, for `nebula sensors` and metadata. Cloud Carbon
    /// Footprint is named only for the defaults: coefficients the user gave are said to be theirs.
    pub fn describe(&self) -> String {
        let defaults = Model::default();
        let idle = self.idle_watts != defaults.idle_watts;
        let active = self.active_watts_per_core != defaults.active_watts_per_core;
        let origin = match (idle, active) {
            (false, false) => format!(
                "Cloud Carbon Footprint AWS averages {CCF_AWS_MIN_WATTS_PER_VCPU} W idle / \
                 {CCF_AWS_MAX_WATTS_PER_VCPU} W busy per vCPU"
            ),
            (true, false) => "idle_watts given by the user: [energy] idle_watts or --idle-watts; \
                              active_watts_per_core is the default"
                .to_string(),
            (false, true) => "active_watts_per_core given by the user: [energy] \
                              active_watts_per_core or --active-watts-per-core; idle_watts is the \
                              default"
                .to_string(),
            (true, true) => "both given by the user: [energy] idle_watts and active_watts_per_core, \
                             or --idle-watts and --active-watts-per-core"
                .to_string(),
        };
        format!(
            "idle {} + {} per busy core ({origin})",
            self.idle_watts, self.active_watts_per_core
        )
    }
}

/// Free-standing form of [`Model::estimate`] with the default coefficients.
pub fn estimate(wall: Duration, cpu: Duration) -> Joules {
    Model::default().estimate(wall, cpu)
}

/// The source's name (`energy_source` column, `--energy model`).
pub const NAME: &str = "model";

/// The name of the model's one domain.
pub const DOMAIN: &str = "cpu-model";

impl EnergySource for Model {
    fn info(&self) -> SourceInfo {
        SourceInfo {
            name: NAME,
            quality: Quality::Estimated,
            domains: vec![DOMAIN.to_string()],
            details: vec![format!("ESTIMATE, not a measurement: {}", self.describe())],
            resolution: None,
            update_interval: None,
        }
    }

    fn read(&self) -> Result<Reading, EnergyError> {
        Ok(Reading {
            at: Instant::now(),
            counters: Vec::new(),
            process_cpu: cpu::process_and_children_cpu(),
        })
    }

    fn between(&self, start: &Reading, end: &Reading) -> WindowEnergy {
        let wall = end.at.saturating_duration_since(start.at);
        let cpu = end.process_cpu.saturating_sub(start.process_cpu);
        let joules = self.estimate(wall, cpu);
        WindowEnergy {
            total: joules,
            per_domain: vec![DomainEnergy {
                domain: DOMAIN.to_string(),
                joules,
                raw_start: crate::units::ns(start.process_cpu),
                raw_end: crate::units::ns(end.process_cpu),
                wrapped: false,
            }],
            duration: wall,
            missed_wrap_suspected: false,
            implausible: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_is_idle_times_wall_plus_active_times_cpu() {
        let m = Model {
            idle_watts: Watts(10.0),
            active_watts_per_core: Watts(2.0),
        };
        let e = m.estimate(Duration::from_secs(2), Duration::from_millis(1500));
        assert!((e.value() - (20.0 + 3.0)).abs() < 1e-12);
        assert_eq!(m.active(Duration::from_secs(1)), Joules(2.0));
    }

    #[test]
    fn defaults_are_the_ccf_aws_averages() {
        let m = Model::for_cores(4);
        assert!((m.idle_watts.value() - 2.96).abs() < 1e-12);
        assert!((m.active_watts_per_core.value() - 2.76).abs() < 1e-12);
    }

    #[test]
    fn config_fills_missing_fields_with_defaults() {
        let m: Model = toml::from_str("idle_watts = 5.0").unwrap();
        assert_eq!(m.idle_watts, Watts(5.0));
        assert_eq!(m.active_watts_per_core, Model::default().active_watts_per_core);
        assert!(toml::from_str::<Model>("idle = 1.0").is_err());
    }

    #[test]
    fn only_the_default_coefficients_are_credited_to_cloud_carbon_footprint() {
        let d = Model::default();
        assert!(d
            .describe()
            .contains("Cloud Carbon Footprint AWS averages 0.74 W idle / 3.5 W busy per vCPU"));
        let idle = Model {
            idle_watts: Watts(9.0),
            ..d
        };
        let text = idle.describe();
        assert!(!text.contains("Cloud Carbon"), "{text}");
        assert!(
            text.contains("idle_watts given by the user: [energy] idle_watts or --idle-watts"),
            "{text}"
        );
        let both = Model {
            idle_watts: Watts(9.0),
            active_watts_per_core: Watts(0.0),
        };
        let text = both.describe();
        assert!(
            !text.contains("Cloud Carbon") && text.contains("both given by the user"),
            "{text}"
        );
    }

    #[test]
    fn coefficients_outside_0_to_10000_watts_are_refused() {
        assert_eq!(check_watts(0.0), Ok(Watts(0.0)));
        assert_eq!(check_watts(10_000.0), Ok(Watts(10_000.0)));
        for w in [f64::NAN, f64::INFINITY, -1.0, 1e300] {
            let e = check_watts(w).unwrap_err();
            assert!(e.contains("from 0 to 10000") && e.len() < 80, "{e}");
        }
    }

    #[test]
    fn window_uses_readings_and_is_estimated() {
        let m = Model::for_cores(2);
        let a = Reading {
            at: Instant::now(),
            counters: vec![],
            process_cpu: Duration::from_secs(1),
        };
        let b = Reading {
            at: a.at + Duration::from_secs(1),
            counters: vec![],
            process_cpu: Duration::from_secs(2),
        };
        let w = m.between(&a, &b);
        assert!((w.total.value() - (1.48 + 2.76)).abs() < 1e-9);
        assert_eq!(m.info().quality, Quality::Estimated);
        assert!(m.read().is_ok());
    }
}
