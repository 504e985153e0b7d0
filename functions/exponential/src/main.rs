//! `exponential`: e^x by its Taylor series, for n evenly spaced x in [-10, 10]
//! (x_i = -10 + 20 i / (n - 1), i in 0..n; x = 0 when n = 1). Terms are summed until a term is
//! below 1e-17 times the partial sum. For x < 0 the series of e^|x| is summed and inverted (the
//! alternating series would lose ~8 digits to cancellation at x = -10). Prints the sum of the n
//! results as `{:.12e}`. `n` in 1..=10000000.

use nebula_guest::{kernel, parse_u64, run};

/// e^x for x >= 0 by the Taylor series.
fn exp_series(x: f64) -> f64 {
    let mut term = 1.0f64;
    let mut sum = 1.0f64;
    let mut k = 1.0f64;
    loop {
        term *= x / k;
        sum += term;
        if term < 1e-17 * sum {
            return sum;
        }
        k += 1.0;
    }
}

fn exp_taylor(x: f64) -> f64 {
    if x < 0.0 {
        1.0 / exp_series(-x)
    } else {
        exp_series(x)
    }
}

fn x_at(i: u64, n: u64) -> f64 {
    if n == 1 {
        0.0
    } else {
        -10.0 + 20.0 * i as f64 / (n - 1) as f64
    }
}

fn sum_of_exps(n: u64) -> f64 {
    let mut total = 0.0f64;
    for i in 0..n {
        total += exp_taylor(x_at(i, n));
    }
    total
}

fn exponential(input: &str) -> Result<String, String> {
    let n = parse_u64(input, "n", 1, 10_000_000)?;
    let total = kernel(|| sum_of_exps(n));
    Ok(format!("{total:.12e}\n"))
}

fn main() {
    run(exponential);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_std_exp() {
        // Independent: the platform's exp.
        for n in [1u64, 2, 3, 101, 1000] {
            for i in 0..n {
                let x = x_at(i, n);
                let (a, b) = (exp_taylor(x), x.exp());
                assert!(((a - b) / b).abs() < 1e-12, "x = {x}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn grid_ends_and_sum() {
        assert_eq!(x_at(0, 1), 0.0);
        assert_eq!(x_at(0, 5), -10.0);
        assert_eq!(x_at(4, 5), 10.0);
        assert_eq!(x_at(2, 5), 0.0);
        assert_eq!(exponential("1"), Ok(format!("{:.12e}\n", 1.0)));
        let expect: f64 = (0..5).map(|i| x_at(i, 5).exp()).sum();
        let got = sum_of_exps(5);
        assert!(((got - expect) / expect).abs() < 1e-12);
    }

    #[test]
    fn bad_input() {
        assert!(exponential("0").is_err());
        assert!(exponential("10000001").is_err());
    }
}
