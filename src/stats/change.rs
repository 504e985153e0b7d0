//! Effect size of going from run `a` to run `b` (Sightglass-style): the ratio of medians with its
//! bootstrap interval, the percent change, and a Mann–Whitney p-value backing the verdict.

use super::bootstrap::{ratio_ci, Ratio};
use super::significance::mann_whitney;
use serde::{Deserialize, Serialize};

/// Significance threshold for the Mann–Whitney p-value.
pub const ALPHA: f64 = 0.05;

/// How `b` differs from `a`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// `median(b) / median(a)` with its 95% bootstrap interval.
    pub ratio: Ratio,
    /// `(ratio - 1) * 100`: positive when `b` is larger (slower, hungrier).
    pub percent: f64,
    /// Two-sided Mann–Whitney p-value of `a` against `b`.
    pub p_value: f64,
    /// The ratio's interval excludes 1 and `p_value < ALPHA`.
    pub significant: bool,
}

/// Change from `a` to `b`; `None` when either sample has fewer than two finite values or
/// `median(a)` is 0 (see `ratio_ci`).
pub fn change(a: &[f64], b: &[f64], resamples: usize, seed: u64) -> Option<Change> {
    let ratio = ratio_ci(b, a, resamples, seed)?;
    let p_value = mann_whitney(a, b)?.p_value;
    Some(Change {
        ratio,
        percent: (ratio.estimate - 1.0) * 100.0,
        p_value,
        significant: ratio.significant && p_value < ALPHA,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_percent_slower_is_detected() {
        let a: Vec<f64> = (0..30).map(|i| 1000.0 + f64::from(i % 5)).collect();
        let b: Vec<f64> = a.iter().map(|x| x * 1.1).collect();
        let c = change(&a, &b, 1000, 5).expect("valid");
        assert!((c.percent - 10.0).abs() < 0.5, "{c:?}");
        assert!(c.significant && c.p_value < 1e-6);
    }

    #[test]
    fn same_distribution_is_not_significant() {
        let a: Vec<f64> = (0..30).map(|i| f64::from((i * 7) % 11)).collect();
        let b: Vec<f64> = a.iter().rev().copied().collect();
        let c = change(&a, &b, 1000, 5).expect("valid");
        assert_eq!(c.ratio.estimate, 1.0);
        assert!(!c.significant);
        assert_eq!(c.p_value, 1.0);
    }

    #[test]
    fn zero_baseline_gives_none() {
        assert!(change(&[0.0, 0.0], &[1.0, 2.0], 100, 1).is_none());
        assert!(change(&[], &[1.0], 100, 1).is_none());
    }
}
