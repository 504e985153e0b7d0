//! `sha256`: the SHA-256 digest (the `sha2` crate, its portable code: `force-soft`) of n KiB of
//! bytes from `SplitMix64::new(SEED)`, each `next_u64` giving 8 little-endian bytes. The data is
//! generated before the kernel; the kernel is the hashing. Prints the hex digest. `n` in
//! 0..=1048576 (1 GiB).

use nebula_guest::{kernel, parse_u64, run, try_vec_with_capacity, SplitMix64, SEED};
use sha2::{Digest, Sha256};

fn data(kib: usize) -> Result<Vec<u8>, String> {
    let mut rng = SplitMix64::new(SEED);
    let mut v = try_vec_with_capacity::<u8>(kib * 1024, "the data")?;
    for _ in 0..kib * 128 {
        v.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    Ok(v)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256(input: &str) -> Result<String, String> {
    let n = parse_u64(input, "n", 0, 1_048_576)? as usize;
    let bytes = data(n)?;
    let digest = kernel(|| Sha256::digest(&bytes));
    Ok(format!("{}\n", hex(&digest)))
}

fn main() {
    run(sha256);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_input() {
        assert_eq!(
            sha256("0"),
            Ok("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n".to_string())
        );
    }

    #[test]
    fn known_vector() {
        // FIPS 180-2 example "abc".
        assert_eq!(
            hex(&Sha256::digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn matches_python_hashlib() {
        // Independent: SplitMix64 re-implemented in Python, hashed with hashlib.sha256.
        assert_eq!(
            sha256("1"),
            Ok("9fbc526cb0aa5ee773c6cb4d8873ba2d8e70d5397e554960ba3ecb8b1d2f8039\n".to_string())
        );
        assert_eq!(
            sha256("16"),
            Ok("fe9f84ec85c8897221425c3f8d590c955c96d6c608e480257c75d4de0662a96d\n".to_string())
        );
    }

    #[test]
    fn data_layout() {
        let d = data(1).unwrap();
        assert_eq!(d.len(), 1024);
        let mut g = SplitMix64::new(SEED);
        let first = g.next_u64();
        assert_eq!(d[..8], first.to_le_bytes());
        assert_eq!(
            u64::from_le_bytes(d[8..16].try_into().unwrap()),
            g.next_u64()
        );
    }

    #[test]
    fn incremental_equals_one_shot() {
        let d = data(64).unwrap();
        let mut h = Sha256::new();
        for chunk in d.chunks(1000) {
            h.update(chunk);
        }
        assert_eq!(h.finalize(), Sha256::digest(&d));
    }

    #[test]
    fn bad_input() {
        assert!(sha256("1048577").is_err());
        assert!(sha256("-3").is_err());
    }
}
