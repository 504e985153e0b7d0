//! `matrix-multiply`: C = A B for n x n `f64` matrices. A is filled row-major with
//! `SplitMix64::new(SEED).next_f64()`, then B row-major from the same stream. The kernel is the
//! classic i-k-j triple loop (n^3 multiply-adds). Prints `trace T` and `sum S` of
//! C (`{:.10e}`). `n` in 1..=2048.

use nebula_guest::{kernel, parse_u64, run, try_vec_with_capacity, SplitMix64, SEED};

/// A and B, row-major, from one SplitMix64(SEED) stream.
fn matrices(n: usize) -> Result<(Vec<f64>, Vec<f64>), String> {
    let mut rng = SplitMix64::new(SEED);
    let mut a = try_vec_with_capacity::<f64>(n * n, "matrix A")?;
    a.extend((0..n * n).map(|_| rng.next_f64()));
    let mut b = try_vec_with_capacity::<f64>(n * n, "matrix B")?;
    b.extend((0..n * n).map(|_| rng.next_f64()));
    Ok((a, b))
}

/// C = A B, i-k-j order. `c` must be zero on entry.
fn multiply(n: usize, a: &[f64], b: &[f64], c: &mut [f64]) {
    for i in 0..n {
        let c_row = &mut c[i * n..(i + 1) * n];
        for k in 0..n {
            let aik = a[i * n + k];
            let b_row = &b[k * n..(k + 1) * n];
            for (cij, bkj) in c_row.iter_mut().zip(b_row) {
                *cij += aik * bkj;
            }
        }
    }
}

fn trace_and_sum(n: usize, c: &[f64]) -> (f64, f64) {
    let trace = (0..n).map(|i| c[i * n + i]).fold(0.0, |s, x| s + x);
    let sum = c.iter().fold(0.0, |s, x| s + x);
    (trace, sum)
}

fn matrix_multiply(input: &str) -> Result<String, String> {
    let n = parse_u64(input, "n", 1, 2048)? as usize;
    let (a, b) = matrices(n)?;
    let mut c = try_vec_with_capacity::<f64>(n * n, "matrix C")?;
    c.resize(n * n, 0.0);
    kernel(|| multiply(n, &a, &b, &mut c));
    let (trace, sum) = trace_and_sum(n, &c);
    Ok(format!("trace {trace:.10e}\nsum {sum:.10e}\n"))
}

fn main() {
    run(matrix_multiply);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_by_two_by_hand() {
        let a = [1.0, 2.0, 3.0, 4.0];
        let b = [5.0, 6.0, 7.0, 8.0];
        let mut c = [0.0; 4];
        multiply(2, &a, &b, &mut c);
        assert_eq!(c, [19.0, 22.0, 43.0, 50.0]);
        assert_eq!(trace_and_sum(2, &c), (69.0, 134.0));
    }

    #[test]
    fn matches_naive_ijk_on_generated_data() {
        // Independent: the textbook i-j-k dot-product order.
        let n = 17;
        let (a, b) = matrices(n).unwrap();
        let mut c = vec![0.0; n * n];
        multiply(n, &a, &b, &mut c);
        for i in 0..n {
            for j in 0..n {
                let dot: f64 = (0..n).map(|k| a[i * n + k] * b[k * n + j]).sum();
                assert!((c[i * n + j] - dot).abs() < 1e-12, "C[{i}][{j}]");
            }
        }
    }

    #[test]
    fn data_stream_order() {
        let (a, b) = matrices(2).unwrap();
        let mut g = SplitMix64::new(SEED);
        let stream: Vec<f64> = (0..8).map(|_| g.next_f64()).collect();
        assert_eq!(a, stream[..4]);
        assert_eq!(b, stream[4..]);
    }

    #[test]
    fn bad_input() {
        assert!(matrix_multiply("0").is_err());
        assert!(matrix_multiply("2049").is_err());
    }
}
