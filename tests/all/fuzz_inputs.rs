//! Property tests on what users and clients feed Nebula: the experiment config parser with
//! `--set` overrides, durations and sizes, the `nebula invoke --env K=V` / `--dir HOST::GUEST`
//! arguments, and the upload endpoint with random and mutated bytes. No input panics; every
//! rejection is a clear message; a rejected upload leaves the served functions as they were.

use crate::common;
use crate::hostile_support;
use crate::server_support;

use hostile_support::FakeSuite;
use nebula::experiment::config;
use nebula::suite::Suite;
use nebula::units::{parse_bytes, parse_duration};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use std::sync::OnceLock;

/// A one-function suite with both builds, so that valid configs validate fully.
fn suite() -> &'static Suite {
    static S: OnceLock<(tempfile::TempDir, Suite)> = OnceLock::new();
    &S.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let fs = FakeSuite::create(
            tmp.path(),
            &[("f", common::hello("x"), "#!/bin/sh\nprintf x\n".into())],
        );
        let s = Suite::load(&fs.root).unwrap();
        (tmp, s)
    })
    .1
}

/// Config-like text: known keys with values of any type, junk lines, tables.
fn config_text() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "name",
        "seed",
        "runtimes",
        "concurrency",
        "repetitions",
        "warmup",
        "min_window",
        "window_calls",
        "cooldown",
        "idle_baseline",
        "timeout",
        "memory",
        "output_dir",
        "all_functions",
        "max_suite_sizes",
        "bogus",
    ]);
    let value = prop_oneof![
        any::<i64>().prop_map(|v| v.to_string()),
        any::<f64>().prop_map(|v| format!("{v:?}")),
        "[a-z0-9 .]{0,12}".prop_map(|s| format!("\"{s}\"")),
        Just("[\"wasm\", \"native\"]".to_string()),
        Just("[0, 1, 2000]".to_string()),
        Just("true".to_string()),
        Just("\"1e308s\"".to_string()),
        Just("\"-5ms\"".to_string()),
        Just("{ a = 1 }".to_string()),
        "\\PC{0,8}",
    ];
    let line = prop_oneof![
        (key, value).prop_map(|(k, v)| format!("{k} = {v}")),
        Just("[[function]]\nname = \"f\"".to_string()),
        Just("[[function]]\nname = \"f\"\nrange = { from = 5, to = 1, step = 0 }".to_string()),
        Just(
            "[[function]]\nname = \"f\"\ngeometric = { from = 1, to = 18446744073709551615, factor = 2 }"
                .to_string()
        ),
        Just("[[function]]\nname = \"nope\"".to_string()),
        Just("[energy]\nsource = \"model\"\nidle_watts = -1".to_string()),
        "\\PC{0,30}",
    ];
    prop::collection::vec(line, 0..10).prop_map(|l| l.join("\n"))
}

fn override_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_.]{0,12}=[^\n]{0,16}",
        "\\PC{0,24}",
        Just("energy.source=model".to_string()),
        Just("name.x=1".to_string()),
        Just("a..b=1".to_string()),
        Just("=".to_string()),
        Just("repetitions=[1,2]".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn the_config_parser_never_panics_and_explains_every_rejection(
        text in config_text(),
        overrides in prop::collection::vec(override_text(), 0..3),
    ) {
        match config::parse("fuzz.toml", &text, &overrides, suite()) {
            Ok(plan) => {
                prop_assert!(!plan.functions.is_empty() && !plan.runtimes.is_empty());
                prop_assert!(plan.config.repetitions >= 1 && !plan.limits.timeout.is_zero());
            }
            Err(e) => {
                prop_assert!(!e.key.is_empty() && !e.problem.is_empty() && !e.fix.is_empty(), "{e:?}");
                let shown = e.to_string();
                prop_assert!(shown.contains("Fix: ") && (shown.starts_with("fuzz.toml") || shown.starts_with("--set")), "{shown}");
            }
        }
    }

    #[test]
    fn durations_and_sizes_parse_or_explain(s in prop_oneof!["\\PC{0,16}", "[0-9.]{0,24}(ns|us|ms|s|m|h|B|KiB|MiB|GiB|GB|x)?"]) {
        match parse_duration(&s) {
            Ok(d) => prop_assert!(d.as_secs_f64() <= 1e9),
            Err(m) => prop_assert!(m.contains(&s) && m.len() > s.len()),
        }
        match parse_bytes(&s) {
            Ok(b) => prop_assert!(b as f64 <= 1e15),
            Err(m) => prop_assert!(m.contains(&s) && m.len() > s.len()),
        }
    }
}

/// `nebula invoke --module MISSING --env X --dir Y`: a bad flag is a usage error (exit 2) naming
/// the value; a good one gets as far as the missing module (exit 1). Nothing panics.
#[test]
fn invoke_env_and_dir_arguments_are_parsed_or_refused_with_a_message() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let alphabet: Vec<char> = "=:/.a Z0é\\\u{0}-".chars().collect();
    let mut cases: Vec<(String, String)> = vec![
        ("K=V".into(), "./d::/d".into()),
        ("=V".into(), "::".into()),
        ("K".into(), "host::".into()),
        ("K==".into(), "::guest".into()),
        ("K=V=W".into(), "a::b::c".into()),
        ("".into(), "".into()),
    ];
    for _ in 0..40 {
        let mut word = || -> String {
            let n = rng.gen_range(0..10);
            (0..n)
                .map(|_| alphabet[rng.gen_range(0..alphabet.len())])
                .filter(|c| *c != '\0')
                .collect()
        };
        cases.push((word(), word()));
    }
    for (env, dir) in cases {
        let env_ok = env.split_once('=').is_some_and(|(k, _)| !k.is_empty());
        let dir_ok = dir
            .split_once("::")
            .is_some_and(|(h, g)| !h.is_empty() && !g.is_empty());
        let out = hostile_support::nebula(tmp.path(), &tmp.path().join("cache"))
            .args(["invoke", "--module", "/nonexistent/m.wasm"])
            .arg(format!("--env={env}"))
            .arg(format!("--dir={dir}"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{env:?} {dir:?}: {err}");
        match (env_ok, dir_ok) {
            (true, true) => {
                assert_eq!(out.status.code(), Some(1), "{env:?} {dir:?}: {err}");
                assert!(err.contains("module /nonexistent/m.wasm not found"), "{err}");
            }
            (false, _) => {
                assert_eq!(out.status.code(), Some(2), "{env:?}: {err}");
                assert!(err.contains("is not K=V"), "{env:?}: {err}");
            }
            (true, false) => {
                assert_eq!(out.status.code(), Some(2), "{dir:?}: {err}");
                assert!(err.contains("is not HOST::GUEST"), "{dir:?}: {err}");
            }
        }
    }
}

/// Random bytes, bytes behind a wasm header, and single-byte mutations of a valid module:
/// uploads are answered 201/200 (a mutation that is still a valid command module) or 400 with
/// a JSON error, never 5xx; the function served under another name never changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upload_endpoint_rejects_random_and_mutated_modules_cleanly() {
    let s = server_support::start(|_| {});
    let keep = s.put("keep", common::hello("kept"), None).await;
    assert_eq!(keep.status, 201);
    let valid = common::hello("mutant");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0xF022);
    let (mut accepted, mut refused) = (0, 0);
    for i in 0..300 {
        let body: Vec<u8> = match i % 3 {
            0 => (0..rng.gen_range(1..512)).map(|_| rng.gen()).collect(),
            1 => {
                let mut b = b"\0asm\x01\0\0\0".to_vec();
                b.extend((0..rng.gen_range(0..256)).map(|_| rng.gen::<u8>()));
                b
            }
            _ => {
                let mut b = valid.clone();
                let at = rng.gen_range(0..b.len());
                b[at] = rng.gen();
                b
            }
        };
        let r = s.put("target", body, None).await;
        match r.status {
            200 | 201 => accepted += 1,
            400 => {
                refused += 1;
                let v = r.json().unwrap();
                assert_eq!(v["error"], "invalid-module", "{v}");
                assert!(!v["message"].as_str().unwrap().is_empty());
            }
            other => panic!("upload {i}: status {other}: {}", r.text()),
        }
        if i % 25 == 0 {
            let r = s.invoke("keep", "", "").await;
            assert_eq!((r.status, r.text().as_str()), (200, "kept"));
        }
    }
    assert!(refused > 200, "{refused} refused, {accepted} accepted");
    let r = s.invoke("keep", "", "").await;
    assert_eq!((r.status, r.text().as_str()), (200, "kept"));
    let m = s.metrics().await;
    assert_eq!(
        server_support::value(&m, "nebula_uploads_total", &[("outcome", "invalid")]) as usize,
        refused
    );
}
