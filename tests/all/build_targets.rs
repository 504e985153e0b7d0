//! Builds that differ in more than the runtime, through the binary: a run on `wasm`,
//! `wasm-simd128` and `native` records what each build was compiled for (the simd128 module as
//! simd128 with SIMD instructions, the plain one without, the native one with its triple, CPU
//! and features and the crates that choose at run time), the host CPU's features and the
//! suite's notes, and its outputs agree across the three runtimes; a function of one's own runs
//! on `wasm-simd128` from its `wasm_simd128` build and is refused, with the fix, without one;
//! `nebula invoke --runtime wasm-simd128` runs the suite's simd128 build.

use crate::common;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn nebula(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nebula"));
    c.env("NEBULA_FUNCTIONS", common::suite().root)
        .env("NEBULA_CACHE_DIR", dir.join("cache"))
        .env("NEBULA_POWERCAP_ROOT", dir.join("no-powercap"));
    c
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// What `nebula run CFG --dry-run` says when it refuses the config (it must).
fn refused(dir: &Path, cfg: &Path) -> String {
    let o = nebula(dir).arg("run").arg(cfg).arg("--dry-run").output().unwrap();
    assert!(!o.status.success(), "{}", text(&o));
    text(&o)
}

/// A WASI command printing `same\n`, with `extra` instructions run first.
fn printer(extra: &str) -> Vec<u8> {
    common::wat(&format!(
        r#"(module
          (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 16) "same\n")
          (func (export "_start")
            {extra}
            (i32.store (i32.const 0) (i32.const 16))
            (i32.store (i32.const 4) (i32.const 5))
            (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#
    ))
}

/// A config in `dir` over the three runtimes: two suite functions and `own` (TOML tables).
fn config(dir: &Path, own: &str) -> PathBuf {
    let p = dir.join("builds.toml");
    std::fs::write(
        &p,
        format!(
            "name = \"builds\"\nruntimes = [\"wasm\", \"wasm-simd128\", \"native\"]\nrepetitions = 1\n\
             warmup = 0\nmin_window = \"1ms\"\nwindow_calls = 2\ncooldown = \"0s\"\nidle_baseline = \"0s\"\n\
             energy = {{ source = \"model\" }}\n\
             [[function]]\nname = \"matrix-multiply\"\nsizes = [16]\n\
             [[function]]\nname = \"sha256\"\nsizes = [1]\n{own}"
        ),
    )
    .unwrap();
    p
}

/// `function`'s `build` entry of metadata.json's `modules`.
fn module<'a>(meta: &'a Value, function: &str, build: &str) -> &'a Value {
    meta["modules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["function"] == function && m["build"] == build)
        .unwrap_or_else(|| panic!("no {build} build of {function} in {}", meta["modules"]))
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

#[test]
fn a_run_records_what_each_build_was_compiled_for_and_the_outputs_agree() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("vec.wasm"), printer("")).unwrap();
    std::fs::write(
        dir.join("vec.simd128.wasm"),
        printer("(drop (i32x4.extract_lane 0 (i32x4.add (i32x4.splat (i32.const 1)) (i32x4.splat (i32.const 2)))))"),
    )
    .unwrap();
    let cfg = config(
        dir,
        "[[function]]\nname = \"vec\"\nwasm = \"vec.wasm\"\nwasm_simd128 = \"vec.simd128.wasm\"\nsizes = [1]\n",
    );
    let out = dir.join("run");
    let o = nebula(dir)
        .arg("run")
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metadata.json")).unwrap()).unwrap();

    // The plain wasm build: no simd128, no SIMD instruction; the simd128 one: both.
    for f in ["matrix-multiply", "sha256"] {
        let plain = &module(&meta, f, "wasm")["target"];
        assert_eq!(plain["triple"], "wasm32-wasip1", "{plain}");
        assert_eq!(plain["simd128"], false, "{f}: {plain}");
        assert_eq!(plain["simd_instructions"], 0, "{f}: {plain}");
        assert!(!strings(&plain["features"]).contains(&"simd128"), "{plain}");
        assert!(strings(&plain["features"]).contains(&"sign-ext"), "{plain}");
        assert_eq!(plain["rustflags"], "", "{plain}");
        let simd = module(&meta, f, "wasm-simd128");
        assert_eq!(strings(&simd["runtimes"]), ["wasm-simd128"]);
        assert!(simd["path"]
            .as_str()
            .unwrap()
            .contains("target/simd128/wasm32-wasip1/release"));
        let simd = &simd["target"];
        assert_eq!(simd["simd128"], true, "{f}: {simd}");
        assert!(strings(&simd["features"]).contains(&"simd128"), "{simd}");
        assert_eq!(simd["rustflags"], "-C target-feature=+simd128", "{simd}");
        assert!(
            simd["source"]
                .as_str()
                .unwrap()
                .contains("target_features section"),
            "{simd}"
        );
        assert_eq!(strings(&module(&meta, f, "wasm")["runtimes"]), ["wasm"]);
    }
    // matrix-multiply's inner loop is vectorised with simd128.
    let mm = module(&meta, "matrix-multiply", "wasm-simd128")["target"]["simd_instructions"]
        .as_u64()
        .unwrap();
    assert!(mm > 0, "{mm}");

    // The native build: the host's triple, rustc's default CPU and its features.
    for f in ["matrix-multiply", "sha256"] {
        let n = &module(&meta, f, "native")["target"];
        let triple = n["triple"].as_str().unwrap_or_else(|| panic!("{n}"));
        assert!(triple.starts_with(std::env::consts::ARCH), "{triple}");
        assert_eq!(n["simd128"], Value::Null);
        assert_eq!(n["rustflags"], "", "{n}");
        if cfg!(target_arch = "x86_64") {
            assert_eq!(n["cpu"], "x86-64", "{n}");
            assert_eq!(strings(&n["features"]), ["fxsr", "sse", "sse2"], "{n}");
        }
        assert!(
            n["source"]
                .as_str()
                .unwrap()
                .contains("written by scripts/build-functions.sh for this file"),
            "{n}"
        );
    }
    // sha2 could choose SHA-NI at run time but is forced to its portable code; nothing in
    // matrix-multiply chooses.
    let dispatch = &module(&meta, "sha256", "native")["target"]["runtime_dispatch"];
    assert_eq!(dispatch.as_array().unwrap().len(), 1, "{dispatch}");
    assert_eq!(dispatch[0]["name"], "sha2");
    assert_eq!(dispatch[0]["forced_soft"], true);
    assert!(strings(&dispatch[0]["features"]).contains(&"force-soft"));
    let none = &module(&meta, "matrix-multiply", "native")["target"]["runtime_dispatch"];
    assert_eq!(none.as_array().unwrap().len(), 0, "{none}");

    // The host CPU's features, and the suite's notes on what still differs.
    if cfg!(target_arch = "x86_64") {
        assert!(strings(&meta["machine"]["cpu_features"]).contains(&"sse2"));
    }
    let note = meta["build_notes"]["matrix-multiply"].as_str().unwrap();
    assert!(note.contains("SSE2") && note.contains("wasm-simd128"), "{note}");
    assert!(meta["build_notes"]["sha256"]
        .as_str()
        .unwrap()
        .contains("force-soft"));

    // The function of one's own: its simd128 build read from the module, its flags unknown.
    let own = &module(&meta, "vec", "wasm-simd128")["target"];
    assert_eq!(own["simd128"], true, "{own}");
    assert_eq!(own["simd_instructions"], 4, "{own}");
    assert_eq!(own["rustflags"], Value::Null, "{own}");
    assert_eq!(module(&meta, "vec", "wasm")["target"]["simd_instructions"], 0);

    // Every call ok, recorded under its runtime, and one output per input across runtimes.
    let rows = nebula::results::read_calls(&out.join("calls.csv")).unwrap();
    assert!(rows.iter().all(|r| r.ok), "{:?}", rows.iter().find(|r| !r.ok));
    let mut seen: BTreeMap<(String, String), (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    for r in &rows {
        let e = seen.entry((r.function.clone(), r.input.clone())).or_default();
        e.0.insert(r.runtime.as_str().to_string());
        e.1.insert(r.output_digest.clone());
    }
    let all: BTreeSet<String> = ["native", "wasm", "wasm-simd128"].map(String::from).into();
    for ((f, input), (runtimes, digests)) in &seen {
        let want = if f == "vec" {
            ["wasm", "wasm-simd128"].map(String::from).into()
        } else {
            all.clone()
        };
        assert_eq!(runtimes, &want, "{f}({input})");
        assert_eq!(digests.len(), 1, "{f}({input}): {digests:?}");
    }
    assert_eq!(seen.len(), 3);
    assert_eq!(meta["digest_mismatches"].as_array().unwrap().len(), 0);

    // The report shows the builds and the host's features.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("id=\"builds-table\""));
    assert!(html.contains("-C target-feature=+simd128"));
    assert!(html.contains("sha2 0.10.9 (portable only: force-soft)"));
    assert!(html.contains("id=\"build-notes\""));
}

#[test]
fn an_own_function_without_a_simd128_build_is_refused_for_wasm_simd128() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("plain.wasm"), printer("")).unwrap();
    let cfg = config(
        dir,
        "[[function]]\nname = \"plain\"\nwasm = \"plain.wasm\"\nsizes = [1]\n",
    );
    let t = refused(dir, &cfg);
    assert!(
        t.contains("function 'plain' has no wasm-simd128 build")
            && t.contains("give `wasm_simd128")
            && t.contains("leave wasm-simd128 out of `runtimes`"),
        "{t}"
    );
    // A simd128 build with no plain one to compare it with is refused too.
    std::fs::write(
        &cfg,
        std::fs::read_to_string(&cfg)
            .unwrap()
            .replace("wasm = \"plain.wasm\"", "wasm_simd128 = \"plain.wasm\""),
    )
    .unwrap();
    let t = refused(dir, &cfg);
    assert!(t.contains("names a simd128 build but no plain one"), "{t}");
}

#[test]
fn invoke_runs_the_suites_simd128_build() {
    let tmp = tempfile::tempdir().unwrap();
    let mut digests = BTreeSet::new();
    for rt in ["wasm", "wasm-simd128"] {
        let o = nebula(tmp.path())
            .args(["invoke", "matrix-multiply", "--input", "8", "--runtime", rt])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
        let report = String::from_utf8_lossy(&o.stderr);
        assert!(
            report.contains(&format!("matrix-multiply on {rt}: ok")),
            "{report}"
        );
        digests.insert(o.stdout);
    }
    assert_eq!(digests.len(), 1, "the same output on wasm and wasm-simd128");
    let o = nebula(tmp.path())
        .args(["invoke", "--module"])
        .arg(tmp.path().join("x.wasm"))
        .args(["--runtime", "wasm-simd128"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        text(&o).contains("name a function for --runtime wasm-simd128"),
        "{}",
        text(&o)
    );
}
