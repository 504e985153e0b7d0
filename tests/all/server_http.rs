//! A real server on 127.0.0.1 with an ephemeral port: the suite's functions, uploads, the
//! token, body limits, error mapping, saturation, metrics, the CSV and graceful shutdown.

use crate::common;
use crate::server_support;

use common::{hello, marked, wat, LOOP_FOREVER};
use nebula::suite::Suite;
use server_support::*;
use std::time::Duration;

/// Every function of the suite, on wasm and native, answers its example with the same output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_suite_function_answers_on_wasm_and_native() {
    let root = Suite::default_root();
    let suite = match Suite::load(&root) {
        Ok(s) if s.functions.iter().all(|f| s.wasm_path(&f.name).is_file()) => s,
        _ if std::env::var_os("CI").is_some() => {
            panic!(
                "the suite is not built under {}: CI must run scripts/build-functions.sh first",
                root.display()
            )
        }
        _ => {
            eprintln!(
                "SKIPPED: the function suite is not built under {} (run scripts/build-functions.sh)",
                root.display()
            );
            return;
        }
    };
    let s = start(|c| {
        c.suite_root = Some(root.clone());
        c.limits.timeout = Duration::from_secs(30);
        c.limits.memory_bytes = 512 << 20;
        c.limits.output_bytes = 16 << 20;
    });
    let listed = s
        .send(Method::GET, "/functions", &[], "")
        .await
        .json()
        .expect("json");
    assert_eq!(
        listed.as_array().map(Vec::len),
        Some(suite.functions.len()),
        "{listed}"
    );
    let mut calls = 0;
    for f in &suite.functions {
        let wasm = s.invoke(&f.name, "", &f.example).await;
        assert_eq!(wasm.status, 200, "{} on wasm: {}", f.name, wasm.text());
        assert_eq!(wasm.measure("runtime"), Some("wasm"));
        calls += 1;
        if suite.native_path(&f.name).is_file() {
            let native = s.invoke(&f.name, "?runtime=native", &f.example).await;
            assert_eq!(native.status, 200, "{} on native: {}", f.name, native.text());
            assert_eq!(
                wasm.body, native.body,
                "{}: wasm and native outputs differ",
                f.name
            );
            assert_eq!(wasm.measure("output-digest"), native.measure("output-digest"));
            calls += 1;
        }
    }
    let fib = s.invoke("fibonacci", "", "10").await;
    assert!(fib.text().contains("34"), "fibonacci 10: {}", fib.text());
    calls += 1;
    let mut s = s;
    s.stop();
    assert_eq!(rows(&s.csv_path()).len(), calls);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_invoke_replace_with_a_broken_module_and_delete() {
    let s = start(|_| {});
    let r = s.put("greet", hello("hello v1"), None).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let info = r.json().expect("json");
    assert_eq!(info["name"], "greet");
    assert_eq!(info["size"].as_u64(), Some(hello("hello v1").len() as u64));
    assert_eq!(info["sha256"].as_str().map(str::len), Some(64));
    assert!(info["uploaded_at"].is_string());

    let r = s.invoke("greet", "", "").await;
    assert_eq!((r.status, r.text().as_str()), (200, "hello v1"));
    for key in [
        "id",
        "wall-ns",
        "instantiate-ns",
        "execute-ns",
        "cpu-user-ns",
        "cpu-system-ns",
        "peak-memory-bytes",
        "output-digest",
    ] {
        assert!(
            r.measure(key).is_some(),
            "x-nebula-call lacks {key}: {:?}",
            r.header("x-nebula-call")
        );
    }
    assert_eq!(r.measure("runtime"), Some("wasm"));
    // The digest is the SHA-256 of the body, as calls.csv writes it.
    let body_digest = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&r.body))
    };
    assert_eq!(r.measure("output-digest"), Some(body_digest.as_str()));
    let wall: u64 = r.measure("wall-ns").and_then(|v| v.parse().ok()).expect("wall");
    assert!(wall > 0);
    let joules: f64 = r
        .measure("energy-j")
        .and_then(|v| v.parse().ok())
        .expect("energy");
    assert!(joules > 0.0);
    assert_eq!(r.measure("energy-label"), Some("estimated"));
    assert_eq!(r.measure("energy-source"), Some("model"));

    let r = s.invoke("greet", "?format=json", "").await;
    let j = r.json().expect("json");
    assert_eq!(j["output"], "hello v1");
    assert_eq!(j["record"]["function"], "greet");
    assert_eq!(j["record"]["energy_split"], "direct");

    // Replacing it works, and takes effect at once.
    assert_eq!(s.put("greet", hello("hello v2"), None).await.status, 200);
    assert_eq!(s.invoke("greet", "", "").await.text(), "hello v2");

    // Broken modules are refused and the old one keeps serving.
    let missing_import = wat(r#"(module (import "env" "launch_missiles" (func)) (func (export "_start")))"#);
    for (bad, expect) in [
        (b"not wasm at all".to_vec(), "not a valid WebAssembly module"),
        (missing_import, "launch_missiles"),
        (wat("(module)"), "_start"),
        (Vec::new(), "empty"),
    ] {
        let r = s.put("greet", bad, None).await;
        assert_eq!(r.status, 400, "{}", r.text());
        let j = r.json().expect("json error");
        assert_eq!(j["error"], "invalid-module");
        assert!(j["message"].as_str().unwrap_or("").contains(expect), "{j}");
        assert_eq!(s.invoke("greet", "", "").await.text(), "hello v2");
    }

    // Uploaded modules are wasm-only.
    let r = s.invoke("greet", "?runtime=native", "").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json().expect("json")["error"], "no-native-build");

    let r = s.send(Method::GET, "/functions/greet", &[], "").await;
    assert_eq!(r.json().expect("json")["origin"], "upload");
    assert_eq!(
        s.send(Method::DELETE, "/functions/greet", &[], "").await.status,
        204
    );
    assert_eq!(s.invoke("greet", "", "").await.status, 404);
    assert_eq!(
        s.send(Method::DELETE, "/functions/greet", &[], "").await.status,
        404
    );
    assert_eq!(
        s.send(Method::GET, "/functions", &[], "")
            .await
            .json()
            .expect("json"),
        serde_json::json!([])
    );

    let m = s.metrics().await;
    assert_eq!(value(&m, "nebula_uploads_total", &[("outcome", "ok")]), 2.0);
    assert_eq!(value(&m, "nebula_uploads_total", &[("outcome", "invalid")]), 4.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_guards_uploads_and_deletes() {
    let s = start(|c| c.token = Some("s3cret".into()));
    let r = s.put("m", hello("x"), None).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    assert_eq!(s.put("m", hello("x"), Some("wrong")).await.status, 401);
    assert_eq!(s.put("m", hello("x"), Some("s3cret")).await.status, 201);
    // Invoking needs no token.
    assert_eq!(s.invoke("m", "", "").await.text(), "x");
    assert_eq!(s.send(Method::DELETE, "/functions/m", &[], "").await.status, 401);
    let auth = [("authorization", "Bearer s3cret")];
    assert_eq!(
        s.send(Method::DELETE, "/functions/m", &auth, "").await.status,
        204
    );
    let m = s.metrics().await;
    assert_eq!(
        value(&m, "nebula_uploads_total", &[("outcome", "unauthorized")]),
        2.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_malformed_requests_are_refused() {
    let s = start(|c| {
        c.max_body = 1024;
        c.read_timeout = Duration::from_secs(30);
    });
    assert_eq!(s.put("m", hello("ok"), None).await.status, 201);
    let big = "x".repeat(4096);
    let r = s.invoke("m", "", &big).await;
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(r.json().expect("json")["error"], "body-too-large");
    let r = s.put("big", vec![0u8; 4096], None).await;
    assert_eq!(r.status, 413);
    // Refused from the headers alone, before any body byte is read or buffered: a declared
    // length over the cap is 413, an unknown function 404 (not a 408 once the read timeout,
    // 30 s here, has passed waiting for a body that never comes).
    let addr = s.url.trim_start_matches("http://");
    let head =
        |path: &str, len: u64| format!("POST {path} HTTP/1.1\r\nhost: x\r\ncontent-length: {len}\r\n\r\n");
    assert_eq!(
        raw_status(addr, &head("/functions/m/invoke", 20_000_000)).await,
        413
    );
    assert_eq!(raw_status(addr, &head("/functions/nope/invoke", 1000)).await, 404);
    assert_eq!(raw_status(addr, &head("/functions/a..b/invoke", 1000)).await, 400);
    // Names that are paths or odd characters.
    for bad in ["a..b", ".hidden", "%2e%2e", "a%2Fb", "x%20y"] {
        let r = s.put(bad, hello("x"), None).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text());
        assert_eq!(r.json().expect("json")["error"], "bad-name");
    }
    let r = s.invoke("m", "?runtime=jvm", "").await;
    assert_eq!(
        (r.status, r.json().expect("json")["error"].clone()),
        (400, "bad-runtime".into())
    );
    // Nebula's other runtimes are known, but not served.
    let r = s.invoke("m", "?runtime=wasm-winch", "").await;
    let j = r.json().expect("json");
    assert_eq!((r.status, j["error"].clone()), (400, "bad-runtime".into()));
    assert!(
        j["message"]
            .as_str()
            .unwrap_or("")
            .contains("'wasm-winch' is not served here"),
        "{j}"
    );
    let r = s.invoke("m", "?format=xml", "").await;
    assert_eq!(r.status, 400);
    assert_eq!(s.invoke("nope", "", "").await.status, 404);
    let r = s.send(Method::GET, "/no/such/route", &[], "").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json().expect("json")["error"], "not-found");
    assert_eq!(s.send(Method::GET, "/healthz", &[], "").await.text(), "ok\n");
    // Nothing of that reached a guest.
    let m = s.metrics().await;
    assert_eq!(value(&m, "nebula_invocations_total", &[]), 0.0);
}

/// The status of the answer to `request` sent as is on a new connection, within 20 s.
async fn raw_status(addr: &str, request: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut st = tokio::net::TcpStream::connect(addr).await.expect("connect");
    st.write_all(request.as_bytes()).await.expect("write");
    let mut buf = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(20), st.read(&mut buf))
        .await
        .expect("an answer before the body")
        .expect("read");
    let head = String::from_utf8_lossy(&buf[..n]);
    head.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_failures_map_to_http_errors() {
    let s = start(|c| c.limits.timeout = Duration::from_millis(300));
    let trap = wat(r#"(module (func (export "_start") unreachable))"#);
    let exit3 = wat(
        r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func $x (param i32)))
            (memory (export "memory") 1) (func (export "_start") (call $x (i32.const 3))))"#,
    );
    for (name, m) in [("trap", trap), ("exit3", exit3), ("loop", wat(LOOP_FOREVER))] {
        assert_eq!(s.put(name, m, None).await.status, 201);
    }
    let r = s.invoke("trap", "", "").await;
    assert_eq!(r.status, 422);
    let j = r.json().expect("json");
    assert_eq!(j["error"], "trap");
    assert!(j["message"].as_str().unwrap_or("").contains("unreachable"), "{j}");
    assert!(
        r.measure("wall-ns").is_some(),
        "failed calls still carry their measurements"
    );
    let r = s.invoke("exit3", "", "").await;
    assert_eq!(r.status, 422);
    let j = r.json().expect("json");
    assert_eq!(j["error"], "exit");
    assert!(j["message"].as_str().unwrap_or("").contains("status 3"), "{j}");
    let r = s.invoke("loop", "", "").await;
    assert_eq!(r.status, 504);
    assert_eq!(r.json().expect("json")["error"], "timeout");
    let m = s.metrics().await;
    for (f, outcome) in [("trap", "trap"), ("exit3", "exit"), ("loop", "timeout")] {
        let labels = [("function", f), ("runtime", "wasm"), ("outcome", outcome)];
        assert_eq!(value(&m, "nebula_invocations_total", &labels), 1.0, "{f}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_server_answers_503_with_retry_after() {
    let mut s = start(|c| {
        c.max_inflight = 1;
        c.queue = 1;
        c.limits.timeout = Duration::from_millis(800);
    });
    assert_eq!(s.put("loop", wat(LOOP_FOREVER), None).await.status, 201);
    let url = s.url.clone();
    let busy: Vec<_> = (0..2)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                nebula::client::send(&url, Method::POST, "/functions/loop/invoke", &[], "").await
            })
        })
        .collect();
    // One call runs, one waits in the queue: the next is refused.
    let mut refused = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let r = s.invoke("loop", "", "").await;
        if r.status == 503 {
            refused = Some(r);
            break;
        }
    }
    let r = refused.expect("a 503 while the slot and the queue are taken");
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(r.json().expect("json")["error"], "saturated");
    for b in busy {
        let r = b.await.expect("task").expect("reply");
        assert_eq!(r.status, 504);
    }
    let m = s.metrics().await;
    // A refusal is not an invocation: invocations are the calls that ran, one per CSV row.
    assert!(value(&m, "nebula_refused_total", &[("reason", "saturated")]) >= 1.0);
    assert_eq!(
        value(&m, "nebula_invocations_total", &[("outcome", "saturated")]),
        0.0
    );
    assert_eq!(
        value(&m, "nebula_invocations_total", &[("outcome", "timeout")]),
        2.0
    );
    assert_eq!(value(&m, "nebula_inflight_calls", &[]), 0.0);
    s.stop();
    assert_eq!(rows(&s.csv_path()).len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_csv_count_every_call() {
    let mut s = start(|_| {});
    assert_eq!(s.put("a", hello("A"), None).await.status, 201);
    assert_eq!(s.put("b", hello("B"), None).await.status, 201);
    let trap = wat(r#"(module (func (export "_start") unreachable))"#);
    assert_eq!(s.put("t", trap, None).await.status, 201);
    let a = nebula::client::drive(&s.url, "a", b"in", 4, 40)
        .await
        .expect("drive");
    assert_eq!(a.len(), 40);
    assert!(a
        .iter()
        .all(|x| x.ok() && x.server_wall_ns.is_some() && x.energy_j.is_some()));
    let b = nebula::client::drive(&s.url, "b", b"", 1, 7)
        .await
        .expect("drive");
    assert!(b.iter().all(|x| x.status == 200));
    for _ in 0..3 {
        assert_eq!(s.invoke("t", "", "").await.status, 422);
    }
    let m = s.metrics().await;
    let count = |f: &str, o: &str| value(&m, "nebula_invocations_total", &[("function", f), ("outcome", o)]);
    assert_eq!(
        (count("a", "ok"), count("b", "ok"), count("t", "trap")),
        (40.0, 7.0, 3.0)
    );
    let hist = |f: &str, suffix: &str| {
        value(
            &m,
            &format!("nebula_invocation_duration_seconds_{suffix}"),
            &[("function", f)],
        )
    };
    assert_eq!(hist("a", "count"), 40.0);
    assert!(hist("a", "sum") > 0.0);
    let inf = value(
        &m,
        "nebula_invocation_duration_seconds_bucket",
        &[("function", "a"), ("le", "+Inf")],
    );
    assert_eq!(inf, 40.0);
    let ten_s = value(
        &m,
        "nebula_invocation_duration_seconds_bucket",
        &[("function", "a"), ("le", "10")],
    );
    assert_eq!(ten_s, 40.0);
    let energy = value(
        &m,
        "nebula_energy_joules_total",
        &[("function", "a"), ("label", "estimated")],
    );
    let client_energy: f64 = a.iter().filter_map(|x| x.energy_j).sum();
    assert!(
        energy > 0.0 && (energy - client_energy).abs() <= 1e-6 * energy.max(1.0),
        "{energy} vs {client_energy}"
    );
    assert_eq!(value(&m, "nebula_inflight_calls", &[]), 0.0);

    // The landing page lists the recent calls.
    let page = s.send(Method::GET, "/", &[], "").await;
    assert!(page.header("content-type").unwrap_or("").starts_with("text/html"));
    let html = page.text();
    assert!(html.contains("<!DOCTYPE html>") && html.contains("id=\"result\""));
    assert!(html.contains("<code>t</code>") && html.contains("trap"));
    assert!(html.contains("href=\"/metrics\"") && html.contains("href=\"/functions\""));

    s.stop();
    let rows = rows(&s.csv_path());
    assert_eq!(rows.len(), 50);
    assert_eq!(rows.iter().filter(|r| r.function == "a" && r.ok).count(), 40);
    let t: Vec<_> = rows.iter().filter(|r| r.function == "t").collect();
    assert!(t.len() == 3 && t.iter().all(|r| !r.ok && r.error_kind == "trap"));
    assert!(rows
        .iter()
        .all(|r| r.run_id.starts_with("serve-") && r.wall_ns > 0));
    assert!(rows.iter().all(
        |r| r.energy_label == Some(nebula::results::EnergyLabel::Estimated) && r.energy_gross_j.is_some()
    ));
    assert!(rows
        .iter()
        .any(|r| r.function == "a" && r.input == "in" && r.cell == format!("a/in/wasm/c{}", r.concurrency)));
    // Client samples join to the server's rows by call id, with the same wall time.
    for x in &a {
        let id = x.call_id.expect("the id in x-nebula-call");
        let row = rows
            .iter()
            .find(|r| r.window_id == id)
            .expect("a row for every call id");
        assert_eq!(
            (row.function.as_str(), Some(row.wall_ns)),
            ("a", x.server_wall_ns)
        );
        assert!(
            x.latency.as_nanos() as u64 >= row.wall_ns,
            "client latency includes the call"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_loses_no_row() {
    let mut s = start(|c| {
        c.max_inflight = 2;
        c.queue = 16;
    });
    assert_eq!(s.put("busy", marked(30_000_000), None).await.status, 201);
    let url = s.url.clone();
    let calls: Vec<_> = (0..6)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                nebula::client::send(&url, Method::POST, "/functions/busy/invoke", &[], "").await
            })
        })
        .collect();
    // Let them get in, then stop while they run.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let stopper = tokio::task::spawn_blocking(move || {
        s.stop();
        s
    });
    let mut answered = 0;
    for c in calls {
        if let Ok(Ok(r)) = c.await {
            assert_eq!(r.status, 200, "{}", r.text());
            answered += 1;
        }
    }
    let s = stopper.await.expect("stopped");
    assert_eq!(answered, 6, "every call accepted before the stop is answered");
    let rows = rows(&s.csv_path());
    assert_eq!(rows.len(), answered, "one row per answered call");
    assert!(rows.iter().all(|r| r.ok && r.kernel_ns.is_some()));
}

/// Slots are reused between calls: each call must still see the module's initial memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_sees_fresh_memory() {
    let s = start(|_| {});
    let m = wat(r#"(module
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 2)
      (data (i32.const 16) "A")
      (func (export "_start")
        ;; out[32] = mem[16]; out[33] = '0' + mem[65600]
        (i32.store8 (i32.const 32) (i32.load8_u (i32.const 16)))
        (i32.store8 (i32.const 33) (i32.add (i32.const 48) (i32.load8_u (i32.const 65600))))
        (i32.store (i32.const 0) (i32.const 32))
        (i32.store (i32.const 4) (i32.const 2))
        (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
        ;; dirty both pages for the next call
        (i32.store8 (i32.const 16) (i32.const 66))
        (i32.store8 (i32.const 65600) (i32.const 5))))"#);
    assert_eq!(s.put("fresh", m, None).await.status, 201);
    let samples = nebula::client::drive(&s.url, "fresh", b"", 4, 200)
        .await
        .expect("drive");
    assert_eq!(samples.len(), 200);
    for x in &samples {
        assert_eq!(x.status, 200);
    }
    for _ in 0..5 {
        assert_eq!(s.invoke("fresh", "", "").await.text(), "A0");
    }
}

#[test]
fn an_empty_token_is_refused_rather_than_leaving_uploads_open() {
    for empty in ["", "  "] {
        let mut c = nebula::server::ServerConfig::new(1);
        c.token = Some(empty.into());
        let err = nebula::server::AppState::build(c).err().expect("refused");
        let msg = format!("{err:#}");
        assert!(
            msg.contains("the token is empty") && msg.contains("NEBULA_TOKEN"),
            "{msg}"
        );
    }
}
