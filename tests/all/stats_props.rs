//! Property tests of `nebula::stats`: bootstrap intervals (the window bootstrap with one value a
//! window, the ordinary bootstrap), ratios and quantiles.

use nebula::stats::cluster::{self, Clustered};
use nebula::stats::{mann_whitney, median, quantile, summarize, tukey_outliers, Interval, Ratio};

/// The window bootstrap's interval of the median, each value its own window.
fn median_ci(xs: &[f64], resamples: usize, seed: u64) -> Option<Interval> {
    cluster::median_ci(&Clustered::independent(xs)?, resamples, seed)
}

/// The window bootstrap's interval of a ratio of medians, each value its own window.
fn ratio_ci(num: &[f64], den: &[f64], resamples: usize, seed: u64) -> Option<Ratio> {
    cluster::ratio_ci(
        &Clustered::independent(num)?,
        &Clustered::independent(den)?,
        resamples,
        seed,
    )
}
use proptest::prelude::*;

const RESAMPLES: usize = 300;

fn sample() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-1.0e6..1.0e6f64, 1..60)
}

/// Samples large enough for a bootstrap interval (two values or more).
fn ci_sample() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-1.0e6..1.0e6f64, 2..60)
}

fn positive_sample() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(1.0e-3..1.0e6f64, 2..60)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn median_ci_contains_median_within_range(xs in ci_sample(), seed in any::<u64>()) {
        let ci = median_ci(&xs, RESAMPLES, seed).expect("non-empty");
        let m = median(&xs).expect("non-empty");
        let s = summarize(&xs).expect("non-empty");
        prop_assert!(ci.lo <= m && m <= ci.hi, "{ci:?} misses median {m}");
        prop_assert!(s.min <= ci.lo && ci.hi <= s.max, "{ci:?} outside [{}, {}]", s.min, s.max);
        prop_assert_eq!(ci.level, 0.95);
    }

    #[test]
    fn median_ci_contains_median_with_heavy_ties(
        xs in prop::collection::vec((0..4i32).prop_map(f64::from), 2..25),
        seed in any::<u64>(),
    ) {
        let ci = median_ci(&xs, RESAMPLES, seed).expect("non-empty");
        let m = median(&xs).expect("non-empty");
        prop_assert!(ci.lo <= m && m <= ci.hi, "{ci:?} misses median {m} of {xs:?}");
    }

    #[test]
    fn constant_sample_has_degenerate_ci(x in -1.0e9..1.0e9f64, n in 2usize..50, seed in any::<u64>()) {
        let ci = median_ci(&vec![x; n], RESAMPLES, seed).expect("non-empty");
        prop_assert_eq!((ci.lo, ci.hi), (x, x));
    }

    #[test]
    fn same_seed_same_ci(xs in sample(), seed in any::<u64>()) {
        prop_assert_eq!(median_ci(&xs, RESAMPLES, seed), median_ci(&xs, RESAMPLES, seed));
        let ys: Vec<f64> = xs.iter().map(|x| x.abs() + 1.0).collect();
        prop_assert_eq!(ratio_ci(&ys, &ys, RESAMPLES, seed), ratio_ci(&ys, &ys, RESAMPLES, seed));
    }

    #[test]
    fn scaled_sample_ratio_is_k(xs in positive_sample(), k in 0.01..100.0f64, seed in any::<u64>()) {
        let scaled: Vec<f64> = xs.iter().map(|x| x * k).collect();
        let r = ratio_ci(&scaled, &xs, RESAMPLES, seed).expect("positive medians");
        prop_assert!((r.estimate - k).abs() <= 1e-9 * k, "estimate {} != {k}", r.estimate);
        prop_assert!(r.ci.lo <= r.estimate * (1.0 + 1e-12) && r.estimate <= r.ci.hi * (1.0 + 1e-12));
    }

    #[test]
    fn quantiles_are_monotone(xs in sample(), mut ps in prop::collection::vec(0.0..=1.0f64, 2..10)) {
        ps.sort_by(f64::total_cmp);
        let qs: Vec<f64> = ps.iter().map(|&p| quantile(&xs, p).expect("non-empty")).collect();
        for w in qs.windows(2) {
            prop_assert!(w[0] <= w[1], "{qs:?} for {ps:?}");
        }
        let s = summarize(&xs).expect("non-empty");
        prop_assert!(s.min <= s.p5 && s.p5 <= s.q1 && s.q1 <= s.median);
        prop_assert!(s.median <= s.q3 && s.q3 <= s.p95 && s.p95 <= s.max);
        prop_assert!(s.iqr >= 0.0);
    }

    #[test]
    fn mann_whitney_is_symmetric_and_bounded(a in sample(), b in sample()) {
        let ab = mann_whitney(&a, &b).expect("non-empty");
        let ba = mann_whitney(&b, &a).expect("non-empty");
        prop_assert!((0.0..=1.0).contains(&ab.p_value));
        prop_assert!((ab.p_value - ba.p_value).abs() < 1e-12);
        prop_assert!((ab.u + ba.u - (a.len() * b.len()) as f64).abs() < 1e-9);
    }

    #[test]
    fn tukey_never_flags_the_middle(xs in sample()) {
        let flags = tukey_outliers(&xs);
        prop_assert_eq!(flags.len(), xs.len());
        let s = summarize(&xs).expect("non-empty");
        for (x, f) in xs.iter().zip(&flags) {
            if *x >= s.q1 && *x <= s.q3 {
                prop_assert!(!f);
            }
        }
    }
}
