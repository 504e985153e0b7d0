//! Statistics on samples of measurements (`&[f64]`): descriptive summaries, bootstrap intervals
//! for medians and ratios, the Mann–Whitney test, Cliff's delta (`effect.rs`), p-values
//! adjusted for many comparisons (`adjust.rs`), Tukey outliers, and run-to-run changes.
//! Everything here is a pure function; resampling is seeded and reproducible.

pub mod adjust;
pub mod bootstrap;
pub mod cluster;
pub mod describe;
pub mod effect;
pub mod significance;

pub use bootstrap::{Interval, Ratio, DEFAULT_RESAMPLES, LEVEL};
pub use describe::{mean, median, quantile, quantile_sorted, sorted_finite, summarize, Summary};
/// Significance threshold of a (adjusted) Mann–Whitney p-value.
pub const ALPHA: f64 = 0.05;

pub use significance::{
    erfc, mann_whitney, normal_two_sided_p, tukey_fences, tukey_outliers, Fences, MannWhitney,
};
