//! `nebula sensors`: a survey of every energy source — available or not and why, zones and
//! domains found, units and ranges, the cost of one reading, the fix for what is missing, and
//! which one `auto` picks. [`SensorsReport`] serializes for `--json` and displays for people.

use super::auto::EnergyOptions;
use super::powercap::{self, RealFs, Zone};
use super::window::{read_cost, READ_COST_SAMPLES};
use super::{perf, EnergyError, EnergySource, Quality};
use serde::Serialize;
use std::fmt;

/// One zone found under the powercap root, used or not.
#[derive(Debug, Clone, Serialize)]
pub struct ZoneReport {
    /// The zone's directory name, e.g. `intel-rapl:0:1` (perf: the event and CPU, e.g.
    /// `energy-pkg cpu 0`).
    pub id: String,
    /// Contents of the zone's `name` file, e.g. `package-0` or `dram` (perf: the event's name).
    pub name: String,
    /// The domain label Nebula gives it, e.g. `dram-0` (perf: `pkg-0`, `ram-0`, `psys`).
    pub label: String,
    /// Where the counter wraps, in microjoules (`u64::MAX` for perf counters).
    pub max_energy_range_uj: u64,
    /// The zone or counter is among the domains summed.
    pub used: bool,
}

/// What the survey found about one source.
#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    /// `powercap`, `perf` or `model`.
    pub name: &'static str,
    /// The source can be used on this machine.
    pub available: bool,
    /// Measured by hardware, or estimated by the model.
    pub quality: Quality,
    /// Where it was looked for.
    pub location: String,
    /// Why it is not available.
    pub reason: Option<String>,
    /// How to make it available.
    pub fix: Option<String>,
    /// The domains it would sum.
    pub domains: Vec<String>,
    /// Every zone or counter found, for powercap and perf.
    pub zones: Vec<ZoneReport>,
    /// Units and ranges, one line per domain.
    pub details: Vec<String>,
    /// How often the counters update, nanoseconds; `None` when the source does not say or is
    /// unavailable.
    pub update_interval_ns: Option<u64>,
    /// Median cost of one reading.
    pub read_cost_ns: Option<u64>,
}

/// The whole survey.
#[derive(Debug, Clone, Serialize)]
pub struct SensorsReport {
    /// Every source surveyed: powercap, perf and the model.
    pub sources: Vec<SourceReport>,
    /// The source `auto` picks.
    pub auto_picks: &'static str,
    /// Why `auto` picks it.
    pub auto_why: String,
    /// Whether any RAPL source (powercap or perf) works.
    pub rapl_present: bool,
    /// True when energy figures will be model estimates.
    pub estimates_only: bool,
    /// The model's idle power of the whole machine, watts.
    pub model_idle_watts: f64,
    /// The model's extra power of one busy core, watts.
    pub model_active_watts_per_core: f64,
    /// One plain sentence on what energy figures will be.
    pub summary: String,
}

fn zone_reports(zones: &[Zone], used: &[String]) -> Vec<ZoneReport> {
    zones
        .iter()
        .map(|z| ZoneReport {
            id: z.id.clone(),
            name: z.name.clone(),
            label: z.label(),
            max_energy_range_uj: z.max_energy_range_uj,
            used: used.contains(&z.label()) && !z.mmio_duplicate(zones),
        })
        .collect()
}

fn from_source(name: &'static str, location: String, source: &dyn EnergySource) -> SourceReport {
    let info = source.info();
    let cost = read_cost(source, READ_COST_SAMPLES).ok();
    SourceReport {
        name,
        available: true,
        quality: info.quality,
        location,
        reason: None,
        fix: None,
        domains: info.domains,
        zones: Vec::new(),
        details: info.details,
        update_interval_ns: info.update_interval.map(crate::units::ns),
        read_cost_ns: cost.map(crate::units::ns),
    }
}

fn unavailable(name: &'static str, location: String, e: &EnergyError) -> SourceReport {
    SourceReport {
        name,
        available: false,
        quality: Quality::Measured,
        location,
        reason: Some(e.reason()),
        fix: e.fix().map(str::to_string),
        domains: Vec::new(),
        zones: Vec::new(),
        details: Vec::new(),
        update_interval_ns: None,
        read_cost_ns: None,
    }
}

fn survey_powercap(opts: &EnergyOptions) -> SourceReport {
    let root = opts.powercap_root();
    let location = root.display().to_string();
    let found = powercap::discover(&root, &RealFs).unwrap_or_default();
    let mut r = match opts.open_powercap() {
        Ok(pc) => from_source("powercap", location, &pc),
        Err(e) => unavailable("powercap", location, &e),
    };
    r.zones = zone_reports(&found, &r.domains);
    r
}

fn survey_perf(opts: &EnergyOptions) -> SourceReport {
    let paths = opts.perf_paths();
    let location = paths.pmu.display().to_string();
    let plan = perf::discover(&paths).ok();
    let mut r = match opts.open_perf() {
        Ok(p) => from_source("perf", location, &p),
        Err(e) => unavailable("perf", location, &e),
    };
    if let Some(plan) = plan {
        r.zones = plan
            .counters
            .iter()
            .map(|c| ZoneReport {
                id: format!("{} cpu {}", plan.events[c.event].name, c.cpu),
                name: plan.events[c.event].name.clone(),
                label: c.label.clone(),
                max_energy_range_uj: u64::MAX,
                used: r.available,
            })
            .collect();
    }
    r
}

/// Survey every source with the options the run would use.
pub fn survey(opts: &EnergyOptions) -> SensorsReport {
    let pc = survey_powercap(opts);
    let pf = survey_perf(opts);
    let mut model = from_source("model", "CPU time and wall time".into(), &opts.model);
    model
        .details
        .push("always available; every figure it gives is labelled `estimated`".into());
    let rapl_present = pc.available || pf.available;
    let (auto_picks, auto_why) = if pc.available {
        (
            "powercap",
            format!(
                "powercap: measured RAPL counters {} at {}",
                pc.domains.join("+"),
                pc.location
            ),
        )
    } else if pf.available {
        (
            "perf",
            format!(
                "perf: measured RAPL counters {} (powercap not used: {})",
                pf.domains.join("+"),
                pc.reason.clone().unwrap_or_default()
            ),
        )
    } else {
        (
            "model",
            format!(
                "neither powercap nor perf is available, so the model estimates ({})",
                opts.model.describe()
            ),
        )
    };
    let summary = if rapl_present {
        format!("RAPL is present: energy figures will be MEASURED by {auto_picks}.")
    } else {
        format!(
            "No RAPL present (no powercap tree at {}, no power PMU at {}): energy figures will be \
             ESTIMATES from the model with coefficients idle {} + {} per busy core.",
            pc.location, pf.location, opts.model.idle_watts, opts.model.active_watts_per_core
        )
    };
    SensorsReport {
        sources: vec![pc, pf, model],
        auto_picks,
        auto_why,
        rapl_present,
        estimates_only: !rapl_present,
        model_idle_watts: opts.model.idle_watts.value(),
        model_active_watts_per_core: opts.model.active_watts_per_core.value(),
        summary,
    }
}

impl fmt::Display for SensorsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Energy sources")?;
        for s in &self.sources {
            let state = if s.available { "available" } else { "NOT AVAILABLE" };
            writeln!(f, "\n  {:<9} {}  ({})", s.name, state, s.location)?;
            if let Some(r) = &s.reason {
                writeln!(f, "    why:     {r}")?;
            }
            if let Some(fix) = &s.fix {
                writeln!(f, "    fix:     {fix}")?;
            }
            if s.available {
                writeln!(f, "    label:   {}", s.quality.as_str())?;
                writeln!(f, "    domains: {}", s.domains.join(" + "))?;
            }
            for z in &s.zones {
                let used = if z.used { "used" } else { "not summed" };
                writeln!(f, "    zone:    {} = {} ({}, {used})", z.id, z.name, z.label)?;
            }
            for d in &s.details {
                writeln!(f, "    detail:  {d}")?;
            }
            if let Some(c) = s.read_cost_ns {
                let cost = crate::units::human_duration(std::time::Duration::from_nanos(c));
                writeln!(f, "    one reading costs {cost}")?;
            }
        }
        writeln!(f, "\nauto picks: {} — {}", self.auto_picks, self.auto_why)?;
        writeln!(f, "{}", self.summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn fixture(p: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(p)
    }

    #[test]
    fn without_rapl_it_says_estimates_plainly() {
        let opts = EnergyOptions {
            powercap_root: Some(fixture("powercap/none-here")),
            perf_root: Some(fixture("perf/none-here")),
            ..EnergyOptions::default()
        };
        let r = survey(&opts);
        assert!(!r.rapl_present && r.estimates_only);
        assert_eq!(r.auto_picks, "model");
        let text = r.to_string();
        assert!(text.contains("No RAPL present"), "{text}");
        assert!(text.contains("ESTIMATES from the model"), "{text}");
        assert!(text.contains("fix:"), "{text}");
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["sources"][2]["available"], true);
        assert!(json["sources"][2]["read_cost_ns"].as_u64().is_some());
    }

    #[test]
    fn with_a_tree_it_lists_zones_and_what_is_summed() {
        let opts = EnergyOptions {
            powercap_root: Some(fixture("powercap/two-socket-dram")),
            perf_root: Some(fixture("perf/none-here")),
            ..EnergyOptions::default()
        };
        let r = survey(&opts);
        assert_eq!(r.auto_picks, "powercap");
        let pc = &r.sources[0];
        assert_eq!(pc.zones.len(), 6);
        let used: Vec<_> = pc
            .zones
            .iter()
            .filter(|z| z.used)
            .map(|z| z.id.as_str())
            .collect();
        assert_eq!(
            used,
            ["intel-rapl:0", "intel-rapl:0:1", "intel-rapl:1", "intel-rapl:1:0"]
        );
        assert!(r.to_string().contains("MEASURED"));
    }
}
