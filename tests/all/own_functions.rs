//! Functions of one's own, through the binary: definitions in a config and in a suite file;
//! arguments, stdin, environment and directories reach the program on wasm and natively; an
//! output disagreement is caught (and `output = "ignore"` waives it); a wasm-only and a
//! native-only function run only where they have a build; every bad definition is refused
//! with the key and the fix; the shipped C examples run end to end with their kernel markers.
//! The test program (`tests/corpus/c/probe.c`) is built here with Debian's clang, which
//! `scripts/test.sh` installs.

use crate::common;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `probe.wasm` and the native `probe`, built once for every test of this module.
fn probe() -> &'static (PathBuf, PathBuf) {
    static BUILT: OnceLock<(tempfile::TempDir, PathBuf, PathBuf)> = OnceLock::new();
    let (_, wasm, native) = BUILT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let src = root().join("tests/corpus/c/probe.c");
        let (wasm, native) = (dir.path().join("probe.wasm"), dir.path().join("probe"));
        for (target, out) in [(Some("--target=wasm32-wasi"), &wasm), (None, &native)] {
            let mut c = Command::new("clang");
            c.args(target).arg("-O2").arg("-o").arg(out).arg(&src);
            let o = c.output().unwrap_or_else(|e| {
                panic!("clang is missing ({e}): scripts/test.sh installs clang lld wasi-libc libclang-rt-dev-wasm32")
            });
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        }
        (dir, wasm, native)
    });
    // The TempDir lives in the static, so the paths stay valid.
    static PATHS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    PATHS.get_or_init(|| (wasm.clone(), native.clone()))
}

fn nebula(cache: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nebula"));
    c.env("NEBULA_FUNCTIONS", common::suite().root)
        .env("NEBULA_CACHE_DIR", cache)
        .env("NEBULA_POWERCAP_ROOT", cache.join("no-powercap"));
    c
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A short run's settings, then `functions` (TOML of `[[function]]` tables).
fn config(dir: &Path, functions: &str) -> PathBuf {
    let p = dir.join("study.toml");
    std::fs::write(
        &p,
        format!(
            "name = \"study\"\nrepetitions = 1\nwarmup = 0\nmin_window = \"1ms\"\nwindow_calls = 2\n\
             cooldown = \"0s\"\nidle_baseline = \"0s\"\noutput_dir = \"{}\"\nenergy = {{ source = \"model\" }}\n{functions}",
            dir.join("results").display()
        ),
    )
    .unwrap();
    p
}

/// `nebula run CFG --quiet` (or another mode, e.g. `--dry-run`), which must succeed.
fn run_ok(dir: &Path, cfg: &Path, mode: &str) -> Output {
    let o = nebula(&dir.join("cache"))
        .arg("run")
        .arg(cfg)
        .arg(mode)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    o
}

/// The calls of the one run under `dir/results`.
fn calls(dir: &Path) -> Vec<nebula::results::CallRow> {
    let run = std::fs::read_dir(dir.join("results"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.is_dir())
        .expect("a run folder");
    nebula::results::read_calls(&run.join("calls.csv")).unwrap()
}

/// The probe's definition with its builds copied next to the config (paths relative to it).
fn probe_in(dir: &Path) -> String {
    let (wasm, native) = probe();
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    std::fs::copy(wasm, dir.join("bin/probe.wasm")).unwrap();
    std::fs::copy(native, dir.join("bin/probe")).unwrap();
    "wasm = \"bin/probe.wasm\"\nnative = \"bin/probe\"\n".into()
}

#[test]
fn args_stdin_and_env_reach_the_program_alike_on_wasm_and_natively() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cfg = config(
        dir,
        &format!(
            "[[function]]\nname = \"probe\"\n{}args = [\"n={{input}}\", \"-x\"]\nstdin = \"in {{input}}\"\n\
             env = {{ PROBE = \"v{{input}}\" }}\nsizes = [7, \"two words\"]\n",
            probe_in(dir)
        ),
    );
    run_ok(dir, &cfg, "--quiet");
    let rows = calls(dir);
    for rt in ["wasm", "native"] {
        assert!(rows.iter().any(|r| r.runtime == rt), "{rt} ran");
    }
    assert!(
        rows.iter().all(|r| r.ok),
        "every call ok (outputs agree): {:?}",
        rows.iter().find(|r| !r.ok)
    );
    // The output the probe prints for input 7, byte for byte, on both runtimes.
    let want = "arg: n=7\narg: -x\nenv: v7\nstdin: in 7\n";
    let digest = nebula::digest::sha256_hex(want.as_bytes());
    let sevens: Vec<_> = rows.iter().filter(|r| r.input == "7").collect();
    assert!(!sevens.is_empty());
    assert!(
        sevens.iter().all(|r| r.output_digest == digest),
        "{:?}",
        sevens[0]
    );
    // The definition and the builds' hashes are recorded.
    let run = std::fs::read_dir(dir.join("results"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("metadata.json")).unwrap()).unwrap();
    assert_eq!(meta["functions"]["probe"]["args"][0], "n={input}");
    // What the markers add to a span on each runtime: a null kernel's median, measured before
    // the first window: about 50-120 ns on the development VM (docs/benchmarks.md), a write
    // system call (several us) had it stayed inside the span; the bound leaves room for a
    // slower CI machine.
    for rt in ["wasm", "native"] {
        let ns = meta["marker_overhead_ns"][rt].as_u64().unwrap_or(0);
        assert!(ns > 0 && ns < 5_000, "{rt}: {}", meta["marker_overhead_ns"]);
    }
    let builds: Vec<&str> = meta["modules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["function"] == "probe")
        .map(|m| m["build"].as_str().unwrap())
        .collect();
    assert_eq!(builds, ["wasm", "native"]);
    let sha = nebula::digest::sha256_hex(&std::fs::read(dir.join("bin/probe.wasm")).unwrap());
    assert!(meta["modules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["sha256"] == sha.as_str()));
}

#[test]
fn a_suite_file_defines_functions_for_run_invoke_and_functions() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir(dir.join("lab")).unwrap();
    std::fs::create_dir(dir.join("lab/data")).unwrap();
    std::fs::write(dir.join("lab/data/note.txt"), "from the data folder\n").unwrap();
    let def = probe_in(&dir.join("lab"));
    std::fs::write(
        dir.join("lab/suite.toml"),
        format!(
            "[[function]]\nname = \"probe\"\ndescription = \"prints what it gets\"\n{def}sizes = [1]\n\n\
             [[function]]\nname = \"reader\"\nwasm = \"bin/probe.wasm\"\nargs = [\"--read\", \"/d/note.txt\"]\n\
             dirs = [\"data::/d\"]\nsizes = [1]\n"
        ),
    )
    .unwrap();
    let suite = dir.join("lab/suite.toml");
    let cache = dir.join("cache");
    let o = nebula(&cache)
        .args(["functions", "--json", "--suite"])
        .arg(&suite)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let probe = list
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "probe")
        .unwrap();
    assert_eq!(
        probe["wasm"],
        dir.join("lab/bin/probe.wasm").display().to_string()
    );
    let reader = list
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "reader")
        .unwrap();
    assert_eq!(reader["native"], serde_json::Value::Null, "wasm only");
    // invoke: the definition places the input (stdin here) on both runtimes.
    for rt in ["wasm", "native"] {
        let o = nebula(&cache)
            .args([
                "invoke",
                "probe",
                "--input",
                "hello",
                "--energy",
                "model",
                "--runtime",
                rt,
                "--suite",
            ])
            .arg(&suite)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{rt}: {}", text(&o));
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            "env: (unset)\nstdin: hello\n",
            "{rt}"
        );
    }
    // A preopened directory of the definition, read-only, relative to the suite file.
    let o = nebula(&cache)
        .args(["invoke", "reader", "--energy", "model", "--suite"])
        .arg(&suite)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("file: from the data folder\n"));
    // run: a config names the suite file and both functions; the wasm-only one has no native cell.
    let cfg = config(
        dir,
        &format!(
            "suite = \"{}\"\n[[function]]\nname = \"probe\"\n[[function]]\nname = \"reader\"\n",
            suite.display()
        ),
    );
    let o = run_ok(dir, &cfg, "--dry-run");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("probe/1/wasm/c1") && out.contains("probe/1/native/c1"),
        "{out}"
    );
    assert!(
        out.contains("reader/1/wasm/c1") && !out.contains("reader/1/native"),
        "{out}"
    );
}

#[test]
fn outputs_that_differ_are_caught_unless_ignored_and_one_build_runs_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let def = probe_in(dir);
    // The native build is another program: `echo` prints something else.
    let differ = "[[function]]\nname = \"odd\"\nwasm = \"bin/probe.wasm\"\nnative = [\"echo\", \"elsewhere\"]\nsizes = [1]\n";
    let cfg = config(dir, differ);
    run_ok(dir, &cfg, "--quiet");
    let rows = calls(dir);
    let wasm: Vec<_> = rows.iter().filter(|r| r.runtime == "wasm").collect();
    assert!(
        !wasm.is_empty() && wasm.iter().all(|r| !r.ok && r.error_kind == "digest-mismatch"),
        "{wasm:?}"
    );
    assert!(rows.iter().filter(|r| r.runtime == "native").all(|r| r.ok));
    // Waived: every call is ok.
    std::fs::remove_dir_all(dir.join("results")).unwrap();
    let cfg = config(dir, &format!("{differ}output = \"ignore\"\n"));
    run_ok(dir, &cfg, "--quiet");
    assert!(calls(dir).iter().all(|r| r.ok));
    // One build each: each runs only on its runtime.
    std::fs::remove_dir_all(dir.join("results")).unwrap();
    let cfg = config(
        dir,
        "[[function]]\nname = \"w\"\nwasm = \"bin/probe.wasm\"\nsizes = [1]\n\
         [[function]]\nname = \"n\"\nnative = \"bin/probe\"\nsizes = [1]\n",
    );
    let o = run_ok(dir, &cfg, "--quiet");
    // The summary table says why these rows have no ratio.
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("w ") && l.ends_with("wasm only: no native build"))
            && table
                .lines()
                .any(|l| l.starts_with("n ") && l.ends_with("native only: no wasm build")),
        "{table}"
    );
    let rows = calls(dir);
    let ran: std::collections::BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| (r.function.clone(), r.runtime.to_string()))
        .collect();
    assert_eq!(
        ran,
        [
            ("n".to_string(), "native".to_string()),
            ("w".to_string(), "wasm".to_string())
        ]
        .into()
    );
    let _ = def;
}

#[test]
fn every_bad_definition_is_refused_with_its_key_and_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let def = probe_in(dir);
    std::fs::write(dir.join("bin/not-exec"), "#!/bin/sh\n").unwrap();
    let cases: &[(&str, &[&str])] = &[
        (
            "[[function]]\nname = \"p\"\nwasm = \"bin/missing.wasm\"\nsizes = [1]\n",
            &[
                "study.toml:12: wasm:",
                "bin/missing.wasm: no such file",
                "Fix: build the module, or fix the path",
            ],
        ),
        (
            "[[function]]\nname = \"p\"\nnative = \"bin/not-exec\"\nsizes = [1]\n",
            &[": native:", "is not executable", "Fix: chmod +x"],
        ),
        (
            "[[function]]\nname = \"p\"\nnative = []\nsizes = [1]\n",
            &[
                ": native:",
                "the native command list is empty",
                "Fix: write the program first",
            ],
        ),
        (
            "[[function]]\nname = \"p\"\nstdin = \"x\"\nsizes = [1]\n",
            &[": wasm:", "names no build", "Fix: give `wasm"],
        ),
        (
            "[[function]]\nname = \"sort\"\nwasm = \"bin/probe.wasm\"\nsizes = [1]\n",
            &[
                ": name:",
                "'sort' is a suite function",
                "Fix: give your function another name",
            ],
        ),
        (
            &format!("[[function]]\nname = \"p\"\n{def}dirs = [\"nohost\"]\nsizes = [1]\n"),
            &[
                ": dirs:",
                "'nohost' is not HOST::GUEST",
                "Fix: write each directory as host::guest",
            ],
        ),
        (
            &format!("[[function]]\nname = \"p\"\n{def}output = \"maybe\"\nsizes = [1]\n"),
            &["study.toml:", "unknown variant `maybe`"],
        ),
        (
            &format!("[[function]]\nname = \"p\"\n{def}argv = [\"x\"]\nsizes = [1]\n"),
            &["study.toml:", "unknown field `argv`"],
        ),
        (
            "suite = \"nosuch.toml\"\n",
            &[": suite:", "cannot read the suite file", "nosuch.toml"],
        ),
    ];
    for (functions, needles) in cases {
        let cfg = config(dir, functions);
        let o = nebula(&dir.join("cache"))
            .arg("run")
            .arg(&cfg)
            .arg("--dry-run")
            .output()
            .unwrap();
        let t = text(&o);
        assert_eq!(o.status.code(), Some(1), "{functions}: {t}");
        assert!(!t.contains("panicked"), "{t}");
        for n in *needles {
            assert!(t.contains(n), "{functions}: wanted {n:?} in {t}");
        }
    }
}

#[test]
fn the_c_examples_run_end_to_end_with_their_kernel_markers() {
    let tmp = tempfile::tempdir().unwrap();
    let build = root().join("examples/c/build");
    assert!(
        build.join("fib.wasm").is_file() && build.join("fib").is_file(),
        "the C examples are not built: run scripts/build-examples.sh (scripts/test.sh does)"
    );
    let out = tmp.path().join("results");
    let o = nebula(&tmp.path().join("cache"))
        .args(["run", "experiments/c-examples.toml", "--quiet"])
        .args([
            "--set",
            "repetitions=1",
            "--set",
            "idle_baseline=\"0s\"",
            "--set",
            "energy.source=\"model\"",
        ])
        .arg("--set")
        .arg(format!("output_dir=\"{}\"", out.display()))
        .current_dir(root())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let run = std::fs::read_dir(&out).unwrap().flatten().next().unwrap().path();
    let rows = nebula::results::read_calls(&run.join("calls.csv")).unwrap();
    for f in ["fib-c", "matmul-c", "sieve-c"] {
        for rt in ["wasm", "native"] {
            let mine: Vec<_> = rows
                .iter()
                .filter(|r| r.function == f && r.runtime == rt)
                .collect();
            assert!(!mine.is_empty(), "{f} on {rt}");
            assert!(mine.iter().all(|r| r.ok), "{f} on {rt}: outputs agree");
            assert!(
                mine.iter()
                    .all(|r| r.kernel_ns.is_some_and(|k| k > 0 && k <= r.wall_ns)),
                "{f} on {rt}: the kernel markers of nebula.h: {:?}",
                mine[0]
            );
        }
    }
}

#[test]
fn a_resume_refuses_a_run_whose_own_build_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cfg = config(
        dir,
        &format!("[[function]]\nname = \"probe\"\n{}sizes = [1]\n", probe_in(dir)),
    );
    run_ok(dir, &cfg, "--quiet");
    let run = std::fs::read_dir(dir.join("results"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    // Back to a run interrupted before its first window, then the wasm build is replaced.
    for f in ["calls.csv", "windows.csv"] {
        let text = std::fs::read_to_string(run.join(f)).unwrap();
        std::fs::write(run.join(f), text.lines().next().unwrap().to_string() + "\n").unwrap();
    }
    let mut meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("metadata.json")).unwrap()).unwrap();
    meta["status"] = "interrupted".into();
    meta["windows_done"] = 0.into();
    std::fs::write(run.join("metadata.json"), meta.to_string()).unwrap();
    std::fs::write(dir.join("bin/probe.wasm"), common::hello("another program")).unwrap();
    let o = nebula(&dir.join("cache"))
        .arg("run")
        .arg("--resume")
        .arg(&run)
        .output()
        .unwrap();
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains("the wasm build of 'probe' changed since the run started")
            && t.contains("Restore the original build to finish this run"),
        "{t}"
    );
    // Nothing was measured with the other build.
    assert!(nebula::results::read_calls(&run.join("calls.csv"))
        .unwrap()
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_serves_a_suite_files_functions_with_their_definitions() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let def = probe_in(&dir);
    std::fs::write(
        dir.join("suite.toml"),
        format!(
            "[[function]]\nname = \"probe\"\n{def}args = [\"got {{input}}\"]\nenv = {{ PROBE = \"set\" }}\n"
        ),
    )
    .unwrap();
    let suite_root = common::suite().root;
    let s = crate::server_support::start(|c| {
        c.suite_root = Some(suite_root);
        c.suite_file = Some(dir.join("suite.toml"));
    });
    for query in ["", "?runtime=native"] {
        let r = s.invoke("probe", query, "hi").await;
        assert_eq!(r.status, 200, "{query}: {}", r.text());
        assert_eq!(r.text(), "arg: got hi\nenv: set\nstdin: \n", "{query}");
    }
}
