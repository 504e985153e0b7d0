//! Bootstrap intervals that resample measurement windows, not calls. The calls of one window
//! share its moment (the machine's state, its frequency, the other cells' caches) and are not
//! independent samples; windows are the independent unit, as the interleaved schedule makes
//! them. Resampling whole windows (the cluster bootstrap; Davison & Hinkley, *Bootstrap Methods
//! and their Application*, 1997, §3.8; for benchmarks Kalibera & Jones, "Rigorous benchmarking
//! in reasonable time", ISMM 2013) keeps the dependence inside each resample, so the interval is
//! as wide as the variation between windows says it must be. A cell whose windows each hold one
//! call gets the ordinary bootstrap over calls.
//!
//! Cost: the statistic is the median of all calls of the resampled windows. It is found without
//! touching the calls: each window is held as cumulative counts over a grid of the cell's
//! values (its distinct values, or [`GRID`] quantiles of them when there are more), so one
//! resample costs O(windows x log grid), however many calls the windows hold. With more than
//! [`MAX_BLOCKS`] windows, runs of consecutive windows are resampled as one block (still
//! independent units). The grid bounds a resampled median to within one grid step of the exact
//! one: 1/4096 of the cell's distribution, far inside any interval's width.

use super::bootstrap::{percentile_interval, Interval, Ratio};
use super::describe::median;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The most grid points a cell's values are held on.
pub const GRID: usize = 4096;
/// The most resampling units: more windows are grouped into blocks of consecutive windows.
pub const MAX_BLOCKS: usize = 512;

/// A sample of values grouped into windows, ready to be resampled by window.
#[derive(Debug, Clone)]
pub struct Clustered {
    /// The sorted grid values.
    grid: Vec<f64>,
    /// Per block, `grid.len()` cumulative counts: values of the block `<= grid[g]`.
    cum: Vec<u32>,
    /// Values per block.
    sizes: Vec<u64>,
    /// The median of all values (type 7).
    median: f64,
}

impl Clustered {
    /// Values with the window of each (`windows[i]` is the window of `values[i]`; windows need
    /// not be contiguous). Non-finite values are left out. `None` when no value is finite.
    pub fn new(values: &[f64], windows: &[u64]) -> Option<Clustered> {
        let mut pairs: Vec<(u64, f64)> = windows
            .iter()
            .copied()
            .zip(values.iter().copied())
            .filter(|(_, v)| v.is_finite())
            .collect();
        if pairs.is_empty() {
            return None;
        }
        pairs.sort_unstable_by_key(|p| p.0);
        let mut sorted: Vec<f64> = pairs.iter().map(|p| p.1).collect();
        sorted.sort_unstable_by(f64::total_cmp);
        let median = median(&sorted)?;
        let grid = grid_of(&sorted);
        drop(sorted);
        // Window boundaries, then blocks of consecutive windows.
        let mut starts: Vec<usize> = vec![0];
        starts.extend((1..pairs.len()).filter(|&i| pairs[i].0 != pairs[i - 1].0));
        let per_block = starts.len().div_ceil(MAX_BLOCKS);
        let block_starts: Vec<usize> = starts.iter().copied().step_by(per_block).collect();
        let g = grid.len();
        let mut cum = vec![0u32; block_starts.len() * g];
        let mut sizes = Vec::with_capacity(block_starts.len());
        let mut block: Vec<f64> = Vec::new();
        for (b, &start) in block_starts.iter().enumerate() {
            let end = block_starts.get(b + 1).copied().unwrap_or(pairs.len());
            block.clear();
            block.extend(pairs[start..end].iter().map(|p| p.1));
            block.sort_unstable_by(f64::total_cmp);
            sizes.push(block.len() as u64);
            let row = &mut cum[b * g..(b + 1) * g];
            let mut k = 0usize;
            for (gi, &gv) in grid.iter().enumerate() {
                while k < block.len() && block[k] <= gv {
                    k += 1;
                }
                row[gi] = k as u32;
            }
        }
        Some(Clustered {
            grid,
            cum,
            sizes,
            median,
        })
    }

    /// Values in one window each: the ordinary bootstrap over values.
    pub fn independent(values: &[f64]) -> Option<Clustered> {
        let ids: Vec<u64> = (0..values.len() as u64).collect();
        Clustered::new(values, &ids)
    }

    /// Resampling units (windows, or blocks of them).
    pub fn units(&self) -> usize {
        self.sizes.len()
    }

    /// The median of all values.
    pub fn median(&self) -> f64 {
        self.median
    }

    /// The median of one resample of the blocks; `counts` is scratch space.
    fn resampled_median(&self, rng: &mut ChaCha8Rng, counts: &mut Vec<(usize, u64)>) -> f64 {
        let b = self.sizes.len();
        let mut mult = vec![0u64; b];
        for _ in 0..b {
            mult[rng.gen_range(0..b)] += 1;
        }
        counts.clear();
        counts.extend(
            mult.iter()
                .enumerate()
                .filter(|(_, &m)| m > 0)
                .map(|(i, &m)| (i, m)),
        );
        let total: u64 = counts.iter().map(|&(i, m)| m * self.sizes[i]).sum();
        let g = self.grid.len();
        let at = |gi: usize| -> u64 {
            counts
                .iter()
                .map(|&(i, m)| m * u64::from(self.cum[i * g + gi]))
                .sum()
        };
        // The value of rank `r` (from 1): the smallest grid point with `r` values at or below.
        let rank = |r: u64| -> f64 {
            let (mut lo, mut hi) = (0usize, g - 1);
            while lo < hi {
                let mid = (lo + hi) / 2;
                if at(mid) >= r {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            self.grid[lo]
        };
        // The median as type 7 takes it: the middle value, or the mean of the two middle ones.
        let lower = rank(total.div_ceil(2));
        if total % 2 == 1 {
            lower
        } else {
            let upper = rank(total / 2 + 1);
            lower + (upper - lower) / 2.0
        }
    }
}

/// The grid: the distinct values when there are at most [`GRID`], else that many quantiles.
fn grid_of(sorted: &[f64]) -> Vec<f64> {
    let mut distinct: Vec<f64> = Vec::new();
    for &v in sorted {
        if distinct.last() != Some(&v) {
            distinct.push(v);
            if distinct.len() > GRID {
                break;
            }
        }
    }
    if distinct.len() <= GRID {
        return distinct;
    }
    let n = sorted.len();
    let mut grid: Vec<f64> = (1..=GRID).map(|k| sorted[(k * n).div_ceil(GRID) - 1]).collect();
    grid.dedup();
    grid
}

/// 95% interval of the median, resampling windows; `None` with fewer than two windows (one
/// window resampled is itself) or no resamples.
pub fn median_ci(c: &Clustered, resamples: usize, seed: u64) -> Option<Interval> {
    if c.units() < 2 || resamples == 0 {
        return None;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut counts = Vec::new();
    percentile_interval(
        (0..resamples)
            .map(|_| c.resampled_median(&mut rng, &mut counts))
            .collect(),
    )
}

/// `median(num) / median(den)` with a 95% interval, each side's windows resampled
/// independently; `None` with fewer than two windows a side, no resamples, or `median(den)`
/// 0. Resamples whose denominator median is 0 are left out; with more than half of them so,
/// `None`.
pub fn ratio_ci(num: &Clustered, den: &Clustered, resamples: usize, seed: u64) -> Option<Ratio> {
    if num.units() < 2 || den.units() < 2 || resamples == 0 || den.median == 0.0 {
        return None;
    }
    let estimate = num.median / den.median;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut counts = Vec::new();
    let stats: Vec<f64> = (0..resamples)
        .filter_map(|_| {
            let n = num.resampled_median(&mut rng, &mut counts);
            let d = den.resampled_median(&mut rng, &mut counts);
            (d != 0.0).then(|| n / d).filter(|r| r.is_finite())
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

    /// The median of the union of the windows picked, computed from the values themselves.
    fn pooled_median(windows: &[Vec<f64>], picks: &[usize]) -> f64 {
        let all: Vec<f64> = picks.iter().flat_map(|&w| windows[w].iter().copied()).collect();
        median(&all).unwrap_or(f64::NAN)
    }

    #[test]
    fn a_resampled_median_is_the_median_of_the_windows_drawn() {
        // Windows of unequal sizes and overlapping values; the grid is exact (few distinct).
        let windows: Vec<Vec<f64>> = vec![
            vec![5.0, 1.0, 9.0],
            vec![2.0, 2.0],
            vec![7.0, 3.0, 8.0, 4.0],
            vec![6.0],
        ];
        let (values, ids): (Vec<f64>, Vec<u64>) = windows
            .iter()
            .enumerate()
            .flat_map(|(w, vs)| vs.iter().map(move |&v| (v, w as u64)))
            .unzip();
        let c = Clustered::new(&values, &ids).unwrap();
        assert_eq!(c.units(), 4);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut counts = Vec::new();
        for _ in 0..200 {
            // Replay the draw: the same generator state gives the same picks.
            let mut replay = rng.clone();
            let picks: Vec<usize> = (0..4).map(|_| replay.gen_range(0..4)).collect();
            let m = c.resampled_median(&mut rng, &mut counts);
            assert_eq!(m, pooled_median(&windows, &picks), "{picks:?}");
        }
    }

    #[test]
    fn one_value_per_window_is_the_ordinary_bootstrap() {
        let xs: Vec<f64> = (0..50).map(|i| f64::from(i * 7 % 50)).collect();
        let c = Clustered::independent(&xs).unwrap();
        assert_eq!(c.units(), 50);
        let ci = median_ci(&c, 2000, 1).unwrap();
        assert!(
            ci.lo <= 24.5 && 24.5 <= ci.hi && ci.lo >= 15.0 && ci.hi <= 34.0,
            "{ci:?}"
        );
        assert_eq!(median_ci(&Clustered::independent(&[1.0]).unwrap(), 100, 1), None);
    }

    #[test]
    fn many_windows_become_blocks_and_many_values_a_grid() {
        let values: Vec<f64> = (0..200_000).map(|i| f64::from(i % 9973)).collect();
        let ids: Vec<u64> = (0..200_000u64).map(|i| i / 100).collect();
        let c = Clustered::new(&values, &ids).unwrap();
        assert!(
            c.units() <= MAX_BLOCKS && c.units() >= MAX_BLOCKS / 2,
            "{}",
            c.units()
        );
        assert!(c.grid.len() <= GRID);
        let ci = median_ci(&c, 500, 2).unwrap();
        // The median of 0..9972 repeated is about 4986; one grid step is 9973/4096 < 3.
        assert!(
            ci.lo <= c.median() + 3.0 && c.median() - 3.0 <= ci.hi,
            "{ci:?} {}",
            c.median()
        );
    }

    #[test]
    fn no_values_no_resamples_or_one_window_give_none() {
        assert!(Clustered::independent(&[]).is_none());
        assert!(Clustered::independent(&[f64::NAN, f64::INFINITY]).is_none());
        let one = Clustered::new(&[1.0, 2.0, 3.0], &[4, 4, 4]).unwrap();
        assert_eq!(median_ci(&one, 100, 1), None);
        let two = Clustered::independent(&[7.0, 9.0]).unwrap();
        assert_eq!(median_ci(&two, 0, 1), None);
        let ci = median_ci(&two, 2000, 1).unwrap();
        assert_eq!((ci.lo, ci.hi), (7.0, 9.0));
        assert!(ratio_ci(&two, &one, 100, 1).is_none());
        let zero = Clustered::independent(&[0.0, 0.0, 1.0]).unwrap();
        assert!(ratio_ci(&two, &zero, 100, 1).is_none());
    }

    #[test]
    fn constant_ratio_is_degenerate_and_a_doubling_is_found() {
        let (six, three) = (
            Clustered::independent(&[6.0; 20]).unwrap(),
            Clustered::independent(&[3.0; 20]).unwrap(),
        );
        let r = ratio_ci(&six, &three, 500, 3).unwrap();
        assert_eq!(
            (r.estimate, r.ci.lo, r.ci.hi, r.significant),
            (2.0, 2.0, 2.0, true)
        );
        assert!(!ratio_ci(&three, &three, 500, 3).unwrap().significant);
        let den: Vec<f64> = (0..40).map(|i| 100.0 + f64::from(i % 7)).collect();
        let num: Vec<f64> = den.iter().map(|x| 2.0 * x + 1.0).collect();
        let r = ratio_ci(
            &Clustered::independent(&num).unwrap(),
            &Clustered::independent(&den).unwrap(),
            2000,
            11,
        )
        .unwrap();
        assert!(r.significant && r.ci.lo > 1.9 && r.ci.hi < 2.1, "{r:?}");
    }

    #[test]
    fn a_window_effect_widens_the_interval() {
        // 20 windows of 100 calls: each window shifted by its own offset. Resampling calls
        // would see 2000 values and a narrow interval; resampling windows sees 20.
        let mut values = Vec::new();
        let mut ids = Vec::new();
        for w in 0..20u64 {
            let offset = (w * 37 % 20) as f64 * 10.0;
            for i in 0..100 {
                values.push(1000.0 + offset + f64::from(i % 10));
                ids.push(w);
            }
        }
        let by_window = median_ci(&Clustered::new(&values, &ids).unwrap(), 2000, 5).unwrap();
        let by_call = median_ci(&Clustered::independent(&values).unwrap(), 2000, 5).unwrap();
        assert!(
            by_window.hi - by_window.lo > 3.0 * (by_call.hi - by_call.lo),
            "{by_window:?} {by_call:?}"
        );
    }
}
