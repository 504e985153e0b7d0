//! `memory`: allocates n MiB (a zeroed `Vec<u8>`, so the pages come from the OS or from
//! `memory.grow` untouched), writes one byte per 4096-byte page (value: page index % 251), then
//! reads those bytes back and sums them. The allocation, the writes and the reads are the kernel:
//! it measures the cost of getting fresh memory. Prints `mib N` and `sum S`. `n` in 0..=4096
//! (a wasm32 instance cannot hold 4096 MiB: it reports an allocation error there).

use nebula_guest::{kernel, parse_u64, run};

const PAGE: usize = 4096;

/// A zeroed buffer of `bytes`, or an error instead of an allocation abort.
fn alloc_zeroed(bytes: usize) -> Result<Vec<u8>, String> {
    if bytes == 0 {
        return Ok(Vec::new());
    }
    let layout = std::alloc::Layout::array::<u8>(bytes)
        .map_err(|_| format!("cannot allocate {bytes} bytes"))?;
    // SAFETY: the layout has a non-zero size; a non-null result is a zeroed allocation of
    // `bytes` bytes with alignment 1 from the global allocator, which is what a Vec<u8> of
    // capacity `bytes` owns.
    unsafe {
        let p = std::alloc::alloc_zeroed(layout);
        if p.is_null() {
            return Err(format!("cannot allocate {bytes} bytes"));
        }
        Ok(Vec::from_raw_parts(p, bytes, bytes))
    }
}

fn touch_and_sum(mib: usize) -> Result<u64, String> {
    let bytes = mib
        .checked_mul(1024 * 1024)
        .ok_or_else(|| format!("cannot allocate {mib} MiB: larger than the address space"))?;
    let mut buf = alloc_zeroed(bytes)?;
    for (page, chunk) in buf.chunks_mut(PAGE).enumerate() {
        chunk[0] = (page % 251) as u8;
    }
    let buf = std::hint::black_box(buf);
    Ok(buf.iter().step_by(PAGE).map(|&b| u64::from(b)).sum())
}

fn memory(input: &str) -> Result<String, String> {
    let n = parse_u64(input, "n", 0, 4096)?;
    let sum = kernel(|| touch_and_sum(n as usize))?;
    Ok(format!("mib {n}\nsum {sum}\n"))
}

fn main() {
    run(memory);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Independent: the closed form of sum over pages p of (p % 251).
    fn formula(mib: u64) -> u64 {
        let pages = mib * 256;
        let (full, rest) = (pages / 251, pages % 251);
        full * (250 * 251 / 2) + rest * rest.saturating_sub(1) / 2
    }

    #[test]
    fn sum_matches_formula() {
        for mib in [0u64, 1, 2, 3, 17, 64] {
            assert_eq!(touch_and_sum(mib as usize), Ok(formula(mib)), "mib = {mib}");
        }
        assert_eq!(memory("1"), Ok(format!("mib 1\nsum {}\n", formula(1))));
        // 1 MiB = 256 pages: 0 + 1 + ... + 250 + 0 + 1 + ... + 4.
        assert_eq!(formula(1), 31_375 + 10);
    }

    #[test]
    fn bad_input() {
        assert!(memory("4097").is_err());
        assert!(memory("1.5").is_err());
        // More than the address space (wasm32) must be an error, never a silent wrap.
        if usize::BITS == 32 {
            assert!(memory("4096").is_err());
        }
    }
}
