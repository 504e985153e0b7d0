//! `sort`: sorts n `u64` drawn from `SplitMix64::new(SEED)` with `sort_unstable` (the kernel;
//! generating the data is not measured). Prints `min`, `median` (element n/2 of the sorted
//! data), `max`, and `xor` = XOR over i of sorted[i] * (i + 1) (wrapping), a checksum of the
//! order. `n` in 1..=50000000.

use nebula_guest::{kernel, parse_u64, run, try_vec_with_capacity, SplitMix64, SEED};

fn data(n: usize) -> Result<Vec<u64>, String> {
    let mut rng = SplitMix64::new(SEED);
    let mut v = try_vec_with_capacity::<u64>(n, "the data")?;
    v.extend((0..n).map(|_| rng.next_u64()));
    Ok(v)
}

fn checksum(sorted: &[u64]) -> u64 {
    sorted
        .iter()
        .enumerate()
        .fold(0, |x, (i, &v)| x ^ v.wrapping_mul(i as u64 + 1))
}

fn sort(input: &str) -> Result<String, String> {
    let n = parse_u64(input, "n", 1, 50_000_000)? as usize;
    let mut v = data(n)?;
    kernel(|| v.sort_unstable());
    Ok(format!(
        "min {}\nmedian {}\nmax {}\nxor {}\n",
        v[0],
        v[n / 2],
        v[n - 1],
        checksum(&v)
    ))
}

fn main() {
    run(sort);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_same_as_reference() {
        for n in [1usize, 2, 3, 10, 1000, 100_000] {
            let mut v = data(n).unwrap();
            let mut reference = v.clone();
            v.sort_unstable();
            assert!(v.is_sorted());
            // Independent: the stable std sort on a copy.
            reference.sort();
            assert_eq!(v, reference);
        }
    }

    #[test]
    fn output_fields() {
        let mut reference = data(1001).unwrap();
        reference.sort();
        let xor =
            (0..reference.len()).fold(0u64, |x, i| x ^ reference[i].wrapping_mul(i as u64 + 1));
        let expect = format!(
            "min {}\nmedian {}\nmax {}\nxor {}\n",
            reference.iter().min().unwrap(),
            reference[500],
            reference.iter().max().unwrap(),
            xor
        );
        assert_eq!(sort("1001"), Ok(expect));
        assert_eq!(sort("1").map(|s| s.lines().count()), Ok(4));
    }

    #[test]
    fn bad_input() {
        assert!(sort("0").is_err());
        assert!(sort("50000001").is_err());
    }
}
