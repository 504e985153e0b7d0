//! Sustained load on the `nebula serve` binary (loopback only, bounded in count and time): 30,000
//! mixed requests, good and bad, from 32 concurrent clients. Zero 5xx for good requests, every
//! call counted in `/metrics` and in the CSV, RSS flat after warm-up, no leaked file descriptors
//! or threads. Prints the figures reported in docs/benchmarks.md.

use crate::common;
use crate::hostile_support;
use crate::server_support;

use hostile_support::{corpus_wasm, fd_count, rss_bytes, thread_count};
use nebula::client;
use server_support::{parse_prometheus, value, Method};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const REQUESTS: usize = 30_000;
const WARMUP: usize = 2_000;
const CLIENTS: usize = 32;

/// What one request was and what came back.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Good,
    Trap,
    Unknown,
    BadName,
    BadMethod,
    List,
}

fn pick(i: usize) -> Kind {
    match i % 20 {
        0 => Kind::Trap,
        1 => Kind::Unknown,
        2 => Kind::BadName,
        3 => Kind::BadMethod,
        4 => Kind::List,
        _ => Kind::Good,
    }
}

async fn one(url: &str, kind: Kind) -> (u16, String) {
    let (m, path) = match kind {
        Kind::Good => (Method::POST, "/functions/hello/invoke"),
        Kind::Trap => (Method::POST, "/functions/trap/invoke"),
        Kind::Unknown => (Method::POST, "/functions/missing/invoke"),
        Kind::BadName => (Method::POST, "/functions/..%2Fetc/invoke"),
        Kind::BadMethod => (Method::GET, "/functions/hello/invoke"),
        Kind::List => (Method::GET, "/functions"),
    };
    match client::send(url, m, path, &[], "input").await {
        Ok(r) => (r.status, r.text()),
        Err(e) => (0, format!("{e:#}")),
    }
}

fn expected(kind: Kind) -> u16 {
    match kind {
        Kind::Good | Kind::List => 200,
        Kind::Trap => 422,
        Kind::Unknown => 404,
        Kind::BadName => 400,
        Kind::BadMethod => 405,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_thousand_mixed_requests_leave_no_trace() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("calls.csv");
    let mut child = Command::new(env!("CARGO_BIN_EXE_nebula"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--energy",
            "model",
            "--max-inflight",
            "4",
        ])
        .args(["--queue", "4096", "--timeout", "2s", "--memory", "64MiB", "--csv"])
        .arg(&csv)
        .env("NEBULA_FUNCTIONS", tmp.path())
        .env("NEBULA_CACHE_DIR", tmp.path().join("cache"))
        .env("NEBULA_LOG", "warn")
        .env_remove("NEBULA_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_string();
    for (name, module) in [
        ("hello", common::hello("hello")),
        ("trap", corpus_wasm("unreachable")),
    ] {
        let r = client::send(&url, Method::PUT, &format!("/functions/{name}"), &[], module)
            .await
            .unwrap();
        assert_eq!(r.status, 201);
    }
    let base = (rss_bytes(pid), fd_count(pid), thread_count(pid));

    let next = Arc::new(AtomicUsize::new(0));
    let run = |upto: usize| {
        let url = url.clone();
        let next = next.clone();
        async move {
            let mut tasks = Vec::new();
            for _ in 0..CLIENTS {
                let url = url.clone();
                let next = next.clone();
                tasks.push(tokio::spawn(async move {
                    let mut seen: Vec<(Kind, u16)> = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= upto {
                            break seen;
                        }
                        let kind = pick(i);
                        let (status, text) = one(&url, kind).await;
                        assert!(
                            status == expected(kind),
                            "request {i} ({kind:?}): {status} {text}"
                        );
                        seen.push((kind, status));
                    }
                }));
            }
            let mut all = Vec::new();
            for t in tasks {
                all.extend(t.await.unwrap());
            }
            all
        }
    };
    let t0 = Instant::now();
    let mut seen = run(WARMUP).await;
    let warm = (rss_bytes(pid), fd_count(pid), thread_count(pid));
    // Each client took one index past the end of the warm-up.
    next.store(WARMUP, Ordering::Relaxed);
    let t1 = Instant::now();
    seen.extend(run(REQUESTS).await);
    let took = t1.elapsed();
    assert!(
        t0.elapsed() < Duration::from_secs(90),
        "the soak took {:?}",
        t0.elapsed()
    );
    // Let closed connections and finished calls settle.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let end = (rss_bytes(pid), fd_count(pid), thread_count(pid));

    assert_eq!(seen.len(), REQUESTS);
    let count = |k: Kind| seen.iter().filter(|(x, _)| *x == k).count();
    assert!(
        seen.iter().all(|(k, s)| *s < 500 || *k != Kind::Good),
        "5xx for a good request"
    );
    let calls = count(Kind::Good) + count(Kind::Trap);
    let r = client::send(&url, Method::GET, "/metrics", &[], "")
        .await
        .unwrap();
    let m = parse_prometheus(&r.text());
    assert_eq!(value(&m, "nebula_invocations_total", &[]) as usize, calls);
    assert_eq!(
        value(
            &m,
            "nebula_invocations_total",
            &[("function", "hello"), ("outcome", "ok")]
        ) as usize,
        count(Kind::Good)
    );
    assert_eq!(
        value(
            &m,
            "nebula_invocations_total",
            &[("function", "trap"), ("outcome", "trap")]
        ) as usize,
        count(Kind::Trap)
    );
    // No leaks: descriptors back to where they were, threads bounded by the pools, RSS flat.
    assert!(
        end.1 <= base.1 + 4,
        "fds: {} at start, {} at the end",
        base.1,
        end.1
    );
    assert!(
        end.2 <= warm.2 + 2,
        "threads: {} after warm-up, {} at the end",
        warm.2,
        end.2
    );
    let growth = end.0.saturating_sub(warm.0);
    assert!(growth < 64 << 20, "RSS grew {growth} bytes after warm-up");
    eprintln!(
        "soak: {REQUESTS} requests ({calls} guest calls) from {CLIENTS} clients in {:.1} s ({:.0} req/s); \
         RSS {:.1} MiB at start, {:.1} MiB after warm-up, {:.1} MiB at the end; fds {} -> {} -> {}; threads {} -> {} -> {}",
        took.as_secs_f64(),
        (REQUESTS - WARMUP) as f64 / took.as_secs_f64(),
        base.0 as f64 / 1048576.0,
        warm.0 as f64 / 1048576.0,
        end.0 as f64 / 1048576.0,
        base.1,
        warm.1,
        end.1,
        base.2,
        warm.2,
        end.2
    );
    // SAFETY: signalling the child we spawned.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let rows = server_support::rows(&csv);
    assert_eq!(rows.len(), calls, "one CSV row per guest call");
    assert_eq!(rows.iter().filter(|r| r.ok).count(), count(Kind::Good));
}
