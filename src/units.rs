//! Typed physical units: energy in joules, power in watts. Times are `std::time::Duration`;
//! [`fmt_duration`] writes them, in ASCII for terminals and logs, in Unicode for charts and
//! reports, with one set of thresholds and rounding rules.

use crate::numfmt::fmt_num;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Sub};
use std::time::Duration;

/// An amount of energy in joules.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Joules(pub f64);

/// A power in watts (joules per second).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Watts(pub f64);

impl Joules {
    /// No energy.
    pub const ZERO: Joules = Joules(0.0);

    /// Energy from a counter reading in microjoules (powercap's `energy_uj`).
    pub fn from_microjoules(uj: u64) -> Self {
        Joules(uj as f64 * 1e-6)
    }

    /// The energy in joules, as a plain number.
    pub fn value(self) -> f64 {
        self.0
    }

    /// Average power over `d`; `None` for an empty interval.
    pub fn over(self, d: Duration) -> Option<Watts> {
        let s = d.as_secs_f64();
        (s > 0.0).then(|| Watts(self.0 / s))
    }

    /// This energy scaled by a share in [0, 1] (attribution, per-call division).
    pub fn scale(self, factor: f64) -> Joules {
        Joules(self.0 * factor)
    }
}

impl Watts {
    /// The power in watts, as a plain number.
    pub fn value(self) -> f64 {
        self.0
    }

    /// Energy of this power held for `d`.
    pub fn for_duration(self, d: Duration) -> Joules {
        Joules(self.0 * d.as_secs_f64())
    }
}

impl Add for Joules {
    type Output = Joules;
    fn add(self, o: Joules) -> Joules {
        Joules(self.0 + o.0)
    }
}

impl AddAssign for Joules {
    fn add_assign(&mut self, o: Joules) {
        self.0 += o.0;
    }
}

impl Sub for Joules {
    type Output = Joules;
    fn sub(self, o: Joules) -> Joules {
        Joules(self.0 - o.0)
    }
}

impl fmt::Display for Joules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&fmt_energy(self.0, UnitStyle::Ascii))
    }
}

impl fmt::Display for Watts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3} W", self.0)
    }
}

/// Nanoseconds of a duration as the integer the CSV files carry.
pub fn ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// How [`fmt_duration`] and [`fmt_energy`] write a value. Both styles take the unit by the
/// same thresholds (a unit up to 1000 of it: ns below 1 µs, µs below 1 ms, ...) applied after
/// rounding, so that nothing reads "1000 µs".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitStyle {
    /// Terminal tables and log lines: ASCII `us`/`uJ`, and decimals by unit (durations: none in
    /// ns, 1 in us, 2 in ms, 3 in s; energies: 3), so that a right-aligned column in one unit
    /// lines up: `812 ns`, `23.4 us`, `1.20 ms`, `3.000 s`, `2.100 mJ`.
    Ascii,
    /// Charts and reports: `µs`/`µJ`, and up to 3 significant digits without trailing zeros
    /// ([`fmt_num`]), zero as a bare `0` (an axis' origin): `812 ns`, `23.4 µs`, `1.2 ms`, `3 s`,
    /// `2.1 mJ`.
    Unicode,
}

/// A display unit: values are divided by `div` and labelled `name`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unit {
    /// What a value in the base unit (ns or J) is divided by to be in this unit.
    pub div: f64,
    /// The unit's label in the chosen style, e.g. `us` (ASCII) or `µs` (Unicode).
    pub name: &'static str,
}

/// A family of units, smallest first: divisor, ASCII name, Unicode name, and the decimals of
/// the ASCII style. Each unit covers values below 1000 of it (the last, everything above).
type Units = [(f64, &'static str, &'static str, usize)];

/// Durations in ns.
const TIME_UNITS: &Units = &[
    (1.0, "ns", "ns", 0),
    (1e3, "us", "µs", 1),
    (1e6, "ms", "ms", 2),
    (1e9, "s", "s", 3),
];

/// Energies in J.
const ENERGY_UNITS: &Units = &[(1e-6, "uJ", "µJ", 3), (1e-3, "mJ", "mJ", 3), (1.0, "J", "J", 3)];

/// The index in `units` of the unit for values whose largest magnitude is `max`.
fn unit_index(units: &Units, max: f64) -> usize {
    units
        .iter()
        .position(|u| max < u.0 * 1e3)
        .unwrap_or(units.len() - 1)
}

/// `units[k]` named in `style`.
fn unit_at(units: &Units, k: usize, style: UnitStyle) -> Unit {
    let (div, ascii, unicode, _) = units[k];
    let name = match style {
        UnitStyle::Ascii => ascii,
        UnitStyle::Unicode => unicode,
    };
    Unit { div, name }
}

/// `v` written in `style` with its unit from `units`.
fn fmt_in(units: &Units, v: f64, style: UnitStyle) -> String {
    if v == 0.0 && style == UnitStyle::Unicode {
        return "0".into();
    }
    let number = |k: usize| {
        let (div, _, _, decimals) = units[k];
        match style {
            UnitStyle::Ascii => format!("{:.decimals$}", v / div),
            UnitStyle::Unicode => fmt_num(v / div),
        }
    };
    // A value that rounds up to 1000 of its unit is written in the next ("1.00 ms", not
    // "1000.0 us").
    let rounds_up = |n: &str| n.trim_start_matches('-').parse::<f64>().is_ok_and(|x| x >= 1e3);
    let mut k = unit_index(units, v.abs());
    while k + 1 < units.len() && rounds_up(&number(k)) {
        k += 1;
    }
    format!("{} {}", number(k), unit_at(units, k, style).name)
}

/// The unit for durations in ns whose largest magnitude is `max_ns`, named in `style`.
pub fn time_unit(max_ns: f64, style: UnitStyle) -> Unit {
    unit_at(TIME_UNITS, unit_index(TIME_UNITS, max_ns), style)
}

/// The unit for energies in J whose largest magnitude is `max_j`, named in `style`.
pub fn energy_unit(max_j: f64, style: UnitStyle) -> Unit {
    unit_at(ENERGY_UNITS, unit_index(ENERGY_UNITS, max_j.abs()), style)
}

/// A duration in ns written in `style`: "23.4 us" ([`UnitStyle::Ascii`]), "23.4 µs"
/// ([`UnitStyle::Unicode`]).
pub fn fmt_duration(ns: f64, style: UnitStyle) -> String {
    fmt_in(TIME_UNITS, ns, style)
}

/// An energy in J written in `style`: "2.100 mJ" ([`UnitStyle::Ascii`]), "2.1 mJ"
/// ([`UnitStyle::Unicode`]).
pub fn fmt_energy(j: f64, style: UnitStyle) -> String {
    fmt_in(ENERGY_UNITS, j, style)
}

/// A duration printed for people in the terminal or a log ([`UnitStyle::Ascii`]): `812 ns`,
/// `23.4 us`, `1.20 ms`, `3.000 s`.
pub fn human_duration(d: Duration) -> String {
    fmt_duration(d.as_nanos() as f64, UnitStyle::Ascii)
}

/// `"250ms"` -> (250.0, "ms"): a decimal number and the unit after it (possibly empty).
fn number_and_unit(s: &str) -> Option<(f64, &str)> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    Some((num.parse().ok()?, unit.trim()))
}

/// Parse a duration such as `250ms`, `10s`, `2m`, `1h`, `500us` (a bare number is seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let (v, unit) =
        number_and_unit(s).ok_or_else(|| format!("'{s}' is not a duration: write e.g. 250ms, 10s, 2m"))?;
    let secs = match unit {
        "" | "s" => v,
        "ms" => v / 1e3,
        "us" => v / 1e6,
        "ns" => v / 1e9,
        "m" | "min" => v * 60.0,
        "h" => v * 3600.0,
        u => return Err(format!("unknown unit '{u}' in '{s}': use ns, us, ms, s, m or h")),
    };
    if !secs.is_finite() || !(0.0..=1e9).contains(&secs) {
        return Err(format!("'{s}' is out of range"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Parse a size such as `512MiB`, `64KiB`, `2GiB`, `1000` (bytes), `10MB`.
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let (v, unit) =
        number_and_unit(s).ok_or_else(|| format!("'{s}' is not a size: write e.g. 512MiB, 64KiB, 2GiB"))?;
    let mult = match unit {
        "" | "B" => 1.0,
        "KiB" | "K" => 1024.0,
        "MiB" | "M" => 1024.0 * 1024.0,
        "GiB" | "G" => 1024.0 * 1024.0 * 1024.0,
        "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        u => return Err(format!("unknown unit '{u}' in '{s}': use B, KiB, MiB or GiB")),
    };
    let b = v * mult;
    if !b.is_finite() || !(0.0..=1.0e15).contains(&b) {
        return Err(format!("'{s}' is out of range"));
    }
    Ok(b as u64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_and_sizes_parse() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("fast").unwrap_err().contains("not a duration"));
        assert!(parse_duration("3 weeks").unwrap_err().contains("unknown unit"));
        assert_eq!(parse_bytes("512MiB"), Ok(512 << 20));
        assert_eq!(parse_bytes("64KiB"), Ok(65536));
        assert_eq!(parse_bytes("100"), Ok(100));
        assert!(parse_bytes("-1").is_err());
    }

    use super::*;

    #[test]
    fn joules_and_watts_convert() {
        let e = Watts(2.5).for_duration(Duration::from_millis(400));
        assert!((e.0 - 1.0).abs() < 1e-12);
        assert_eq!(Joules(3.0).over(Duration::from_secs(2)), Some(Watts(1.5)));
        assert_eq!(Joules(1.0).over(Duration::ZERO), None);
        assert_eq!(Joules::from_microjoules(1_500_000), Joules(1.5));
    }

    #[test]
    fn display_picks_a_readable_unit() {
        assert_eq!(Joules(0.0021).to_string(), "2.100 mJ");
        assert_eq!(human_duration(Duration::from_micros(23)), "23.0 us");
    }

    #[test]
    fn durations_share_units_and_rounding_in_both_styles() {
        let (a, u) = (UnitStyle::Ascii, UnitStyle::Unicode);
        let cases = [
            (0.0, "0 ns", "0"),
            (812.0, "812 ns", "812 ns"),
            (1_000.0, "1.0 us", "1 µs"),
            (23_400.0, "23.4 us", "23.4 µs"),
            (23_000.0, "23.0 us", "23 µs"),
            (1_200_000.0, "1.20 ms", "1.2 ms"),
            (3e9, "3.000 s", "3 s"),
            (-5_000.0, "-5.0 us", "-5 µs"),
            // Rounding up to 1000 of a unit moves to the next unit.
            (999_960.0, "1.00 ms", "1 ms"),
            (999_999_999.0, "1.000 s", "1 s"),
            (999.7, "1.0 us", "1 µs"),
            // Below that, each style keeps its own precision.
            (999_940.0, "999.9 us", "1 ms"),
            (999_400.0, "999.4 us", "999 µs"),
        ];
        for (ns, ascii, unicode) in cases {
            assert_eq!(fmt_duration(ns, a), ascii, "{ns} ns");
            assert_eq!(fmt_duration(ns, u), unicode, "{ns} ns");
        }
        assert_eq!(time_unit(5e5, a), Unit { div: 1e3, name: "us" });
        assert_eq!(
            time_unit(5e5, u),
            Unit {
                div: 1e3, name: "µs"
            }
        );
        assert_eq!(time_unit(5e9, u).name, "s");
    }

    #[test]
    fn energies_share_units_and_rounding_in_both_styles() {
        let (a, u) = (UnitStyle::Ascii, UnitStyle::Unicode);
        let cases = [
            (0.0, "0.000 uJ", "0"),
            (1e-9, "0.001 uJ", "0.001 µJ"),
            (1.5e-5, "15.000 uJ", "15 µJ"),
            (0.0021, "2.100 mJ", "2.1 mJ"),
            (-0.0021, "-2.100 mJ", "-2.1 mJ"),
            (2.5, "2.500 J", "2.5 J"),
            (12_000.0, "12000.000 J", "12000 J"),
            // Rounding up to 1000 of a unit moves to the next unit.
            (0.999_999_9, "1.000 J", "1 J"),
            (9.999_999e-4, "1.000 mJ", "1 mJ"),
        ];
        for (j, ascii, unicode) in cases {
            assert_eq!(fmt_energy(j, a), ascii, "{j} J");
            assert_eq!(fmt_energy(j, u), unicode, "{j} J");
        }
        assert_eq!(Joules(0.0021).to_string(), fmt_energy(0.0021, a));
        assert_eq!(
            energy_unit(5e-4, u),
            Unit {
                div: 1e-6,
                name: "µJ"
            }
        );
        assert_eq!(
            energy_unit(-0.5, a),
            Unit {
                div: 1e-3,
                name: "mJ"
            }
        );
    }
}
