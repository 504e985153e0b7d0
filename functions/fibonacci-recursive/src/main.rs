//! `fibonacci-recursive`: F(n) by the naive doubly recursive definition (exponential time: about
//! F(n) calls), a pure call/branch benchmark. `n` in 0..=50.

use nebula_guest::{kernel, parse_u64, run};

fn fib(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

fn fibonacci_recursive(input: &str) -> Result<String, String> {
    let n = parse_u64(input, "n", 0, 50)?;
    let n = std::hint::black_box(n);
    let f = kernel(|| fib(n));
    Ok(format!("{f}\n"))
}

fn main() {
    run(fibonacci_recursive);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        let known = [0u64, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55];
        for (n, &f) in known.iter().enumerate() {
            assert_eq!(fib(n as u64), f);
        }
        assert_eq!(fib(30), 832_040);
        assert_eq!(fibonacci_recursive("25"), Ok("75025\n".to_string()));
    }

    #[test]
    fn matches_binet() {
        let phi = (1.0 + 5f64.sqrt()) / 2.0;
        for n in 0..=27u64 {
            let binet = (phi.powi(n as i32) / 5f64.sqrt()).round() as u64;
            assert_eq!(fib(n), binet, "n = {n}");
        }
    }

    #[test]
    fn bad_input() {
        assert!(fibonacci_recursive("51").is_err());
        assert!(fibonacci_recursive("-1").is_err());
        assert!(fibonacci_recursive("").is_err());
    }
}
