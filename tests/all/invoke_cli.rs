//! `nebula invoke` as a Unix citizen, through the binary: the guest's stdout and stderr pass
//! through byte for byte, the report goes to stderr or `--output FILE`, the exit status is the
//! guest's (or the documented status of a trap, timeout, limit or load error), stdin can be
//! this process's, `HOST::GUEST::rw` opens a directory read-write while a plain preopen stays
//! read-only, and no subcommand panics when its stdout is a closed pipe.

use crate::common;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

fn nebula(cache: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nebula"));
    c.env("NEBULA_FUNCTIONS", common::suite().root)
        .env("NEBULA_CACHE_DIR", cache)
        .env("NEBULA_POWERCAP_ROOT", cache.join("no-powercap"));
    c
}

/// A WASI command that writes `out` to stdout and `err` to stderr, then exits with `status`.
fn speaker(out: &[u8], err: &[u8], status: i32) -> Vec<u8> {
    let bytes = |b: &[u8]| b.iter().map(|x| format!("\\{x:02x}")).collect::<String>();
    common::wat(&format!(
        r#"(module
          (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
          (memory (export "memory") 1)
          (data (i32.const 1024) "{out}")
          (data (i32.const 4096) "{err}")
          (func (export "_start")
            (i32.store (i32.const 0) (i32.const 1024))
            (i32.store (i32.const 4) (i32.const {out_len}))
            (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
            (i32.store (i32.const 16) (i32.const 4096))
            (i32.store (i32.const 20) (i32.const {err_len}))
            (drop (call $w (i32.const 2) (i32.const 16) (i32.const 1) (i32.const 24)))
            (call $exit (i32.const {status}))))"#,
        out = bytes(out),
        err = bytes(err),
        out_len = out.len(),
        err_len = err.len(),
    ))
}

/// A WASI command that creates `note.txt` in its first preopened directory (fd 3) and writes
/// `hello` into it; it exits with the errno of the open when the open fails.
fn writer() -> Vec<u8> {
    common::wat(
        r#"(module
          (import "wasi_snapshot_preview1" "path_open"
            (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
          (memory (export "memory") 1)
          (data (i32.const 100) "note.txt")
          (data (i32.const 200) "hello")
          (func (export "_start") (local $e i32)
            ;; O_CREAT | O_TRUNC, rights fd_write and the rest.
            (local.set $e (call $open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 8)
              (i32.const 9) (i64.const 0x1fffffff) (i64.const 0x1fffffff) (i32.const 0) (i32.const 0)))
            (if (local.get $e) (then (call $exit (local.get $e))))
            (i32.store (i32.const 16) (i32.const 200))
            (i32.store (i32.const 20) (i32.const 5))
            (drop (call $w (i32.load (i32.const 0)) (i32.const 16) (i32.const 1) (i32.const 24)))))"#,
    )
}

#[test]
fn the_guests_output_and_exit_status_pass_through_and_the_report_goes_to_stderr() {
    let tmp = tempfile::tempdir().unwrap();
    let out_bytes = b"line one\n\x00\xffbinary, no newline";
    let err_bytes = b"a warning from the guest\n";
    let m = tmp.path().join("speaker.wasm");
    std::fs::write(&m, speaker(out_bytes, err_bytes, 3)).unwrap();
    let o = nebula(&tmp.path().join("cache"))
        .args(["invoke", "--energy", "model", "--module"])
        .arg(&m)
        .output()
        .unwrap();
    assert_eq!(o.stdout, out_bytes, "stdout is the guest's, byte for byte");
    assert_eq!(o.status.code(), Some(3), "the guest's exit status");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with("a warning from the guest\n"),
        "the guest's stderr first: {err}"
    );
    assert!(
        err.contains("speaker on wasm: FAILED (guest exited with status 3)"),
        "{err}"
    );
    assert!(
        err.contains(&format!("output ({} bytes, sha256 ", out_bytes.len())),
        "{err}"
    );
    // The same call with its report in a file: stderr holds only the guest's.
    let report = tmp.path().join("report.jsonl");
    let o = nebula(&tmp.path().join("cache"))
        .args(["invoke", "--energy", "model", "--json", "--repeat", "2", "-o"])
        .arg(&report)
        .arg("--module")
        .arg(&m)
        .output()
        .unwrap();
    assert_eq!(
        o.stdout,
        [&out_bytes[..], &out_bytes[..]].concat(),
        "each call's stdout"
    );
    assert_eq!(
        o.stderr,
        [&err_bytes[..], &err_bytes[..]].concat(),
        "each call's stderr"
    );
    assert_eq!(o.status.code(), Some(3));
    let text = std::fs::read_to_string(&report).unwrap();
    let rows: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(
        rows.iter()
            .all(|r| r["exit_code"] == 3 && r["error_kind"] == "exit"),
        "{text}"
    );
    assert_eq!(rows[0]["output_bytes"], out_bytes.len());
}

#[test]
fn a_clean_exit_is_zero_and_stdin_can_be_this_processs() {
    let tmp = tempfile::tempdir().unwrap();
    // `nebula invoke sort --runtime native` with the input 5 given as `from`.
    let sort = |from: &[&str]| {
        let mut c = nebula(&tmp.path().join("cache"));
        c.args(["invoke", "sort", "--runtime", "native", "--energy", "model"])
            .args(from);
        c
    };
    let mut child = sort(&["--stdin", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"5\n").unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    // The same input given as --input: the same bytes.
    let direct = sort(&["--input", "5"]).output().unwrap();
    assert!(!o.stdout.is_empty());
    assert_eq!(o.stdout, direct.stdout);
}

#[test]
fn a_read_write_preopen_lets_the_module_write_and_a_plain_one_does_not() {
    let tmp = tempfile::tempdir().unwrap();
    let m = tmp.path().join("writer.wasm");
    std::fs::write(&m, writer()).unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let run = |dir: String| {
        nebula(&tmp.path().join("cache"))
            .args(["invoke", "--energy", "model", "--module"])
            .arg(&m)
            .arg(format!("--dir={dir}"))
            .output()
            .unwrap()
    };
    let o = run(format!("{}::/data", data.display()));
    assert_ne!(o.status.code(), Some(0), "read-only by default");
    assert!(!data.join("note.txt").exists());
    let o = run(format!("{}::/data::rw", data.display()));
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read_to_string(data.join("note.txt")).unwrap(), "hello");
}

/// Runs `nebula ARGS | head -c 1`: the reader takes one byte and closes the pipe.
fn into_closed_pipe(cache: &Path, args: &[&str]) -> (Option<i32>, String) {
    let mut child = nebula(cache)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut one = [0u8; 1];
    let _ = std::io::Read::read(&mut out, &mut one);
    drop(out);
    let o = child.wait_with_output().unwrap();
    (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn no_subcommand_panics_when_its_stdout_is_a_closed_pipe() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    // A guest that prints far more than a pipe holds, and the report after it.
    let (code, err) = into_closed_pipe(
        &cache,
        &[
            "invoke",
            "fibonacci",
            "--input",
            "186",
            "--repeat",
            "200",
            "--energy",
            "model",
        ],
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(code, Some(0), "the guest's status, not a crash: {err}");
    assert!(
        err.contains("fibonacci on wasm: ok"),
        "the report still goes to stderr: {err}"
    );
    for args in [&["functions"][..], &["sensors"], &["functions", "--json"]] {
        let (code, err) = into_closed_pipe(&cache, args);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(code, Some(0), "{args:?}: {err}");
    }
}
