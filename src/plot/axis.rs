//! Axes for the charts: linear or log10, or categorical (evenly spaced labels). One scale policy
//! for every chart ([`log_scale`]): an axis is logarithmic when some panel's values span more
//! than `LOG_RATIO` and every value of the chart is positive, and then every panel of that chart
//! is. Values are given in base units (ns, J, bytes, plain numbers); an axis knows its
//! [`Quantity`] and labels its ticks: a linear axis in one display unit named in its
//! description ("Latency (ms)"), a log axis with a unit on every tick ("1 µs", "10 µs") and
//! "(log scale)" in its description. Every axis is a linear plotters range over the transformed
//! values with explicit tick positions, so log and linear panels share one drawing code.

use super::ticks::{bytes_ticks, fmt_bytes, fmt_energy, fmt_power, fmt_time, linear_ticks, log10_ticks};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use std::ops::Range;

pub use super::ticks::{energy_unit, fmt_num, time_unit, Unit};

/// Max/min within one panel beyond which a chart's numeric axes are logarithmic.
pub const LOG_RATIO: f64 = 100.0;

/// What an axis measures, and so how its ticks are labelled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quantity {
    /// A plain number with a fixed unit name ("" for none, "calls/s", "W", "%").
    Plain(&'static str),
    /// Durations in ns, shown in ns, µs, ms or s.
    Time,
    /// Energies in J, shown in µJ, mJ or J.
    Energy,
    /// Sizes in bytes, shown in B, KiB, MiB or GiB with binary steps.
    Bytes,
}

/// The scale policy of a chart: log when every finite value of every panel is positive and at
/// least one panel's values span more than `LOG_RATIO` (max/min); linear otherwise. The answer
/// holds for every panel of the chart, so no chart mixes linear and log axes of one kind.
pub fn log_scale<V: AsRef<[f64]>>(panels: &[V]) -> bool {
    let mut wide = false;
    for p in panels {
        let v: Vec<f64> = p.as_ref().iter().copied().filter(|x| x.is_finite()).collect();
        if v.iter().any(|x| *x <= 0.0) {
            return false;
        }
        let (min, max) = min_max(&v);
        wide |= !v.is_empty() && max / min > LOG_RATIO;
    }
    wide
}

fn min_max(v: &[f64]) -> (f64, f64) {
    v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
        (a.min(x), b.max(x))
    })
}

/// A chart axis in transformed coordinates (base units when linear, log10 of them when log).
#[derive(Debug, Clone)]
pub struct Axis {
    /// Whether the axis is logarithmic (positions are then log10 of base units).
    pub log: bool,
    /// The low end of the range (transformed).
    pub lo: f64,
    /// The high end of the range (transformed).
    pub hi: f64,
    /// Tick positions (transformed) and their labels.
    pub ticks: Vec<(f64, String)>,
    /// Minor grid positions (transformed).
    pub minor: Vec<f64>,
    /// What the axis measures, which sets how its ticks are labelled.
    pub quantity: Quantity,
    /// The display unit of a linear time or energy axis.
    pub unit: Option<Unit>,
    /// Categories at 0, 1, 2, ... (every label is drawn).
    pub categorical: bool,
    /// On a log input axis whose inputs include 0: where 0 is drawn, left of an axis break.
    pub zero: Option<ZeroSlot>,
}

/// The place of the value 0 on a log axis (which has no 0): a slot of its own left of the
/// smallest positive value, past an axis break. Positions are in axis coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZeroSlot {
    /// Where 0 is drawn (its tick, labelled "0").
    pub at: f64,
    /// Where the axis is broken: between 0 and the log part.
    pub break_at: f64,
}

impl Axis {
    /// A numeric axis over `values` (base units). Log when `log` and all values are positive (a
    /// chart decides `log` with [`log_scale`]); a linear axis starts at 0 when `from_zero` and
    /// no value is negative.
    pub fn numeric(values: &[f64], quantity: Quantity, log: bool, from_zero: bool) -> Axis {
        let v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        let (mut min, mut max) = if v.is_empty() { (0.0, 1.0) } else { min_max(&v) };
        if log && min > 0.0 {
            return Axis::log(min, max, quantity);
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
        Axis::linear(lo, max + pad, quantity)
    }

    fn linear(lo: f64, hi: f64, quantity: Quantity) -> Axis {
        let biggest = lo.abs().max(hi.abs());
        let unit = match quantity {
            Quantity::Time => Some(time_unit(biggest)),
            Quantity::Energy => Some(energy_unit(biggest)),
            _ => None,
        };
        let ticks = match quantity {
            Quantity::Bytes => bytes_ticks(lo, hi, false),
            _ => {
                let div = unit.map_or(1.0, |u| u.div);
                linear_ticks(lo / div, hi / div)
                    .into_iter()
                    .map(|t| (t * div, fmt_num(t)))
                    .collect()
            }
        };
        Axis {
            log: false,
            lo,
            hi,
            ticks,
            minor: Vec::new(),
            quantity,
            unit,
            categorical: false,
            zero: None,
        }
    }

    fn log(min: f64, max: f64, quantity: Quantity) -> Axis {
        let (a, b) = (min.log10(), max.log10());
        let pad = ((b - a) * 0.05).max(0.02);
        let (lo, hi) = (a - pad, b + pad);
        let (ticks, minor) = if quantity == Quantity::Bytes {
            let t = bytes_ticks(10f64.powf(lo), 10f64.powf(hi), true);
            (t.into_iter().map(|(v, l)| (v.log10(), l)).collect(), Vec::new())
        } else {
            let label = |v: f64| match quantity {
                Quantity::Time => fmt_time(v),
                Quantity::Energy => fmt_energy(v),
                _ => fmt_power(v),
            };
            let (values, minor) = log10_ticks(lo, hi);
            (values.into_iter().map(|v| (v.log10(), label(v))).collect(), minor)
        };
        Axis {
            log: true,
            lo,
            hi,
            ticks,
            minor,
            quantity,
            unit: None,
            categorical: false,
            zero: None,
        }
    }

    /// An input-size axis: [`Axis::numeric`] (never forced to start at 0), except that on a log
    /// chart, inputs that include 0 keep the log scale for the positive ones and give 0 a slot
    /// of its own left of them, past an axis break ("0", break, "1 MiB", "4 MiB", ...), and the
    /// description says so. A linear axis would crowd the small inputs against 0 (0, 1 and
    /// 64 MiB on one linear axis put 0 and 1 MiB 1.5 % of the width apart).
    pub fn input(values: &[f64], quantity: Quantity, log: bool) -> Axis {
        let finite: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        let positive: Vec<f64> = finite.iter().copied().filter(|x| *x > 0.0).collect();
        let zero_and_positive = finite.iter().all(|x| *x >= 0.0) && positive.len() < finite.len();
        if !log || positive.is_empty() || !zero_and_positive {
            return Axis::numeric(values, quantity, log, false);
        }
        let (min, max) = min_max(&positive);
        let mut a = Axis::log(min, max, quantity);
        // The slot takes about a tenth of the axis, at least a third of a decade.
        let gap = ((a.hi - a.lo) * 0.12).max(0.3);
        let at = a.lo - gap;
        a.zero = Some(ZeroSlot {
            at,
            break_at: a.lo - gap / 2.0,
        });
        a.ticks.insert(0, (at, "0".to_string()));
        a.lo = at - gap / 2.0;
        a
    }

    /// A numeric axis over `values` that always includes `must` (e.g. 1 for a ratio).
    pub fn numeric_with(values: &[f64], must: f64, quantity: Quantity, log: bool) -> Axis {
        let mut v = values.to_vec();
        v.push(must);
        Axis::numeric(&v, quantity, log, false)
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
            quantity: Quantity::Plain(""),
            unit: None,
            categorical: true,
            zero: None,
        }
    }

    /// A value (base units) in axis coordinates.
    pub fn to(&self, v: f64) -> f64 {
        if let (true, Some(z)) = (self.log && v <= 0.0, self.zero) {
            z.at
        } else if self.log {
            v.max(f64::MIN_POSITIVE).log10()
        } else {
            v
        }
    }

    /// The axis description for `name`: its unit where the ticks do not carry one, and
    /// "log scale" when log, in one parenthesis ("Latency (ms)", "Latency (log scale)",
    /// "Data size (bytes, log scale)", "n (number of terms, log scale)").
    pub fn desc(&self, name: &str) -> String {
        let mut parts: Vec<&str> = Vec::new();
        match (self.quantity, self.unit) {
            (_, Some(u)) => parts.push(u.name),
            (Quantity::Plain(u), None) if !u.is_empty() => parts.push(u),
            (Quantity::Bytes, None) => parts.push("bytes"),
            _ => {}
        }
        if self.log {
            parts.push("log scale");
        }
        if self.zero.is_some() {
            parts.push("0 set apart");
        }
        if parts.is_empty() {
            return name.to_string();
        }
        in_parens(name, &parts.join(", "), ", ")
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

/// `text` with `extra` in its closing parenthesis ("n (terms)" → "n (terms, log scale)"), or
/// in a new one ("Latency" → "Latency (log scale)"); `sep` joins it to what is there.
pub fn in_parens(text: &str, extra: &str, sep: &str) -> String {
    match text.strip_suffix(')') {
        Some(open) if open.contains('(') => format!("{open}{sep}{extra})"),
        _ => format!("{text} ({extra})"),
    }
}

/// A value in base units as one tick of `quantity` would show it ("16 MiB", "1.2 ms").
pub fn fmt_value(v: f64, quantity: Quantity) -> String {
    match quantity {
        Quantity::Time => fmt_time(v),
        Quantity::Energy => fmt_energy(v),
        Quantity::Bytes => fmt_bytes(v),
        Quantity::Plain(_) => fmt_num(v),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(a: &Axis) -> Vec<&str> {
        a.ticks.iter().map(|t| t.1.as_str()).collect()
    }

    #[test]
    fn the_policy_is_per_chart() {
        // One wide panel makes the whole chart log, a narrow chart stays linear.
        assert!(log_scale(&[vec![10.0, 10_000.0], vec![5.0, 6.0]]));
        assert!(!log_scale(&[vec![10.0, 900.0], vec![5.0, 6.0]]));
        // A value at or below zero anywhere keeps every panel linear.
        assert!(!log_scale(&[vec![10.0, 10_000.0], vec![0.0, 6.0]]));
        assert!(!log_scale::<Vec<f64>>(&[]));
    }

    #[test]
    fn log_axes_label_decades_in_their_unit() {
        let a = Axis::numeric(&[10.0, 10_000.0], Quantity::Plain(""), true, true);
        assert!(a.log);
        assert_eq!(labels(&a), vec!["10", "100", "1000", "10⁴"]);
        assert_eq!(a.desc("n"), "n (log scale)");
        let t = Axis::numeric(&[2_000.0, 300_000.0], Quantity::Time, true, true);
        assert_eq!(labels(&t), vec!["3 µs", "10 µs", "30 µs", "100 µs", "300 µs"]);
        assert_eq!(t.desc("Latency"), "Latency (log scale)");
        let few = Axis::numeric(&[2_000.0, 9_000.0], Quantity::Time, true, true);
        assert_eq!(labels(&few), vec!["2 µs", "5 µs"]);
    }

    #[test]
    fn linear_axes_name_their_unit() {
        let a = Axis::numeric(&[0.0, 3_000_000.0], Quantity::Time, false, true);
        assert!(!a.log);
        assert_eq!(a.desc("Latency"), "Latency (ms)");
        assert_eq!(labels(&a), vec!["0", "1", "2", "3"]);
        let p = Axis::numeric(&[1.0, 4.0], Quantity::Plain("calls/s"), false, true);
        assert_eq!(p.desc("Throughput"), "Throughput (calls/s)");
    }

    #[test]
    fn an_input_of_zero_gets_a_slot_apart_on_a_log_axis() {
        let mib = 1024.0 * 1024.0;
        let values = [0.0, mib, 16.0 * mib, 64.0 * mib];
        let a = Axis::input(&values, Quantity::Bytes, true);
        assert!(a.log);
        let z = a.zero.expect("a zero slot");
        assert_eq!(labels(&a), vec!["0", "1 MiB", "4 MiB", "16 MiB", "64 MiB"]);
        // 0, then the break, then the log part; 0 maps to its slot, the rest to log10.
        assert!(a.lo < z.at && z.at < z.break_at && z.break_at < mib.log10());
        assert_eq!(a.to(0.0), z.at);
        assert_eq!(a.to(16.0 * mib), (16.0 * mib).log10());
        assert_eq!(a.ticks[0].0, z.at);
        // The slot is about a tenth of the axis, and the log part keeps its decades.
        let share = (z.break_at - a.lo) / (a.hi - a.lo);
        assert!((0.08..0.3).contains(&share), "{share}");
        assert_eq!(a.desc("Data size"), "Data size (bytes, log scale, 0 set apart)");
        // On a linear chart, with negative inputs, or without a zero: the numeric axis.
        let lin = Axis::input(&values, Quantity::Bytes, false);
        assert!(!lin.log && lin.zero.is_none());
        assert!(Axis::input(&[-1.0, 0.0, 100.0], Quantity::Plain(""), true)
            .zero
            .is_none());
        let plain = Axis::input(&[10.0, 10_000.0], Quantity::Plain(""), true);
        assert!(plain.log && plain.zero.is_none());
        assert_eq!(labels(&plain), vec!["10", "100", "1000", "10⁴"]);
    }

    #[test]
    fn byte_axes_use_binary_units() {
        let kib = 1024.0;
        let a = Axis::numeric(&[kib * kib, 64.0 * kib * kib], Quantity::Bytes, true, false);
        assert_eq!(labels(&a), vec!["1 MiB", "4 MiB", "16 MiB", "64 MiB"]);
        assert_eq!(a.desc("Data size"), "Data size (bytes, log scale)");
        let l = Axis::numeric(&[0.0, 256.0 * kib * kib], Quantity::Bytes, false, true);
        assert_eq!(labels(&l), vec!["0", "64 MiB", "128 MiB", "192 MiB", "256 MiB"]);
        assert_eq!(l.desc("n (allocation)"), "n (allocation, bytes)");
    }
}
