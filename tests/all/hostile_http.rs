//! Hostile HTTP clients against an in-process server: wrong methods, bad names (paths, dots, very
//! long), content types, truncated and oversized bodies (raw TCP), a slow client, concurrent
//! uploads of one name, bad tokens, and a `_start` of the wrong type. Each gets the right 4xx,
//! and the other functions keep serving. Half-sent requests do not hold up the server's stop.

use crate::common;
use crate::hostile_support;
use crate::server_support;

use common::{hello, wat};
use server_support::*;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

const MAX_BODY: usize = 64 << 10;

fn server() -> TestServer {
    start(|c| {
        c.max_body = MAX_BODY;
        c.token = Some("secret".into());
    })
}

async fn put_ok(s: &TestServer, name: &str, module: Vec<u8>) {
    let r = s.put(name, module, Some("secret")).await;
    assert!(r.status == 201 || r.status == 200, "{}", r.text());
}

async fn assert_keep_serves(s: &TestServer) {
    let r = s.invoke("keep", "", "").await;
    assert_eq!((r.status, r.text().as_str()), (200, "kept"));
}

/// Send raw bytes on a fresh connection (optionally closing our side), return what comes back.
fn raw(addr: &str, request: &[u8], close_write: bool) -> String {
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c.write_all(request).unwrap();
    if close_write {
        c.shutdown(Shutdown::Write).unwrap();
    }
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn status_of(response: &str) -> Option<u16> {
    response.split_whitespace().nth(1).and_then(|s| s.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_methods_bad_names_and_bad_tokens_get_the_right_4xx() {
    let s = server();
    put_ok(&s, "keep", hello("kept")).await;
    for (m, path) in [
        (Method::GET, "/functions/keep/invoke"),
        (Method::PUT, "/functions/keep/invoke"),
        (Method::DELETE, "/functions"),
        (Method::POST, "/functions/keep"),
        (Method::PATCH, "/functions/keep"),
        (Method::POST, "/healthz"),
        (Method::PUT, "/metrics"),
    ] {
        let r = s.send(m.clone(), path, &[], "").await;
        assert_eq!(r.status, 405, "{m} {path}");
        assert_eq!(
            r.json().expect("json")["error"],
            "method-not-allowed",
            "{m} {path}"
        );
        assert!(
            r.header("allow").is_some_and(|a| !a.is_empty()),
            "{m} {path}: no Allow"
        );
    }
    let long = "a".repeat(65);
    let very_long = "b".repeat(4000);
    for name in [
        "..",
        "..%2Fetc",
        "..%2F..%2Fetc%2Fpasswd",
        ".hidden",
        "a..b",
        "%2Fabs",
        "caf%C3%A9",
        "sp%20ace",
        "nul%00",
        "%ff",
        "a%C3",
        long.as_str(),
        very_long.as_str(),
    ] {
        for (m, path) in [
            (Method::PUT, format!("/functions/{name}")),
            (Method::GET, format!("/functions/{name}")),
            (Method::DELETE, format!("/functions/{name}")),
            (Method::POST, format!("/functions/{name}/invoke")),
        ] {
            let auth = [("authorization", "Bearer secret")];
            let r = s.send(m.clone(), &path, &auth, hello("x")).await;
            assert_eq!(r.status, 400, "{m} {}: {}", &path[..path.len().min(60)], r.text());
            assert_eq!(r.json().unwrap()["error"], "bad-name");
        }
    }
    // Paths with more segments are no route at all.
    // An empty name is a bad name.
    let r = s.send(Method::POST, "/functions//invoke", &[], "").await;
    assert_eq!(
        (r.status, r.json().unwrap()["error"].as_str()),
        (400, Some("bad-name"))
    );
    for path in ["/functions/a/b", "/functions/a/b/invoke", "/etc/passwd"] {
        let r = s.send(Method::POST, path, &[], "").await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.json().unwrap()["error"], "not-found");
    }
    // Tokens: missing, wrong, wrong scheme, a prefix of the right one.
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("Basic c2VjcmV0"),
        Some("Bearer secre"),
        Some("secret"),
    ] {
        let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("authorization", *a)).collect();
        for m in [Method::PUT, Method::DELETE] {
            let r = s
                .send(m.clone(), "/functions/keep", &headers, hello("evil"))
                .await;
            assert_eq!(r.status, 401, "{m} with {auth:?}");
            assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        }
    }
    assert_keep_serves(&s).await;
    let m = s.metrics().await;
    assert_eq!(
        value(&m, "nebula_uploads_total", &[("outcome", "unauthorized")]),
        5.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_types_are_ignored_and_start_of_the_wrong_type_is_refused_at_upload() {
    let s = server();
    put_ok(&s, "keep", hello("kept")).await;
    // Bodies are raw bytes whatever the declared type: a module sent as JSON is still a module.
    for ct in [
        "application/json",
        "text/plain",
        "multipart/form-data; boundary=x",
        "x/y",
    ] {
        let r = s
            .send(
                Method::PUT,
                "/functions/typed",
                &[("authorization", "Bearer secret"), ("content-type", ct)],
                hello("typed"),
            )
            .await;
        assert!(
            r.status == 201 || r.status == 200 || r.status == 400,
            "{ct}: {}",
            r.status
        );
        let r = s
            .send(
                Method::POST,
                "/functions/keep/invoke",
                &[("content-type", ct)],
                "x",
            )
            .await;
        assert_eq!(r.status, 200, "{ct}");
    }
    // `_start` that is not a `() -> ()` function would fail every call: refused at upload.
    for bad in [
        r#"(module (func (export "_start") (param i32)))"#,
        r#"(module (func (export "_start") (result i32) (i32.const 0)))"#,
        r#"(module (memory (export "_start") 1))"#,
        r#"(module (global (export "_start") i32 (i32.const 0)))"#,
    ] {
        let r = s.put("keep", wat(bad), Some("secret")).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text());
        let body = r.json().unwrap();
        assert_eq!(body["error"], "invalid-module");
        assert!(body["message"].as_str().unwrap().contains("_start"), "{body}");
        assert_keep_serves(&s).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_oversized_and_slow_bodies_do_not_disturb_other_functions() {
    let s = server();
    put_ok(&s, "keep", hello("kept")).await;
    let addr = s.url.trim_start_matches("http://").to_string();
    // Oversized, sent whole: 413.
    let r = s.put("keep", vec![0u8; MAX_BODY + 1], Some("secret")).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.json().unwrap()["error"], "body-too-large");
    let r = s.invoke("keep", "", &"x".repeat(MAX_BODY + 1)).await;
    assert_eq!(r.status, 413);
    // A Content-Length of 100 MiB: the server reads no more than its cap before answering 413.
    let t = Instant::now();
    let head = format!(
        "PUT /functions/keep HTTP/1.1\r\nhost: x\r\nauthorization: Bearer secret\r\ncontent-length: {}\r\n\r\n",
        100 << 20
    );
    let a = addr.clone();
    let resp = tokio::task::spawn_blocking(move || {
        let mut c = TcpStream::connect(&a).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        c.write_all(head.as_bytes()).unwrap();
        // Write errors are expected once the server has answered and closed.
        let _ = c.write_all(&vec![0u8; MAX_BODY + (64 << 10)]);
        let mut out = Vec::new();
        let _ = c.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    })
    .await
    .unwrap();
    assert_eq!(status_of(&resp), Some(413), "{resp}");
    assert!(t.elapsed() < Duration::from_secs(5));
    // Truncated: Content-Length says more than is sent, then the client closes its side.
    for path in ["/functions/keep", "/functions/keep/invoke"] {
        let method = if path.ends_with("invoke") { "POST" } else { "PUT" };
        let req = format!(
            "{method} {path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer secret\r\ncontent-length: 1000\r\n\r\n\0asm\x01\0\0\0"
        );
        let a = addr.clone();
        let resp = tokio::task::spawn_blocking(move || raw(&a, req.as_bytes(), true))
            .await
            .unwrap();
        match status_of(&resp) {
            None => {} // the server may drop a connection whose body never came
            Some(code) => assert_eq!(code, 400, "{path}: {resp}"),
        }
        assert_keep_serves(&s).await;
    }
    // A slow client (headers and body a byte at a time, ~1.5 s in all) is answered, and other
    // clients are served meanwhile.
    let a = addr.clone();
    let slow = std::thread::spawn(move || {
        let mut c = TcpStream::connect(&a).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let req = b"POST /functions/keep/invoke HTTP/1.1\r\nhost: slow\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello";
        for b in req {
            c.write_all(&[*b]).unwrap();
            std::thread::sleep(Duration::from_millis(15));
        }
        let mut out = String::new();
        let _ = c.read_to_string(&mut out);
        out
    });
    let t = Instant::now();
    for _ in 0..20 {
        assert_keep_serves(&s).await;
    }
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "others waited for the slow client"
    );
    let resp = tokio::task::spawn_blocking(move || slow.join().unwrap())
        .await
        .unwrap();
    assert_eq!(status_of(&resp), Some(200), "{resp}");
    assert!(resp.ends_with("kept"), "{resp}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_uploads_of_one_name_leave_one_intact_module() {
    let s = server();
    put_ok(&s, "keep", hello("kept")).await;
    let modules: Vec<Vec<u8>> = (0..8).map(|i| hello(&format!("version {i}"))).collect();
    let mut tasks = Vec::new();
    for m in modules.clone() {
        let url = s.url.clone();
        tasks.push(tokio::spawn(async move {
            nebula::client::send(
                &url,
                Method::PUT,
                "/functions/race",
                &[("authorization", "Bearer secret")],
                m,
            )
            .await
            .unwrap()
            .status
        }));
    }
    let invoking = {
        let url = s.url.clone();
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            for _ in 0..20 {
                let r = nebula::client::send(&url, Method::POST, "/functions/race/invoke", &[], "")
                    .await
                    .unwrap();
                statuses.push((r.status, r.text()));
            }
            statuses
        })
    };
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 7, "{statuses:?}");
    // Calls during the race see either no function yet or one whole version.
    for (status, text) in invoking.await.unwrap() {
        assert!(
            status == 404 || (status == 200 && text.starts_with("version ")),
            "{status} {text}"
        );
    }
    let r = s.invoke("race", "", "").await;
    assert_eq!(r.status, 200);
    let served = r.text();
    let i: usize = served.strip_prefix("version ").unwrap().parse().unwrap();
    use sha2::Digest;
    let info = s
        .send(Method::GET, "/functions/race", &[], "")
        .await
        .json()
        .unwrap();
    assert_eq!(info["sha256"], hex::encode(sha2::Sha256::digest(&modules[i])));
    assert_keep_serves(&s).await;
}

/// Send the start of a request and go silent: what comes back, and after how long.
async fn stall(addr: &str, start: &'static str) -> (String, Duration) {
    let addr = addr.to_string();
    let t = Instant::now();
    let resp = tokio::task::spawn_blocking(move || raw(&addr, start.as_bytes(), false))
        .await
        .unwrap();
    (resp, t.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_stall_are_cut_off_at_the_read_deadline() {
    let s = start(|c| {
        c.max_body = MAX_BODY;
        c.read_timeout = Duration::from_millis(600);
    });
    s.put("keep", hello("kept"), None).await;
    assert_keep_serves(&s).await;
    let addr = s.url.trim_start_matches("http://").to_string();
    // Half the headers, then silence: the connection is closed with no request served.
    let (resp, waited) = stall(
        &addr,
        "POST /functions/keep/invoke HTTP/1.1\r\nhost: x\r\ncontent-len",
    )
    .await;
    assert!(
        waited >= Duration::from_millis(500) && waited < Duration::from_secs(8),
        "closed after {waited:?}: {resp}"
    );
    assert!(status_of(&resp).is_none_or(|code| code == 408), "{resp}");
    // Whole headers, half the body, then silence: 408 naming the deadline and the flag.
    let (resp, waited) = stall(
        &addr,
        "POST /functions/keep/invoke HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\nhello",
    )
    .await;
    assert!(waited >= Duration::from_millis(500), "answered after {waited:?}");
    assert_eq!(status_of(&resp), Some(408), "{resp}");
    assert!(resp.contains("request-timeout"), "{resp}");
    assert!(resp.contains("--read-timeout"), "{resp}");
    // A keep-alive connection is answered, then closed once it idles past the deadline (the
    // wait for the next request's headers is under the same deadline); new calls are served.
    let a = addr.clone();
    let (first, idle) = tokio::task::spawn_blocking(move || {
        let mut c = TcpStream::connect(&a).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        c.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n").unwrap();
        let mut buf = [0u8; 4096];
        let n = c.read(&mut buf).unwrap_or(0);
        let t = Instant::now();
        let eof = c.read(&mut buf).map(|n| n == 0).unwrap_or(true);
        (
            String::from_utf8_lossy(&buf[..n]).into_owned(),
            eof.then(|| t.elapsed()),
        )
    })
    .await
    .unwrap();
    assert_eq!(status_of(&first), Some(200), "{first}");
    let idle = idle.expect("the idle connection was closed, not sent more bytes");
    assert!(
        idle >= Duration::from_millis(400) && idle < Duration::from_secs(8),
        "closed after {idle:?} idle"
    );
    assert_keep_serves(&s).await;
    // Neither stalled request reached the guest: the CSV holds the two good calls only.
    let mut s = s;
    s.stop();
    let calls = rows(&s.csv_path());
    assert_eq!(calls.len(), 2, "{calls:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_cuts_half_sent_requests_and_still_finishes_the_call_in_flight() {
    // A read deadline far beyond the stop's grace: before, a half-sent request held the stop
    // for the whole deadline.
    let mut s = start(|c| c.read_timeout = Duration::from_secs(30));
    s.put("sleeper", hostile_support::corpus_wasm("sleep"), None)
        .await;
    let addr = s.url.trim_start_matches("http://").to_string();
    let send = |request: &'static str| {
        let a = addr.clone();
        tokio::task::spawn_blocking(move || raw(&a, request.as_bytes(), false))
    };
    // A call in flight (it sleeps in a host call until the 2 s call timeout), half the headers
    // of a second request, and the headers and half the body of a third.
    let call = send("POST /functions/sleeper/invoke HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n");
    let head = send("POST /functions/sleeper/invoke HTTP/1.1\r\nhost: x\r\ncontent-len");
    let body = send("POST /functions/sleeper/invoke HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\nhalf");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let t = Instant::now();
    let stopped = tokio::task::spawn_blocking(move || {
        s.stop();
        s
    });
    let (call, head, body) = (call.await.unwrap(), head.await.unwrap(), body.await.unwrap());
    let s = stopped.await.unwrap();
    let took = t.elapsed();
    assert!(took < Duration::from_secs(10), "the stop took {took:?}");
    // The call ran to its end (a timeout, recorded); the half-sent requests never reached a guest.
    assert_eq!(status_of(&call), Some(504), "{call}");
    assert_eq!(
        head, "",
        "a request without its whole headers is closed unanswered"
    );
    assert_eq!(status_of(&body), Some(503), "{body}");
    assert!(body.contains("\"stopping\""), "{body}");
    let calls = rows(&s.csv_path());
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(
        (calls[0].function.as_str(), calls[0].error_kind.as_str()),
        ("sleeper", "timeout")
    );
}
