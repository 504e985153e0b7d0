//! The wasm runtimes against small hand-written modules: output, markers, limits and errors.

use crate::common;

use common::*;
use nebula::runtime::cache::CacheStatus;
use nebula::runtime::{CallError, CallInput, ColdFunction, Runtime, WasmFunction};
use std::time::Duration;

fn write(dir: &std::path::Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write module");
    p
}

#[test]
fn warm_and_cold_calls_capture_stdout_and_phases() {
    let tmp = tempfile::tempdir().unwrap();
    let h = host(tmp.path(), 2000, 64 << 20);
    let p = write(tmp.path(), "hello.wasm", &hello("hello nebula"));
    let warm = WasmFunction::load(h.clone(), "hello", &p).unwrap();
    let cold = ColdFunction::load(h.clone(), "hello", &p).unwrap();
    for o in [
        warm.call(&CallInput::default()),
        warm.call(&CallInput::default()),
        cold.call(&CallInput::default()),
    ] {
        assert_eq!(o.stdout, b"hello nebula", "{:?}", o.error);
        assert_eq!(o.exit_code, Some(0));
        let p = o.phases;
        let (inst, exec, down) = (p.instantiate.unwrap(), p.execute.unwrap(), p.teardown.unwrap());
        // The wall time covers the phases, the store's teardown included.
        assert!(down > Duration::ZERO);
        assert!(
            o.wall >= p.compile.unwrap_or_default() + inst + exec + down,
            "{p:?} vs {:?}",
            o.wall
        );
        // A call of a few microseconds still has its CPU time (the thread clock, not
        // getrusage's ticks, which would read 0 or a whole tick), and never more than its wall.
        assert!(
            o.cpu.total() > Duration::ZERO && o.cpu.total() <= o.wall,
            "{:?} vs {:?}",
            o.cpu,
            o.wall
        );
        assert_eq!(o.peak_memory_bytes, 65536, "one page of linear memory");
    }
    assert!(
        warm.call(&CallInput::default()).phases.compile.is_none(),
        "warm calls do not compile"
    );
    assert!(cold.call(&CallInput::default()).phases.compile.unwrap() > Duration::ZERO);
}

#[test]
fn markers_are_seen_and_modules_without_them_still_run() {
    let tmp = tempfile::tempdir().unwrap();
    let h = host(tmp.path(), 5000, 64 << 20);
    let p = write(tmp.path(), "marked.wasm", &marked(20_000_000));
    let o = WasmFunction::load(h.clone(), "marked", &p)
        .unwrap()
        .call(&CallInput::default());
    assert!(o.ok(), "{:?}", o.error);
    let k = o.kernel.expect("kernel span from bench.start/bench.end");
    assert!(
        k.duration > Duration::ZERO && k.duration <= o.wall,
        "kernel {:?} within wall {:?}",
        k.duration,
        o.wall
    );
    assert!(k.offset < o.wall);
    let p = write(tmp.path(), "plain.wasm", &hello("x"));
    let o = WasmFunction::load(h, "plain", &p)
        .unwrap()
        .call(&CallInput::default());
    assert!(o.ok() && o.kernel.is_none());
}

#[test]
fn an_infinite_loop_is_stopped_by_the_timeout_and_the_host_keeps_working() {
    let tmp = tempfile::tempdir().unwrap();
    let h = host(tmp.path(), 200, 64 << 20);
    let p = write(tmp.path(), "loop.wasm", &wat(LOOP_FOREVER));
    let f = WasmFunction::load(h.clone(), "loop", &p).unwrap();
    let o = f.call(&CallInput::default());
    assert_eq!(o.error, Some(CallError::Timeout(Duration::from_millis(200))));
    assert!(
        o.wall >= Duration::from_millis(200) && o.wall < Duration::from_secs(3),
        "stopped after {:?}",
        o.wall
    );
    let ok = WasmFunction::load(h, "hello", &write(tmp.path(), "h.wasm", &hello("still here")))
        .unwrap()
        .call(&CallInput::default());
    assert_eq!(ok.stdout, b"still here");
}

#[test]
fn a_guest_that_exits_after_a_refused_grow_is_a_memory_limit() {
    // The suite's `memory` handles the failed allocation and exits non-zero with a message:
    // the call still failed because of the cap, and says so.
    let tmp = tempfile::tempdir().unwrap();
    let h = host(tmp.path(), 5000, 32 << 20);
    let f = WasmFunction::load(h, "memory", &suite().wasm_path("memory")).unwrap();
    let input = |mib: &str| CallInput {
        stdin: mib.as_bytes().to_vec(),
        ..CallInput::default()
    };
    let o = f.call(&input("100"));
    assert_eq!(
        o.error,
        Some(CallError::MemoryLimit(32 << 20)),
        "{:?}",
        String::from_utf8_lossy(&o.stderr_tail)
    );
    assert!(o.exit_code.is_some_and(|c| c != 0));
    let ok = f.call(&input("8"));
    assert_eq!(ok.error, None);
    assert_eq!(ok.exit_code, Some(0));
}

#[test]
fn growing_memory_past_the_cap_fails_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let h = host(tmp.path(), 5000, 4 << 20);
    let p = write(tmp.path(), "grow.wasm", &wat(GROW_FOREVER));
    let o = WasmFunction::load(h, "grow", &p)
        .unwrap()
        .call(&CallInput::default());
    assert_eq!(o.error, Some(CallError::MemoryLimit(4 << 20)));
    assert!(
        o.peak_memory_bytes <= 4 << 20 && o.peak_memory_bytes >= 3 << 20,
        "peak {}",
        o.peak_memory_bytes
    );
}

#[test]
fn proc_exit_codes_and_traps_are_call_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let h = host(tmp.path(), 2000, 64 << 20);
    let exit = |code: i32| {
        wat(&format!(
            r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func $x (param i32)))
                (memory (export "memory") 1) (func (export "_start") (call $x (i32.const {code}))))"#
        ))
    };
    let run = |bytes: Vec<u8>| {
        let p = write(tmp.path(), "m.wasm", &bytes);
        WasmFunction::load(h.clone(), "m", &p)
            .unwrap()
            .call(&CallInput::default())
    };
    let o = run(exit(0));
    assert!(o.ok() && o.exit_code == Some(0));
    let o = run(exit(3));
    assert_eq!((o.exit_code, o.error), (Some(3), Some(CallError::Exit(3))));
    let o = run(wat(r#"(module (func (export "_start") unreachable))"#));
    assert_eq!(o.error.as_ref().map(|e| e.kind()), Some("trap"));
    assert!(o.error.unwrap().to_string().contains("unreachable"));
}

#[test]
fn bad_modules_get_clear_load_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let h = host(tmp.path(), 2000, 64 << 20);
    let load = |bytes: &[u8]| {
        let p = write(tmp.path(), "bad.wasm", bytes);
        WasmFunction::load(h.clone(), "bad", &p)
            .err()
            .map(|e| format!("{e:#}"))
    };
    let e = load(b"this is not wasm").expect("rejected");
    assert!(e.contains("not a valid WebAssembly module"), "{e}");
    let e = load(&wat(
        r#"(module (import "env" "launch_missiles" (func)) (func (export "_start")))"#,
    ))
    .expect("rejected");
    assert!(
        e.contains("env::launch_missiles") && e.contains("wasi_snapshot_preview1"),
        "{e}"
    );
    let p = write(tmp.path(), "nostart.wasm", &wat("(module)"));
    let o = WasmFunction::load(h.clone(), "nostart", &p)
        .unwrap()
        .call(&CallInput::default());
    assert_eq!(o.error.as_ref().map(|e| e.kind()), Some("load"));
    assert!(o.error.unwrap().to_string().contains("_start"));
}

#[test]
fn the_disk_cache_is_reused_and_rebuilt_when_the_module_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let h = host(tmp.path(), 2000, 64 << 20);
    let p = write(tmp.path(), "c.wasm", &hello("one"));
    let first = WasmFunction::load(h.clone(), "c", &p).unwrap();
    assert_eq!(first.cache, CacheStatus::Compiled);
    assert!(first.engine().cache.artifact_path(&first.sha256).is_file());
    let again = WasmFunction::load(h.clone(), "c", &p).unwrap();
    assert_eq!(again.cache, CacheStatus::Hit);
    assert_eq!(again.call(&CallInput::default()).stdout, b"one");
    // A second host (a new process, in effect) finds the artifact too.
    let h2 = host(tmp.path(), 2000, 64 << 20);
    assert_eq!(WasmFunction::load(h2, "c", &p).unwrap().cache, CacheStatus::Hit);
    std::fs::write(&p, hello("two")).unwrap();
    let changed = WasmFunction::load(h.clone(), "c", &p).unwrap();
    assert_eq!(changed.cache, CacheStatus::Compiled);
    assert_ne!(changed.sha256, first.sha256);
    assert_eq!(changed.call(&CallInput::default()).stdout, b"two");
}

#[test]
fn output_past_the_cap_is_an_output_limit_error() {
    let tmp = tempfile::tempdir().unwrap();
    let h = host(tmp.path(), 2000, 64 << 20);
    let flood = wat(r#"(module
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 2)
      (func (export "_start")
        (i32.store (i32.const 0) (i32.const 1024)) (i32.store (i32.const 4) (i32.const 65536))
        (loop $l (br_if $l (i32.eqz (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))))"#);
    let p = write(tmp.path(), "flood.wasm", &flood);
    let o = WasmFunction::load(h, "flood", &p)
        .unwrap()
        .call(&CallInput::default());
    assert_eq!(o.error, Some(CallError::OutputLimit(1 << 20)));
    assert!(o.stdout.len() <= 1 << 20);
}

/// A module that writes `n` bytes (zeros) to stdout in one write and exits.
fn writes(n: usize) -> Vec<u8> {
    let pages = n / 65536 + 2;
    wat(&format!(
        r#"(module
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") {pages})
      (func (export "_start")
        (i32.store (i32.const 0) (i32.const 65536)) (i32.store (i32.const 4) (i32.const {n}))
        (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#
    ))
}

#[test]
fn output_of_exactly_the_cap_is_within_it_as_on_native() {
    let tmp = tempfile::tempdir().unwrap();
    let h = host(tmp.path(), 2000, 64 << 20);
    let cap = 1 << 20;
    let at = WasmFunction::load(h.clone(), "at", &write(tmp.path(), "at.wasm", &writes(cap))).unwrap();
    let o = at.call(&CallInput::default());
    assert_eq!((o.error, o.stdout.len()), (None, cap));
    let over = WasmFunction::load(h, "over", &write(tmp.path(), "over.wasm", &writes(cap + 1))).unwrap();
    let o = over.call(&CallInput::default());
    assert_eq!(o.error, Some(CallError::OutputLimit(cap)));
    assert_eq!(o.stdout.len(), cap, "the output is kept up to the cap");
}

#[test]
fn memory_caps_of_4_gib_and_more_are_accepted_and_enforced_by_the_address_space() {
    let tmp = tempfile::tempdir().unwrap();
    for cap in [4u64 << 30, 8 << 30] {
        let h = host(tmp.path(), 2000, cap);
        let f = WasmFunction::load(h, "hi", &write(tmp.path(), "hi.wasm", &hello("hi"))).unwrap();
        let o = f.call(&CallInput::default());
        assert_eq!((o.error, o.stdout.as_slice()), (None, &b"hi"[..]), "cap {cap}");
    }
}
