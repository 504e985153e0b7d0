//! `nebula run` end to end through the binary: every results file, typed columns, statistics that
//! agree with the rows, a killed run resumed to the same set of windows as an uninterrupted one,
//! and a wasm/native output mismatch caught in the rows and the summary. The run folder: unique
//! run ids, the lock that refuses a second run or resume while one runs, and no folder left by a
//! run that fails before its first window (a failing input or energy source, also caught by
//! `--dry-run`).

use crate::common;
use nebula::results::comparison::Metric;

use nebula::results::call::{CallRow, EnergyLabel};
use nebula::results::read_calls;
use nebula::results::WindowRow;
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

pub fn nebula() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nebula"));
    c.env("NEBULA_FUNCTIONS", common::suite().root)
        .env("NEBULA_CACHE_DIR", std::env::temp_dir().join("nebula-test-cache"));
    c
}

/// `nebula run CONFIG --out DIR`, to completion.
fn run_into(cfg: &Path, dir: &Path) -> std::process::Output {
    nebula()
        .arg("run")
        .arg(cfg)
        .arg("--out")
        .arg(dir)
        .output()
        .unwrap()
}

/// `nebula run CONFIG --out DIR --quiet EXTRA...`, which must succeed.
pub fn run_to(dir: &Path, config: &Path, extra: &[&str]) -> std::process::Output {
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

/// `nebula run CONFIG --out DIR --quiet` in the background, output discarded.
fn spawn_run(config: &Path, dir: &Path) -> std::process::Child {
    nebula()
        .arg("run")
        .arg(config)
        .arg("--out")
        .arg(dir)
        .arg("--quiet")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
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
        .all(|r| r.ok && r.energy_label == Some(EnergyLabel::Estimated) && r.energy_source == "model"));
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
    let sums: Vec<nebula::results::SummaryRow> = s.deserialize().map(|r| r.unwrap()).collect();
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
    // Per input, wasm against native on whole calls and on the kernel, the kernel ratio from
    // the rows' kernel times.
    let comparison: Vec<nebula::results::ComparisonRow> =
        nebula::results::files::read_rows(&dir.join("comparison.csv")).unwrap();
    let mut kernel_rows = 0;
    for input in sums.iter().map(|s| s.input.as_str()) {
        let find = |m: Metric| {
            comparison
                .iter()
                .find(|c| c.input == input && c.runtime == "wasm" && c.reference == "native" && c.metric == m)
        };
        let of = |m: Metric| find(m).unwrap_or_else(|| panic!("no wasm/native {m} row of input {input}"));
        let kernels = |rt: &str| -> Vec<f64> {
            rows.iter()
                .filter(|r| r.input == input && r.runtime == rt)
                .filter_map(|r| r.kernel_ns.map(|k| k as f64))
                .collect()
        };
        let ok_wasm = rows
            .iter()
            .filter(|r| r.input == input && r.runtime == "wasm" && r.ok)
            .count();
        assert_eq!(of(Metric::Latency).n, ok_wasm);
        assert_eq!(of(Metric::Energy).n, 4, "one energy sample per window");
        let (w, n) = (kernels("wasm"), kernels("native"));
        if w.is_empty() && n.is_empty() {
            // A function without markers has no kernel to compare.
            assert!(find(Metric::KernelTime).is_none());
            continue;
        }
        kernel_rows += 1;
        let k = of(Metric::KernelTime);
        assert_eq!((k.n, k.n_reference), (w.len(), n.len()));
        assert!(
            (k.ratio.unwrap() - common::median_by_hand(&w) / common::median_by_hand(&n)).abs() < 1e-9,
            "{k:?}"
        );
    }
    assert!(kernel_rows > 0, "a function of the run marks its kernel");
    assert!(comparison
        .iter()
        .all(|c| c.p_adjust == "holm" && c.p_adjusted >= c.p_value));
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("metadata.json")).unwrap()).unwrap();
    assert_eq!(meta["status"], "complete");
    assert_eq!(meta["energy"]["label"], "estimated");
    assert!(meta["energy"]["idle_watts"].as_f64().unwrap() > 0.0);
    assert!(meta["machine"]["logical_cores"].as_u64().unwrap() >= 1);
    assert!(meta["versions"]["wasmtime"].as_str().unwrap().starts_with("48."));
    // What each function's input is, for the charts of the folder wherever it is read.
    assert_eq!(meta["inputs"]["fibonacci"]["label"], "n (number of terms)");
    assert!(meta["inputs"].get("sha256").is_none(), "only the run's functions");
    use sha2::Digest;
    let toml = meta["config_toml"].as_str().unwrap();
    assert_eq!(
        meta["config_sha256"].as_str().unwrap(),
        hex::encode(sha2::Sha256::digest(toml.as_bytes()))
    );
    // The model's coefficients as numbers (the defaults: 0.74 W per vCPU idle, 2.76 W per busy
    // core), the one baseline, and the hash of every module file run.
    let cores = meta["machine"]["logical_cores"].as_f64().unwrap();
    let model = &meta["energy"]["model"];
    assert!(
        (model["idle_watts"].as_f64().unwrap() - 0.74 * cores).abs() < 1e-9,
        "{model}"
    );
    assert!(
        (model["active_watts_per_core"].as_f64().unwrap() - 2.76).abs() < 1e-9,
        "{model}"
    );
    assert_eq!(model["default_busy_watts_per_vcpu"].as_f64(), Some(3.5));
    let baselines = meta["energy"]["baselines"].as_array().unwrap();
    assert_eq!(baselines.len(), 1);
    assert_eq!(baselines[0]["watts"], meta["energy"]["idle_watts"]);
    let suite = common::suite();
    let root = std::fs::canonicalize(&suite.root).unwrap();
    assert_eq!(meta["functions_dir"], root.display().to_string());
    let modules = meta["modules"].as_array().unwrap();
    assert_eq!(modules.len(), 4, "noop and fibonacci, wasm and native");
    for e in modules {
        let f = e["function"].as_str().unwrap();
        let path = if e["build"] == "wasm" {
            suite.wasm_path(f)
        } else {
            suite.native_path(f)
        };
        let path = std::fs::canonicalize(path).unwrap();
        assert_eq!(e["path"], path.display().to_string());
        assert_eq!(
            e["sha256"].as_str().unwrap(),
            hex::encode(sha2::Sha256::digest(std::fs::read(&path).unwrap())),
            "{f} {}",
            e["build"]
        );
    }
    // Steal and load in every window row, sane values (this machine's /proc is readable).
    for win in &w {
        let (steal, frac) = (win.steal_ms.unwrap(), win.steal_fraction.unwrap());
        // Over at least the window's wall time and at least one CPU.
        let at_most = steal / (win.duration_ns as f64 / 1e6);
        assert!(steal >= 0.0 && (0.0..=at_most + 1e-12).contains(&frac), "{win:?}");
        assert!(win.load_avg_1m.is_some_and(|l| l >= 0.0), "{win:?}");
    }
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
        let mut child = spawn_run(&cfg, &dir);
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
        assert!(
            r.peak_memory_bytes > 0,
            "the server's peak memory per call, not a zero: {r:?}"
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
    // The client's rows carry the server's figures for the call they name.
    for r in rows.iter().filter(|r| r.runtime == "wasm") {
        let peak = server
            .iter()
            .filter(|s| s.runtime == "wasm")
            .map(|s| s.peak_memory_bytes)
            .max();
        assert!(peak.is_some_and(|p| r.peak_memory_bytes <= p), "{r:?}");
    }
    let bad = write_config(
        tmp.path(),
        &text.replace("[\"wasm\", \"native\"]", "[\"wasm-cold\"]"),
    );
    let out = nebula().arg("run").arg(&bad).arg("--dry-run").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("wasm-cold cannot be driven over HTTP"));
}

/// A config of `noop` on both runtimes into `output_dir`, `repetitions` windows per cell.
fn noop_config(dir: &Path, output_dir: &Path, repetitions: u32) -> PathBuf {
    write_config(
        dir,
        &format!(
            "name = \"safe\"\nrepetitions = {repetitions}\nwarmup = 0\nmin_window = \"15ms\"\n\
             cooldown = \"0s\"\nidle_baseline = \"0s\"\noutput_dir = \"{}\"\n[energy]\n\
             source = \"model\"\n[[function]]\nname = \"noop\"\n",
            output_dir.display()
        ),
    )
}

/// The folders in `dir` (none when it does not exist).
fn folders(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// `NAME-YYYYMMDD-HHMMSS-xxxxxx` with six lower-case hex digits.
fn is_run_id(id: &str, name: &str) -> bool {
    let Some(rest) = id.strip_prefix(&format!("{name}-")) else {
        return false;
    };
    let parts: Vec<&str> = rest.split('-').collect();
    parts.len() == 3
        && parts[0].len() == 8
        && parts[1].len() == 6
        && parts[..2].iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
        && parts[2].len() == 6
        && parts[2]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn signal(child: &std::process::Child, sig: i32) {
    // SAFETY: signalling a child this test spawned and has not reaped.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, sig) }, 0);
}

/// Waits until every thread of `child` is stopped (state `T` in /proc): a SIGSTOP is only
/// delivered when each thread next leaves the kernel, so a thread may still write for a moment
/// after `kill` returns.
fn wait_stopped(child: &std::process::Child) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let tasks = PathBuf::from(format!("/proc/{}/task", child.id()));
    loop {
        let all_stopped = std::fs::read_dir(&tasks).unwrap().flatten().all(|t| {
            let stat = std::fs::read_to_string(t.path().join("stat")).unwrap_or_default();
            // The state is the field after the command name, which ends at the last ')'.
            let state = stat.rsplit_once(") ").and_then(|(_, rest)| rest.chars().next());
            matches!(state, Some('T') | Some('t') | None)
        });
        if all_stopped {
            return;
        }
        assert!(Instant::now() < deadline, "pid {} never stopped", child.id());
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn a_resume_while_the_run_holds_its_folder_is_refused_naming_the_folder_and_the_pid() {
    let tmp = tempfile::tempdir().unwrap();
    // 2 cells x 100 windows of >= 15 ms: seconds of work, much longer than the polling below.
    let cfg = noop_config(tmp.path(), &tmp.path().join("results"), 100);
    let dir = tmp.path().join("run");
    let mut child = spawn_run(&cfg, &dir);
    // The lock file names its holder once the lock is taken: from then on the run holds it, and
    // a stopped process keeps holding it, so what follows does not depend on timing.
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::read_to_string(dir.join(".lock"))
        .unwrap_or_default()
        .trim()
        != child.id().to_string()
    {
        assert!(
            Instant::now() < deadline,
            "the run never locked {}",
            dir.display()
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it was locked"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    signal(&child, libc::SIGSTOP);
    wait_stopped(&child);
    let out = nebula().arg("run").arg("--resume").arg(&dir).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("{} is in use", dir.display()))
            && err.contains(&format!(
                "another nebula process (pid {}) is running it",
                child.id()
            ))
            && err.contains("Wait for it to finish")
            && err.contains(&format!("nebula run --resume {}", dir.display())),
        "{err}"
    );
    // A second run into the same --out is refused as well, and neither touched the files.
    let rows_before = std::fs::read(dir.join("calls.csv")).unwrap_or_default();
    let out = run_into(&cfg, &dir);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already exists and is not empty"), "{err}");
    assert_eq!(
        rows_before,
        std::fs::read(dir.join("calls.csv")).unwrap_or_default()
    );
    // Killed (still stopped): the kernel drops the lock with the process, and --resume finishes.
    child.kill().unwrap();
    child.wait().unwrap();
    let out = nebula()
        .arg("run")
        .arg("--resume")
        .arg(&dir)
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = read_calls(&dir.join("calls.csv")).unwrap();
    assert_eq!(keys(&rows).len(), 2 * 100, "every window, once");
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("metadata.json")).unwrap()).unwrap();
    assert_eq!(meta["status"], "complete");
}

#[test]
fn two_runs_started_together_get_their_own_run_ids_and_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let results = tmp.path().join("results");
    let cfg = noop_config(tmp.path(), &results, 2);
    // Started back to back (the same second, almost always), both into the default output_dir.
    let children: Vec<_> = (0..2)
        .map(|_| {
            nebula()
                .arg("run")
                .arg(&cfg)
                .arg("--quiet")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let dirs = folders(&results);
    assert_eq!(dirs.len(), 2, "{dirs:?}");
    let mut ids = BTreeSet::new();
    for d in &dirs {
        let name = d.file_name().unwrap().to_string_lossy().into_owned();
        assert!(is_run_id(&name, "safe"), "{name}");
        let meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join("metadata.json")).unwrap()).unwrap();
        assert_eq!(
            meta["run_id"],
            name.as_str(),
            "the folder is named after its run id"
        );
        assert_eq!(meta["status"], "complete");
        let text = std::fs::read_to_string(d.join("calls.csv")).unwrap();
        assert_eq!(
            text.matches("run_id,").count(),
            1,
            "one header in {}",
            d.display()
        );
        let rows = read_calls(&d.join("calls.csv")).unwrap();
        assert_eq!(keys(&rows).len(), 2 * 2);
        assert!(rows.iter().all(|r| r.run_id == name), "only its own rows");
        ids.insert(name);
    }
    assert_eq!(ids.len(), 2);
}

#[test]
fn an_energy_source_that_cannot_be_opened_fails_before_a_folder_is_made() {
    let tmp = tempfile::tempdir().unwrap();
    let results = tmp.path().join("results");
    let cfg = noop_config(tmp.path(), &results, 2);
    let no_rapl = tmp.path().join("no-powercap-here");
    let set = ["--set", "energy.source=powercap", "--set"];
    let root = format!("energy.powercap_root={}", no_rapl.display());
    let out_dir = tmp.path().join("out");
    for out in [None, Some(&out_dir)] {
        let mut c = nebula();
        c.arg("run").arg(&cfg).args(set).arg(&root);
        if let Some(o) = out {
            c.arg("--out").arg(o);
        }
        let t = Instant::now();
        let out = c.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains("cannot use the energy source 'powercap'")
                && err.contains("--set energy.source=model")
                && err.contains(&no_rapl.display().to_string()),
            "{err}"
        );
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "refused before measuring anything"
        );
        assert_eq!(folders(&results), Vec::<PathBuf>::new(), "no run folder is left");
        assert!(!out_dir.exists(), "no --out folder is left");
    }
    // The dry run opens the source too, and says the same.
    let out = nebula()
        .args(["run", "--dry-run"])
        .arg(&cfg)
        .args(set)
        .arg(&root)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot use the energy source 'powercap'"), "{err}");
}

#[test]
fn a_failing_input_is_reported_by_the_dry_run_and_a_run_leaves_no_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let results = tmp.path().join("results");
    let text = format!(
        "name = \"bad\"\nrepetitions = 2\nmin_window = \"5ms\"\nidle_baseline = \"0s\"\n\
         output_dir = \"{}\"\n[energy]\nsource = \"model\"\n[[function]]\nname = \"fibonacci\"\n\
         sizes = [10, 500]\n",
        results.display()
    );
    let cfg = write_config(tmp.path(), &text);
    let out = nebula().args(["run", "--dry-run"]).arg(&cfg).output().unwrap();
    let (stdout, err) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1), "{stdout}{err}");
    assert!(
        stdout.contains("4 cells x 2 repetitions = 8 windows"),
        "the plan is still shown: {stdout}"
    );
    assert!(
        err.contains("function 'fibonacci' with input '500' fails on")
            && err.contains("1..=186")
            && err.contains("Fix the sizes of 'fibonacci' in the config"),
        "{err}"
    );
    let out = nebula().arg("run").arg(&cfg).arg("--quiet").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("with input '500' fails on"), "{err}");
    assert_eq!(folders(&results), Vec::<PathBuf>::new(), "no run folder is left");
    // Fixed, the dry run checks the inputs and says so, and the run goes through.
    let good = write_config(tmp.path(), &text.replace("[10, 500]", "[10, 90]"));
    let out = nebula().args(["run", "--dry-run"]).arg(&good).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.contains("energy: model")
            && stdout.contains("checked: 4 reference calls (every input once on each runtime) succeeded"),
        "{stdout}"
    );
    assert_eq!(
        folders(&results),
        Vec::<PathBuf>::new(),
        "a dry run makes no folder"
    );
}

#[test]
fn an_http_run_whose_server_does_not_answer_removes_the_folder_it_made() {
    let tmp = tempfile::tempdir().unwrap();
    // A loopback port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let text = format!(
        "name = \"gone\"\ntarget = \"http\"\nurl = \"http://127.0.0.1:{port}\"\nrepetitions = 1\n\
         min_window = \"5ms\"\nidle_baseline = \"0s\"\n[energy]\nsource = \"model\"\n\
         [[function]]\nname = \"noop\"\n"
    );
    let cfg = write_config(tmp.path(), &text);
    // The reference requests need the run folder for a local server's log, so they are made
    // after it exists: the failure still removes it.
    let dir = tmp.path().join("run");
    let out = run_into(&cfg, &dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("removed {}", dir.display())) && err.contains("run the same command again"),
        "{err}"
    );
    assert!(!dir.exists(), "{err}");
    // The error is about the connection, not the function's input.
    assert!(
        err.contains(&format!("cannot connect to http://127.0.0.1:{port}"))
            && err.contains("is `nebula serve` running there? Check `url`")
            && !err.contains("Fix the sizes")
            && !err.contains("status 0"),
        "{err}"
    );
    // An empty --out folder given by the user stays, empty.
    std::fs::create_dir(&dir).unwrap();
    let out = run_into(&cfg, &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(dir.is_dir());
    assert_eq!(folders(&dir), Vec::<PathBuf>::new());
    let out = nebula().args(["run", "--dry-run"]).arg(&cfg).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the dry run makes the requests too: {err}"
    );
}

#[test]
fn a_folder_holding_only_a_free_lock_is_said_to_hold_no_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    std::fs::create_dir(&dir).unwrap();
    // What a run killed right after taking its lock leaves: the lock file, held by no one.
    std::fs::write(dir.join(".lock"), "4194304\n").unwrap();
    let out = nebula().arg("run").arg("--resume").arg(&dir).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("{} holds no run", dir.display())) && err.contains("Remove the folder"),
        "{err}"
    );
    assert!(!err.contains("in use"), "{err}");
}

#[test]
fn windows_the_meter_gives_no_energy_for_are_unavailable_and_the_run_says_why() {
    // The fixture's RAPL counters stand still (a virtual machine's fake PMU): no window of
    // noop can have a measured figure, and the run must say why instead of leaving rows
    // `unavailable` without a word.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("powercap");
    let copied = Command::new("cp")
        .arg("-r")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/powercap/two-socket-dram"))
        .arg(&root)
        .status()
        .unwrap();
    assert!(copied.success());
    let cfg = noop_config(tmp.path(), &tmp.path().join("results"), 2);
    let dir = tmp.path().join("run");
    let set = format!("energy.powercap_root={}", root.display());
    let out = run_to(&dir, &cfg, &["--set", "energy.source=powercap", "--set", &set]);
    let rows = read_calls(&dir.join("calls.csv")).unwrap();
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r.energy_label == Some(EnergyLabel::Unavailable) && r.energy_gross_j.is_none()),
        "{:?}",
        rows.iter()
            .find(|r| r.energy_label != Some(EnergyLabel::Unavailable))
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("4 window(s) have no energy figure") && err.contains("did not move"),
        "{err}"
    );
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("metadata.json")).unwrap()).unwrap();
    let warnings = meta["warnings"].to_string();
    assert!(warnings.contains("have no energy figure"), "{warnings}");
}
