//! One idle baseline per run. A run measures idle power before its first window and every
//! window's net energy subtracts it. `--resume` keeps that baseline (so net energy stays
//! comparable across the run) and measures a fresh one only as a check: both are listed in
//! `metadata.json` (`energy.baselines`, with times and which one is in use), and a check that
//! differs from the run's baseline by more than [`DRIFT_WARN`] is a warning. A resume that
//! would measure with another energy source than the run's is refused.

use super::config::Plan;
use crate::energy::window::Meter;
use crate::results::metadata::{Baseline, Metadata, Timestamp};
use anyhow::{bail, Context, Result};
use std::path::Path;

/// A resume warns when its fresh idle power differs from the run's baseline by more than this
/// share of the run's baseline (10 %): more than RAPL's idle noise on a quiet machine, so the
/// machine's idle state (other load, frequency governor, thermal state) has likely changed.
pub const DRIFT_WARN: f64 = 0.10;

/// The baseline in use after a start or resume, the list to record, and a warning if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Settled {
    /// The idle power in use, in watts: the run's own baseline, else the fresh one; `None` when the
    /// run has none.
    pub in_use: Option<f64>,
    /// Every baseline of the run, the fresh one last (`energy.baselines` in `metadata.json`).
    pub baselines: Vec<Baseline>,
    /// Why the fresh baseline is suspect: it differs from the run's by more than [`DRIFT_WARN`].
    pub warning: Option<String>,
}

/// The run's baselines so far: the recorded list, or (metadata written before the list existed)
/// its `idle_watts` as the one in use.
pub fn recorded(baselines: &[Baseline], idle_watts: Option<f64>, started: Timestamp) -> Vec<Baseline> {
    if !baselines.is_empty() {
        return baselines.to_vec();
    }
    idle_watts
        .map(|w| Baseline {
            measured_at: started,
            watts: w,
            duration_s: 0.0,
            session: "run".into(),
            in_use: true,
        })
        .into_iter()
        .collect()
}

/// Decide the baseline after measuring `fresh` (None when `idle_baseline = "0s"`). `prior` is
/// what the run recorded before (empty on a new run, or a resume of a run that never measured
/// one): the fresh value is used when there is no prior one, else it is only a check.
pub fn settle(prior: Vec<Baseline>, fresh: Option<Baseline>, metadata: &Path) -> Settled {
    let mut baselines = prior;
    let original = baselines.iter().find(|b| b.in_use).map(|b| b.watts);
    let Some(mut fresh) = fresh else {
        return Settled {
            in_use: original,
            baselines,
            warning: None,
        };
    };
    fresh.in_use = original.is_none();
    let warning = original.and_then(|o| drift_warning(o, fresh.watts, metadata));
    baselines.push(fresh.clone());
    Settled {
        in_use: original.or(Some(fresh.watts)),
        baselines,
        warning,
    }
}

/// Measure idle power (unless `idle_baseline = "0s"`) and settle the run's one baseline: a new
/// run uses what it measured; a resume keeps the run's own and records the fresh value as a check
/// (a drift is a warning). A resume whose energy source differs from the run's is refused.
/// Returns the list of baselines to record; `meter.idle` is the one in use.
pub fn measure_and_settle(
    plan: &Plan,
    dir: &Path,
    meta: &mut Metadata,
    meter: &mut Meter,
) -> Result<Vec<Baseline>> {
    let name = meter.source.info().name;
    if !meta.energy.source.is_empty() && meta.energy.source != name {
        bail!(
            "{} was measured with the energy source '{}', and this session would use '{name}': \
             its windows would not be comparable. Resume it where '{}' is available (`nebula \
             sensors` shows what this machine has), or run the config again",
            dir.display(),
            meta.energy.source,
            meta.energy.source
        );
    }
    let prior = recorded(&meta.energy.baselines, meta.energy.idle_watts, meta.started);
    let fresh = if plan.idle_baseline.is_zero() {
        None
    } else {
        let measured_at = Timestamp::now();
        let watts = meter
            .measure_idle(plan.idle_baseline)
            .context("cannot measure the idle baseline")?;
        Some(Baseline {
            measured_at,
            watts: watts.value(),
            duration_s: plan.idle_baseline.as_secs_f64(),
            session: if meta.resumed.is_empty() { "run" } else { "resume" }.into(),
            in_use: false,
        })
    };
    let settled = settle(prior, fresh, &dir.join("metadata.json"));
    meter.idle = settled.in_use.map(crate::units::Watts);
    if let Some(w) = settled.warning {
        meta.warn(w);
    }
    Ok(settled.baselines)
}

/// `|fresh - original| / original`; infinite when the original is zero and the fresh is not.
pub fn drift(original: f64, fresh: f64) -> f64 {
    if original == fresh {
        return 0.0;
    }
    (fresh - original).abs() / original.abs()
}

fn drift_warning(original: f64, fresh: f64, metadata: &Path) -> Option<String> {
    let d = drift(original, fresh);
    (d > DRIFT_WARN).then(|| {
        format!(
            "the idle power measured now ({fresh:.3} W) differs from the run's idle baseline \
             ({original:.3} W) by {:.0}% (more than {:.0}%): the machine idles differently than \
             when the run started (other load, governor, temperature). Net energy keeps using \
             {original:.3} W so that the run stays consistent; both are listed under \
             energy.baselines in {}. Consider rerunning the whole experiment if the difference \
             matters for net energy",
            d * 100.0,
            DRIFT_WARN * 100.0,
            metadata.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Timestamp {
        text.parse().expect("an RFC 3339 time")
    }

    fn b(watts: f64, session: &str, in_use: bool) -> Baseline {
        Baseline {
            measured_at: t("2026-01-01T00:00:00.000Z"),
            watts,
            duration_s: 2.0,
            session: session.into(),
            in_use,
        }
    }

    #[test]
    fn a_new_run_uses_its_own_measurement() {
        let s = settle(vec![], Some(b(5.0, "run", false)), Path::new("m.json"));
        assert_eq!(s.in_use, Some(5.0));
        assert_eq!(s.baselines, vec![b(5.0, "run", true)]);
        assert_eq!(s.warning, None);
    }

    #[test]
    fn a_resume_keeps_the_original_and_records_its_check() {
        let s = settle(
            vec![b(5.0, "run", true)],
            Some(b(5.2, "resume", true)),
            Path::new("m.json"),
        );
        assert_eq!(s.in_use, Some(5.0));
        assert_eq!(s.baselines, vec![b(5.0, "run", true), b(5.2, "resume", false)]);
        assert_eq!(s.warning, None, "4% is within the threshold");
    }

    #[test]
    fn a_resume_whose_check_drifts_warns_with_both_values_and_the_file() {
        let s = settle(
            vec![b(5.0, "run", true)],
            Some(b(6.0, "resume", false)),
            Path::new("results/x/metadata.json"),
        );
        assert_eq!(s.in_use, Some(5.0));
        let w = s.warning.unwrap_or_default();
        assert!(
            w.contains("6.000 W")
                && w.contains("5.000 W")
                && w.contains("20%")
                && w.contains("results/x/metadata.json"),
            "{w}"
        );
        assert_eq!(s.baselines.iter().filter(|b| b.in_use).count(), 1);
    }

    #[test]
    fn without_a_fresh_measurement_the_original_stays_and_without_either_there_is_none() {
        let s = settle(vec![b(5.0, "run", true)], None, Path::new("m.json"));
        assert_eq!((s.in_use, s.baselines.len()), (Some(5.0), 1));
        let s = settle(vec![], None, Path::new("m.json"));
        assert_eq!((s.in_use, s.baselines.len()), (None, 0));
    }

    #[test]
    fn old_metadata_without_the_list_gives_its_idle_watts_as_the_baseline() {
        let r = recorded(&[], Some(3.0), t("2026-02-02T00:00:00Z"));
        assert_eq!(r.len(), 1);
        assert!(
            r[0].in_use && r[0].watts == 3.0 && r[0].measured_at.to_string() == "2026-02-02T00:00:00.000Z"
        );
        let x = t("2026-03-03T00:00:00Z");
        assert!(recorded(&[], None, x).is_empty());
        assert_eq!(recorded(&[b(1.0, "run", true)], Some(9.0), x)[0].watts, 1.0);
    }

    #[test]
    fn drift_is_relative_to_the_original() {
        assert_eq!(drift(5.0, 5.0), 0.0);
        assert!((drift(5.0, 4.0) - 0.2).abs() < 1e-12);
        assert!(drift(0.0, 1.0).is_infinite());
    }
}
