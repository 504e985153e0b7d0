//! Number formatting shared by the HTML and Markdown reports and `compare`: durations and
//! energies with a unit chosen per value, ratios with their interval, and HTML escaping.

use crate::plot::axis::{energy_unit, fmt_num, time_unit};

/// A duration in nanoseconds with a readable unit ("18.9 µs"); "–" when absent.
pub fn time(ns: Option<f64>) -> String {
    match ns {
        Some(v) => {
            let u = time_unit(v.abs());
            format!("{} {}", fmt_num(v / u.div), u.name)
        }
        None => "–".into(),
    }
}

/// An energy in joules with a readable unit ("1.23 mJ"); "–" when absent.
pub fn energy(j: Option<f64>) -> String {
    match j {
        Some(v) => {
            let u = energy_unit(v.abs());
            format!("{} {}", fmt_num(v / u.div), u.name)
        }
        None => "–".into(),
    }
}

/// A value with its interval: "18.9 µs [18.8, 19.0]", the bounds in the value's unit style.
pub fn with_ci(v: Option<f64>, lo: Option<f64>, hi: Option<f64>, f: fn(Option<f64>) -> String) -> String {
    match (v, lo, hi) {
        (Some(_), Some(_), Some(_)) => format!("{} [{} – {}]", f(v), f(lo), f(hi)),
        _ => f(v),
    }
}

/// A ratio with its interval and a `*` when significant: "0.43 [0.28, 0.68]*".
pub fn ratio(r: Option<f64>, lo: Option<f64>, hi: Option<f64>, sig: Option<bool>) -> String {
    let Some(r) = r else { return "–".into() };
    let star = if sig == Some(true) { "*" } else { "" };
    match (lo, hi) {
        (Some(lo), Some(hi)) => format!("{} [{}, {}]{star}", fmt_num(r), fmt_num(lo), fmt_num(hi)),
        _ => format!("{}{star}", fmt_num(r)),
    }
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
        assert_eq!(time(Some(18_908.0)), "18.9 µs");
        assert_eq!(energy(Some(0.00136)), "1.36 mJ");
        assert_eq!(
            ratio(Some(2.0), Some(1.9), Some(2.1), Some(true)),
            "2 [1.9, 2.1]*"
        );
        assert_eq!(
            esc("<a href=\"x\">&</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }
}
