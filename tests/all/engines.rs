//! wasmtime's engines as runtimes: every suite function gives `wasm`'s output on Cranelift at
//! each opt level, Winch and Pulley, warm and cold; every engine bounds a call (timeout, memory
//! cap); the module cache keeps the engines' artifacts apart; a run of the new runtimes records
//! them in calls.csv and each engine's settings in metadata.json; config validation names the
//! runtimes and refuses those this machine or target cannot run, with the fix.

use crate::common;

use common::*;
use nebula::experiment::config::parse;
use nebula::results::metadata::EngineSettings;
use nebula::results::metadata::Metadata;
use nebula::runtime::engine::{engine_settings, EngineKind};
use nebula::runtime::{self, CallError, CallInput, RuntimeKind};
use std::collections::BTreeSet;
use std::time::Duration;

/// The runtimes of every engine but the default, warm and cold, that this machine runs
/// (Winch's only on x86_64).
fn engine_runtimes() -> Vec<RuntimeKind> {
    RuntimeKind::ALL
        .into_iter()
        .filter(|k| k.engine().is_some_and(|e| e != EngineKind::Cranelift))
        .filter(|k| k.unsupported_here().is_none())
        .collect()
}

/// The engines this machine runs (Winch only on x86_64).
fn engines_here() -> Vec<EngineKind> {
    EngineKind::ALL
        .into_iter()
        .filter(|e| e.unsupported_here().is_none())
        .collect()
}

/// Each engine's settings as one tuple: (its runtimes, strategy, opt level, target).
fn settings_rows(s: &[EngineSettings]) -> Vec<(String, String, Option<String>, String)> {
    s.iter()
        .map(|e| {
            (
                e.runtimes.join(","),
                e.strategy.clone(),
                e.opt_level.clone(),
                e.target.clone(),
            )
        })
        .collect()
}

fn input(n: &str) -> CallInput {
    CallInput {
        stdin: n.as_bytes().to_vec(),
        ..CallInput::default()
    }
}

#[test]
fn every_suite_function_gives_wasms_output_on_every_engine() {
    let tmp = tempfile::tempdir().unwrap();
    let h = host(tmp.path(), 60_000, 1 << 30);
    let suite = suite();
    let mut compared = 0;
    for spec in &suite.functions {
        let path = suite.build_for(&spec.name, RuntimeKind::Wasm.build()).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        // The two smallest sizes: enough work to exercise each engine, quick on Pulley.
        for n in spec.sizes.iter().take(2) {
            let want = runtime::prepare_wasm(RuntimeKind::Wasm, &h, &spec.name, &bytes)
                .unwrap()
                .call(&input(n));
            assert!(want.ok(), "{}({n}) on wasm: {:?}", spec.name, want.error);
            for rt in engine_runtimes() {
                let r = runtime::prepare_wasm(rt, &h, &spec.name, &bytes).unwrap();
                assert_eq!(r.kind(), rt);
                let o = r.call(&input(n));
                assert!(
                    o.ok(),
                    "{}({n}) on {rt}: {:?} {}",
                    spec.name,
                    o.error,
                    String::from_utf8_lossy(&o.stderr_tail)
                );
                assert_eq!(o.runtime, rt);
                assert_eq!(
                    String::from_utf8_lossy(&o.stdout),
                    String::from_utf8_lossy(&want.stdout),
                    "{}({n}): {rt} and wasm disagree",
                    spec.name
                );
                assert_eq!(
                    o.kernel.is_some(),
                    spec.markers,
                    "{}({n}) markers on {rt}",
                    spec.name
                );
                assert_eq!(o.phases.compile.is_some(), rt.is_cold(), "{rt}: compile phase");
                compared += 1;
            }
        }
    }
    assert!(
        compared >= engine_runtimes().len() * 2 * 12,
        "compared only {compared} outputs"
    );
    // And one value checked outright on each engine: fibonacci(10).
    let fib = std::fs::read(suite.build_for("fibonacci", RuntimeKind::Wasm.build()).unwrap()).unwrap();
    for rt in engine_runtimes() {
        let o = runtime::prepare_wasm(rt, &h, "fibonacci", &fib)
            .unwrap()
            .call(&input("10"));
        assert_eq!(
            String::from_utf8_lossy(&o.stdout).trim(),
            "0 1 1 2 3 5 8 13 21 34",
            "{rt}"
        );
    }
    // One engine per configuration, each created on first use.
    assert_eq!(h.engines_created(), engines_here());
}

#[test]
fn every_engine_stops_an_endless_loop_and_a_growth_past_the_cap() {
    let tmp = tempfile::tempdir().unwrap();
    let h = host(tmp.path(), 300, 32 << 20);
    for rt in engine_runtimes() {
        let looping = runtime::prepare_wasm(rt, &h, "loop", &wat(LOOP_FOREVER)).unwrap();
        let o = looping.call(&CallInput::default());
        assert_eq!(
            o.error,
            Some(CallError::Timeout(Duration::from_millis(300))),
            "{rt}"
        );
        assert!(
            o.wall < Duration::from_secs(3),
            "{rt}: stopped after {:?}",
            o.wall
        );
        let growing = runtime::prepare_wasm(rt, &h, "grow", &wat(GROW_FOREVER)).unwrap();
        let o = growing.call(&CallInput::default());
        assert_eq!(o.error, Some(CallError::MemoryLimit(32 << 20)), "{rt}");
        assert!(
            o.peak_memory_bytes <= 32 << 20,
            "{rt}: {} bytes",
            o.peak_memory_bytes
        );
    }
}

#[test]
fn the_cache_keeps_each_engines_artifacts_apart() {
    let tmp = tempfile::tempdir().unwrap();
    let h = host(tmp.path(), 2000, 64 << 20);
    let module = hello("cached");
    let kinds = engines_here();
    let mut artifacts = Vec::new();
    for &kind in &kinds {
        let engine = h.engine(kind).unwrap();
        let first = engine.cache.load_or_compile(&engine.engine, &module).unwrap();
        assert_eq!(
            first.status,
            nebula::runtime::cache::CacheStatus::Compiled,
            "{kind:?}"
        );
        let again = engine.cache.load_or_compile(&engine.engine, &module).unwrap();
        assert_eq!(again.status, nebula::runtime::cache::CacheStatus::Hit, "{kind:?}");
        let path = engine.cache.artifact_path(&first.sha256);
        assert!(path.is_file(), "{kind:?}: {}", path.display());
        artifacts.push(path);
    }
    let distinct: BTreeSet<_> = artifacts.iter().collect();
    assert_eq!(
        distinct.len(),
        kinds.len(),
        "one artifact per engine: {artifacts:?}"
    );
    let on_disk = std::fs::read_dir(h.cache_dir())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "cwasm")
        })
        .count();
    assert_eq!(on_disk, kinds.len());
    // wasmtime refuses an artifact of another compiler or target; it loads one of another
    // Cranelift opt level (the code is compatible), so the cache's key keeps those apart: each
    // artifact's name carries its engine's.
    let cranelift = |k: EngineKind| k.strategy() == "cranelift" && k.target() != "pulley64";
    for (i, kind) in kinds.iter().enumerate() {
        let engine = h.engine(*kind).unwrap();
        let name = artifacts[i].file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.contains(&format!("-{}-", kind.name())), "{name}");
        for (j, path) in artifacts.iter().enumerate() {
            // SAFETY: the artifacts were written by this test through the cache, just now.
            let loaded = unsafe { wasmtime::Module::deserialize_file(&engine.engine, path) };
            let same = i == j || (cranelift(*kind) && cranelift(kinds[j]));
            assert_eq!(loaded.is_ok(), same, "{kind:?} loading {:?}'s artifact", kinds[j]);
        }
    }
    // A warm function on each engine runs from its own artifact.
    for rt in [RuntimeKind::Wasm, RuntimeKind::WasmWinch, RuntimeKind::WasmPulley]
        .into_iter()
        .filter(|k| k.unsupported_here().is_none())
    {
        let o = runtime::prepare_wasm(rt, &h, "c", &module)
            .unwrap()
            .call(&CallInput::default());
        assert_eq!(o.stdout, b"cached", "{rt}");
    }
}

#[test]
fn each_engines_settings_are_recorded_and_winch_is_refused_off_x86_64_with_the_fix() {
    let s = engine_settings(&[
        RuntimeKind::Native,
        RuntimeKind::Wasm,
        RuntimeKind::WasmWinch,
        RuntimeKind::WasmCold,
        RuntimeKind::WasmPulleyCold,
        RuntimeKind::WasmOptNone,
    ]);
    let host = EngineKind::Cranelift.target().to_string();
    assert!(host.starts_with(std::env::consts::ARCH), "{host}");
    let some = |o: &str| Some(o.to_string());
    assert_eq!(
        settings_rows(&s),
        vec![
            (
                "wasm,wasm-cold".into(),
                "cranelift".into(),
                some("speed"),
                host.clone()
            ),
            (
                "wasm-opt-none".into(),
                "cranelift".into(),
                some("none"),
                host.clone()
            ),
            ("wasm-winch".into(), "winch".into(), None, host),
            (
                "wasm-pulley-cold".into(),
                "cranelift".into(),
                some("speed"),
                "pulley64".into()
            ),
        ]
    );
    assert!(s.iter().all(|e| e.wasmtime.starts_with("48.")), "{s:?}");
    let (problem, fix) = EngineKind::Winch.unsupported_on("aarch64").unwrap();
    assert!(
        problem.contains("only for x86_64") && problem.contains("aarch64"),
        "{problem}"
    );
    assert!(
        fix.contains("wasm-opt-none") && fix.contains("wasm-pulley"),
        "{fix}"
    );
    assert_eq!(EngineKind::Winch.unsupported_on("x86_64"), None);
    assert_eq!(EngineKind::Pulley.unsupported_on("riscv64"), None);
}

const CONFIG: &str = r#"name = "t"
repetitions = 2
runtimes = ["wasm", "native"]

[[function]]
name = "fibonacci"
sizes = [10]
"#;

fn config_error(text: &str) -> String {
    match parse("exp.toml", text, &[], &suite()) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn config_validation_accepts_the_engines_and_names_them_for_an_unknown_one() {
    let here: Vec<RuntimeKind> = RuntimeKind::ALL
        .into_iter()
        .filter(|k| k.unsupported_here().is_none())
        .collect();
    let all: Vec<String> = here.iter().map(|k| format!("\"{k}\"")).collect();
    let text = CONFIG.replace("[\"wasm\", \"native\"]", &format!("[{}]", all.join(", ")));
    let plan = parse("exp.toml", &text, &[], &suite()).unwrap();
    assert_eq!(plan.runtimes, here);
    let e = config_error(&CONFIG.replace("\"native\"]", "\"wasm-lightbeam\"]"));
    assert!(
        e.starts_with("exp.toml:3: runtimes: unknown runtime 'wasm-lightbeam'"),
        "{e}"
    );
    for name in [
        "wasm-winch",
        "wasm-pulley-cold",
        "wasm-opt-none",
        "wasm-opt-size-cold",
    ] {
        assert!(e.contains(&format!("\"{name}\"")), "the fix names {name}: {e}");
    }
    let e = config_error(&format!(
        "target = \"http\"\n{}",
        CONFIG.replace("\"native\"]", "\"wasm-winch\"]")
    ));
    assert!(
        e.contains("wasm-winch cannot be driven over HTTP") && e.contains("use \"wasm\" and/or \"native\""),
        "{e}"
    );
}

#[test]
fn a_run_of_the_engines_records_them_in_calls_and_their_settings_in_metadata() {
    if let Some((problem, _)) = RuntimeKind::WasmWinch.unsupported_here() {
        eprintln!("skipped: the run includes wasm-winch, and {problem}");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("engines.toml");
    std::fs::write(
        &cfg,
        r#"name = "engines"
runtimes = ["wasm", "wasm-winch", "wasm-pulley-cold", "wasm-opt-size"]
repetitions = 2
warmup = 1
min_window = "5ms"
cooldown = "0s"
idle_baseline = "100ms"
[energy]
source = "model"
[[function]]
name = "fibonacci"
sizes = [20]
"#,
    )
    .unwrap();
    let dir = tmp.path().join("run");
    crate::experiment_run::run_to(&dir, &cfg, &[]);
    let rows = nebula::results::read_calls(&dir.join("calls.csv")).unwrap();
    let runtimes: BTreeSet<&str> = rows.iter().map(|r| r.runtime.as_str()).collect();
    assert_eq!(
        runtimes,
        BTreeSet::from(["wasm", "wasm-opt-size", "wasm-pulley-cold", "wasm-winch"])
    );
    assert!(rows.iter().all(|r| r.ok), "every call ok");
    let digests: BTreeSet<&str> = rows.iter().map(|r| r.output_digest.as_str()).collect();
    assert_eq!(digests.len(), 1, "one output on every engine: {digests:?}");
    for r in &rows {
        assert_eq!(
            r.compile_ns.is_some(),
            r.runtime == "wasm-pulley-cold",
            "{}",
            r.runtime
        );
    }
    let meta: Metadata = serde_json::from_slice(&std::fs::read(dir.join("metadata.json")).unwrap()).unwrap();
    let engines = settings_rows(&meta.engines);
    let host = meta.engines[0].target.clone();
    assert_eq!(
        engines,
        vec![
            (
                "wasm".into(),
                "cranelift".into(),
                Some("speed".into()),
                host.clone()
            ),
            (
                "wasm-opt-size".into(),
                "cranelift".into(),
                Some("speed-and-size".into()),
                host.clone()
            ),
            ("wasm-winch".into(), "winch".into(), None, host.clone()),
            (
                "wasm-pulley-cold".into(),
                "cranelift".into(),
                Some("speed".into()),
                "pulley64".into()
            ),
        ]
    );
    assert!(host.starts_with("x86_64-"), "{host}");
    assert_eq!(meta.engines[0].wasmtime, meta.versions.wasmtime);
    // The comparison table holds each engine against warm `wasm`.
    let table = std::fs::read_to_string(dir.join("comparison.csv")).unwrap();
    for pair in ["wasm-winch,wasm,", "wasm-opt-size,wasm,"] {
        assert!(table.contains(pair), "comparison.csv lacks {pair}: {table}");
    }
}

#[test]
fn metadata_without_engines_still_reads() {
    // A metadata.json from before engines were recorded: the field is absent.
    let tmp = tempfile::tempdir().unwrap();
    crate::fixture_run::write_run(tmp.path(), "old-run", crate::fixture_run::Spec::default());
    let text = std::fs::read_to_string(tmp.path().join("metadata.json")).unwrap();
    assert!(!text.contains("\"engines\""), "an empty list is left out");
    let meta: Metadata = serde_json::from_str(&text).unwrap();
    assert!(meta.engines.is_empty());
}
