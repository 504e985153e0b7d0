//! `monte-carlo-pi`: estimates pi from n points (x, y) uniform in [0, 1)^2, drawn with
//! `SplitMix64::new(SEED).next_f64()` (x then y), counting those with x^2 + y^2 <= 1.
//! Prints `hits N` and `pi P` (P = 4 hits / n, 10 decimals). `n` in 1..=1000000000.

use nebula_guest::{kernel, parse_u64, run, SplitMix64, SEED};

fn count_hits(n: u64) -> u64 {
    let mut rng = SplitMix64::new(SEED);
    let mut hits = 0u64;
    for _ in 0..n {
        let x = rng.next_f64();
        let y = rng.next_f64();
        if x * x + y * y <= 1.0 {
            hits += 1;
        }
    }
    hits
}

fn monte_carlo_pi(input: &str) -> Result<String, String> {
    let n = parse_u64(input, "n", 1, 1_000_000_000)?;
    let hits = kernel(|| count_hits(n));
    let pi = 4.0 * hits as f64 / n as f64;
    Ok(format!("hits {hits}\npi {pi:.10}\n"))
}

fn main() {
    run(monte_carlo_pi);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_to_pi() {
        let n = 1_000_000;
        let pi = 4.0 * count_hits(n) as f64 / n as f64;
        assert!((pi - std::f64::consts::PI).abs() < 0.01, "{pi}");
    }

    #[test]
    fn first_points_by_hand() {
        // Independent: redo the first points from the raw u64 stream.
        let mut g = SplitMix64::new(SEED);
        let mut hits = 0;
        for _ in 0..10 {
            let x = (g.next_u64() >> 11) as f64 / 9_007_199_254_740_992.0;
            let y = (g.next_u64() >> 11) as f64 / 9_007_199_254_740_992.0;
            hits += u64::from(x.hypot(y) <= 1.0);
        }
        assert_eq!(count_hits(10), hits);
    }

    #[test]
    fn output_format() {
        let out = monte_carlo_pi("1000").unwrap();
        let hits = count_hits(1000);
        assert_eq!(
            out,
            format!("hits {hits}\npi {:.10}\n", hits as f64 / 250.0)
        );
    }

    #[test]
    fn bad_input() {
        assert!(monte_carlo_pi("0").is_err());
        assert!(monte_carlo_pi("1000000001").is_err());
    }
}
