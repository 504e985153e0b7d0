//! Number formatting shared by the HTML and Markdown reports and `compare`: one style for every
//! value with an interval — `12.3 µs [11.9, 12.8]`, the median, its unit, and the bounds in the
//! same unit and to the same decimals (ratios and changes alike: `0.43 [0.28, 0.68]*`,
//! `+1.0% [+0.5, +1.5]`) — one unit per table column ([`Column`]), and HTML escaping.

use crate::plot::axis::{energy_unit, fmt_num, time_unit, Unit};
use crate::results::ComparisonRow;

/// What the reports say once per table about the intervals.
pub const INTERVAL_NOTE: &str =
    "median [95% bootstrap CI, resampling measurement windows], the bounds in the median's unit";

/// The unit of one table column (or of columns that belong together, such as the latency
/// median, p5 and p95), so that a column never mixes µs and ms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Column(pub Unit);

impl Column {
    /// The time unit for a column of durations in ns.
    pub fn time(values: impl IntoIterator<Item = Option<f64>>) -> Column {
        Column(middle_unit(values, time_unit))
    }

    /// The energy unit for a column of energies in J.
    pub fn energy(values: impl IntoIterator<Item = Option<f64>>) -> Column {
        Column(middle_unit(values, energy_unit))
    }

    /// A value in this column's unit ("18.9 µs"); "–" when absent.
    pub fn value(&self, v: Option<f64>) -> String {
        self.with_ci(v, None, None)
    }

    /// A value with its interval in this column's unit: "18.9 µs [18.8, 19.0]"; the value
    /// alone when a bound is missing, "–" without a value.
    pub fn with_ci(&self, v: Option<f64>, lo: Option<f64>, hi: Option<f64>) -> String {
        let Some(v) = v else { return "–".into() };
        let d = self.0.div;
        interval(v / d, lo.map(|x| x / d), hi.map(|x| x / d), |s| {
            format!("{s} {}", self.0.name)
        })
    }
}

/// The unit at the geometric middle of the column's smallest and largest magnitude, so that
/// neither end needs an exponent.
fn middle_unit(values: impl IntoIterator<Item = Option<f64>>, unit: fn(f64) -> Unit) -> Unit {
    let (lo, hi) = values
        .into_iter()
        .flatten()
        .map(f64::abs)
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    if hi == 0.0 {
        return unit(0.0);
    }
    unit((lo * hi).sqrt())
}

/// Decimals that show `v` with 3 significant digits, up to 2 more when a bound would otherwise
/// print the same as `v`.
fn decimals(v: f64, bounds: &[f64]) -> usize {
    let base = if v == 0.0 {
        2
    } else {
        (2 - v.abs().log10().floor() as i32).clamp(0, 8) as usize
    };
    (base..=base + 2)
        .find(|d| {
            bounds
                .iter()
                .all(|b| *b == v || format!("{b:.d$}") != format!("{v:.d$}"))
        })
        .unwrap_or(base + 2)
}

/// `V [L, H]` with `V` passed through `show` (to add a unit or sign), all three to the same
/// decimals; `V` alone without both bounds; `fmt_num` for values too large or small for
/// fixed decimals.
fn interval(v: f64, lo: Option<f64>, hi: Option<f64>, show: impl Fn(String) -> String) -> String {
    let plain = !(1e-3..1e6).contains(&v.abs()) && v != 0.0;
    let bounds: Vec<f64> = [lo, hi].into_iter().flatten().collect();
    let d = decimals(v, &bounds);
    let f = |x: f64| {
        if plain {
            fmt_num(x)
        } else {
            format!("{x:.d$}")
        }
    };
    match (lo, hi) {
        (Some(lo), Some(hi)) => format!("{} [{}, {}]", show(f(v)), f(lo), f(hi)),
        _ => show(f(v)),
    }
}

/// A ratio with its interval and a `*` when significant: "0.430 [0.280, 0.680]*".
pub fn ratio(r: Option<f64>, lo: Option<f64>, hi: Option<f64>, sig: Option<bool>) -> String {
    let Some(r) = r else { return "–".into() };
    let star = if sig == Some(true) { "*" } else { "" };
    format!("{}{star}", interval(r, lo, hi, |s| s))
}

/// Cliff's delta with its interval and the adjusted p-value: "-0.91 [-0.95, -0.85] (p 3.1e-5)".
pub fn delta_p(c: &ComparisonRow) -> String {
    let Some(d) = c.cliffs_delta else {
        return "–".into();
    };
    let p = c.p_adjusted.map(|p| format!(" (p {p:.1e})")).unwrap_or_default();
    match (c.cliffs_delta_ci_lo, c.cliffs_delta_ci_hi) {
        (Some(lo), Some(hi)) => format!("{d:+.2} [{lo:+.2}, {hi:+.2}]{p}"),
        _ => format!("{d:+.2}{p}"),
    }
}

/// A change in percent with its interval (bounds given as ratios) and a `*` when significant:
/// "+1.0% [+0.5, +1.5]*".
pub fn percent_change(pct: Option<f64>, lo: Option<f64>, hi: Option<f64>, sig: Option<bool>) -> String {
    let (Some(p), Some(lo), Some(hi)) = (pct, lo, hi) else {
        return "–".into();
    };
    let star = if sig == Some(true) { "*" } else { "" };
    let (lo, hi) = ((lo - 1.0) * 100.0, (hi - 1.0) * 100.0);
    let f = |x: f64| format!("{x:+.1}");
    format!("{}% [{}, {}]{star}", f(p), f(lo), f(hi))
}

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(Column::time([Some(18_908.0)]).value(Some(18_908.0)), "18.9 µs");
        assert_eq!(Column::energy([Some(0.00136)]).value(Some(0.00136)), "1.36 mJ");
        assert_eq!(Column::time([Some(18_908.0)]).value(None), "–");
        assert_eq!(
            ratio(Some(2.0), Some(1.9), Some(2.1), Some(true)),
            "2.00 [1.90, 2.10]*"
        );
        assert_eq!(
            percent_change(Some(1.0), Some(1.005), Some(1.015), None),
            "+1.0% [+0.5, +1.5]"
        );
        assert_eq!(
            esc("<a href=\"x\">&</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn a_column_has_one_unit_and_bounds_in_it() {
        // 9.9 µs and 250 ms in one column: both in ms, bounds in ms without a unit of their own.
        let col = Column::time([Some(9_900.0), Some(250e6)]);
        assert_eq!(col.0.name, "ms");
        assert_eq!(
            col.with_ci(Some(9_900.0), Some(9_800.0), Some(10_100.0)),
            "0.00990 ms [0.00980, 0.01010]"
        );
        assert_eq!(
            col.with_ci(Some(250e6), Some(248e6), Some(252e6)),
            "250 ms [248, 252]"
        );
        // A tight interval gets the decimals it needs to differ from the median.
        assert_eq!(
            Column::time([Some(12_300.0)]).with_ci(Some(12_300.0), Some(12_290.0), Some(12_310.0)),
            "12.30 µs [12.29, 12.31]"
        );
        assert_eq!(col.value(None), "–");
    }
}
