//! Compact numbers for charts, reports and durations: up to 3 significant digits without
//! trailing zeros, `2.5×10⁶` when very large or small.

/// `m × 10^d`, exact for the decades charts use.
pub fn pow10(m: f64, d: i32) -> f64 {
    if d >= 0 {
        m * 10f64.powi(d)
    } else {
        m / 10f64.powi(-d)
    }
}

/// A number with up to 3 significant digits, no trailing zeros; `2.5×10⁶` style when very large
/// or small.
pub fn fmt_num(v: f64) -> String {
    fmt_within(v, 1e6)
}

/// A log-axis tick: like [`fmt_num`], with powers of ten from 10⁴ on ("1000", "10⁴", "10⁵").
pub fn fmt_power(v: f64) -> String {
    fmt_within(v, 1e4)
}

fn fmt_within(v: f64, big: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..big).contains(&a) {
        let mut e = a.log10().floor() as i32;
        let mut m = trim(&format!("{:.2}", a / pow10(1.0, e)));
        if m == "10" {
            (e, m) = (e + 1, "1".into());
        }
        let sign = if v < 0.0 { "-" } else { "" };
        let exp = superscript(e);
        return if m == "1" {
            format!("{sign}10{exp}")
        } else {
            format!("{sign}{m}×10{exp}")
        };
    }
    let decimals = (2 - a.log10().floor() as i32).clamp(0, 6) as usize;
    trim(&format!("{v:.decimals$}"))
}

fn superscript(e: i32) -> String {
    e.to_string()
        .chars()
        .map(|c| match c {
            '-' => '⁻',
            d => ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'][d.to_digit(10).unwrap_or(0) as usize],
        })
        .collect()
}

fn trim(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// The first `shown` items joined by ", ", then " and N more" for the rest.
pub fn first_and_more<T: std::fmt::Display>(items: &[T], shown: usize) -> String {
    let head: Vec<String> = items.iter().take(shown).map(T::to_string).collect();
    match items.len().saturating_sub(shown) {
        0 => head.join(", "),
        more => format!("{} and {more} more", head.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_shown_whole_when_short_and_counted_when_long() {
        assert_eq!(first_and_more(&[3], 5), "3");
        assert_eq!(first_and_more(&[1, 2, 3, 4, 5], 5), "1, 2, 3, 4, 5");
        assert_eq!(
            first_and_more(&[1, 2, 3, 4, 5, 6, 9], 5),
            "1, 2, 3, 4, 5 and 2 more"
        );
        assert_eq!(first_and_more(&["a/1", "b/2"], 1), "a/1 and 1 more");
    }

    #[test]
    fn numbers_format_compactly() {
        assert_eq!(fmt_num(0.5), "0.5");
        assert_eq!(fmt_num(1500.0), "1500");
        assert_eq!(fmt_num(1e7), "10⁷");
        assert_eq!(fmt_num(2.5e7), "2.5×10⁷");
        assert_eq!(fmt_num(0.0001), "10⁻⁴");
        assert_eq!(fmt_num(12.345), "12.3");
        assert_eq!(fmt_power(1000.0), "1000");
        assert_eq!(fmt_power(1e4), "10⁴");
    }
}
