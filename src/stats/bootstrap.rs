//! What the bootstrap intervals share (`cluster.rs` resamples): the interval and ratio types,
//! the confidence level, the default number of resamples, and the percentile interval. The
//! bounds are the type-7 quantiles (see `describe`) at `(1 - level) / 2` and `(1 + level) / 2`
//! of the resampled statistics; resampling is seeded (ChaCha8), so an interval is a pure
//! function of (data, resamples, seed), the same on every machine.

use super::describe::quantile_sorted;
use serde::{Deserialize, Serialize};

/// Resamples used when the caller has no reason to choose another count.
pub const DEFAULT_RESAMPLES: usize = 2000;

/// Confidence level of the intervals computed here.
pub const LEVEL: f64 = 0.95;

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

/// Percentile interval of the bootstrap statistics in `stats` (sorted here).
pub(super) fn percentile_interval(mut stats: Vec<f64>) -> Option<Interval> {
    stats.sort_by(f64::total_cmp);
    let alpha = (1.0 - LEVEL) / 2.0;
    Some(Interval {
        lo: quantile_sorted(&stats, alpha)?,
        hi: quantile_sorted(&stats, 1.0 - alpha)?,
        level: LEVEL,
    })
}
