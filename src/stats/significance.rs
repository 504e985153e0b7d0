//! Significance and outliers: the Mann–Whitney U test (two-sided, normal approximation with tie
//! and continuity corrections) and Tukey's fences (outside 1.5 IQR of the quartiles).
//!
//! The test matches R's `wilcox.test(a, b, exact = FALSE, correct = TRUE)` and scipy's
//! `mannwhitneyu(a, b, method = "asymptotic")`. Non-finite values are ignored.

use super::describe::{quantile_sorted, sorted_finite};
use serde::{Deserialize, Serialize};

/// Result of a two-sided Mann–Whitney U test of `a` against `b`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MannWhitney {
    /// U statistic of the first sample (R's `W`): pairs (x in a, y in b) with x > y, ties 1/2.
    pub u: f64,
    /// Standardised statistic after tie and continuity corrections (sign: a above b is positive).
    pub z: f64,
    /// Two-sided p-value from the normal approximation, in [0, 1].
    pub p_value: f64,
}

/// Tukey's fences: values below `lo` or above `hi` are outliers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fences {
    /// `q1 - 1.5 IQR`.
    pub lo: f64,
    /// `q3 + 1.5 IQR`.
    pub hi: f64,
}

/// Complementary error function, accurate to about 1e-15 relative for the arguments p-values
/// need. Series with positive terms below 1.5, Laplace's continued fraction (200 terms) above.
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    let two_over_sqrt_pi = std::f64::consts::FRAC_2_SQRT_PI;
    if x < 1.5 {
        // erf(x) = 2/sqrt(pi) e^{-x^2} sum_n (2x^2)^n x / (1 * 3 * ... * (2n + 1))
        let x2 = 2.0 * x * x;
        let (mut term, mut sum) = (x, x);
        let mut k = 1.0;
        while term > sum * 1e-17 {
            term *= x2 / (2.0 * k + 1.0);
            sum += term;
            k += 1.0;
        }
        1.0 - two_over_sqrt_pi * (-x * x).exp() * sum
    } else {
        // erfc(x) = e^{-x^2} / sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
        let mut f = x;
        for k in (1..=200).rev() {
            f = x + (f64::from(k) / 2.0) / f;
        }
        two_over_sqrt_pi / 2.0 * (-x * x).exp() / f
    }
}

/// Two-sided p-value of a standard normal statistic `z`.
pub fn normal_two_sided_p(z: f64) -> f64 {
    erfc(z.abs() / std::f64::consts::SQRT_2).min(1.0)
}

/// Two-sided Mann–Whitney U test; `None` when either sample has no finite value.
/// When every value is tied the variance is zero and the p-value is 1.
pub fn mann_whitney(a: &[f64], b: &[f64]) -> Option<MannWhitney> {
    let xa = sorted_finite(a);
    let xb = sorted_finite(b);
    if xa.is_empty() || xb.is_empty() {
        return None;
    }
    let (n1, n2) = (xa.len() as f64, xb.len() as f64);
    let n = n1 + n2;
    let mut pooled: Vec<(f64, bool)> = xa
        .iter()
        .map(|&x| (x, true))
        .chain(xb.iter().map(|&x| (x, false)))
        .collect();
    pooled.sort_by(|p, q| p.0.total_cmp(&q.0));
    // Average ranks over tie groups; ranks are 1-based.
    let (mut rank_sum_a, mut ties) = (0.0, 0.0);
    let mut i = 0;
    while i < pooled.len() {
        let mut j = i + 1;
        while j < pooled.len() && pooled[j].0 == pooled[i].0 {
            j += 1;
        }
        let t = (j - i) as f64;
        let avg_rank = (i + 1 + j) as f64 / 2.0;
        let in_a = pooled[i..j].iter().filter(|p| p.1).count() as f64;
        rank_sum_a += avg_rank * in_a;
        ties += t * t * t - t;
        i = j;
    }
    let u = rank_sum_a - n1 * (n1 + 1.0) / 2.0;
    let mu = n1 * n2 / 2.0;
    let var = n1 * n2 / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0)));
    let d = u - mu;
    let (z, p_value) = if var > 0.0 {
        let z = d.signum() * (d.abs() - 0.5).max(0.0) / var.sqrt();
        (z, normal_two_sided_p(z))
    } else {
        (0.0, 1.0)
    };
    Some(MannWhitney { u, z, p_value })
}

/// Tukey's fences of `xs`; `None` when it has no finite value.
pub fn tukey_fences(xs: &[f64]) -> Option<Fences> {
    let v = sorted_finite(xs);
    let q1 = quantile_sorted(&v, 0.25)?;
    let q3 = quantile_sorted(&v, 0.75)?;
    let iqr = q3 - q1;
    Some(Fences {
        lo: q1 - 1.5 * iqr,
        hi: q3 + 1.5 * iqr,
    })
}

/// One flag per value of `xs`, true where it lies outside Tukey's fences (strictly below
/// `q1 - 1.5 IQR` or above `q3 + 1.5 IQR`). Non-finite values are never flagged.
pub fn tukey_outliers(xs: &[f64]) -> Vec<bool> {
    match tukey_fences(xs) {
        Some(f) => xs
            .iter()
            .map(|&x| x.is_finite() && (x < f.lo || x > f.hi))
            .collect(),
        None => vec![false; xs.len()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    #[test]
    fn erfc_matches_reference_values() {
        // Reference values from Python's math.erfc (libm).
        let cases = [
            (0.0, 1.0),
            (0.5, 0.4795001221869535),
            (1.0, 0.15729920705028513),
            (1.4, 0.04771488023735121),
            (1.6, 0.023651616655355985),
            (2.0, 0.004677734981047265),
            (2.9, 4.109787809945886e-05),
            (3.0, 2.2090496998585438e-05),
            (4.5, 1.9661604415428873e-10),
            (-1.0, 1.842700792949715),
        ];
        for (x, want) in cases {
            assert!(close(erfc(x), want, 1e-13), "erfc({x}) = {} != {want}", erfc(x));
        }
        assert!(close(normal_two_sided_p(1.959963984540054), 0.05, 1e-12));
    }

    #[test]
    fn textbook_separated_samples() {
        // R: wilcox.test(1:5, 6:10, exact = FALSE) gives W = 0, p-value = 0.01219 (z = -2.5067).
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        let b = [6.0, 7.0, 8.0, 9.0, 10.0];
        let t = mann_whitney(&a, &b).expect("non-empty");
        assert_eq!(t.u, 0.0);
        assert!(close(t.p_value, 0.012185780355344818, 1e-12), "{t:?}");
        assert!(t.z < 0.0);
        let r = mann_whitney(&b, &a).expect("non-empty");
        assert_eq!(r.u, 25.0);
        assert!(close(r.p_value, t.p_value, 1e-15));
    }

    #[test]
    fn ties_are_corrected() {
        // a = [1,2,2,3], b = [2,3,3,4]: pooled ranks 1, 3,3,3, 6,6,6, 8; R1 = 1+3+3+6 = 13,
        // U = 13 - 10 = 3; ties: (27-3) + (27-3) = 48; var = 16/12 * (9 - 48/56) = 10.857142...
        // z = (3 - 8 + 0.5)/sqrt(var) = -1.365698...; p = erfc(|z|/sqrt 2).
        let t = mann_whitney(&[1.0, 2.0, 2.0, 3.0], &[2.0, 3.0, 3.0, 4.0]).expect("non-empty");
        assert_eq!(t.u, 3.0);
        let z: f64 = -4.5 / (16.0_f64 / 12.0 * (9.0 - 48.0 / 56.0)).sqrt();
        assert!(close(t.z, z, 1e-12));
        assert!(close(t.p_value, 0.17203370892182296, 1e-9), "{t:?}");
    }

    #[test]
    fn identical_and_empty() {
        let t = mann_whitney(&[1.0; 5], &[1.0; 5]).expect("non-empty");
        assert_eq!(t.p_value, 1.0);
        assert_eq!(mann_whitney(&[], &[1.0]), None);
        let same = mann_whitney(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]).expect("non-empty");
        assert_eq!(same.p_value, 1.0);
    }

    #[test]
    fn tukey_flags_far_values() {
        let xs = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 100.0, f64::NAN, -50.0];
        let f = tukey_fences(&xs).expect("non-empty");
        // Finite sorted: -50,1..8,100 (10 values): q1 = 2.25, q3 = 6.75, IQR = 4.5.
        assert!(close(f.lo, -4.5, 1e-12) && close(f.hi, 13.5, 1e-12), "{f:?}");
        let flags = tukey_outliers(&xs);
        let flagged: Vec<usize> = (0..xs.len()).filter(|&i| flags[i]).collect();
        assert_eq!(flagged, vec![8, 10]);
        assert!(tukey_outliers(&[]).is_empty());
    }
}
