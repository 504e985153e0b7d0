//! Hostile guests (tests/corpus/): modules and native functions written to misbehave, run
//! through the runtimes, `nebula invoke`, an experiment and the server. Each call ends within its
//! limits with the right error kind and message, the host keeps serving, the next call works,
//! no process outlives its call, and the results files stay valid.

use crate::common;
use crate::hostile_support;
use crate::server_support;

use common::{hello, host};
use hostile_support::*;
use nebula::results::read_calls;
use nebula::runtime::{CallError, CallInput, ColdFunction, Limits, NativeFunction, Runtime, WasmFunction};
use std::path::Path;
use std::time::{Duration, Instant};

const TIMEOUT_MS: u64 = 300;
const MEMORY: u64 = 16 << 20;
/// The output cap of `common::host`.
const OUTPUT: usize = 1 << 20;

/// A corpus module that loads, what its call must fail with, and a piece of the message.
struct Case {
    name: &'static str,
    kind: &'static str,
    message: &'static str,
}

const RUNTIME_CASES: &[Case] = &[
    Case {
        name: "loop",
        kind: "timeout",
        message: "exceeded its timeout of 300ms",
    },
    Case {
        name: "start_loop",
        kind: "timeout",
        message: "exceeded its timeout of 300ms",
    },
    Case {
        name: "grow",
        kind: "memory-limit",
        message: "memory cap of 16777216 bytes",
    },
    Case {
        name: "recurse",
        kind: "trap",
        message: "call stack exhausted",
    },
    Case {
        name: "stack_bomb",
        kind: "trap",
        message: "call stack exhausted",
    },
    Case {
        name: "table_bomb",
        kind: "trap",
        message: "unreachable",
    },
    Case {
        name: "flood",
        kind: "output-limit",
        message: "output cap of 1048576 bytes",
    },
    Case {
        name: "unreachable",
        kind: "trap",
        message: "unreachable",
    },
    Case {
        name: "sleep",
        kind: "timeout",
        message: "exceeded its timeout of 300ms",
    },
    Case {
        name: "flood_forever",
        kind: "output-limit",
        message: "output cap of 1048576 bytes",
    },
    Case {
        name: "no_start",
        kind: "load",
        message: "no `_start` export",
    },
];

/// Modules refused when loaded (or uploaded), and a piece of the message.
fn refused_at_load() -> [(Vec<u8>, &'static str); 3] {
    [
        (corpus_wasm("bad_import"), "launch_missiles"),
        (NOT_WASM.to_vec(), "not a valid WebAssembly module"),
        // The pool's table slots are checked when the module is compiled.
        (corpus_wasm("big_table"), "minimum element size of 50000000"),
    ]
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn error_of(o: &nebula::runtime::CallOutcome) -> (&'static str, String) {
    let e = o.error.as_ref().expect("the call must fail");
    (e.kind(), e.to_string())
}

#[test]
fn wasm_corpus_fails_with_the_right_kind_on_warm_and_cold_and_the_host_keeps_working() {
    let tmp = tempfile::tempdir().unwrap();
    let h = host(tmp.path(), TIMEOUT_MS, MEMORY);
    let good = WasmFunction::load(h.clone(), "good", &write(tmp.path(), "good.wasm", &hello("ok"))).unwrap();
    for c in RUNTIME_CASES {
        let p = write(tmp.path(), &format!("{}.wasm", c.name), &corpus_wasm(c.name));
        let warm = WasmFunction::load(h.clone(), c.name, &p).unwrap_or_else(|e| panic!("{}: {e:#}", c.name));
        let cold = ColdFunction::load(h.clone(), c.name, &p).unwrap();
        for (rt, f) in [("wasm", &warm as &dyn Runtime), ("wasm-cold", &cold)] {
            let t = Instant::now();
            let o = f.call(&CallInput::default());
            let (kind, msg) = error_of(&o);
            assert_eq!(kind, c.kind, "{} on {rt}: {msg}", c.name);
            assert!(msg.contains(c.message), "{} on {rt}: {msg:?}", c.name);
            assert!(
                t.elapsed() < Duration::from_millis(5 * TIMEOUT_MS) + Duration::from_secs(2),
                "{} on {rt} took {:?}",
                c.name,
                t.elapsed()
            );
            assert!(o.stdout.len() <= OUTPUT, "{}: output over the cap", c.name);
            if c.kind == "output-limit" {
                assert_eq!(o.stdout.len(), OUTPUT, "the output is kept up to the cap");
            }
            if c.kind == "memory-limit" {
                assert!(o.peak_memory_bytes <= MEMORY, "peak {}", o.peak_memory_bytes);
            }
            // The host is unharmed: the next call of another function works.
            let next = good.call(&CallInput::default());
            assert_eq!(
                (next.error, next.stdout.as_slice()),
                (None, &b"ok"[..]),
                "after {}",
                c.name
            );
        }
    }
}

#[test]
fn modules_that_cannot_load_are_refused_with_a_clear_message() {
    let tmp = tempfile::tempdir().unwrap();
    let h = host(tmp.path(), TIMEOUT_MS, MEMORY);
    let bad_import = write(tmp.path(), "bad_import.wasm", &corpus_wasm("bad_import"));
    let e = format!(
        "{:#}",
        WasmFunction::load(h.clone(), "bi", &bad_import).err().unwrap()
    );
    assert!(
        e.contains("cannot be linked")
            && e.contains("launch_missiles")
            && e.contains("wasi_snapshot_preview1"),
        "{e}"
    );
    // wasm-cold validates up front but links per call: each call is a `load` error.
    let cold = ColdFunction::load(h.clone(), "bi", &bad_import).unwrap();
    let (kind, msg) = error_of(&cold.call(&CallInput::default()));
    assert_eq!(kind, "load");
    assert!(msg.contains("launch_missiles"), "{msg}");
    let junk = write(tmp.path(), "junk.wasm", NOT_WASM);
    for e in [
        format!("{:#}", WasmFunction::load(h.clone(), "j", &junk).err().unwrap()),
        format!("{:#}", ColdFunction::load(h.clone(), "j", &junk).err().unwrap()),
    ] {
        assert!(
            e.contains("not a valid WebAssembly module") && e.contains("wasm32-wasip1"),
            "{e}"
        );
    }
    for (bytes, needle) in refused_at_load() {
        let e = format!(
            "{:#}",
            WasmFunction::from_bytes(h.clone(), "r", &bytes).err().unwrap()
        );
        assert!(e.contains(needle), "{e}");
    }
    assert!(WasmFunction::from_bytes(h.clone(), "empty", b"").is_err());
    let ok = WasmFunction::from_bytes(h, "ok", &hello("still ok")).unwrap();
    assert_eq!(ok.call(&CallInput::default()).stdout, b"still ok");
}

#[test]
fn proc_exit_codes_are_reported_as_they_were_given() {
    let tmp = tempfile::tempdir().unwrap();
    let h = host(tmp.path(), TIMEOUT_MS, MEMORY);
    let o = WasmFunction::from_bytes(h.clone(), "e0", &exit_with(0))
        .unwrap()
        .call(&CallInput::default());
    assert_eq!((o.error, o.exit_code), (None, Some(0)));
    for code in [1, 3, 42, 125] {
        let o = WasmFunction::from_bytes(h.clone(), "e", &exit_with(code))
            .unwrap()
            .call(&CallInput::default());
        assert_eq!(o.error, Some(CallError::Exit(code)));
        assert_eq!(o.exit_code, Some(code));
        assert_eq!(
            o.error.unwrap().to_string(),
            format!("guest exited with status {code}")
        );
    }
    // WASI reserves statuses from 126 up: such an exit fails, but never as success.
    for code in [126, 255, 256, -1, i32::MAX] {
        let o = WasmFunction::from_bytes(h.clone(), "e", &exit_with(code))
            .unwrap()
            .call(&CallInput::default());
        let (kind, msg) = error_of(&o);
        assert!(matches!(kind, "exit" | "trap"), "exit({code}): {kind} {msg}");
    }
}

#[test]
fn a_guest_cannot_read_outside_its_read_only_preopens() {
    let tmp = tempfile::tempdir().unwrap();
    let h = host(tmp.path(), TIMEOUT_MS, MEMORY);
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("inside.txt"), "inside").unwrap();
    std::fs::write(tmp.path().join("secret.txt"), "SECRET").unwrap();
    std::os::unix::fs::symlink(tmp.path().join("secret.txt"), data.join("link")).unwrap();
    let input = CallInput {
        dirs: vec![nebula::runtime::Preopen::read_only(data.clone(), "/data")],
        ..CallInput::default()
    };
    let probe = |path: &str, oflags: u32, rights: u64, input: &CallInput| {
        WasmFunction::from_bytes(h.clone(), "probe", &open_probe(path, oflags, rights))
            .unwrap()
            .call(input)
    };
    let o = probe("inside.txt", 0, RIGHT_FD_READ, &input);
    assert_eq!((o.error, o.stdout.as_slice()), (None, &b"inside"[..]));
    for path in ["../secret.txt", "/etc/passwd", "link", "./../data/../secret.txt"] {
        let o = probe(path, 0, RIGHT_FD_READ, &input);
        assert!(
            matches!(o.error, Some(CallError::Exit(e)) if e > 0 && e != 120),
            "{path}: {:?} {:?}",
            o.error,
            String::from_utf8_lossy(&o.stdout)
        );
        assert!(!o.stdout.windows(6).any(|w| w == b"SECRET"), "{path} leaked");
    }
    // Read-only: no creating, no writing.
    let o = probe("new.txt", OFLAG_CREAT, RIGHT_FD_READ | RIGHT_FD_WRITE, &input);
    assert!(
        matches!(o.error, Some(CallError::Exit(e)) if e > 0),
        "{:?}",
        o.error
    );
    assert!(!data.join("new.txt").exists(), "a read-only preopen was written");
    // No preopen at all (the server's calls): fd 3 does not exist (WASI EBADF = 8).
    let o = probe("inside.txt", 0, RIGHT_FD_READ, &CallInput::default());
    assert_eq!(o.error, Some(CallError::Exit(8)));
}

/// Calls of a native corpus script with a 300 ms timeout and a 64 KiB output cap.
fn native(name: &str) -> NativeFunction {
    let limits = Limits {
        timeout: Duration::from_millis(TIMEOUT_MS),
        memory_bytes: MEMORY,
        output_bytes: 64 << 10,
    };
    NativeFunction::new(&corpus_script(name), limits).unwrap()
}

fn comm(pid: i32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|s| s.trim().to_string())
}

fn first_pid(stdout: &[u8]) -> i32 {
    String::from_utf8_lossy(stdout)
        .lines()
        .next()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no pid in {:?}", String::from_utf8_lossy(stdout)))
}

#[test]
fn native_functions_that_crash_hang_or_ignore_sigterm_are_stopped_and_leave_no_process() {
    let me = std::process::id() as i32;
    let before = children_of(me);
    let o = native("crash").call(&CallInput::default());
    assert_eq!(o.error, Some(CallError::Signal(libc::SIGSEGV)));
    assert_eq!(o.error.unwrap().to_string(), "native process killed by signal 11");
    for name in ["hang", "ignore_term"] {
        let t = Instant::now();
        let o = native(name).call(&CallInput::default());
        assert_eq!(
            o.error,
            Some(CallError::Timeout(Duration::from_millis(TIMEOUT_MS))),
            "{name}"
        );
        assert!(
            t.elapsed() < Duration::from_millis(5 * TIMEOUT_MS),
            "{name}: {:?}",
            t.elapsed()
        );
    }
    // A grandchild that ignores SIGTERM dies with its process group.
    let o = native("fork_hang").call(&CallInput::default());
    assert_eq!(o.error.as_ref().map(CallError::kind), Some("timeout"));
    let grandchild = first_pid(&o.stdout);
    assert!(
        wait_gone(grandchild, Duration::from_secs(2)),
        "grandchild {grandchild} survived"
    );
    // A grandchild left behind by a function that exits at once does not outlive the call.
    let o = native("daemon").call(&CallInput::default());
    assert!(o.ok(), "{:?}", o.error);
    let daemon = first_pid(&o.stdout);
    assert!(
        wait_gone(daemon, Duration::from_secs(2)),
        "background grandchild {daemon} outlived its call: {:?}",
        proc_state(daemon)
    );
    let o = native("flood").call(&CallInput::default());
    assert_eq!(o.error, Some(CallError::OutputLimit(64 << 10)));
    assert_eq!(o.stdout.len(), 64 << 10);
    // No child of ours is left, running or zombie. Only the corpus scripts (`*.sh`) this test
    // ran count: the other tests of this binary run `nebula`, Chromium and guests of their own.
    let after: Vec<i32> = children_of(me)
        .into_iter()
        .filter(|p| !before.contains(p) && comm(*p).is_some_and(|c| c.ends_with(".sh")))
        .collect();
    assert!(after.is_empty(), "children left: {after:?}");
}

/// A suite of native corpus scripts (each with a harmless wasm build).
fn native_suite(root: &Path) -> FakeSuite {
    let fs: Vec<(&str, Vec<u8>, String)> = ["crash", "hang", "ignore_term", "flood"]
        .into_iter()
        .map(|n| (n, hello("wasm ok"), FakeSuite::script(n)))
        .chain([("good", hello("ok"), "#!/bin/sh\nprintf ok\n".to_string())])
        .collect();
    FakeSuite::create(root, &fs)
}

/// Runs `nebula invoke --json`: its exit status, the first JSON record (on stderr, where the
/// report goes) and the whole of stderr.
fn invoke_json(cmd: &mut std::process::Command) -> (i32, serde_json::Value, String) {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let v = stderr
        .lines()
        .find(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), v, stderr)
}

/// The exit status `nebula invoke` documents for a call that failed with `kind`.
fn status_of(kind: &str) -> i32 {
    match kind {
        "trap" => 134,
        "timeout" => 124,
        "memory-limit" | "output-limit" => 125,
        "load" => 126,
        "signal" => 128 + libc::SIGSEGV,
        other => panic!("no status for {other}"),
    }
}

#[test]
fn nebula_invoke_reports_each_hostile_guest_with_its_exit_status() {
    let tmp = tempfile::tempdir().unwrap();
    let suite = native_suite(&tmp.path().join("functions"));
    let cache = tmp.path().join("cache");
    let limits = ["--timeout", "300ms", "--memory", "16MiB", "--max-output", "1MiB"];
    for c in RUNTIME_CASES {
        let m = write(tmp.path(), &format!("{}.wasm", c.name), &corpus_wasm(c.name));
        let t = Instant::now();
        let (code, row, stderr) = invoke_json(
            nebula(&suite.root, &cache)
                .args(["invoke", "--json", "--energy", "model", "--module"])
                .arg(&m)
                .args(limits),
        );
        assert_eq!(code, status_of(c.kind), "{}: {stderr}", c.name);
        assert_eq!(row["ok"], false, "{}", c.name);
        assert_eq!(row["error_kind"], c.kind, "{}: {row}", c.name);
        assert!(
            row["error"].as_str().unwrap().contains(c.message),
            "{}: {row}",
            c.name
        );
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "{}: {:?}",
            c.name,
            t.elapsed()
        );
    }
    for (bytes, needle) in refused_at_load() {
        let m = write(tmp.path(), "refused.wasm", &bytes);
        let (code, row, stderr) = invoke_json(
            nebula(&suite.root, &cache)
                .args(["invoke", "--json", "--energy", "model", "--module"])
                .arg(&m),
        );
        assert_eq!(
            (code, row),
            (status_of("load"), serde_json::Value::Null),
            "{stderr}"
        );
        assert!(
            stderr.starts_with("error: ") && stderr.contains(needle),
            "{stderr}"
        );
    }
    for (name, kind) in [
        ("crash", "signal"),
        ("hang", "timeout"),
        ("ignore_term", "timeout"),
        ("flood", "output-limit"),
    ] {
        let (code, row, stderr) = invoke_json(
            nebula(&suite.root, &cache)
                .args([
                    "invoke",
                    name,
                    "--runtime",
                    "native",
                    "--json",
                    "--energy",
                    "model",
                ])
                .args(limits),
        );
        assert_eq!(code, status_of(kind), "{name}: {stderr}");
        assert_eq!(row["error_kind"], kind, "{name}: {row}");
    }
    let (code, row, _) = invoke_json(nebula(&suite.root, &cache).args([
        "invoke",
        "good",
        "--runtime",
        "native",
        "--json",
        "--energy",
        "model",
    ]));
    assert_eq!((code, &row["output"]), (0, &serde_json::json!("ok")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_answers_each_hostile_guest_and_keeps_serving() {
    let tmp = tempfile::tempdir().unwrap();
    let suite = native_suite(&tmp.path().join("functions"));
    let mut s = server_support::start(|c| {
        c.limits = Limits {
            timeout: Duration::from_millis(TIMEOUT_MS),
            memory_bytes: MEMORY,
            output_bytes: OUTPUT,
        };
        c.suite_root = Some(suite.root.clone());
    });
    let mut good = 0usize;
    let mut check_good = |r: nebula::client::Reply, after: &str| {
        assert_eq!((r.status, r.text().as_str()), (200, "ok"), "after {after}");
        good += 1;
    };
    let mut calls = 0usize;
    for c in RUNTIME_CASES {
        let name = format!("up-{}", c.name);
        let r = s.put(&name, corpus_wasm(c.name), None).await;
        if c.name == "no_start" {
            // Refused at upload: the server checks for `_start` before serving.
            assert_eq!(r.status, 400, "{}", r.text());
            assert_eq!(r.json().unwrap()["error"], "invalid-module");
            continue;
        }
        assert_eq!(r.status, 201, "{}: {}", c.name, r.text());
        let t = Instant::now();
        let r = s.invoke(&name, "", "").await;
        calls += 1;
        let want = nebula::server::invoke::status_for(c.kind).as_u16();
        assert_eq!(r.status, want, "{}: {}", c.name, r.text());
        let body = r.json().unwrap();
        assert_eq!(body["error"], c.kind, "{}: {body}", c.name);
        assert!(body["message"].as_str().unwrap().contains(c.message), "{body}");
        assert_eq!(body["record"]["error_kind"], c.kind);
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "{}: {:?}",
            c.name,
            t.elapsed()
        );
        check_good(s.invoke("good", "", "").await, c.name);
        calls += 1;
    }
    for (bytes, needle) in refused_at_load() {
        let r = s.put("good", bytes, None).await;
        assert_eq!(r.status, 400, "{}", r.text());
        assert!(
            r.json().unwrap()["message"].as_str().unwrap().contains(needle),
            "{}",
            r.text()
        );
        check_good(s.invoke("good", "", "").await, "a refused upload over it");
        calls += 1;
    }
    for (name, kind) in [
        ("crash", "signal"),
        ("hang", "timeout"),
        ("ignore_term", "timeout"),
        ("flood", "output-limit"),
    ] {
        let r = s.invoke(name, "?runtime=native", "").await;
        calls += 1;
        assert_eq!(r.json().unwrap()["error"], kind, "{name}: {}", r.text());
        check_good(s.invoke("good", "?runtime=native", "").await, name);
        calls += 1;
    }
    assert_eq!(
        s.send(server_support::Method::GET, "/healthz", &[], "")
            .await
            .status,
        200
    );
    let m = s.metrics().await;
    let counted = server_support::value(&m, "nebula_invocations_total", &[]);
    assert_eq!(counted as usize, calls);
    assert_eq!(
        server_support::value(
            &m,
            "nebula_invocations_total",
            &[("function", "good"), ("outcome", "ok")]
        ) as usize,
        good
    );
    s.stop();
    let rows = server_support::rows(&s.csv_path());
    assert_eq!(rows.len(), calls, "one valid CSV row per call");
    assert_eq!(rows.iter().filter(|r| r.ok).count(), good);
}

/// An experiment config over the fake suite's `function`, native only unless told, with a
/// call timeout of `timeout`.
fn experiment(dir: &Path, function: &str, runtimes: &str, timeout: &str) -> std::path::PathBuf {
    let p = dir.join(format!("{function}.toml"));
    std::fs::write(
        &p,
        format!(
            "name = \"hostile\"\nruntimes = {runtimes}\nrepetitions = 3\nwarmup = 0\nmin_window = \"10s\"\n\
             window_calls = 3\ncooldown = \"0s\"\nidle_baseline = \"0s\"\ntimeout = \"{timeout}\"\nmemory = \"16MiB\"\n\
             [energy]\nsource = \"model\"\n[[function]]\nname = \"{function}\"\n"
        ),
    )
    .unwrap();
    p
}

#[test]
fn an_experiment_refuses_a_hostile_function_before_measuring_and_records_sometimes_failing_calls() {
    let tmp = tempfile::tempdir().unwrap();
    let mut fs: Vec<(&str, Vec<u8>, String)> = RUNTIME_CASES
        .iter()
        .map(|c| (c.name, corpus_wasm(c.name), "#!/bin/sh\nprintf ok\n".to_string()))
        .collect();
    fs.push(("crash", hello("ok"), FakeSuite::script("crash")));
    fs.push(("flaky", hello("ok"), FakeSuite::script("flaky")));
    let suite = FakeSuite::create(&tmp.path().join("functions"), &fs);
    let cache = tmp.path().join("cache");
    let mut cases: Vec<(&str, &str, &str)> = RUNTIME_CASES
        .iter()
        .map(|c| (c.name, "[\"wasm\"]", c.message))
        .collect();
    cases.push(("crash", "[\"native\"]", "native process killed by signal 11"));
    for (name, runtimes, message) in cases {
        // Experiments capture up to 64 MiB of output per call: the floods get the time to
        // reach that cap on a loaded machine (300 ms was not always enough in CI, and the
        // call then ended as a timeout); flood_forever runs until the timeout either way.
        let (message, timeout) = if name.starts_with("flood") {
            ("output cap of 67108864 bytes", "3s")
        } else {
            (message, "300ms")
        };
        let cfg = experiment(tmp.path(), name, runtimes, timeout);
        let dir = tmp.path().join(format!("run-{name}"));
        let t = Instant::now();
        let out = nebula(&suite.root, &cache)
            .args(["run", "--quiet", "--out"])
            .arg(&dir)
            .arg(&cfg)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        let rt = if name == "crash" { "native" } else { "wasm" };
        let expected = format!("function '{name}' with input '1' fails on {rt}: ");
        assert!(err.contains(&expected) && err.contains(message), "{name}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(t.elapsed() < Duration::from_secs(10), "{name}: {:?}", t.elapsed());
        // Refused by the reference calls, before the run folder is created: nothing is left
        // to resume or to clean up, the fixed config simply runs again.
        assert!(!dir.exists(), "{name}: {} was left behind", dir.display());
    }
    // A function that fails only sometimes (every third call) does not stop the run: its
    // failures are rows with ok = false and the error kind, and the run completes.
    let cfg = experiment(tmp.path(), "flaky", "[\"native\"]", "300ms");
    let dir = tmp.path().join("run-flaky");
    let out = nebula(&suite.root, &cache)
        .args(["run", "--quiet", "--out"])
        .arg(&dir)
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = read_calls(&dir.join("calls.csv")).unwrap();
    assert_eq!(rows.len(), 9, "3 windows of 3 calls");
    let failed: Vec<_> = rows.iter().filter(|r| !r.ok).collect();
    assert_eq!(
        failed.len(),
        3,
        "every third call fails (the reference call was the first)"
    );
    assert!(failed
        .iter()
        .all(|r| r.error_kind == "exit" && r.exit_code == Some(3) && r.error.contains("status 3")));
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("metadata.json")).unwrap()).unwrap();
    assert_eq!(meta["status"], "complete");
}
