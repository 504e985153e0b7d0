//! Axes for the charts: linear or log10 (when max/min > 100 and all values are positive), or
//! categorical (evenly spaced labels). Every axis is a linear plotters range over the transformed
//! values with explicit tick positions, so log and linear panels share one drawing code; the
//! tick labels show the real values. Also the display units (ns → µs, J → mJ, ...).

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use std::ops::Range;

/// Max/min beyond which a numeric axis is logarithmic.
pub const LOG_RATIO: f64 = 100.0;

/// A chart axis in transformed coordinates.
#[derive(Debug, Clone)]
pub struct Axis {
    pub log: bool,
    pub lo: f64,
    pub hi: f64,
    /// Tick positions (transformed) and their labels.
    pub ticks: Vec<(f64, String)>,
    /// Minor grid positions (transformed).
    pub minor: Vec<f64>,
}

impl Axis {
    /// A numeric axis over `values` (display units). Log when max/min > `LOG_RATIO` and all are
    /// positive and `allow_log`; a linear axis starts at 0 when `from_zero` and all are positive.
    pub fn numeric(values: &[f64], allow_log: bool, from_zero: bool) -> Axis {
        let v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        let (mut min, mut max) = v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
        if v.is_empty() {
            (min, max) = (0.0, 1.0);
        }
        if allow_log && min > 0.0 && max / min > LOG_RATIO {
            return Axis::log(min, max);
        }
        if from_zero && min >= 0.0 {
            min = 0.0;
        }
        if (max - min).abs() < f64::EPSILON * max.abs().max(1.0) {
            let pad = if max == 0.0 { 1.0 } else { max.abs() * 0.1 };
            (min, max) = (min - pad, max + pad);
        }
        let pad = (max - min) * 0.06;
        let lo = if from_zero && min == 0.0 { 0.0 } else { min - pad };
        Axis::linear(lo, max + pad)
    }

    fn linear(lo: f64, hi: f64) -> Axis {
        let step = nice_step((hi - lo) / 5.0);
        let mut ticks = Vec::new();
        let mut t = (lo / step).ceil() * step;
        while t <= hi + step * 1e-9 && ticks.len() < 50 {
            ticks.push((t, fmt_num(if t.abs() < step * 1e-9 { 0.0 } else { t })));
            t += step;
        }
        Axis {
            log: false,
            lo,
            hi,
            ticks,
            minor: Vec::new(),
        }
    }

    fn log(min: f64, max: f64) -> Axis {
        let (a, b) = (min.log10(), max.log10());
        let pad = (b - a) * 0.05;
        let (lo, hi) = (a - pad, b + pad);
        let (d0, d1) = (lo.ceil() as i32, hi.floor() as i32);
        let every = (((d1 - d0) as f64) / 7.0).ceil().max(1.0) as i32;
        let mut ticks: Vec<(f64, String)> = (d0..=d1)
            .filter(|d| (d - d0) % every == 0)
            .map(|d| (f64::from(d), fmt_num(10f64.powi(d))))
            .collect();
        if ticks.len() < 3 {
            // Few decades: label 2× and 5× too.
            ticks = (lo.floor() as i32..=hi.ceil() as i32)
                .flat_map(|d| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(d)))
                .filter(|v| (lo..=hi).contains(&v.log10()))
                .map(|v| (v.log10(), fmt_num(v)))
                .collect();
        }
        let minor = (lo.floor() as i32..=hi.ceil() as i32)
            .flat_map(|d| (2..10).map(move |m| (f64::from(m) * 10f64.powi(d)).log10()))
            .filter(|m| *m > lo && *m < hi)
            .collect();
        Axis {
            log: true,
            lo,
            hi,
            ticks,
            minor,
        }
    }

    /// A linear axis over `lo..hi` that always includes `must` (e.g. 1 for a ratio).
    pub fn numeric_with(values: &[f64], must: f64, allow_log: bool) -> Axis {
        let mut v = values.to_vec();
        v.push(must);
        Axis::numeric(&v, allow_log, false)
    }

    /// Evenly spaced categories at 0, 1, 2, ... with their labels.
    pub fn categorical(labels: &[String]) -> Axis {
        Axis {
            log: false,
            lo: -0.6,
            hi: labels.len() as f64 - 0.4,
            ticks: labels
                .iter()
                .enumerate()
                .map(|(i, l)| (i as f64, l.clone()))
                .collect(),
            minor: Vec::new(),
        }
    }

    /// A value (display units) in axis coordinates.
    pub fn to(&self, v: f64) -> f64 {
        if self.log {
            v.max(f64::MIN_POSITIVE).log10()
        } else {
            v
        }
    }

    /// The plotters range with this axis' ticks as key points.
    pub fn range(&self) -> AxisRange {
        AxisRange {
            lo: self.lo,
            hi: self.hi,
            bold: self.ticks.iter().map(|t| t.0).collect(),
            light: self.minor.clone(),
        }
    }

    /// The label of the tick at `pos` (empty between ticks).
    pub fn label(&self, pos: f64) -> String {
        let eps = (self.hi - self.lo).abs() * 1e-6;
        self.ticks
            .iter()
            .find(|t| (t.0 - pos).abs() <= eps)
            .map(|t| t.1.clone())
            .unwrap_or_default()
    }
}

/// A linear plotters coordinate over `lo..hi` with explicit bold (tick) and light (grid) points.
#[derive(Debug, Clone)]
pub struct AxisRange {
    lo: f64,
    hi: f64,
    bold: Vec<f64>,
    light: Vec<f64>,
}

impl Ranged for AxisRange {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        if self.hi == self.lo {
            return (limit.0 + limit.1) / 2;
        }
        let t = (v - self.lo) / (self.hi - self.lo);
        limit.0 + (t * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.light.clone()
        } else {
            self.bold.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let m = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

/// A tick label: up to 3 significant digits, no trailing zeros, `1e6` style when very large or
/// small.
pub fn fmt_num(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        let e = a.log10().floor() as i32;
        let m = v / 10f64.powi(e);
        return if (m.abs() - 1.0).abs() < 1e-9 {
            format!("{}1e{e}", if v < 0.0 { "-" } else { "" })
        } else {
            format!("{}e{e}", trim(&format!("{m:.2}")))
        };
    }
    let decimals = (2 - a.log10().floor() as i32).clamp(0, 6) as usize;
    trim(&format!("{v:.decimals$}"))
}

fn trim(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// A display unit: values are divided by `div` and labelled `name`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unit {
    pub div: f64,
    pub name: &'static str,
}

/// The unit for durations in nanoseconds whose largest value is `max_ns`.
pub fn time_unit(max_ns: f64) -> Unit {
    match max_ns {
        m if m < 1e3 => Unit { div: 1.0, name: "ns" },
        m if m < 1e6 => Unit {
            div: 1e3, name: "µs"
        },
        m if m < 1e9 => Unit { div: 1e6, name: "ms" },
        _ => Unit { div: 1e9, name: "s" },
    }
}

/// The unit for energies in joules whose largest magnitude is `max_j`.
pub fn energy_unit(max_j: f64) -> Unit {
    match max_j.abs() {
        m if m < 1e-3 => Unit {
            div: 1e-6,
            name: "µJ",
        },
        m if m < 1.0 => Unit {
            div: 1e-3,
            name: "mJ",
        },
        _ => Unit { div: 1.0, name: "J" },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_when_range_is_wide() {
        let a = Axis::numeric(&[10.0, 10_000.0], true, true);
        assert!(a.log);
        let labels: Vec<&str> = a.ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(labels, vec!["10", "100", "1000", "10000"]);
        assert!(!Axis::numeric(&[10.0, 900.0], true, true).log);
        assert!(!Axis::numeric(&[0.0, 10_000.0], true, true).log);
    }

    #[test]
    fn numbers_format_compactly() {
        assert_eq!(fmt_num(0.5), "0.5");
        assert_eq!(fmt_num(1500.0), "1500");
        assert_eq!(fmt_num(1e7), "1e7");
        assert_eq!(fmt_num(0.0001), "1e-4");
        assert_eq!(fmt_num(12.345), "12.3");
    }
}
