//! Measurement windows: a [`Meter`] opens and closes windows on a source, knows what one reading
//! costs and the idle baseline; helpers divide a window's energy among its calls (`mean`), attribute
//! it by CPU share under concurrency (`cpu-share`), subtract idle power (net energy), and decide
//! whether a marked kernel is long enough for the source to resolve its energy.
//!
//! Nothing here logs: these functions run inside measured windows.

use super::{EnergyError, EnergySource, Quality, Reading, SourceInfo, WindowEnergy};
use crate::units::{Joules, Watts};
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How many readings [`Meter::new`] times to find the cost of one.
pub const READ_COST_SAMPLES: usize = 50;
/// A kernel must span this many counter updates for its energy to be reported.
pub const KERNEL_MIN_UPDATES: u32 = 10;
/// Default minimum length of a measurement window.
pub const DEFAULT_MIN_WINDOW: Duration = Duration::from_millis(100);

/// A source with its reading cost and (once measured) idle power.
#[derive(Clone)]
pub struct Meter {
    /// The energy source the windows read.
    pub source: Arc<dyn EnergySource>,
    /// Idle power from [`Meter::measure_idle`], if measured.
    pub idle: Option<Watts>,
    /// Median wall time of one `read()`.
    pub read_cost: Duration,
}

impl std::fmt::Debug for Meter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meter")
            .field("source", &self.source.info().name)
            .field("idle", &self.idle)
            .field("read_cost", &self.read_cost)
            .finish()
    }
}

/// Median wall time of one reading of `source`, over `samples` readings.
pub fn read_cost(source: &dyn EnergySource, samples: usize) -> Result<Duration, EnergyError> {
    let mut times = Vec::with_capacity(samples.max(1));
    for _ in 0..samples.max(1) {
        let t = Instant::now();
        source.read()?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

impl Meter {
    /// Wrap a source and time one reading of it (median of [`READ_COST_SAMPLES`]).
    pub fn new(source: Arc<dyn EnergySource>) -> Result<Meter, EnergyError> {
        let read_cost = read_cost(source.as_ref(), READ_COST_SAMPLES)?;
        Ok(Meter {
            source,
            idle: None,
            read_cost,
        })
    }

    /// Measure idle power: read, sleep `d`, read. Stores and returns the average power.
    /// For the model this is its `idle_watts` (no CPU is used while sleeping). An error, not
    /// 0 W, when the interval is empty or its readings are not usable (see [`window_problem`]).
    pub fn measure_idle(&mut self, d: Duration) -> Result<Watts, EnergyError> {
        let a = self.source.read()?;
        std::thread::sleep(d);
        let w = self.close(&a)?;
        let watts = w.total.over(w.duration).ok_or_else(|| {
            EnergyError::Unavailable(format!(
                "the idle baseline lasted {}: no power can be measured over it; give it a \
                 duration (e.g. idle_baseline = \"10s\" or --baseline 2s)",
                crate::units::human_duration(w.duration)
            ))
        })?;
        self.idle = Some(watts);
        Ok(watts)
    }

    /// Start a window.
    pub fn open(&self) -> Result<Reading, EnergyError> {
        self.source.read()
    }

    /// End a window started with [`Meter::open`]. An error when its readings are no energy
    /// figure (see [`window_problem`]): the window is then `unavailable`, never a measured 0 J.
    pub fn close(&self, start: &Reading) -> Result<WindowEnergy, EnergyError> {
        let end = self.source.read()?;
        let w = self.source.between(start, &end);
        match window_problem(&self.source.info(), &w) {
            Some(why) => Err(EnergyError::Unavailable(why)),
            None => Ok(w),
        }
    }

    /// Whether the source measures or estimates.
    pub fn quality(&self) -> Quality {
        self.source.info().quality
    }
}

/// Why `w` is not a usable energy figure from a source described by `info`: the source found
/// its readings implausible, or a measuring source's counters did not move at all over a window
/// of at least [`KERNEL_MIN_UPDATES`] update intervals. A working RAPL counter updates every
/// millisecond and a package never draws 0 W, so frozen counters are a dead or fake PMU (some
/// virtual machines expose one), not a measurement of 0 J.
pub fn window_problem(info: &SourceInfo, w: &WindowEnergy) -> Option<String> {
    if let Some(why) = &w.implausible {
        return Some(why.clone());
    }
    let step = info.update_interval?;
    let frozen = info.quality == Quality::Measured
        && !w.per_domain.is_empty()
        && w.per_domain.iter().all(|d| d.raw_start == d.raw_end)
        && w.duration >= step * KERNEL_MIN_UPDATES;
    frozen.then(|| {
        format!(
            "the {} counters ({}) did not move in {}, over {} updates: they are not counting \
             (a virtual machine's fake PMU, or a stalled driver), so the window has no energy \
             figure; check `nebula sensors`, or use --set energy.source=model for labelled estimates",
            info.name,
            info.domains.join("+"),
            crate::units::human_duration(w.duration),
            w.duration.as_millis() / step.as_millis().max(1)
        )
    })
}

/// Whether a window that has run `calls` calls in `elapsed` should stop: it has lasted at least
/// `min_duration`, or (when given) it has run `min_calls` calls.
pub fn window_done(
    elapsed: Duration,
    calls: usize,
    min_duration: Duration,
    min_calls: Option<usize>,
) -> bool {
    elapsed >= min_duration || min_calls.is_some_and(|n| calls >= n)
}

/// One call's share of a window of sequential calls: the total divided evenly.
pub fn split_mean(window: &WindowEnergy, calls: usize) -> Joules {
    if calls == 0 {
        return Joules::ZERO;
    }
    window.total.scale(1.0 / calls as f64)
}

/// Attribute a window's energy to concurrent calls by their share of the CPU time. The shares
/// sum to the window's total; if no call used measurable CPU time, the split is equal.
pub fn split_by_cpu(window: &WindowEnergy, cpu: &[Duration]) -> Vec<Joules> {
    if cpu.is_empty() {
        return Vec::new();
    }
    let sum: f64 = cpu.iter().map(Duration::as_secs_f64).sum();
    if sum <= 0.0 {
        return vec![window.total.scale(1.0 / cpu.len() as f64); cpu.len()];
    }
    cpu.iter()
        .map(|c| window.total.scale(c.as_secs_f64() / sum))
        .collect()
}

/// Net energy of a call: its gross energy minus idle power held for the call's share of the
/// window's wall time (`share_of_window`: the window's duration times the call's share of the
/// window's energy, so 1/n of it for `mean`, its CPU share for `cpu-share`, as
/// `experiment::attribute::attribute` computes; the calls' idle shares add up to idle x the window). May be
/// negative when the call's gross energy is within the noise of the idle baseline; reported as
/// is (summary.csv's `energy_net_above_idle` says whether a cell's net energy is resolved).
pub fn net(gross: Joules, idle: Watts, share_of_window: Duration) -> Joules {
    gross - idle.for_duration(share_of_window)
}

/// The energy of a marked kernel, or why the source cannot tell.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", content = "value", rename_all = "lowercase")]
pub enum KernelEnergy {
    /// The kernel's energy, read at its markers.
    Resolved(Joules),
    /// Why the source cannot resolve the kernel's span (too short for its counters, or the readings
    /// are implausible).
    Unresolved(String),
}

impl KernelEnergy {
    /// The kernel's energy, when resolved.
    pub fn joules(&self) -> Option<Joules> {
        match self {
            KernelEnergy::Resolved(j) => Some(*j),
            KernelEnergy::Unresolved(_) => None,
        }
    }
}

/// The energy between the readings taken at `bench.start` and `bench.end`, when the kernel spans
/// at least [`KERNEL_MIN_UPDATES`] counter updates; an estimating source always resolves.
pub fn kernel_energy(source: &dyn EnergySource, start: &Reading, end: &Reading) -> KernelEnergy {
    let info = source.info();
    let lasted = end.at.saturating_duration_since(start.at);
    if info.quality == Quality::Measured {
        if let Some(step) = info.update_interval {
            let need = step * KERNEL_MIN_UPDATES;
            if lasted < need {
                return KernelEnergy::Unresolved(format!(
                    "kernel lasted {}, shorter than {} updates of the {} counters ({}); \
                     see the window's per-call energy instead",
                    crate::units::human_duration(lasted),
                    KERNEL_MIN_UPDATES,
                    info.name,
                    crate::units::human_duration(need)
                ));
            }
        }
    }
    let w = source.between(start, end);
    match window_problem(&info, &w) {
        Some(why) => KernelEnergy::Unresolved(why),
        None => KernelEnergy::Resolved(w.total),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::energy::model::Model;

    fn window(total: f64, ms: u64) -> WindowEnergy {
        WindowEnergy {
            total: Joules(total),
            per_domain: vec![],
            duration: Duration::from_millis(ms),
            missed_wrap_suspected: false,
            implausible: None,
        }
    }

    #[test]
    fn mean_split_divides_by_calls() {
        assert_eq!(split_mean(&window(3.0, 100), 4), Joules(0.75));
        assert_eq!(split_mean(&window(3.0, 100), 0), Joules::ZERO);
    }

    #[test]
    fn cpu_share_split_sums_to_the_window() {
        let w = window(10.0, 100);
        let cpu = [
            Duration::from_millis(30),
            Duration::from_millis(10),
            Duration::ZERO,
        ];
        let parts = split_by_cpu(&w, &cpu);
        assert!((parts[0].value() - 7.5).abs() < 1e-12);
        assert!((parts[1].value() - 2.5).abs() < 1e-12);
        assert_eq!(parts[2], Joules(0.0));
        let sum: f64 = parts.iter().map(|j| j.value()).sum();
        assert!((sum - 10.0).abs() < 1e-12);
    }

    #[test]
    fn zero_cpu_splits_equally() {
        let parts = split_by_cpu(&window(9.0, 100), &[Duration::ZERO; 3]);
        assert_eq!(parts, vec![Joules(3.0); 3]);
        assert!(split_by_cpu(&window(9.0, 100), &[]).is_empty());
    }

    #[test]
    fn net_subtracts_idle_over_the_share() {
        let n = net(Joules(5.0), Watts(10.0), Duration::from_millis(200));
        assert!((n.value() - 3.0).abs() < 1e-12);
    }

    #[test]
    fn windows_end_on_time_or_count() {
        let min = DEFAULT_MIN_WINDOW;
        assert!(!window_done(Duration::from_millis(50), 3, min, None));
        assert!(window_done(Duration::from_millis(100), 3, min, None));
        assert!(window_done(Duration::from_millis(1), 10, min, Some(10)));
    }

    #[test]
    fn model_kernels_always_resolve_and_meter_works() {
        let m: Arc<dyn EnergySource> = Arc::new(Model::for_cores(2));
        let a = m.read().unwrap();
        let b = m.read().unwrap();
        assert!(matches!(
            kernel_energy(m.as_ref(), &a, &b),
            KernelEnergy::Resolved(_)
        ));
        let mut meter = Meter::new(m).unwrap();
        assert!(meter.read_cost > Duration::ZERO);
        let idle = meter.measure_idle(Duration::from_millis(20)).unwrap();
        // Other test threads may burn CPU meanwhile, so only the floor is certain.
        assert!(idle.value() >= 1.48 - 1e-9, "{idle}");
        let start = meter.open().unwrap();
        let w = meter.close(&start).unwrap();
        assert!(w.total.value() >= 0.0);
        assert_eq!(meter.quality(), Quality::Estimated);
    }
}
