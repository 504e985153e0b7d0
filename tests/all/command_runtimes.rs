//! Runtimes defined by a command template: Node's WASI (the shipped `node`, installed by the
//! test script) and Nebula's own `invoke --module` as external runtimes run suite functions and
//! a C function of one's own, agree with native, report kernel time and record their versions;
//! the long comparison.csv holds their rows with figures checked against a computation here; a
//! missing program is refused before anything runs, with its install line; a module stripped of
//! its marker imports gives the original's output.

use crate::common;
use crate::experiment_run::{nebula, run_to};
use common::*;
use nebula::results::comparison::ComparisonRow;
use nebula::results::metadata::Metadata;
use nebula::runtime::{self, CallInput, RuntimeKind};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn examples() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/c/build")
}

fn node_version() -> String {
    let out = std::process::Command::new("node")
        .arg("--version")
        .output()
        .expect("node is installed by scripts/test.sh");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A config of `runtimes` over fibonacci, sha256 and the C `fib` of one's own, with `extra`.
fn config(dir: &Path, runtimes: &str, extra: &str) -> std::path::PathBuf {
    let ex = examples();
    let text = format!(
        r#"name = "external"
runtimes = {runtimes}
repetitions = 3
warmup = 1
min_window = "5ms"
window_calls = 4
cooldown = "0s"
idle_baseline = "100ms"
{extra}
[energy]
source = "model"
[[function]]
name = "fibonacci"
sizes = [25]
[[function]]
name = "sha256"
sizes = [1000]
[[function]]
name = "fib-c"
wasm = "{}"
native = "{}"
args = ["{{input}}"]
sizes = [20]
"#,
        ex.join("fib.wasm").display(),
        ex.join("fib").display()
    );
    let path = dir.join("external.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Median of `xs` (type 7, as the tables compute it).
fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    median_by_hand(&xs)
}

#[test]
fn node_runs_suite_and_own_functions_agreeing_with_native_and_the_comparison_holds_its_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), r#"["native", "node", "wasm"]"#, "");
    let dir = tmp.path().join("run");
    run_to(&dir, &cfg, &[]);
    let rows = nebula::results::read_calls(&dir.join("calls.csv")).unwrap();
    let node: Vec<_> = rows.iter().filter(|r| r.runtime == "node").collect();
    let functions: BTreeSet<&str> = node.iter().map(|r| r.function.as_str()).collect();
    assert_eq!(functions, BTreeSet::from(["fib-c", "fibonacci", "sha256"]));
    assert!(node.iter().all(|r| r.ok), "every node call ok");
    // Measured as native is: spawn to exit, the child's CPU time; the kernel from the script.
    assert!(node
        .iter()
        .all(|r| r.spawn_to_exit_ns.is_some() && r.compile_ns.is_none()));
    assert!(node.iter().all(|r| r.cpu_user_ns + r.cpu_system_ns > 0));
    for r in &node {
        let k = r.kernel_ns.expect("node reports the kernel");
        assert!(
            k > 0 && k < r.wall_ns,
            "kernel {k} within the call's {}",
            r.wall_ns
        );
    }
    // Each (function, input) has one output on every runtime.
    let mut digests: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in &rows {
        digests.entry(&r.function).or_default().insert(&r.output_digest);
    }
    assert!(digests.values().all(|d| d.len() == 1), "{digests:?}");

    let meta: Metadata = serde_json::from_slice(&std::fs::read(dir.join("metadata.json")).unwrap()).unwrap();
    assert!(meta.digest_mismatches.is_empty(), "{:?}", meta.digest_mismatches);
    let [rec] = &meta.command_runtimes[..] else {
        panic!("one command runtime: {:?}", meta.command_runtimes)
    };
    assert_eq!((rec.name.as_str(), rec.markers.as_str()), ("node", "report"));
    assert_eq!(rec.version, node_version());
    assert!(rec.kernel_time && rec.program.ends_with("/node"), "{rec:?}");
    assert!(
        meta.marker_overhead_ns.contains_key("node"),
        "{:?}",
        meta.marker_overhead_ns
    );

    // The long table: node against the reference (native) and wasm against it, on each metric;
    // the latency ratio is the ratio of the medians of the calls, computed here.
    let table: Vec<ComparisonRow> = csv::Reader::from_path(dir.join("comparison.csv"))
        .unwrap()
        .deserialize()
        .map(|r| r.unwrap())
        .collect();
    let pairs: BTreeSet<(&str, &str)> = table
        .iter()
        .map(|r| (r.runtime.as_str(), r.reference.as_str()))
        .collect();
    assert!(
        pairs.contains(&("node", "native")) && pairs.contains(&("wasm", "native")),
        "{pairs:?}"
    );
    for f in ["fibonacci", "sha256", "fib-c"] {
        let wall = |rt: &str| {
            median(
                rows.iter()
                    .filter(|r| r.function == f && r.runtime == rt && r.ok)
                    .map(|r| r.wall_ns as f64)
                    .collect(),
            )
        };
        let row = table
            .iter()
            .find(|r| {
                r.function == f
                    && r.runtime == "node"
                    && r.reference == "native"
                    && r.metric.as_str() == "latency"
            })
            .unwrap_or_else(|| panic!("no node latency row for {f}"));
        let want = wall("node") / wall("native");
        let got = row.ratio.unwrap_or(f64::NAN);
        assert!((got - want).abs() <= 1e-9 * want, "{f}: {got} vs {want}");
        let calls = node.iter().filter(|r| r.function == f).count();
        assert_eq!(row.n, calls, "{f}: a sample per call");
        let kernel = table
            .iter()
            .find(|r| r.function == f && r.runtime == "node" && r.metric.as_str() == "kernel_time");
        assert!(kernel.is_some_and(|k| k.n == calls), "{f}: node's kernel rows");
    }
}

#[test]
fn nebulas_own_invoke_runs_as_an_external_runtime_and_reports_kernels() {
    let tmp = tempfile::tempdir().unwrap();
    let def = format!(
        r#"[[runtime]]
name = "nebula-invoke"
command = ["{}", "invoke", "--module", "{{wasm}}", "--stdin", "-", "--energy", "model", "-o", "/dev/null", "{{args}}"]
arg = ["--arg={{arg}}"]
version = ["{}", "--version"]
install = "cargo build --release"
markers = "report"
"#,
        env!("CARGO_BIN_EXE_nebula"),
        env!("CARGO_BIN_EXE_nebula")
    );
    let cfg = config(
        tmp.path(),
        r#"["wasm", "nebula-invoke"]"#,
        &format!("reference = \"wasm\"\n{def}"),
    );
    let dir = tmp.path().join("run");
    run_to(&dir, &cfg, &[]);
    let rows = nebula::results::read_calls(&dir.join("calls.csv")).unwrap();
    let mut digests: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    for r in &rows {
        assert!(r.ok, "{} on {}: {}", r.function, r.runtime, r.error);
        digests
            .entry((&r.function, r.runtime.as_str()))
            .or_default()
            .insert(&r.output_digest);
    }
    for f in ["fibonacci", "sha256", "fib-c"] {
        assert_eq!(digests[&(f, "wasm")], digests[&(f, "nebula-invoke")], "{f}");
    }
    let invoked: Vec<_> = rows.iter().filter(|r| r.runtime == "nebula-invoke").collect();
    assert!(invoked.iter().all(|r| r.kernel_ns.is_some_and(|k| k < r.wall_ns)));
    let meta: Metadata = serde_json::from_slice(&std::fs::read(dir.join("metadata.json")).unwrap()).unwrap();
    assert_eq!(
        meta.command_runtimes[0].version,
        format!("nebula {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_missing_program_is_refused_before_anything_runs_with_its_install_line() {
    let tmp = tempfile::tempdir().unwrap();
    let def = r#"[[runtime]]
name = "absent"
command = ["nebula-no-such-runtime", "{wasm}"]
install = "pip install nebula-no-such-runtime"
"#;
    let cfg = config(tmp.path(), r#"["wasm", "absent"]"#, def);
    let dir = tmp.path().join("run");
    let out = nebula()
        .arg("run")
        .arg(&cfg)
        .arg("--out")
        .arg(&dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("runtimes: runtime 'absent': its command 'nebula-no-such-runtime' is not on PATH"),
        "{err}"
    );
    assert!(
        err.contains("Fix: install it: pip install nebula-no-such-runtime"),
        "{err}"
    );
    assert!(!dir.exists(), "nothing ran");
    // An unknown name lists the built-in runtimes and the defined ones.
    let cfg = config(tmp.path(), r#"["wasm", "nodejs"]"#, "");
    let out = nebula().arg("run").arg(&cfg).arg("--dry-run").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown runtime 'nodejs'") && err.contains("\"node\", \"native-pinned\""),
        "{err}"
    );
    // A reference that is not one of the runtimes.
    let cfg = config(tmp.path(), r#"["wasm", "native"]"#, "reference = \"node\"");
    let out = nebula().arg("run").arg(&cfg).arg("--dry-run").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("reference: the reference runtime 'node' is not one of the run's runtimes"),
        "{err}"
    );
}

#[test]
fn a_suite_module_without_its_marker_imports_gives_the_same_output() {
    let tmp = tempfile::tempdir().unwrap();
    let h = host(tmp.path(), 30_000, 1 << 30);
    let suite = suite();
    for spec in suite.functions.iter().filter(|f| f.markers) {
        let bytes = std::fs::read(suite.build_for(&spec.name, RuntimeKind::Wasm.build()).unwrap()).unwrap();
        let stripped = runtime::strip::without_markers(&bytes)
            .unwrap()
            .unwrap_or_else(|| panic!("{} imports markers", spec.name));
        let imports: Vec<String> = wasmparser::Parser::new(0)
            .parse_all(&stripped)
            .filter_map(|p| match p.unwrap() {
                wasmparser::Payload::ImportSection(s) => Some(
                    s.into_imports()
                        .map(|i| i.unwrap().module.to_string())
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            })
            .flatten()
            .collect();
        assert!(
            imports.iter().all(|m| m == "wasi_snapshot_preview1"),
            "{}: {imports:?}",
            spec.name
        );
        let n = spec.sizes.first().unwrap();
        let input = CallInput {
            stdin: n.as_bytes().to_vec(),
            ..CallInput::default()
        };
        let run = |b: &[u8]| {
            let o = runtime::prepare_wasm(RuntimeKind::Wasm, &h, &spec.name, b)
                .unwrap()
                .call(&input);
            assert!(o.ok(), "{}: {:?}", spec.name, o.error);
            o
        };
        let (a, b) = (run(&bytes), run(&stripped));
        assert_eq!(a.stdout, b.stdout, "{}", spec.name);
        assert!(
            a.kernel.is_some() && b.kernel.is_none(),
            "{}: the markers are gone",
            spec.name
        );
    }
}
