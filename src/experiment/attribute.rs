//! From a window's energy to each call's: the whole window for a lone call (`direct`), an even
//! share among sequential calls (`mean`), a CPU-time share among concurrent calls (`cpu-share`);
//! net energy by subtracting the idle baseline over the call's share of the window; the kernel's
//! energy from the marker readings where the source resolves it, else the kernel's CPU share.

use crate::energy::window::{kernel_energy, net, split_by_cpu, split_mean, KernelEnergy, Meter};
use crate::energy::{Split, WindowEnergy};
use crate::results::call::CallRow;
use crate::runtime::CallOutcome;
use crate::units::Joules;

/// One call's energy.
#[derive(Debug, Clone, PartialEq)]
pub struct CallEnergy {
    /// The call's share of its window's energy, idle power included (`energy_gross_j`).
    pub gross: Joules,
    /// Gross minus the idle baseline held over the call's share of the window (`energy_net_j`);
    /// `None` without a baseline. May be negative within the noise.
    pub net: Option<Joules>,
    /// The marked kernel's energy (`kernel_energy_j`); `None` without markers.
    pub kernel: Option<Joules>,
    /// How the window's energy reached the call (`energy_split`).
    pub split: Split,
}

/// Share `window` among the calls that ran in it. `concurrent` says whether they overlapped.
pub fn attribute(
    meter: &Meter,
    window: &WindowEnergy,
    calls: &[&CallOutcome],
    concurrent: bool,
) -> Vec<CallEnergy> {
    let n = calls.len();
    if n == 0 {
        return Vec::new();
    }
    let (gross, split): (Vec<Joules>, Split) = if n == 1 {
        (vec![window.total], Split::Direct)
    } else if concurrent {
        let cpu: Vec<_> = calls.iter().map(|c| c.cpu.total()).collect();
        (split_by_cpu(window, &cpu), Split::CpuShare)
    } else {
        (vec![split_mean(window, n); n], Split::Mean)
    };
    let total = window.total.value();
    calls
        .iter()
        .zip(gross)
        .map(|(call, g)| {
            // The call's share of the window's wall time, in the same proportion as its energy.
            let weight = if total > 0.0 {
                g.value() / total
            } else {
                1.0 / n as f64
            };
            let net = meter.idle.map(|w| net(g, w, window.duration.mul_f64(weight)));
            CallEnergy {
                gross: g,
                net,
                kernel: kernel_share(meter, call, g, n == 1),
                split,
            }
        })
        .collect()
}

/// The kernel's energy: read at the markers when the call was alone in its window and the
/// source resolves the span, else the call's energy scaled by the kernel's share of its CPU time.
fn kernel_share(meter: &Meter, call: &CallOutcome, gross: Joules, alone: bool) -> Option<Joules> {
    let k = call.kernel.as_ref()?;
    if alone {
        if let Some((a, b)) = &k.readings {
            if let KernelEnergy::Resolved(j) = kernel_energy(meter.source.as_ref(), a, b) {
                return Some(j);
            }
        }
    }
    let call_cpu = call.cpu.total().as_secs_f64();
    let kernel_cpu = k.cpu?.as_secs_f64();
    (call_cpu > 0.0).then(|| gross.scale((kernel_cpu / call_cpu).min(1.0)))
}

/// Write a call's energy and the source's labels into its row.
pub fn fill_row(row: &mut CallRow, meter: &Meter, e: &CallEnergy, window_id: u64, calls_in_window: u32) {
    let info = meter.source.info();
    row.energy_gross_j = Some(e.gross.value());
    row.energy_net_j = e.net.map(Joules::value);
    row.kernel_energy_j = e.kernel.map(Joules::value);
    row.energy_source = info.name.to_string();
    row.energy_label = Some(info.quality.into());
    row.energy_split = Some(e.split);
    row.energy_domains = info.domains.join("+");
    row.window_id = window_id;
    row.calls_in_window = calls_in_window;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::CpuTime;
    use crate::energy::model::Model;
    use crate::energy::{EnergySource, Reading, SourceInfo};
    use crate::runtime::{Kernel, Phases, RuntimeKind};
    use crate::units::Watts;
    use std::sync::Arc;
    use std::time::Duration;

    fn call(cpu_ms: u64, kernel_cpu_ms: Option<u64>) -> CallOutcome {
        CallOutcome {
            runtime: RuntimeKind::Wasm,
            wall: Duration::from_millis(10),
            phases: Phases::default(),
            kernel: kernel_cpu_ms.map(|k| Kernel {
                offset: Duration::ZERO,
                duration: Duration::from_millis(k),
                cpu: Some(Duration::from_millis(k)),
                readings: None,
            }),
            cpu: CpuTime {
                user: Duration::from_millis(cpu_ms),
                system: Duration::ZERO,
            },
            peak_memory_bytes: 0,
            exit_code: Some(0),
            stdout: vec![],
            stderr_tail: vec![],
            error: None,
        }
    }

    fn window(j: f64, ms: u64) -> WindowEnergy {
        WindowEnergy {
            total: Joules(j),
            per_domain: vec![],
            duration: Duration::from_millis(ms),
            missed_wrap_suspected: false,
            implausible: None,
        }
    }

    struct Fixed;
    impl EnergySource for Fixed {
        fn info(&self) -> SourceInfo {
            SourceInfo {
                name: "fixed",
                quality: crate::energy::Quality::Measured,
                domains: vec!["package-0".into()],
                details: vec![],
                resolution: None,
                update_interval: None,
            }
        }
        fn read(&self) -> Result<Reading, crate::energy::EnergyError> {
            Ok(Reading {
                at: std::time::Instant::now(),
                counters: vec![0],
                process_cpu: Duration::ZERO,
            })
        }
        fn between(&self, _: &Reading, _: &Reading) -> WindowEnergy {
            window(0.0, 0)
        }
    }

    fn meter(idle: Option<f64>) -> Meter {
        Meter {
            source: Arc::new(Fixed),
            idle: idle.map(Watts),
            read_cost: Duration::ZERO,
        }
    }

    #[test]
    fn sequential_calls_share_evenly_and_concurrent_by_cpu() {
        let (a, b) = (call(30, None), call(10, None));
        let seq = attribute(&meter(None), &window(4.0, 100), &[&a, &b], false);
        assert_eq!(
            seq.iter().map(|e| e.gross).collect::<Vec<_>>(),
            vec![Joules(2.0), Joules(2.0)]
        );
        assert!(seq.iter().all(|e| e.split == Split::Mean && e.net.is_none()));
        let con = attribute(&meter(None), &window(4.0, 100), &[&a, &b], true);
        assert_eq!(
            con.iter().map(|e| e.gross).collect::<Vec<_>>(),
            vec![Joules(3.0), Joules(1.0)]
        );
        assert_eq!(con[0].split, Split::CpuShare);
        let one = attribute(&meter(None), &window(4.0, 100), &[&a], false);
        assert_eq!((one[0].gross, one[0].split), (Joules(4.0), Split::Direct));
    }

    #[test]
    fn net_subtracts_idle_over_the_calls_share_and_kernel_takes_its_cpu_share() {
        let (a, b) = (call(30, Some(15)), call(10, None));
        // 2 W idle over 100 ms = 0.2 J, shared 3:1 like the gross energy.
        let e = attribute(&meter(Some(2.0)), &window(4.0, 100), &[&a, &b], true);
        assert!((e[0].net.unwrap().value() - (3.0 - 0.15)).abs() < 1e-9);
        assert!((e[1].net.unwrap().value() - (1.0 - 0.05)).abs() < 1e-9);
        assert!(
            (e[0].kernel.unwrap().value() - 1.5).abs() < 1e-9,
            "half the call's CPU is its kernel"
        );
        assert_eq!(e[1].kernel, None);
    }

    #[test]
    fn the_model_resolves_a_lone_calls_kernel_from_its_readings() {
        let m = Model {
            idle_watts: Watts(1.0),
            active_watts_per_core: Watts(2.0),
        };
        let meter = Meter {
            source: Arc::new(m),
            idle: None,
            read_cost: Duration::ZERO,
        };
        let mut c = call(10, Some(5));
        let t = std::time::Instant::now();
        let r0 = Reading {
            at: t,
            counters: vec![],
            process_cpu: Duration::ZERO,
        };
        let r1 = Reading {
            at: t + Duration::from_secs(1),
            counters: vec![],
            process_cpu: Duration::from_secs(1),
        };
        c.kernel.as_mut().unwrap().readings = Some((r0, r1));
        let e = attribute(&meter, &window(10.0, 1000), &[&c], false);
        assert!(
            (e[0].kernel.unwrap().value() - 3.0).abs() < 1e-9,
            "1 W idle + 2 W x 1 s busy"
        );
    }
}
