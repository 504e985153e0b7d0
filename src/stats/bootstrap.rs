//! Percentile-bootstrap confidence intervals for a median and for a ratio of two medians.
//!
//! Resampling draws indices with a ChaCha8 generator seeded from the caller's seed, so an interval
//! is a pure function of (data, resamples, seed) and is reproducible across machines and runs.
//! The interval bounds are the type-7 quantiles (see `describe`) at `(1 - level) / 2` and
//! `(1 + level) / 2` of the resampled statistics. Non-finite values are ignored.

use super::describe::{median, quantile_sorted, sorted_finite};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Resamples used when the caller has no reason to choose another count.
pub const DEFAULT_RESAMPLES: usize = 2000;

/// Confidence level of the intervals computed here.
pub const LEVEL: f64 = 0.95;

/// The fewest finite values a sample needs for a bootstrap interval.
pub const MIN_N: usize = 2;

/// A confidence interval `[lo, hi]` at confidence `level` (e.g. 0.95).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Low end, in the statistic's unit.
    pub lo: f64,
    /// High end, in the statistic's unit.
    pub hi: f64,
    /// Confidence level, a fraction in (0, 1) (0.95 for [`LEVEL`]).
    pub level: f64,
}

impl Interval {
    /// Whether `x` lies in the closed interval.
    pub fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }
}

/// A ratio of medians with its bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Ratio {
    /// `median(num) / median(den)` on the full samples.
    pub estimate: f64,
    /// The bootstrap interval of the ratio, at [`LEVEL`].
    pub ci: Interval,
    /// The interval excludes 1.0.
    pub significant: bool,
}

/// Median of `buf` in O(n), reordering it. `buf` must be non-empty and finite.
fn median_in_place(buf: &mut [f64]) -> f64 {
    let n = buf.len();
    let mid = n / 2;
    let (left, m, _) = buf.select_nth_unstable_by(mid, f64::total_cmp);
    let upper = *m;
    if n % 2 == 1 {
        upper
    } else {
        let lower = left.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        lower + (upper - lower) / 2.0
    }
}

/// Fills `buf` with a resample (with replacement) of `data` and returns its median.
fn resampled_median(data: &[f64], buf: &mut Vec<f64>, rng: &mut ChaCha8Rng) -> f64 {
    buf.clear();
    buf.extend((0..data.len()).map(|_| data[rng.gen_range(0..data.len())]));
    median_in_place(buf)
}

/// Percentile interval of the bootstrap statistics in `stats` (sorted here).
fn percentile_interval(mut stats: Vec<f64>) -> Option<Interval> {
    stats.sort_by(f64::total_cmp);
    let alpha = (1.0 - LEVEL) / 2.0;
    Some(Interval {
        lo: quantile_sorted(&stats, alpha)?,
        hi: quantile_sorted(&stats, 1.0 - alpha)?,
        level: LEVEL,
    })
}

/// 95% percentile-bootstrap interval of the median of `xs`, from `resamples` resamples drawn with
/// a ChaCha8 generator seeded with `seed`. `None` when `xs` has fewer than [`MIN_N`] finite values
/// or `resamples` is 0.
pub fn median_ci(xs: &[f64], resamples: usize, seed: u64) -> Option<Interval> {
    let data = sorted_finite(xs);
    if data.len() < MIN_N || resamples == 0 {
        return None;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut buf = Vec::with_capacity(data.len());
    let stats = (0..resamples)
        .map(|_| resampled_median(&data, &mut buf, &mut rng))
        .collect();
    percentile_interval(stats)
}

/// Ratio `median(num) / median(den)` with a 95% percentile-bootstrap interval; the two samples are
/// resampled independently (they are different runs, not paired observations).
///
/// `None` when either sample has fewer than [`MIN_N`] finite values, `resamples` is 0, or
/// `median(den)` is 0.
/// Resamples whose denominator median is 0 are skipped; if more than half are skipped the
/// interval would be unreliable and `None` is returned.
pub fn ratio_ci(num: &[f64], den: &[f64], resamples: usize, seed: u64) -> Option<Ratio> {
    let n = sorted_finite(num);
    let d = sorted_finite(den);
    if n.len() < MIN_N || d.len() < MIN_N || resamples == 0 {
        return None;
    }
    let den_median = median(&d)?;
    if den_median == 0.0 {
        return None;
    }
    let estimate = median(&n)? / den_median;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut bn, mut bd) = (Vec::with_capacity(n.len()), Vec::with_capacity(d.len()));
    let stats: Vec<f64> = (0..resamples)
        .filter_map(|_| {
            let mn = resampled_median(&n, &mut bn, &mut rng);
            let md = resampled_median(&d, &mut bd, &mut rng);
            (md != 0.0).then(|| mn / md).filter(|r| r.is_finite())
        })
        .collect();
    if stats.len() * 2 < resamples {
        return None;
    }
    let ci = percentile_interval(stats)?;
    Some(Ratio {
        estimate,
        ci,
        significant: !ci.contains(1.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_in_place_matches_type7() {
        let mut odd = vec![5.0, 1.0, 3.0];
        assert_eq!(median_in_place(&mut odd), 3.0);
        let mut even = vec![4.0, 1.0, 3.0, 2.0];
        assert_eq!(median_in_place(&mut even), 2.5);
        let mut one = vec![7.0];
        assert_eq!(median_in_place(&mut one), 7.0);
    }

    #[test]
    fn median_ci_is_reproducible_and_brackets_the_median() {
        let xs: Vec<f64> = (1..=50).map(|i| f64::from(i) * 1.5).collect();
        let a = median_ci(&xs, DEFAULT_RESAMPLES, 7).expect("non-empty");
        let b = median_ci(&xs, DEFAULT_RESAMPLES, 7).expect("non-empty");
        assert_eq!(a, b);
        assert_eq!(a.level, 0.95);
        let m = median(&xs).expect("non-empty");
        assert!(a.lo < m && m < a.hi, "{a:?} vs {m}");
        assert!(a.lo >= 1.5 && a.hi <= 75.0);
    }

    #[test]
    fn empty_or_no_resamples_give_none() {
        assert_eq!(median_ci(&[], 100, 1), None);
        assert_eq!(median_ci(&[1.0], 0, 1), None);
        assert_eq!(median_ci(&[f64::NAN], 100, 1), None);
        assert!(ratio_ci(&[1.0, 2.0], &[], 100, 1).is_none());
        assert!(ratio_ci(&[1.0, 2.0], &[0.0, 0.0, 1.0], 100, 1).is_none());
    }

    #[test]
    fn one_value_has_no_interval() {
        // Resampling a single value returns it every time: [x, x] would claim an exact median.
        assert_eq!(median_ci(&[7.0], 2000, 1), None);
        assert_eq!(median_ci(&[7.0, f64::NAN, f64::INFINITY], 2000, 1), None);
        let two = median_ci(&[7.0, 9.0], 2000, 1).expect("two values");
        assert_eq!((two.lo, two.hi), (7.0, 9.0));
        // One value on either side of a ratio: no interval, and so no significance.
        assert_eq!(ratio_ci(&[6.0], &[3.0, 3.1, 2.9], 2000, 1), None);
        assert_eq!(ratio_ci(&[6.0, 6.1, 5.9], &[3.0], 2000, 1), None);
    }

    #[test]
    fn constant_ratio_is_degenerate() {
        let r = ratio_ci(&[6.0; 20], &[3.0; 20], 500, 3).expect("valid");
        assert_eq!(r.estimate, 2.0);
        assert_eq!((r.ci.lo, r.ci.hi), (2.0, 2.0));
        assert!(r.significant);
        let same = ratio_ci(&[3.0; 20], &[3.0; 20], 500, 3).expect("valid");
        assert!(!same.significant);
    }

    #[test]
    fn planted_doubling_is_significant() {
        let den: Vec<f64> = (0..40).map(|i| 100.0 + f64::from(i % 7)).collect();
        let num: Vec<f64> = den.iter().map(|x| 2.0 * x + 1.0).collect();
        let r = ratio_ci(&num, &den, DEFAULT_RESAMPLES, 11).expect("valid");
        assert!((r.estimate - 2.0).abs() < 0.02, "{r:?}");
        assert!(r.significant && r.ci.lo > 1.9 && r.ci.hi < 2.1, "{r:?}");
    }
}
