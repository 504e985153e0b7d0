//! The `nebula serve` binary: it starts on an ephemeral port, serves an uploaded module with a
//! token from the environment, and on SIGTERM finishes, flushes its CSV and exits 0.

use crate::common;
use crate::server_support;

use common::hello;
use server_support::Method;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_starts_serves_and_exits_0_on_sigterm() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let csv = tmp.path().join("out/calls.csv");
    let mut child = Command::new(env!("CARGO_BIN_EXE_nebula"))
        .args(["serve", "--listen", "127.0.0.1:0", "--energy", "model", "--csv"])
        .arg(&csv)
        .env("NEBULA_TOKEN", "tok")
        .env("NEBULA_FUNCTIONS", tmp.path())
        .env("NEBULA_CACHE_DIR", tmp.path().join("cache"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nebula serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("banner");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_string();
    let c = |m: Method, p: &str, h: &'static [(&'static str, &'static str)], b: Vec<u8>| {
        let url = url.clone();
        let p = p.to_string();
        async move { nebula::client::send(&url, m, &p, h, b).await.expect("reply") }
    };
    assert_eq!(
        c(Method::PUT, "/functions/hi", &[], hello("hi")).await.status,
        401
    );
    let auth: &'static [(&str, &str)] = &[("authorization", "Bearer tok")];
    assert_eq!(
        c(Method::PUT, "/functions/hi", auth, hello("hi")).await.status,
        201
    );
    for _ in 0..5 {
        let r = c(Method::POST, "/functions/hi/invoke", &[], Vec::new()).await;
        assert_eq!((r.status, r.text().as_str()), (200, "hi"));
        assert_eq!(r.measure("energy-label"), Some("estimated"));
    }
    // The call pool and the I/O workers run under SCHED_BATCH (the default `--sched`).
    let policies = thread_policies(child.id());
    let of = |prefix: &str| -> Vec<i64> {
        policies
            .iter()
            .filter(|(name, _)| name.starts_with(prefix))
            .map(|(_, p)| *p)
            .collect()
    };
    assert_eq!(
        of("nebula-call-"),
        vec![3; of("nebula-call-").len().max(1)],
        "{policies:?}"
    );
    assert_eq!(
        of("nebula-serve-w"),
        vec![3; of("nebula-serve-w").len().max(1)],
        "{policies:?}"
    );
    assert!(line.contains("scheduling batch"), "{line}");
    // SAFETY: kill sends a signal to the child we spawned.
    let rc = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(rc, 0);
    let out = child.wait_with_output().expect("exit");
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        !log.contains('\u{1b}'),
        "a log that is not a terminal has no colour codes:\n{log}"
    );
    assert_eq!(
        log.matches(" call ").count() + log.matches("\"call\"").count(),
        5,
        "one log line per call:\n{log}"
    );
    assert_eq!(server_support::rows(&csv).len(), 5);
}

/// Each thread of process `pid`: its name and its scheduling policy (field 41 of
/// `/proc/PID/task/TID/stat`: 0 normal, 3 batch).
fn thread_policies(pid: u32) -> Vec<(String, i64)> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("the server's threads");
    tasks
        .flatten()
        .filter_map(|t| {
            let stat = std::fs::read_to_string(t.path().join("stat")).ok()?;
            let (head, rest) = stat.rsplit_once(')')?;
            let name = head.split_once('(')?.1.to_string();
            // After the name: field 3 (state) onwards, so field 41 is the 39th.
            let policy = rest.split_whitespace().nth(38)?.parse().ok()?;
            Some((name, policy))
        })
        .collect()
}

#[test]
fn bad_serve_flags_name_the_flag_and_the_fix() {
    let tmp = tempfile::tempdir().expect("temp dir");
    for (args, expected) in [
        (
            &["--read-timeout", "0s"][..],
            "--read-timeout must be longer than 0",
        ),
        (&["--read-timeout", "soon"][..], "'soon' is not a duration"),
        (&["--max-inflight", "0"][..], "--max-inflight must be at least 1"),
        (&["--sched", "fast"][..], "possible values: batch, normal"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_nebula"))
            .args(["serve", "--listen", "127.0.0.1:0", "--energy", "model"])
            .args(args)
            .env("NEBULA_FUNCTIONS", tmp.path())
            .env("NEBULA_CACHE_DIR", tmp.path().join("cache"))
            .output()
            .expect("nebula runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?} started serving");
    }
}

#[test]
fn bench_http_alternates_rounds_and_reports_the_ratio_of_each_round() {
    let suite = common::suite();
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_nebula"))
        .args(["bench-http", "--functions", "noop", "--concurrency", "2"])
        .args(["--requests", "60", "--warmup", "6", "--rounds", "3", "--json"])
        .env("NEBULA_FUNCTIONS", &suite.root)
        .env("NEBULA_CACHE_DIR", tmp.path().join("cache"))
        .output()
        .expect("nebula runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON row"))
        .collect();
    assert_eq!(rows.len(), 2, "{stdout}");
    let (bare, noop) = (&rows[0], &rows[1]);
    assert_eq!(bare["target"], "bare-axum");
    assert_eq!(noop["target"], "noop");
    for r in &rows {
        assert_eq!(r["rounds"], 3, "{r}");
        assert_eq!(r["requests"], 180, "three rounds of 60: {r}");
        assert_eq!(r["errors"], 0, "{r}");
        assert!(r["rps"].as_f64().is_some_and(|x| x > 0.0), "{r}");
    }
    assert!(bare["vs_bare"].is_null());
    let s = &noop["vs_bare"];
    let f = |k: &str| s[k].as_f64().unwrap_or(f64::NAN);
    assert!(
        f("min") > 0.0 && f("min") <= f("median") && f("median") <= f("max"),
        "{s}"
    );
    assert!(noop["server_wall_p50"].is_object(), "{noop}");
    // Each target is measured with both generators (1 thread and one per core) and keeps
    // the better; the baseline is the stock axum server, whose threads are counted as I/O.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    for r in &rows {
        let threads = r["load_threads"].as_u64().unwrap_or(0);
        assert!(threads == 1 || threads == cores, "{r}");
        let io = r["cpu_us"]["server-io"].as_f64().unwrap_or(0.0);
        assert!(io > 0.0, "the server's I/O threads did the work: {r}");
    }
    assert!(
        bare["cpu_us"]["call-pool"].as_f64().unwrap_or(0.0) < 0.5,
        "the baseline runs no call (the pool is idle): {bare}"
    );
    let one = Command::new(env!("CARGO_BIN_EXE_nebula"))
        .args(["bench-http", "--functions", "noop", "--concurrency", "1"])
        .args([
            "--requests",
            "20",
            "--warmup",
            "0",
            "--load-threads",
            "1",
            "--json",
        ])
        .env("NEBULA_FUNCTIONS", &suite.root)
        .env("NEBULA_CACHE_DIR", tmp.path().join("cache"))
        .output()
        .expect("nebula runs");
    assert!(one.status.success(), "{}", String::from_utf8_lossy(&one.stderr));
    for l in String::from_utf8_lossy(&one.stdout).lines() {
        let r: serde_json::Value = serde_json::from_str(l).expect("a JSON row");
        assert_eq!(r["load_threads"], 1, "the one generator asked for: {r}");
    }
    let bad = Command::new(env!("CARGO_BIN_EXE_nebula"))
        .args(["bench-http", "--rounds", "0"])
        .output()
        .expect("nebula runs");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--rounds must be at least 1"));
}
