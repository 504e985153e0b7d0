//! Helpers for the hostile-guest, crash and soak tests: the corpus under `tests/corpus/`, small
//! generated modules, a fake one-directory suite whose builds are corpus entries, the `nebula`
//! binary with a private cache, and `/proc` inspection (is a pid alive, fds and threads of a pid).
#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `tests/corpus/`.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// A corpus module (`loop`, `grow`, ...) compiled from its WAT.
pub fn corpus_wasm(name: &str) -> Vec<u8> {
    let p = corpus_dir().join(format!("{name}.wat"));
    wat::parse_file(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A native corpus script (`crash`, `hang`, ...).
pub fn corpus_script(name: &str) -> PathBuf {
    corpus_dir().join("native").join(format!("{name}.sh"))
}

/// Bytes that are not WebAssembly.
pub const NOT_WASM: &[u8] = b"#!/bin/sh\necho this is not a wasm module\n";

/// A module that calls `proc_exit(code)`.
pub fn exit_with(code: i32) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
          (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
          (memory (export "memory") 1)
          (func (export "_start") (call $exit (i32.const {code}))))"#
    ))
    .expect("valid wat")
}

/// A module that opens `path` relative to fd 3 (the first preopen) with `oflags` and
/// `rights`: on failure it exits with the WASI errno; on success it reads up to 512 bytes and
/// prints them.
pub fn open_probe(path: &str, oflags: u32, rights: u64) -> Vec<u8> {
    let len = path.len();
    wat::parse_str(format!(
        r#"(module
          (import "wasi_snapshot_preview1" "path_open"
            (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
          (memory (export "memory") 1)
          (data (i32.const 1024) "{path}")
          (func (export "_start") (local $e i32)
            (local.set $e (call $open (i32.const 3) (i32.const 0) (i32.const 1024) (i32.const {len})
              (i32.const {oflags}) (i64.const {rights}) (i64.const 0) (i32.const 0) (i32.const 0)))
            (if (local.get $e) (then (call $exit (local.get $e))))
            (i32.store (i32.const 16) (i32.const 2048))
            (i32.store (i32.const 20) (i32.const 512))
            (local.set $e (call $read (i32.load (i32.const 0)) (i32.const 16) (i32.const 1) (i32.const 24)))
            (if (local.get $e) (then (call $exit (i32.const 120))))
            (i32.store (i32.const 32) (i32.const 2048))
            (i32.store (i32.const 36) (i32.load (i32.const 24)))
            (drop (call $write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 40)))))"#
    ))
    .expect("valid wat")
}

/// WASI rights and flags used by [`open_probe`].
pub const RIGHT_FD_READ: u64 = 1 << 1;
pub const RIGHT_FD_WRITE: u64 = 1 << 6;
pub const OFLAG_CREAT: u32 = 1;

/// A fake suite in `root`: each function has a wasm build and a native build (a script).
pub struct FakeSuite {
    pub root: PathBuf,
}

impl FakeSuite {
    /// `functions`: (name, wasm bytes, native script text).
    pub fn create(root: &Path, functions: &[(&str, Vec<u8>, String)]) -> FakeSuite {
        let wasm_dir = root.join("target/wasm32-wasip1/release");
        let native_dir = root.join("target/release");
        std::fs::create_dir_all(&wasm_dir).unwrap();
        std::fs::create_dir_all(&native_dir).unwrap();
        let mut manifest = String::new();
        for (name, wasm, script) in functions {
            manifest.push_str(&format!(
                "[[function]]\nname = \"{name}\"\ndescription = \"hostile\"\ninput = \"any\"\nexample = \"1\"\nsizes = [\"1\"]\n\n"
            ));
            std::fs::write(wasm_dir.join(format!("{name}.wasm")), wasm).unwrap();
            let native = native_dir.join(name);
            std::fs::write(&native, script).unwrap();
            std::fs::set_permissions(&native, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::write(root.join("suite.toml"), manifest).unwrap();
        FakeSuite {
            root: root.to_path_buf(),
        }
    }

    /// A corpus script's text.
    pub fn script(name: &str) -> String {
        std::fs::read_to_string(corpus_script(name)).unwrap()
    }
}

/// The `nebula` binary with this suite and a cache of its own.
pub fn nebula(suite: &Path, cache: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nebula"));
    c.env("NEBULA_FUNCTIONS", suite)
        .env("NEBULA_CACHE_DIR", cache)
        .env_remove("NEBULA_TOKEN");
    c
}

/// What `/proc` says of a pid: `None` when it is gone, else its state letter and parent pid.
pub fn proc_state(pid: i32) -> Option<(char, i32)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
    let rest = &s[s.rfind(')')? + 2..];
    let mut f = rest.split_whitespace();
    let state = f.next()?.chars().next()?;
    let ppid = f.next()?.parse().ok()?;
    Some((state, ppid))
}

/// Whether `pid` still runs: gone, or a zombie waiting for a reaper other than us, is not running.
pub fn still_running(pid: i32) -> bool {
    match proc_state(pid) {
        None => false,
        Some(('Z', ppid)) | Some(('X', ppid)) => ppid == std::process::id() as i32,
        Some(_) => true,
    }
}

/// Poll until `pid` stops running or `within` passes; true when it stopped.
pub fn wait_gone(pid: i32, within: std::time::Duration) -> bool {
    let t = std::time::Instant::now();
    while t.elapsed() < within {
        if !still_running(pid) {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    !still_running(pid)
}

/// Our own children (any state) as pids, from `/proc/*/stat`.
pub fn children_of(parent: i32) -> Vec<i32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        if proc_state(pid).is_some_and(|(_, pp)| pp == parent) {
            out.push(pid);
        }
    }
    out
}

/// Open file descriptors of a pid.
pub fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Threads of a pid.
pub fn thread_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Resident set size of a pid in bytes (VmRSS).
pub fn rss_bytes(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map(|kib| kib * 1024)
        .unwrap_or(0)
}
