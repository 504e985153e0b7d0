//! Shared helpers for the integration tests: small WAT modules and a wasm host on a temp cache.
#![allow(dead_code)]

use nebula::runtime::{HostConfig, Limits, WasmHost};
use std::sync::Arc;
use std::time::Duration;

/// A WASI command that writes `text` to stdout.
pub fn hello(text: &str) -> Vec<u8> {
    let len = text.len();
    let wat = format!(
        r#"(module
          (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 16) "{text}")
          (func (export "_start")
            (i32.store (i32.const 0) (i32.const 16))
            (i32.store (i32.const 4) (i32.const {len}))
            (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#
    );
    wat::parse_str(wat).expect("valid wat")
}

/// A module with the `bench` markers around a busy loop of `n` iterations.
pub fn marked(n: u32) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
          (import "bench" "start" (func $s))
          (import "bench" "end" (func $e))
          (func (export "_start") (local $i i32)
            (call $s)
            (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l (i32.lt_u (local.get $i) (i32.const {n}))))
            (call $e)))"#
    ))
    .expect("valid wat")
}

pub fn wat(src: &str) -> Vec<u8> {
    wat::parse_str(src).expect("valid wat")
}

pub const LOOP_FOREVER: &str = r#"(module (func (export "_start") (loop $l (br $l))))"#;
pub const GROW_FOREVER: &str = r#"(module (memory 1)
  (func (export "_start") (loop $l (br_if $l (i32.ne (memory.grow (i32.const 16)) (i32.const -1)))) unreachable))"#;

pub fn host(dir: &std::path::Path, timeout_ms: u64, memory: u64) -> Arc<WasmHost> {
    let limits = Limits {
        timeout: Duration::from_millis(timeout_ms),
        memory_bytes: memory,
        output_bytes: 1 << 20,
    };
    let mut cfg = HostConfig::new(limits);
    cfg.cache_dir = dir.join("cache");
    cfg.max_instances = 8;
    WasmHost::new(cfg).expect("host")
}

/// The suite's data generator, written again here so tests can regenerate a function's data.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub const SEED: u64 = 0x4E45_4255_4C41;
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }
}

/// The suite, with a clear failure when its builds are missing.
pub fn suite() -> nebula::suite::Suite {
    let s = nebula::suite::Suite::load_default().expect("functions/suite.toml");
    for f in &s.functions {
        assert!(
            nebula::suite::Build::ALL
                .iter()
                .all(|b| s.build_path(&f.name, *b).is_file()),
            "the builds of '{}' are missing: run scripts/build-functions.sh first",
            f.name
        );
    }
    s
}

/// Copy the folder `from` (recursively) to `to`, e.g. a fixture tree into a temp dir.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), &dst).unwrap();
        }
    }
}

/// The median (type 7) written out, for tests that check the library's figures against their
/// own computation.
pub fn median_by_hand(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}
