//! `factorial`: the exact value of n! with `num-bigint`, printed in decimal. `n` in 0..=100000.
//!
//! The kernel computes the product by binary splitting (a balanced product tree, so that the big
//! multiplications use num-bigint's Karatsuba/Toom-3) and converts it to decimal digits: both
//! are part of the measured work.

use nebula_guest::{kernel, parse_u64, run};
use num_bigint::BigUint;

/// The product lo * (lo+1) * ... * hi (1 when lo > hi).
fn product(lo: u64, hi: u64) -> BigUint {
    if lo > hi {
        return BigUint::from(1u32);
    }
    if hi - lo < 16 {
        let mut acc = BigUint::from(1u32);
        for k in lo..=hi {
            acc *= k;
        }
        return acc;
    }
    let mid = lo + (hi - lo) / 2;
    product(lo, mid) * product(mid + 1, hi)
}

fn factorial_digits(n: u64) -> String {
    product(2, n).to_str_radix(10)
}

fn factorial(input: &str) -> Result<String, String> {
    let n = parse_u64(input, "n", 0, 100_000)?;
    let mut digits = kernel(|| factorial_digits(n));
    digits.push('\n');
    Ok(digits)
}

fn main() {
    run(factorial);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert_eq!(factorial_digits(0), "1");
        assert_eq!(factorial_digits(1), "1");
        assert_eq!(factorial_digits(5), "120");
        assert_eq!(factorial_digits(20), "2432902008176640000");
        assert_eq!(factorial_digits(25), "15511210043330985984000000");
        assert_eq!(factorial("10"), Ok("3628800\n".to_string()));
    }

    #[test]
    fn matches_u128_product() {
        // Independent: plain u128 multiplication, exact up to 34!.
        let mut f: u128 = 1;
        for n in 1..=34u64 {
            f *= n as u128;
            assert_eq!(factorial_digits(n), f.to_string(), "n = {n}");
        }
    }

    #[test]
    fn digit_counts() {
        // 1000! has 2568 digits and ends with 249 zeros; 100! has 158 digits.
        let d = factorial_digits(1000);
        assert_eq!(d.len(), 2568);
        assert!(d.starts_with("402387260077"));
        assert_eq!(d.len() - d.trim_end_matches('0').len(), 249);
        assert_eq!(factorial_digits(100).len(), 158);
    }

    #[test]
    fn bad_input() {
        assert!(factorial("100001").is_err());
        assert!(factorial("ten").is_err());
    }
}
