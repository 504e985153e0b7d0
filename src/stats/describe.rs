//! Descriptive statistics of one sample: mean, sample standard deviation and quantiles.
//!
//! Quantiles use linear interpolation between order statistics, Hyndman & Fan (1996) type 7:
//! for a sorted sample `x[0..n]` and probability `p`, `h = (n - 1) p`, and the quantile is
//! `x[floor(h)] + (h - floor(h)) (x[floor(h) + 1] - x[floor(h)])`. This is the default of R's
//! `quantile()` and of numpy's `percentile()`/`quantile()`, so published numbers can be checked
//! with either. Non-finite values (NaN, infinities) are ignored everywhere in this module.

use serde::{Deserialize, Serialize};

/// Descriptive statistics of a sample of finite values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of finite values summarised.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (denominator `n - 1`); `None` when `n < 2`.
    pub sd: Option<f64>,
    /// Median (the 50th percentile, type 7).
    pub median: f64,
    /// First quartile (25th percentile, type 7).
    pub q1: f64,
    /// Third quartile (75th percentile, type 7).
    pub q3: f64,
    /// Interquartile range, `q3 - q1`.
    pub iqr: f64,
    /// 5th percentile (type 7).
    pub p5: f64,
    /// 95th percentile (type 7).
    pub p95: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

/// The finite values of `xs`, sorted ascending.
pub fn sorted_finite(xs: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// Type-7 quantile of an already sorted, finite sample; `p` is clamped to [0, 1].
/// Returns `None` for an empty slice or a NaN `p` (a single value is returned for any `p`).
pub fn quantile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    let first = *sorted.first()?;
    if n == 1 || p.is_nan() {
        return (n == 1).then_some(first);
    }
    let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let frac = h - lo as f64;
    let a = sorted[lo.min(n - 1)];
    let b = sorted[(lo + 1).min(n - 1)];
    Some(if frac == 0.0 { a } else { a + frac * (b - a) })
}

/// Type-7 quantile of an unsorted sample (non-finite values ignored); `None` if nothing is left.
pub fn quantile(xs: &[f64], p: f64) -> Option<f64> {
    quantile_sorted(&sorted_finite(xs), p)
}

/// Median of a sample (non-finite values ignored); `None` if nothing is left.
pub fn median(xs: &[f64]) -> Option<f64> {
    quantile(xs, 0.5)
}

/// Arithmetic mean of a sample (non-finite values ignored); `None` if nothing is left.
pub fn mean(xs: &[f64]) -> Option<f64> {
    let (sum, n) = xs
        .iter()
        .filter(|x| x.is_finite())
        .fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// Summarises `xs`; `None` when it holds no finite value.
pub fn summarize(xs: &[f64]) -> Option<Summary> {
    let v = sorted_finite(xs);
    let n = v.len();
    let min = *v.first()?;
    let max = *v.last()?;
    let mean = v.iter().sum::<f64>() / n as f64;
    // Two-pass variance: numerically stable enough for timings and energies.
    let sd = (n >= 2).then(|| {
        let ss: f64 = v.iter().map(|x| (x - mean) * (x - mean)).sum();
        (ss / (n - 1) as f64).sqrt()
    });
    let q = |p: f64| quantile_sorted(&v, p).unwrap_or(f64::NAN);
    let (q1, q3) = (q(0.25), q(0.75));
    Some(Summary {
        n,
        mean,
        sd,
        median: q(0.5),
        q1,
        q3,
        iqr: q3 - q1,
        p5: q(0.05),
        p95: q(0.95),
        min,
        max,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    #[test]
    fn one_to_ten_matches_r_and_numpy() {
        let xs: Vec<f64> = (1..=10).map(f64::from).collect();
        let s = summarize(&xs).expect("non-empty");
        assert_eq!(s.n, 10);
        assert!(close(s.mean, 5.5));
        assert!(close(s.median, 5.5));
        assert!(close(s.q1, 3.25));
        assert!(close(s.q3, 7.75));
        assert!(close(s.iqr, 4.5));
        // R: quantile(1:10, c(.05, .95)) = 1.45, 9.55
        assert!(close(s.p5, 1.45));
        assert!(close(s.p95, 9.55));
        assert!(close(s.sd.expect("n >= 2"), 3.0276503540974917));
        assert_eq!((s.min, s.max), (1.0, 10.0));
    }

    #[test]
    fn odd_sample_and_unsorted_input() {
        let s = summarize(&[7.0, 1.0, 3.0, 5.0, 9.0]).expect("non-empty");
        assert_eq!(s.median, 5.0);
        assert_eq!(s.q1, 3.0);
        assert_eq!(s.q3, 7.0);
        // R: quantile(c(1,3,5,7,9), .05) = 1.4
        assert!(close(s.p5, 1.4));
        assert!(close(s.sd.expect("n >= 2"), 10f64.sqrt()));
    }

    #[test]
    fn empty_single_and_non_finite() {
        assert_eq!(summarize(&[]), None);
        assert_eq!(summarize(&[f64::NAN, f64::INFINITY]), None);
        let s = summarize(&[f64::NAN, 4.0]).expect("one finite value");
        assert_eq!(s.n, 1);
        assert_eq!(s.sd, None);
        assert_eq!(
            (s.median, s.q1, s.q3, s.iqr, s.p5, s.p95),
            (4.0, 4.0, 4.0, 0.0, 4.0, 4.0)
        );
        assert_eq!(median(&[]), None);
        assert_eq!(mean(&[2.0, f64::NAN, 4.0]), Some(3.0));
    }

    #[test]
    fn quantile_extremes() {
        let v = [1.0, 2.0, 4.0];
        assert_eq!(quantile_sorted(&v, 0.0), Some(1.0));
        assert_eq!(quantile_sorted(&v, 1.0), Some(4.0));
        assert_eq!(quantile_sorted(&v, 2.0), Some(4.0));
        assert_eq!(quantile_sorted(&v, 0.75), Some(3.0));
        assert_eq!(quantile_sorted(&[], 0.5), None);
    }
}
