//! `fibonacci`: the first `n` Fibonacci numbers (0, 1, 1, 2, 3, ...) computed iteratively in
//! `u128`, printed space-separated on one line. `n` in 1..=186 (the last term printed is then
//! F(185), about 2.1e38; u128 holds up to F(186)).

use nebula_guest::{kernel, parse_u64, run};

const MAX_N: u64 = 186;

/// The sequence F(0), F(1), ..., F(n-1).
fn sequence(n: usize) -> Vec<u128> {
    let mut v = Vec::with_capacity(n);
    let (mut a, mut b) = (0u128, 1u128);
    for _ in 0..n {
        v.push(a);
        let next = a.wrapping_add(b);
        a = b;
        b = next;
    }
    v
}

fn fibonacci(input: &str) -> Result<String, String> {
    let n = parse_u64(input, "n", 1, MAX_N)? as usize;
    let seq = kernel(|| sequence(n));
    let mut out = seq
        .iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(" ");
    out.push('\n');
    Ok(out)
}

fn main() {
    run(fibonacci);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_terms() {
        assert_eq!(fibonacci("1"), Ok("0\n".to_string()));
        assert_eq!(fibonacci("10"), Ok("0 1 1 2 3 5 8 13 21 34\n".to_string()));
    }

    #[test]
    fn matches_binet_for_small_terms() {
        // Independent: Binet's closed form, exact after rounding for n <= 70.
        let phi = (1.0 + 5f64.sqrt()) / 2.0;
        let seq = sequence(71);
        for (k, &f) in seq.iter().enumerate().take(71) {
            let binet = (phi.powi(k as i32) / 5f64.sqrt()).round();
            let rel = (binet - f as f64).abs() / (f as f64).max(1.0);
            assert!(rel < 1e-12, "F({k}) = {f}, Binet {binet}");
        }
    }

    #[test]
    fn known_large_terms_and_identity() {
        let seq = sequence(MAX_N as usize);
        // Known values.
        assert_eq!(seq[100], 354_224_848_179_261_915_075);
        assert_eq!(
            seq[185],
            205_697_230_343_233_228_174_223_751_303_346_572_685
        );
        // Cassini-free check: F(2k) = F(k) * (2 F(k+1) - F(k)).
        for k in 1..60 {
            assert_eq!(seq[2 * k], seq[k] * (2 * seq[k + 1] - seq[k]));
        }
    }

    #[test]
    fn bad_input() {
        assert!(fibonacci("0").is_err());
        assert!(fibonacci("187").is_err());
        assert!(fibonacci("x").is_err());
    }
}
