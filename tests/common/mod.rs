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
