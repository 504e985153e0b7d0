//! Typed physical units: energy in joules, power in watts. Times are `std::time::Duration`.

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
    pub const ZERO: Joules = Joules(0.0);

    pub fn from_microjoules(uj: u64) -> Self {
        Joules(uj as f64 * 1e-6)
    }

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
        let j = self.0;
        if j.abs() >= 1.0 {
            write!(f, "{j:.3} J")
        } else if j.abs() >= 1e-3 {
            write!(f, "{:.3} mJ", j * 1e3)
        } else {
            write!(f, "{:.3} uJ", j * 1e6)
        }
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

/// A duration printed for people: `812 ns`, `23.4 us`, `1.20 ms`, `3.000 s`.
pub fn human_duration(d: Duration) -> String {
    let n = d.as_nanos() as f64;
    if n < 1e3 {
        format!("{n:.0} ns")
    } else if n < 1e6 {
        format!("{:.1} us", n / 1e3)
    } else if n < 1e9 {
        format!("{:.2} ms", n / 1e6)
    } else {
        format!("{:.3} s", n / 1e9)
    }
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
}
