//! What the kernel markers measure, on each runtime: a kernel that busy-waits a known time on
//! the monotonic clock reads that time (its median within a tolerance that covers the clock
//! reads and a preempted call, not the markers' own writes), and a run records what a null
//! kernel (markers around nothing) reads, close to zero. The program (`tests/corpus/c/spin.c`)
//! is built here with Debian's clang and `include/nebula.h`.

use crate::common;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `spin.wasm` and the native `spin` in `dir`, and a suite file naming them.
fn build(dir: &Path) -> PathBuf {
    let src = root().join("tests/corpus/c/spin.c");
    for (target, out) in [(Some("--target=wasm32-wasi"), "spin.wasm"), (None, "spin")] {
        let o = Command::new("clang")
            .args(target)
            .arg("-O2")
            .arg("-I")
            .arg(root().join("include"))
            .arg("-o")
            .arg(dir.join(out))
            .arg(&src)
            .output()
            .unwrap_or_else(|e| panic!("clang is missing ({e}): scripts/test.sh installs it"));
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let suite = dir.join("suite.toml");
    std::fs::write(
        &suite,
        "[[function]]\nname = \"spin\"\nwasm = \"spin.wasm\"\nnative = \"spin\"\nexample = \"1000\"\nsizes = [\"1000\"]\n",
    )
    .unwrap();
    suite
}

#[test]
fn a_kernel_of_known_length_reads_its_length_on_every_runtime() {
    let tmp = tempfile::tempdir().unwrap();
    let suite = build(tmp.path());
    for runtime in ["wasm", "wasm-cold", "native"] {
        let o = Command::new(env!("CARGO_BIN_EXE_nebula"))
            .env("NEBULA_FUNCTIONS", common::suite().root)
            .env("NEBULA_CACHE_DIR", tmp.path().join("cache"))
            .args(["invoke", "spin", "--suite"])
            .arg(&suite)
            .args([
                "--runtime",
                runtime,
                "--input",
                "2000",
                "--repeat",
                "15",
                "--json",
            ])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{runtime}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let kernels: Vec<f64> = String::from_utf8_lossy(&o.stderr)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["kernel_ns"].as_f64())
            .collect();
        assert_eq!(
            kernels.len(),
            15,
            "{runtime}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        // The guest waits 2 ms by the same clock: no span can be shorter; the median exceeds it
        // by the last clock read and the markers' cost (tens of ns to a few us), far below 300 us.
        assert!(
            kernels.iter().all(|&k| k >= 2_000_000.0),
            "{runtime}: {kernels:?}"
        );
        let m = common::median_by_hand(&kernels);
        assert!(m < 2_300_000.0, "{runtime}: median kernel {m} ns for a 2 ms wait");
    }
}
