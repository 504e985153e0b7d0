//! `nebula run` end to end through the binary: every results file, typed columns, statistics that
//! agree with the rows, a killed run resumed to the same set of windows as an uninterrupted one,
//! and a wasm/native output mismatch caught in the rows and the summary.

mod common;

use nebula::experiment::output::WindowRow;
use nebula::export::calls::read_calls;
use nebula::record::CallRow;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CONFIG: &str = r#"name = "e2e"
seed = 5
runtimes = ["wasm", "native"]
repetitions = 4
warmup = 1
min_window = "15ms"
cooldown = "0s"
idle_baseline = "200ms"
[energy]
source = "model"
[[function]]
name = "noop"
[[function]]
name = "fibonacci"
sizes = [10, 90]
"#;

fn nebula() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nebula"));
    c.env("NEBULA_FUNCTIONS", common::suite().root)
        .env("NEBULA_CACHE_DIR", std::env::temp_dir().join("nebula-test-cache"));
    c
}

fn run_to(dir: &Path, config: &Path, extra: &[&str]) -> std::process::Output {
    let out = nebula()
        .arg("run")
        .arg(config)
        .arg("--out")
        .arg(dir)
        .arg("--quiet")
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn windows(dir: &Path) -> Vec<WindowRow> {
    csv::Reader::from_path(dir.join("windows.csv"))
        .unwrap()
        .deserialize()
        .map(|r| r.unwrap())
        .collect()
}

fn keys(rows: &[CallRow]) -> BTreeSet<(String, u32)> {
    rows.iter().map(|r| (r.cell.clone(), r.repetition)).collect()
}

fn write_config(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("e2e.toml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn a_small_run_writes_every_file_with_consistent_contents() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(tmp.path(), CONFIG);
    let dir = tmp.path().join("run");
    let out = run_to(&dir, &cfg, &[]);
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.contains("ESTIMATED") && printed.contains("fibonacci"),
        "summary table: {printed}"
    );
    for f in [
        "calls.csv",
        "windows.csv",
        "summary.csv",
        "comparison.csv",
        "metadata.json",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    // Column names carry units and the file loads into typed rows.
    let header = std::fs::read_to_string(dir.join("calls.csv"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    for col in [
        "wall_ns",
        "compile_ns",
        "kernel_ns",
        "cpu_user_ns",
        "peak_memory_bytes",
        "energy_gross_j",
        "energy_net_j",
        "output_digest",
    ] {
        assert!(header.split(',').any(|c| c == col), "calls.csv lacks {col}");
    }
    let rows = read_calls(&dir.join("calls.csv")).unwrap();
    assert_eq!(
        keys(&rows).len(),
        6 * 4,
        "3 inputs x 2 runtimes x 4 repetitions windows"
    );
    assert!(rows
        .iter()
        .all(|r| r.ok && r.energy_label == "estimated" && r.energy_source == "model"));
    assert!(rows
        .iter()
        .all(|r| r.energy_gross_j.is_some_and(|e| e > 0.0) && r.energy_net_j.is_some()));
    assert!(rows
        .iter()
        .filter(|r| r.runtime == "wasm")
        .all(|r| r.instantiate_ns.is_some() && r.teardown_ns.is_some() && r.spawn_to_exit_ns.is_none()));
    // Exact CPU time for every call, however short: never 0, never more than the wall time on
    // the call's single thread (wasm).
    for r in rows.iter().filter(|r| r.runtime == "wasm") {
        let cpu = r.cpu_user_ns + r.cpu_system_ns;
        assert!(
            cpu > 0 && cpu <= r.wall_ns,
            "{}: cpu {cpu} ns, wall {} ns",
            r.cell,
            r.wall_ns
        );
    }
    assert!(rows
        .iter()
        .filter(|r| r.runtime == "native")
        .all(|r| r.spawn_to_exit_ns.is_some() && r.compile_ns.is_none()));
    assert!(rows
        .iter()
        .filter(|r| r.function == "fibonacci")
        .all(|r| r.kernel_ns.is_some()));
    // Every window's rows say how many calls it had, and the window file agrees.
    let mut per_window: HashMap<u64, u32> = HashMap::new();
    for r in &rows {
        *per_window.entry(r.window_id).or_default() += 1;
    }
    assert!(rows.iter().all(|r| per_window[&r.window_id] == r.calls_in_window));
    let w = windows(&dir);
    assert_eq!(w.len(), 24);
    for win in &w {
        assert_eq!(per_window[&win.window_id], win.calls);
        let sum: f64 = rows
            .iter()
            .filter(|r| r.window_id == win.window_id)
            .filter_map(|r| r.energy_gross_j)
            .sum();
        assert!(
            (sum - win.energy_j.unwrap()).abs() < 1e-9,
            "calls share their window's energy exactly"
        );
        assert!(win.duration_ns as f64 >= 15e6, "windows last at least min_window");
    }
    // The summary's n and median agree with the rows.
    let mut s = csv::Reader::from_path(dir.join("summary.csv")).unwrap();
    let sums: Vec<nebula::export::summary::SummaryRow> = s.deserialize().map(|r| r.unwrap()).collect();
    assert_eq!(sums.len(), 6);
    for srow in &sums {
        let mut walls: Vec<u64> = rows
            .iter()
            .filter(|r| r.function == srow.function && r.input == srow.input && r.runtime == srow.runtime)
            .map(|r| r.wall_ns)
            .collect();
        assert_eq!(srow.n, walls.len());
        assert_eq!(
            srow.energy_n, 4,
            "energy statistics: one value per window, 4 repetitions"
        );
        walls.sort_unstable();
        let m = walls.len();
        let median = if m % 2 == 1 {
            walls[m / 2] as f64
        } else {
            (walls[m / 2 - 1] + walls[m / 2]) as f64 / 2.0
        };
        assert!((srow.wall_median_ns.unwrap() - median).abs() < 1e-6);
        assert!(srow.wall_ci_lo_ns.unwrap() <= median && median <= srow.wall_ci_hi_ns.unwrap());
    }
    let comparison = std::fs::read_to_string(dir.join("comparison.csv")).unwrap();
    assert_eq!(
        comparison.lines().count(),
        1 + 3,
        "one comparison per function and input"
    );
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("metadata.json")).unwrap()).unwrap();
    assert_eq!(meta["status"], "complete");
    assert_eq!(meta["energy"]["label"], "estimated");
    assert!(meta["energy"]["idle_watts"].as_f64().unwrap() > 0.0);
    assert!(meta["machine"]["logical_cores"].as_u64().unwrap() >= 1);
    assert!(meta["versions"]["wasmtime"].as_str().unwrap().starts_with("48."));
    use sha2::Digest;
    let toml = meta["config_toml"].as_str().unwrap();
    assert_eq!(
        meta["config_sha256"].as_str().unwrap(),
        hex::encode(sha2::Sha256::digest(toml.as_bytes()))
    );
    // The same seed gives the same order of windows.
    let order: Vec<String> = w.iter().map(|x| x.cell.clone()).collect();
    let dir2 = tmp.path().join("run2");
    run_to(&dir2, &cfg, &[]);
    assert_eq!(
        order,
        windows(&dir2).iter().map(|x| x.cell.clone()).collect::<Vec<_>>()
    );
    // A run killed after its last window but before its summaries and report: resume writes
    // them (the same bytes: the bootstrap is seeded), and a second resume says there is
    // nothing to do.
    let summaries = || -> Vec<Vec<u8>> {
        ["summary.csv", "comparison.csv"]
            .iter()
            .map(|f| std::fs::read(dir.join(f)).unwrap())
            .collect()
    };
    let before = summaries();
    for f in ["summary.csv", "comparison.csv", "report.html"] {
        std::fs::remove_file(dir.join(f)).unwrap();
    }
    let resume = || {
        nebula()
            .arg("run")
            .arg("--resume")
            .arg(&dir)
            .arg("--quiet")
            .output()
            .unwrap()
    };
    let out = resume();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(before, summaries());
    let report = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(report.contains("<html"), "{report}");
    let out = resume();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already complete"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_killed_run_resumes_to_the_same_windows_as_an_uninterrupted_one() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(
        tmp.path(),
        &CONFIG
            .replace("repetitions = 4", "repetitions = 8")
            .replace("min_window = \"15ms\"", "min_window = \"30ms\""),
    );
    let full = tmp.path().join("full");
    run_to(&full, &cfg, &[]);
    let want = keys(&read_calls(&full.join("calls.csv")).unwrap());
    for (i, kill_after) in [700u64, 1100].into_iter().enumerate() {
        let dir = tmp.path().join(format!("killed-{i}"));
        let mut child = nebula()
            .arg("run")
            .arg(&cfg)
            .arg("--out")
            .arg(&dir)
            .arg("--quiet")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(kill_after));
        child.kill().unwrap(); // SIGKILL: no chance to clean up
        child.wait().unwrap();
        let partial = read_calls(&dir.join("calls.csv")).unwrap_or_default();
        assert!(
            keys(&partial).len() < want.len(),
            "the run was killed before it finished"
        );
        let meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("metadata.json")).unwrap()).unwrap();
        assert_ne!(meta["status"], "complete");
        let out = nebula()
            .arg("run")
            .arg("--resume")
            .arg(&dir)
            .arg("--quiet")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "resume failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let rows = read_calls(&dir.join("calls.csv")).unwrap();
        assert_eq!(
            keys(&rows),
            want,
            "resumed run has the same (cell, repetition) windows"
        );
        let ids: BTreeSet<u64> = rows.iter().map(|r| r.window_id).collect();
        assert_eq!(ids.len(), want.len(), "no window is recorded twice");
        let meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("metadata.json")).unwrap()).unwrap();
        assert_eq!(meta["status"], "complete");
        assert_eq!(meta["resumed"].as_array().unwrap().len(), 1);
    }
}

#[test]
fn a_wasm_native_output_mismatch_is_reported_in_rows_and_summary() {
    // A one-function suite whose native build prints something else than its wasm build.
    let tmp = tempfile::tempdir().unwrap();
    let fdir = tmp.path().join("functions");
    std::fs::create_dir_all(fdir.join("target/wasm32-wasip1/release")).unwrap();
    std::fs::create_dir_all(fdir.join("target/release")).unwrap();
    std::fs::write(
        fdir.join("suite.toml"),
        "[[function]]\nname = \"hello\"\ndescription = \"d\"\ninput = \"any\"\nexample = \"1\"\nsizes = [\"1\"]\n",
    ).unwrap();
    std::fs::write(
        fdir.join("target/wasm32-wasip1/release/hello.wasm"),
        common::hello("hello"),
    )
    .unwrap();
    let native = fdir.join("target/release/hello");
    std::fs::write(&native, "#!/bin/sh\nprintf jello\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&native, std::fs::Permissions::from_mode(0o755)).unwrap();
    let cfg = write_config(tmp.path(), "name = \"mismatch\"\nrepetitions = 2\nmin_window = \"5ms\"\nidle_baseline = \"0s\"\nall_functions = true\n[energy]\nsource = \"model\"\n");
    let dir = tmp.path().join("run");
    let out = Command::new(env!("CARGO_BIN_EXE_nebula"))
        .env("NEBULA_FUNCTIONS", &fdir)
        .env("NEBULA_CACHE_DIR", tmp.path().join("cache"))
        .args([
            "run",
            cfg.to_str().unwrap(),
            "--quiet",
            "--out",
            dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("OUTPUTS DIFFER"));
    let rows = read_calls(&dir.join("calls.csv")).unwrap();
    let wasm: Vec<&CallRow> = rows.iter().filter(|r| r.runtime == "wasm").collect();
    assert!(!wasm.is_empty() && wasm.iter().all(|r| !r.ok && r.error_kind == "digest-mismatch"));
    assert!(
        rows.iter().filter(|r| r.runtime == "native").all(|r| r.ok),
        "native is the reference"
    );
    let cmp = std::fs::read_to_string(dir.join("comparison.csv")).unwrap();
    let header: Vec<&str> = cmp.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "digests_agree").unwrap();
    assert_eq!(cmp.lines().nth(1).unwrap().split(',').nth(col), Some("false"));
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("metadata.json")).unwrap()).unwrap();
    assert!(meta["digest_mismatches"][0]
        .as_str()
        .unwrap()
        .contains("hello(1): wasm output differs"));
}

#[test]
fn an_unwritable_results_directory_is_refused_before_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(tmp.path(), CONFIG);
    let file = tmp.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let t = Instant::now();
    let out = nebula()
        .arg("run")
        .arg(&cfg)
        .arg("--out")
        .arg(file.join("run"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot create") && err.contains("not-a-dir"),
        "{err}"
    );
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "refused before measuring anything"
    );
    let out = nebula().args(["run", "--dry-run"]).arg(&cfg).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("6 cells x 4 repetitions = 24 windows") && text.contains("fibonacci/90/native/c1"),
        "{text}"
    );
}

#[test]
fn an_http_experiment_records_client_latency_next_to_the_servers_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "name = \"h\"\ntarget = \"http\"\nruntimes = [\"wasm\", \"native\"]\nconcurrency = [1, 4]\nrepetitions = 2\nwarmup = 2\nmin_window = \"40ms\"\ncooldown = \"0s\"\nidle_baseline = \"0s\"\n[energy]\nsource = \"model\"\n[[function]]\nname = \"fibonacci\"\nsizes = [\"30\"]\n";
    let cfg = write_config(tmp.path(), text);
    let dir = tmp.path().join("run");
    run_to(&dir, &cfg, &[]);
    let rows = read_calls(&dir.join("calls.csv")).unwrap();
    assert_eq!(
        keys(&rows).len(),
        2 * 2 * 2,
        "2 runtimes x 2 concurrency levels x 2 repetitions"
    );
    assert!(rows.iter().all(|r| r.ok), "{:?}", rows.iter().find(|r| !r.ok));
    for r in &rows {
        let server = r.server_wall_ns.expect("the server's wall time");
        assert!(r.wall_ns >= server, "client latency includes the server's time");
        assert!(
            r.cpu_user_ns + r.cpu_system_ns > 0,
            "the server's CPU time per call"
        );
    }
    assert!(
        rows.iter().any(|r| r.concurrency == 4 && r.worker == 3),
        "4 connections in flight"
    );
    assert_eq!(
        rows.iter()
            .map(|r| r.output_digest.as_str())
            .collect::<BTreeSet<_>>()
            .len(),
        1,
        "one output"
    );
    let server = read_calls(&dir.join("server-calls.csv")).unwrap();
    // The server also answered the reference and warm-up requests.
    assert!(
        server.len() >= rows.len(),
        "{} server rows for {} client rows",
        server.len(),
        rows.len()
    );
    assert!(server
        .iter()
        .all(|r| r.ok && r.function == "fibonacci" && r.input == "30"));
    let bad = write_config(
        tmp.path(),
        &text.replace("[\"wasm\", \"native\"]", "[\"wasm-cold\"]"),
    );
    let out = nebula().arg("run").arg(&bad).arg("--dry-run").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("wasm-cold cannot be driven over HTTP"));
}
