//! One sample set against another, the statistics every comparison table shares: the medians,
//! the ratio of medians with its bootstrap interval, the two-sided Mann–Whitney p-value and
//! Cliff's delta with its interval; and the samples of each [`Metric`] taken from a cell's calls.

use crate::results::cells::CellCalls;
use crate::results::comparison::Metric;
use crate::stats::adjust::PAdjust;
use crate::stats::cluster::{ratio_ci, Clustered};
use crate::stats::effect::{cliffs_delta, CliffsDelta};
use crate::stats::{mann_whitney, median, ALPHA, LEVEL};

/// The statistics of `num` against `den` (for a run comparison: a runtime against its
/// reference; for `nebula compare`: run B against run A).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Contrast {
    /// Samples of `num`.
    pub n: usize,
    /// Samples of `den`.
    pub n_den: usize,
    /// Median of `num`.
    pub median: Option<f64>,
    /// Median of `den`.
    pub median_den: Option<f64>,
    /// `median(num) / median(den)`; `None` when a side is empty or `median(den)` is 0.
    pub ratio: Option<f64>,
    /// Bootstrap 95% interval of the ratio; `None` when a side has a single sample.
    pub ci: Option<(f64, f64)>,
    /// Two-sided Mann–Whitney p-value, unadjusted; `None` without a ratio.
    pub p: Option<f64>,
    /// Cliff's delta of `num` against `den` with its 95% interval.
    pub delta: Option<CliffsDelta>,
}

impl Contrast {
    /// Whether the difference is significant once the p-value is adjusted to `p_adjusted`: the
    /// interval excludes 1 and `p_adjusted < ALPHA`. `None` without a ratio; a ratio without an
    /// interval is never significant.
    pub fn significant(&self, p_adjusted: Option<f64>) -> Option<bool> {
        self.ratio?;
        let outside = self.ci.is_some_and(|(lo, hi)| lo > 1.0 || hi < 1.0);
        Some(outside && p_adjusted.is_some_and(|p| p < ALPHA))
    }
}

/// Adjusts the p-values of a whole table of contrasts together: each row with its adjusted p
/// and its significance ([`Contrast::significant`]) at that p.
pub fn adjust_all<R>(rows: Vec<(R, Contrast)>, adjust: PAdjust) -> Vec<(R, Option<f64>, Option<bool>)> {
    let adjusted = adjust.apply(&rows.iter().map(|(_, c)| c.p).collect::<Vec<_>>());
    rows.into_iter()
        .zip(adjusted)
        .map(|((row, c), p)| (row, p, c.significant(p)))
        .collect()
}

/// A metric's samples in one cell: the values, and the window of each (the unit the intervals
/// resample).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    /// The values (finite).
    pub values: Vec<f64>,
    /// The window of each value.
    pub windows: Vec<u64>,
}

impl Sample {
    fn clustered(&self) -> Option<Clustered> {
        Clustered::new(&self.values, &self.windows)
    }
}

/// `num` against `den`, the ratio's interval from `resamples` resamples of their windows drawn
/// from `seed`.
pub fn contrast(num: &Sample, den: &Sample, resamples: usize, seed: u64) -> Contrast {
    let ci = match (num.clustered(), den.clustered()) {
        (Some(n), Some(d)) => ratio_ci(&n, &d, resamples, seed).map(|r| (r.ci.lo, r.ci.hi)),
        _ => None,
    };
    let (num, den) = (&num.values[..], &den.values[..]);
    let (median_num, median_den) = (median(num), median(den));
    let ratio = match (median_num, median_den) {
        (Some(n), Some(d)) if d != 0.0 => Some(n / d).filter(|r| r.is_finite()),
        _ => None,
    };
    let ci = ci.filter(|_| ratio.is_some());
    Contrast {
        n: num.len(),
        n_den: den.len(),
        median: median_num,
        median_den,
        ratio,
        ci,
        p: ratio.and_then(|_| mann_whitney(den, num)).map(|t| t.p_value),
        delta: cliffs_delta(num, den, LEVEL),
    }
}

/// The samples of `metric` in a cell: one per ok call with a value, or for `energy` one per
/// measurement window (the mean of its ok calls).
pub fn samples(cell: &CellCalls, metric: Metric) -> Sample {
    let ids = cell.window_ids();
    let per_call = |col: &[f64]| -> Sample {
        let (values, windows) = col
            .iter()
            .zip(&ids)
            .filter(|(v, _)| v.is_finite())
            .map(|(v, w)| (*v, *w))
            .unzip();
        Sample { values, windows }
    };
    match metric {
        Metric::Latency => per_call(&cell.wall),
        Metric::KernelTime => per_call(&cell.kernel.0),
        Metric::KernelEnergy => per_call(&cell.kernel_energy.0),
        Metric::Energy => {
            let values = cell.window_energy(false);
            Sample {
                windows: (0..values.len() as u64).collect(),
                values,
            }
        }
    }
}
