//! Tick positions and number formats for the chart axes and the report: linear ticks at 1, 2 or
//! 5 times a power of ten, log ticks at decades (or 1-2-5 within one), binary byte ticks
//! (1 KiB, 4 KiB, ...), and the display units of durations and energies (ns → µs, J → mJ);
//! durations and energies are written by [`crate::units`] in its Unicode style.
//!
//! Plotters has key points of its own for linear and log ranges, but for no number of points
//! asked for are they these ticks, so every axis keeps Nebula's ([`super::axis::AxisRange`]
//! hands them to plotters as its key points). Nebula's linear step is the smallest 1-2-5 step
//! of at least a fifth of the range; plotters' is the finest whose multiples inside the range
//! are at most as many as asked, which depends on where the range lies: 0..1 gets 0, 0.2, ...,
//! 1 here and at most 0, 0.5, 1 from plotters at five points or fewer; 1.25..7.56 gets 2, 4, 6
//! here and 2, 3, ..., 7 or finer at six or more. Log axes alike: every k-th decade here with k
//! from the decades inside the range, there from the range's whole decades with another bound
//! (10^0.1..10^5.2 gets every decade here, every second or third from plotters at four points
//! or fewer; 10^0.9..10^6.1 every second here, every one at five or more). Plotters' grid lines
//! between decades start at the first decade and stop at the last, and it has no 1-2-5 ticks
//! within a range of under three decades, nor byte ticks. The test
//! `plotters_key_points_are_other_ticks` checks these examples.

pub use crate::numfmt::{fmt_num, fmt_power};
pub use crate::units::Unit;

use crate::numfmt::pow10;
use crate::units::{fmt_duration, UnitStyle};

/// The unit for durations in nanoseconds whose largest value is `max_ns` ("µs").
pub fn time_unit(max_ns: f64) -> Unit {
    crate::units::time_unit(max_ns, UnitStyle::Unicode)
}

/// The unit for energies in joules whose largest magnitude is `max_j` ("µJ").
pub fn energy_unit(max_j: f64) -> Unit {
    crate::units::energy_unit(max_j, UnitStyle::Unicode)
}

/// Binary byte units, smallest first.
const BYTE_UNITS: [(f64, &str); 5] = [
    (1.0, "B"),
    (1024.0, "KiB"),
    (1048576.0, "MiB"),
    (1073741824.0, "GiB"),
    (1099511627776.0, "TiB"),
];

/// Most ticks an axis gets (fewer labels are drawn when they would touch).
const MAX_TICKS: usize = 6;

/// 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let m = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .find(|m| raw / mag <= *m)
        .unwrap_or(10.0);
    m * mag
}

/// Ticks at multiples of `step` within `lo..=hi`.
fn multiples(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let first = (lo / step).ceil() as i64;
    (first..)
        .map(|k| k as f64 * step)
        .take_while(|t| *t <= hi + step * 1e-9)
        .take(50)
        .collect()
}

/// Linear ticks over `lo..hi` (display units) at a 1-2-5 step, about five of them.
pub fn linear_ticks(lo: f64, hi: f64) -> Vec<f64> {
    multiples(lo, hi, nice_step((hi - lo) / 5.0))
}

/// Log ticks over the log10 range `lo..hi`: their values, and the minor grid positions (log10).
/// Decades when three or more fit (every k-th when many), else 1-2-5 (or 1-3) within the range,
/// else linear ticks.
pub fn log10_ticks(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    let (d0, d1) = (lo.ceil() as i32, hi.floor() as i32);
    let decades = (d1 - d0 + 1).max(0) as usize;
    if decades >= 3 {
        let every = decades.div_ceil(MAX_TICKS - 1) as i32;
        let ticks = (d0..=d1)
            .filter(|d| (d - d0) % every == 0)
            .map(|d| pow10(1.0, d))
            .collect();
        let minor = (lo.floor() as i32..=hi.ceil() as i32)
            .flat_map(|d| {
                let subs: Vec<f64> = if every == 1 {
                    (2..10).map(|m| pow10(f64::from(m), d)).collect()
                } else {
                    vec![pow10(1.0, d)]
                };
                subs.into_iter().map(f64::log10)
            })
            .filter(|m| *m > lo && *m < hi)
            .collect();
        return (ticks, minor);
    }
    let series = |ms: &[f64]| -> Vec<f64> {
        (lo.floor() as i32..=hi.ceil() as i32)
            .flat_map(|d| ms.iter().map(move |m| pow10(*m, d)))
            .filter(|v| (lo..=hi).contains(&v.log10()))
            .collect()
    };
    let mut ticks = series(&[1.0, 2.0, 5.0]);
    if ticks.len() > MAX_TICKS {
        ticks = series(&[1.0, 3.0]);
    }
    if ticks.len() < 2 {
        ticks = linear_ticks(10f64.powf(lo), 10f64.powf(hi))
            .into_iter()
            .filter(|v| *v > 0.0)
            .collect();
    }
    (ticks, Vec::new())
}

/// Byte ticks over `lo..hi` (bytes) with their labels: powers of two (every k-th) on a log axis,
/// multiples of a power of two on a linear one.
pub fn bytes_ticks(lo: f64, hi: f64, log: bool) -> Vec<(f64, String)> {
    let label = |v: f64| (v, fmt_bytes(v));
    if log && lo > 0.0 {
        let (e0, e1) = (lo.log2().ceil() as i32, hi.log2().floor() as i32);
        for k in [1, 2, 5, 10, 20] {
            let es: Vec<i32> = (e0..=e1).filter(|e| e.rem_euclid(k) == 0).collect();
            if es.len() < MAX_TICKS {
                if es.len() >= 2 || k > 1 {
                    return es.into_iter().map(|e| label(2f64.powi(e))).collect();
                }
                break;
            }
        }
    }
    let raw = ((hi - lo) / 5.0).max(1.0);
    let step = 2f64.powi(raw.log2().ceil() as i32);
    multiples(lo, hi, step)
        .into_iter()
        .filter(|v| !log || *v > 0.0)
        .map(label)
        .collect()
}

fn with_unit(v: f64, u: Unit) -> String {
    if v == 0.0 {
        "0".into()
    } else {
        format!("{} {}", fmt_num(v / u.div), u.name)
    }
}

/// A duration in ns with its own unit: "1 µs", "250 ms".
pub fn fmt_time(ns: f64) -> String {
    fmt_duration(ns, UnitStyle::Unicode)
}

/// An energy in J with its own unit: "10 µJ", "1.5 mJ".
pub fn fmt_energy(j: f64) -> String {
    crate::units::fmt_energy(j, UnitStyle::Unicode)
}

/// A size in bytes with a binary unit: "512 B", "1.5 KiB", "64 MiB".
pub fn fmt_bytes(b: f64) -> String {
    let (div, name) = BYTE_UNITS
        .iter()
        .rev()
        .find(|(d, _)| b.abs() >= *d)
        .copied()
        .unwrap_or(BYTE_UNITS[0]);
    with_unit(b, Unit { div, name })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_carry_their_unit() {
        assert_eq!(fmt_time(1000.0), "1 µs");
        assert_eq!(fmt_time(pow10(1.0, 8)), "100 ms");
        assert_eq!(fmt_energy(pow10(1.0, -3)), "1 mJ");
        assert_eq!(fmt_bytes(1536.0), "1.5 KiB");
        assert_eq!(fmt_bytes(64.0 * 1048576.0), "64 MiB");
    }

    #[test]
    fn log_ticks_fall_back_within_a_decade() {
        let (t, _) = log10_ticks(1.0, 4.2);
        assert_eq!(t, vec![10.0, 100.0, 1000.0, 10000.0]);
        // Two decades: 1-3 steps, not two lonely labels.
        let (t, _) = log10_ticks(4.2, 6.8);
        assert_eq!(t, vec![3e4, 1e5, 3e5, 1e6, 3e6]);
        let (t, _) = log10_ticks(2000f64.log10(), 9000f64.log10());
        assert_eq!(t, vec![2000.0, 5000.0]);
        let (t, _) = log10_ticks(12.0f64.log10(), 14.0f64.log10());
        assert!(
            t.len() >= 2 && t.iter().all(|v| (12.0..=14.0).contains(v)),
            "{t:?}"
        );
    }

    /// The examples of the module doc: for any number of points asked for, plotters' key points
    /// have other counts than these ticks on one of two ranges.
    #[test]
    fn plotters_key_points_are_other_ticks() {
        use plotters::coord::combinators::{IntoLogRange, LogCoord};
        use plotters::coord::ranged1d::Ranged;
        use plotters::coord::types::RangedCoordf64;
        let linear = |lo: f64, hi: f64, n: usize| RangedCoordf64::from(lo..hi).key_points(n).len();
        let log = |lo: f64, hi: f64, n: usize| {
            let c: LogCoord<f64> = (10f64.powf(lo)..10f64.powf(hi)).log_scale().into();
            c.key_points(n).len()
        };
        assert_eq!(linear_ticks(0.0, 1.0).len(), 6);
        assert_eq!(linear_ticks(1.25, 7.56), [2.0, 4.0, 6.0]);
        assert_eq!(log10_ticks(0.1, 5.2).0, [10.0, 100.0, 1000.0, 1e4, 1e5]);
        assert_eq!(log10_ticks(0.9, 6.1).0, [10.0, 1000.0, 1e5]);
        for n in 1..=20 {
            assert!(
                if n <= 5 {
                    linear(0.0, 1.0, n) <= 3
                } else {
                    linear(1.25, 7.56, n) >= 6
                },
                "{n}"
            );
            assert!(
                if n <= 4 {
                    log(0.1, 5.2, n) <= 3
                } else {
                    log(0.9, 6.1, n) >= 6
                },
                "{n}"
            );
        }
    }
}
