//! `prime`: the n-th prime (1-based: prime(1) = 2), found with a sieve of Eratosthenes over the
//! odd numbers (one bit each) up to the bound n (ln n + ln ln n), valid for n >= 6 (Rosser's
//! theorem); 13 is used below that. `n` in 1..=10000000.

use nebula_guest::{kernel, parse_u64, run, try_vec_with_capacity};

const MAX_N: u64 = 10_000_000;

/// An upper bound (inclusive) for the n-th prime.
fn upper_bound(n: u64) -> u64 {
    if n < 6 {
        return 13;
    }
    let x = n as f64;
    (x * (x.ln() + x.ln().ln())).ceil() as u64 + 1
}

/// The sieve bits for the odd numbers up to `limit`: bit i stands for 2i + 1.
fn alloc_sieve(limit: u64) -> Result<Vec<u64>, String> {
    let len = limit / 2 + 1;
    let words = len.div_ceil(64) as usize;
    let mut v = try_vec_with_capacity::<u64>(words, "the sieve")?;
    v.resize(words, 0);
    Ok(v)
}

/// The n-th prime, sieving the odd numbers up to `limit` in `composite` (all zero on entry).
/// `None` if the bound was too small (it is not, for the bound above).
fn nth_prime(n: u64, limit: u64, composite: &mut [u64]) -> Option<u64> {
    if n == 1 {
        return Some(2);
    }
    let len = limit / 2 + 1; // indices 0..len stand for 1, 3, 5, ..., <= limit (+1)
    let mut count = 1u64; // the prime 2
    let mut i = 1u64;
    while i < len {
        if composite[(i >> 6) as usize] >> (i & 63) & 1 == 0 {
            count += 1;
            let p = 2 * i + 1;
            if count == n {
                return Some(p);
            }
            // Cross off p*p, p*p + 2p, ...: index (p*p)/2, step p.
            let mut j = p * p / 2;
            while j < len {
                composite[(j >> 6) as usize] |= 1 << (j & 63);
                j += p;
            }
        }
        i += 1;
    }
    None
}

fn prime(input: &str) -> Result<String, String> {
    let n = parse_u64(input, "n", 1, MAX_N)?;
    let limit = upper_bound(n);
    let mut sieve = alloc_sieve(limit)?;
    match kernel(|| nth_prime(n, limit, &mut sieve)) {
        Some(p) => Ok(format!("{p}\n")),
        None => Err(format!("the sieve bound {limit} was too small for n = {n}")),
    }
}

fn main() {
    run(prime);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nth(n: u64) -> u64 {
        let limit = upper_bound(n);
        let mut s = alloc_sieve(limit).unwrap();
        nth_prime(n, limit, &mut s).unwrap()
    }

    fn is_prime_trial(k: u64) -> bool {
        k >= 2
            && (2..)
                .take_while(|d| d * d <= k)
                .all(|d| !k.is_multiple_of(d))
    }

    #[test]
    fn known_values() {
        assert_eq!(nth(1), 2);
        assert_eq!(nth(2), 3);
        assert_eq!(nth(5), 11);
        assert_eq!(nth(6), 13);
        assert_eq!(nth(100), 541);
        assert_eq!(nth(1000), 7919);
        assert_eq!(nth(10_000), 104_729);
        assert_eq!(nth(100_000), 1_299_709);
        assert_eq!(prime("10"), Ok("29\n".to_string()));
    }

    #[test]
    fn matches_trial_division() {
        // Independent: enumerate primes by trial division.
        let primes: Vec<u64> = (2..4000).filter(|&k| is_prime_trial(k)).collect();
        for (i, &p) in primes.iter().enumerate() {
            assert_eq!(nth(i as u64 + 1), p, "n = {}", i + 1);
        }
    }

    #[test]
    fn bad_input() {
        assert!(prime("0").is_err());
        assert!(prime("10000001").is_err());
        assert!(prime("1 2").is_err());
    }
}
