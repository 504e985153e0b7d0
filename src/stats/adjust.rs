//! p-values adjusted for the many comparisons of one run: Holm's step-down method (family-wise
//! error rate; Holm, Scand. J. Statistics 6(2), 1979) and Benjamini–Hochberg's step-up method
//! (false discovery rate; J. R. Statist. Soc. B 57(1), 1995), as R's `p.adjust` computes them.
//! Missing p-values (`None`) are left out of the family and stay missing.

use std::fmt;
use std::str::FromStr;

/// How a table's p-values are adjusted for being many.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PAdjust {
    /// Holm's step-down method: controls the family-wise error rate (the default).
    #[default]
    Holm,
    /// Benjamini–Hochberg's step-up method: controls the false discovery rate.
    BenjaminiHochberg,
}

impl PAdjust {
    /// The method as configs and tables spell it: `holm` or `bh`.
    pub fn as_str(self) -> &'static str {
        match self {
            PAdjust::Holm => "holm",
            PAdjust::BenjaminiHochberg => "bh",
        }
    }

    /// The adjusted p-values of `p`, in the order given.
    pub fn apply(self, p: &[Option<f64>]) -> Vec<Option<f64>> {
        match self {
            PAdjust::Holm => holm(p),
            PAdjust::BenjaminiHochberg => benjamini_hochberg(p),
        }
    }
}

impl fmt::Display for PAdjust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PAdjust {
    type Err = String;
    fn from_str(s: &str) -> Result<PAdjust, String> {
        match s {
            "holm" => Ok(PAdjust::Holm),
            "bh" | "fdr" | "BH" => Ok(PAdjust::BenjaminiHochberg),
            _ => Err(format!(
                "`{s}` is not a p-value adjustment: use \"holm\" (family-wise error rate) or \"bh\" (Benjamini-Hochberg, false discovery rate)"
            )),
        }
    }
}

/// Holm-adjusted p-values, in the order given.
pub fn holm(p: &[Option<f64>]) -> Vec<Option<f64>> {
    let order = ascending(p);
    let m = order.len() as f64;
    let mut out = vec![None; p.len()];
    let mut running: f64 = 0.0;
    for (rank, &(i, v)) in order.iter().enumerate() {
        running = running.max((v * (m - rank as f64)).min(1.0));
        out[i] = Some(running);
    }
    out
}

/// Benjamini–Hochberg-adjusted p-values, in the order given.
pub fn benjamini_hochberg(p: &[Option<f64>]) -> Vec<Option<f64>> {
    let order = ascending(p);
    let m = order.len() as f64;
    let mut out = vec![None; p.len()];
    let mut running: f64 = 1.0;
    for (rank, &(i, v)) in order.iter().enumerate().rev() {
        running = running.min((v * m / (rank as f64 + 1.0)).min(1.0));
        out[i] = Some(running);
    }
    out
}

/// The present p-values with their positions, smallest first.
fn ascending(p: &[Option<f64>]) -> Vec<(usize, f64)> {
    let mut v: Vec<(usize, f64)> = p
        .iter()
        .enumerate()
        .filter_map(|(i, x)| x.filter(|x| x.is_finite()).map(|x| (i, x)))
        .collect();
    v.sort_by(|a, b| a.1.total_cmp(&b.1));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[Option<f64>], b: &[Option<f64>]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| match (x, y) {
                (Some(x), Some(y)) => (x - y).abs() < 1e-12,
                (None, None) => true,
                _ => false,
            })
    }

    #[test]
    fn by_hand() {
        // Sorted 0.005, 0.01, 0.03, 0.04. Holm: x4, x3, x2, x1 = 0.02, 0.03, 0.06, 0.04, then
        // the running maximum: 0.02, 0.03, 0.06, 0.06. BH: x4/1, x4/2, x4/3, x4/4 = 0.02, 0.02,
        // 0.04, 0.04, then the running minimum from the largest: the same.
        let p = [Some(0.01), Some(0.04), None, Some(0.03), Some(0.005)];
        assert!(close(
            &holm(&p),
            &[Some(0.03), Some(0.06), None, Some(0.06), Some(0.02)]
        ));
        assert!(close(
            &benjamini_hochberg(&p),
            &[Some(0.02), Some(0.04), None, Some(0.04), Some(0.02)]
        ));
        assert!(
            close(&holm(&[Some(0.6), Some(0.9)]), &[Some(1.0), Some(1.0)]),
            "capped at 1"
        );
    }
}
