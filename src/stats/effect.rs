//! Cliff's delta, the effect size the software-energy literature reports beside a Mann–Whitney
//! test: the probability that a value of `a` exceeds one of `b`, minus the reverse,
//! `d = (#{a_i > b_j} - #{a_i < b_j}) / (n_a n_b)`, from -1 (every `a` below every `b`) to 1.
//! Computed in O((n_a + n_b) log n_b) by sorting, never over all pairs: a cell can hold
//! millions of calls. Its interval is Cliff's (1993) asymmetric one, from his consistent
//! variance estimate (N. Cliff, "Dominance statistics: Ordinal analyses to answer ordinal
//! questions", Psychological Bulletin 114(3), 1993; Feng & Cliff, J. Mod. Appl. Stat. Methods
//! 3(2), 2004), which keeps the bounds within [-1, 1].

use super::describe::sorted_finite;

/// Cliff's delta with its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CliffsDelta {
    /// The estimate, from -1 to 1.
    pub d: f64,
    /// The interval's lower bound; `None` with fewer than two values a side.
    pub lo: Option<f64>,
    /// The interval's upper bound.
    pub hi: Option<f64>,
}

/// How many of the sorted `xs` are below and above `v`.
fn below_above(xs: &[f64], v: f64) -> (usize, usize) {
    let below = xs.partition_point(|&x| x < v);
    let not_above = xs.partition_point(|&x| x <= v);
    (below, xs.len() - not_above)
}

/// Cliff's delta of `a` against `b` (finite values only) with a two-sided interval at `level`
/// (e.g. 0.95); `None` when a side has no value.
pub fn cliffs_delta(a: &[f64], b: &[f64], level: f64) -> Option<CliffsDelta> {
    let (xa, xb) = (sorted_finite(a), sorted_finite(b));
    let (na, nb) = (xa.len(), xb.len());
    if na == 0 || nb == 0 {
        return None;
    }
    let (fa, fb) = (na as f64, nb as f64);
    // d_i. for each a: (#b below - #b above) / n_b; d_.j for each b: (#a above - #a below) / n_a.
    let rows: Vec<f64> = xa
        .iter()
        .map(|&v| {
            let (lo, hi) = below_above(&xb, v);
            (lo as f64 - hi as f64) / fb
        })
        .collect();
    let cols: Vec<f64> = xb
        .iter()
        .map(|&v| {
            let (lo, hi) = below_above(&xa, v);
            (hi as f64 - lo as f64) / fa
        })
        .collect();
    // d from whole counts, so that equal samples give exactly 0.
    let net: i64 = xa
        .iter()
        .map(|&v| {
            let (lo, hi) = below_above(&xb, v);
            lo as i64 - hi as i64
        })
        .sum();
    let d = net as f64 / (fa * fb);
    if na < 2 || nb < 2 {
        return Some(CliffsDelta {
            d,
            lo: None,
            hi: None,
        });
    }
    // Sum over all pairs of (d_ij - d)^2 = (pairs not tied) - n_a n_b d^2, as d_ij is -1, 0 or 1.
    let ties: usize = xa
        .iter()
        .map(|&v| {
            let (lo, hi) = below_above(&xb, v);
            nb - lo - hi
        })
        .sum();
    let pairs = fa * fb;
    let sum_pairs = (pairs - ties as f64) - pairs * d * d;
    let sum_rows: f64 = rows.iter().map(|r| (r - d).powi(2)).sum();
    let sum_cols: f64 = cols.iter().map(|c| (c - d).powi(2)).sum();
    let var = (fb * fb * sum_rows + fa * fa * sum_cols - sum_pairs) / (pairs * (fa - 1.0) * (fb - 1.0));
    // Cliff's floor for a variance estimate that comes out below its minimum. With complete
    // separation (|d| = 1) the variance estimate is 0 and the formula degenerates (to [-1, 1]):
    // the far bound is then that of the nearest delta, one pair short of separation, with its
    // floor variance, and the near bound is d itself.
    let separated = d.abs() == 1.0;
    let d_f = if separated {
        d.signum() * (pairs - 1.0) / pairs
    } else {
        d
    };
    let var = var.max((1.0 - d_f * d_f) / (pairs - 1.0)).max(0.0);
    let s = var.sqrt();
    let z = normal_quantile(0.5 + level / 2.0);
    let denom = 1.0 - d_f * d_f + z * z * var;
    let spread = z * s * ((1.0 - d_f * d_f).powi(2) + z * z * var).sqrt();
    let (mut lo, mut hi) = (
        ((d_f - d_f.powi(3) - spread) / denom).clamp(-1.0, 1.0),
        ((d_f - d_f.powi(3) + spread) / denom).clamp(-1.0, 1.0),
    );
    if separated {
        if d > 0.0 {
            hi = d;
        } else {
            lo = d;
        }
    }
    Some(CliffsDelta {
        d,
        lo: Some(lo),
        hi: Some(hi),
    })
}

/// The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same statistics over every pair, as the definitions write them.
    fn brute(a: &[f64], b: &[f64]) -> (f64, f64) {
        let (na, nb) = (a.len() as f64, b.len() as f64);
        let dij = |x: f64, y: f64| (x > y) as i32 as f64 - (x < y) as i32 as f64;
        let d = a
            .iter()
            .map(|&x| b.iter().map(|&y| dij(x, y)).sum::<f64>())
            .sum::<f64>()
            / (na * nb);
        let rows: f64 = a
            .iter()
            .map(|&x| (b.iter().map(|&y| dij(x, y)).sum::<f64>() / nb - d).powi(2))
            .sum();
        let cols: f64 = b
            .iter()
            .map(|&y| (a.iter().map(|&x| dij(x, y)).sum::<f64>() / na - d).powi(2))
            .sum();
        let pairs: f64 = a
            .iter()
            .map(|&x| b.iter().map(|&y| (dij(x, y) - d).powi(2)).sum::<f64>())
            .sum();
        let var = (nb * nb * rows + na * na * cols - pairs) / (na * nb * (na - 1.0) * (nb - 1.0));
        (d, var)
    }

    #[test]
    fn delta_by_hand() {
        // a = [1, 2, 3], b = [2, 4]: pairs (a > b) - (a < b): 1:(0-2) 2:(0-1) 3:(1-1) = -3 of 6.
        let c = cliffs_delta(&[1.0, 2.0, 3.0], &[2.0, 4.0], 0.95).unwrap();
        assert!((c.d - (-0.5)).abs() < 1e-12, "{c:?}");
        assert_eq!(cliffs_delta(&[5.0, 6.0], &[1.0, 2.0], 0.95).unwrap().d, 1.0);
        assert_eq!(
            cliffs_delta(&[1.0], &[1.0], 0.95).unwrap(),
            CliffsDelta {
                d: 0.0,
                lo: None,
                hi: None
            }
        );
        assert!(cliffs_delta(&[], &[1.0], 0.95).is_none());
    }

    #[test]
    fn the_sorted_computation_equals_the_pairwise_one() {
        let a = [3.1, 2.0, 2.0, 5.5, 4.0, 1.0, 2.0, 9.0];
        let b = [2.0, 3.0, 3.1, 0.5, 2.0, 7.0];
        let (d, var) = brute(&a, &b);
        let c = cliffs_delta(&a, &b, 0.95).unwrap();
        assert!((c.d - d).abs() < 1e-12);
        // The interval from the brute variance, as the formula writes it.
        let (z, s) = (1.959963984540054, var.sqrt());
        let lo = (d - d.powi(3) - z * s * ((1.0 - d * d).powi(2) + z * z * var).sqrt())
            / (1.0 - d * d + z * z * var);
        assert!((c.lo.unwrap() - lo).abs() < 1e-9, "{c:?} {lo}");
        assert!(c.lo.unwrap() < c.d && c.d < c.hi.unwrap());
    }

    #[test]
    fn complete_separation_keeps_a_finite_interval() {
        // Every a above every b: Cliff's variance estimate is 0 and his formula gives [-1, 1];
        // the low bound is that of d = 24/25 (one pair short) with its floor variance
        // (1 - d^2) / 24, the high bound 1.
        let (a, b) = ([10.0, 11.0, 12.0, 13.0, 14.0], [1.0, 2.0, 3.0, 4.0, 5.0]);
        let c = cliffs_delta(&a, &b, 0.95).unwrap();
        assert_eq!(c.d, 1.0);
        let d: f64 = 24.0 / 25.0;
        let var = (1.0 - d * d) / 24.0;
        let z = 1.959963984540054;
        let lo = (d - d.powi(3) - z * var.sqrt() * ((1.0 - d * d).powi(2) + z * z * var).sqrt())
            / (1.0 - d * d + z * z * var);
        assert!((c.lo.unwrap() - lo).abs() < 1e-9, "{c:?} {lo}");
        assert!(lo > 0.5, "{lo}");
        let (lo, hi) = (c.lo.unwrap(), c.hi.unwrap());
        assert!(lo.is_finite() && hi == 1.0, "{c:?}");
        let neg = cliffs_delta(&b, &a, 0.95).unwrap();
        assert_eq!((neg.d, neg.lo, neg.hi), (-1.0, Some(-1.0), Some(-lo)));
    }

    #[test]
    fn quantiles_match_reference_values() {
        for (p, z) in [
            (0.975, 1.959963984540054),
            (0.5, 0.0),
            (0.995, 2.5758293035489),
            (0.001, -3.090232306167813),
        ] {
            assert!((normal_quantile(p) - z).abs() < 1e-8, "{p}");
        }
    }
}
