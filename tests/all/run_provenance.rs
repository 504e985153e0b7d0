//! What a run records about itself, end to end through the binary on a fake suite and a fake
//! powercap tree whose counter a thread advances at a set power: the module hashes equal the
//! files' hashes and the functions folder is absolute; windows carry steal and load; and a resume
//! keeps the run's idle baseline (every window and every net energy uses it), records its own
//! measurement as a check, and warns, naming both values and metadata.json, when they differ by
//! more than 10%. A module rebuilt between the run and the resume is a warning too, and a resume
//! that would measure with another energy source than the run's is refused.

use crate::common;
use crate::hostile_support;

use hostile_support::*;
use nebula::results::read_calls;
use nebula::results::WindowRow;
use serde_json::Value;
use sha2::Digest;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CONFIG: &str = r#"name = "prov"
seed = 3
runtimes = ["wasm", "native"]
repetitions = 4
warmup = 0
min_window = "10ms"
window_calls = 3
cooldown = "0s"
# Long enough that the fake counter's writer thread, starved for tens of ms on a loaded
# 2-core machine, stays far inside the 10 % drift threshold.
idle_baseline = "1s"
timeout = "5s"
[energy]
source = "powercap"
powercap_root = "POWERCAP"
[[function]]
name = "alpha"
sizes = ["1"]
"#;

/// A fake package counter advanced every half millisecond by `milliwatts` x the time elapsed,
/// so that its average power is exact whatever the scheduling.
struct FakeRapl {
    milliwatts: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl FakeRapl {
    fn start(root: &Path, watts: f64) -> FakeRapl {
        let file = root.join("intel-rapl:0/energy_uj");
        let max: u64 = std::fs::read_to_string(root.join("intel-rapl:0/max_energy_range_uj"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let milliwatts = Arc::new(AtomicU64::new((watts * 1e3) as u64));
        let stop = Arc::new(AtomicBool::new(false));
        let (mw, st) = (milliwatts.clone(), stop.clone());
        let handle = std::thread::spawn(move || {
            let mut uj: f64 = std::fs::read_to_string(&file).unwrap().trim().parse().unwrap();
            let mut last = Instant::now();
            while !st.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_micros(500));
                let now = Instant::now();
                // mW x s = mJ; x 1000 = uJ.
                uj += mw.load(Ordering::SeqCst) as f64 * (now - last).as_secs_f64() * 1e3;
                last = now;
                let tmp = file.with_file_name(".energy_uj.tmp");
                std::fs::write(&tmp, format!("{}\n", (uj as u64) % max)).unwrap();
                std::fs::rename(&tmp, &file).unwrap();
            }
        });
        FakeRapl {
            milliwatts,
            stop,
            handle: Some(handle),
        }
    }

    fn set_watts(&self, watts: f64) {
        self.milliwatts.store((watts * 1e3) as u64, Ordering::SeqCst);
    }
}

impl Drop for FakeRapl {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            h.join().ok();
        }
    }
}

struct Setup {
    tmp: tempfile::TempDir,
    suite: FakeSuite,
    config: PathBuf,
    rapl: FakeRapl,
}

impl Setup {
    fn new(watts: f64) -> Setup {
        Setup::new_with(watts, |_, _| {})
    }

    /// Like [`Setup::new`], with `tweak` given the powercap tree and the config to edit first.
    fn new_with(watts: f64, tweak: impl FnOnce(&Path, &mut String)) -> Setup {
        let tmp = tempfile::tempdir().unwrap();
        let suite = FakeSuite::create(
            &tmp.path().join("functions"),
            &[(
                "alpha",
                common::hello("hello"),
                "#!/bin/sh\nprintf hello\n".to_string(),
            )],
        );
        let pc = tmp.path().join("powercap");
        common::copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/powercap/amd-package-only"),
            &pc,
        );
        let config = tmp.path().join("prov.toml");
        let mut text = CONFIG.replace("POWERCAP", &pc.display().to_string());
        tweak(&pc, &mut text);
        std::fs::write(&config, text).unwrap();
        let rapl = FakeRapl::start(&pc, watts);
        Setup {
            tmp,
            suite,
            config,
            rapl,
        }
    }

    fn nebula(&self) -> std::process::Command {
        nebula(&self.suite.root, &self.tmp.path().join("cache"))
    }

    fn ok(&self, out: Output, what: &str) -> Output {
        assert!(
            out.status.success(),
            "{what} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn run(&self, dir: &Path) -> Output {
        let out = self
            .nebula()
            .arg("run")
            .arg(&self.config)
            .arg("--out")
            .arg(dir)
            .arg("--quiet")
            .output()
            .unwrap();
        self.ok(out, "run")
    }

    fn resume(&self, dir: &Path) -> Output {
        let out = self
            .nebula()
            .args(["run", "--quiet", "--resume"])
            .arg(dir)
            .output()
            .unwrap();
        self.ok(out, "resume")
    }
}

fn meta(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("metadata.json")).unwrap()).unwrap()
}

fn windows(dir: &Path) -> Vec<WindowRow> {
    csv::Reader::from_path(dir.join("windows.csv"))
        .unwrap()
        .deserialize()
        .map(|r| r.unwrap())
        .collect()
}

fn sha256(path: &Path) -> String {
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

/// Make a finished run look interrupted after its first `keep` windows: the later rows go
/// (as if never written) and the metadata says `interrupted`.
fn cut_after(dir: &Path, keep: u64) {
    for f in ["calls.csv", "windows.csv"] {
        let text = std::fs::read_to_string(dir.join(f)).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap();
        let col = header.split(',').position(|c| c == "window_id").unwrap();
        let mut out = format!("{header}\n");
        for l in lines.filter(|l| l.split(',').nth(col).unwrap().parse::<u64>().unwrap() < keep) {
            out.push_str(l);
            out.push('\n');
        }
        std::fs::write(dir.join(f), out).unwrap();
    }
    let mut m = meta(dir);
    m["status"] = "interrupted".into();
    m["windows_done"] = keep.into();
    m["ended"] = Value::Null;
    std::fs::write(dir.join("metadata.json"), serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    for f in ["summary.csv", "comparison.csv"] {
        std::fs::remove_file(dir.join(f)).ok();
    }
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs()
}

#[test]
fn a_run_records_absolute_functions_folder_module_hashes_and_per_window_contention() {
    let s = Setup::new(5.0);
    let dir = s.tmp.path().join("run");
    s.run(&dir);
    let m = meta(&dir);
    let folder = std::fs::canonicalize(&s.suite.root).unwrap();
    assert_eq!(m["functions_dir"], folder.display().to_string());
    assert!(Path::new(m["functions_dir"].as_str().unwrap()).is_absolute());
    let modules = m["modules"].as_array().unwrap();
    assert_eq!(
        modules.len(),
        2,
        "alpha's wasm file and native binary: {modules:?}"
    );
    for (build, path) in [
        ("wasm", folder.join("target/wasm32-wasip1/release/alpha.wasm")),
        ("native", folder.join("target/release/alpha")),
    ] {
        let e = modules
            .iter()
            .find(|e| e["build"] == build)
            .unwrap_or_else(|| panic!("no {build} entry in {modules:?}"));
        assert_eq!(e["function"], "alpha");
        assert_eq!(e["path"], path.display().to_string());
        assert_eq!(
            e["sha256"],
            sha256(&path),
            "{build}: the recorded hash is the file's"
        );
        assert_eq!(e["bytes"], std::fs::metadata(&path).unwrap().len());
        assert_eq!(e["runtimes"][0], build);
    }
    // A measured source: no model coefficients; one baseline, the one in use, at ~5 W.
    assert_eq!(m["energy"]["source"], "powercap");
    assert!(m["energy"].get("model").is_none(), "{}", m["energy"]);
    let baselines = m["energy"]["baselines"].as_array().unwrap();
    assert_eq!(baselines.len(), 1);
    assert_eq!(baselines[0]["in_use"], true);
    assert_eq!(baselines[0]["session"], "run");
    let idle = m["energy"]["idle_watts"].as_f64().unwrap();
    assert_eq!(baselines[0]["watts"].as_f64().unwrap(), idle);
    assert!(close(idle, 5.0, 0.1), "the fake counter runs at 5 W: {idle}");
    // Per-window contention, read from this machine's /proc.
    let proc_cpus = std::fs::read_to_string("/proc/stat")
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .count() as f64;
    let w = windows(&dir);
    assert_eq!(w.len(), 8);
    for row in &w {
        let steal = row.steal_ms.expect("steal_ms is read from /proc/stat");
        let frac = row.steal_fraction.expect("steal_fraction");
        let load = row.load_avg_1m.expect("load_avg_1m is read from /proc/loadavg");
        assert!(steal.is_finite() && steal >= 0.0, "{steal}");
        // The steal span brackets the energy window, so its share is at most steal / window.
        let upper = steal / (row.duration_ns as f64 / 1e6 * proc_cpus);
        assert!((0.0..=upper + 1e-12).contains(&frac), "{frac} vs {upper}");
        assert!((0.0..1e4).contains(&load), "{load}");
        assert_eq!(row.idle_watts, Some(idle));
    }
}

#[test]
fn a_resume_keeps_the_runs_baseline_records_its_check_and_warns_on_drift() {
    let s = Setup::new(5.0);
    let dir = s.tmp.path().join("run");
    s.run(&dir);
    let original = meta(&dir)["energy"]["idle_watts"].as_f64().unwrap();
    cut_after(&dir, 3);
    // The machine now idles at twice the power, and the native build changed.
    s.rapl.set_watts(10.0);
    let native = s.suite.root.join("target/release/alpha");
    std::fs::write(&native, "#!/bin/sh\n# rebuilt\nprintf hello\n").unwrap();
    let out = s.resume(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let m = meta(&dir);
    assert_eq!(m["status"], "complete");
    let baselines = m["energy"]["baselines"].as_array().unwrap();
    assert_eq!(baselines.len(), 2, "{baselines:?}");
    assert_eq!(baselines[0]["in_use"], true);
    assert_eq!(baselines[0]["watts"].as_f64().unwrap(), original);
    assert_eq!(baselines[1]["in_use"], false);
    assert_eq!(baselines[1]["session"], "resume");
    let check = baselines[1]["watts"].as_f64().unwrap();
    assert!(
        close(check, 10.0, 0.1),
        "the check measured the new idle power: {check}"
    );
    assert!(baselines[1]["measured_at"].as_str().unwrap() > baselines[0]["measured_at"].as_str().unwrap());
    assert_eq!(
        m["energy"]["idle_watts"].as_f64().unwrap(),
        original,
        "the run's baseline stays"
    );
    // The warning names both values and the file, on stderr and in the metadata.
    let metadata_path = dir.join("metadata.json").display().to_string();
    let warned =
        warning(&m, "idle baseline").unwrap_or_else(|| panic!("no baseline warning in {}", m["warnings"]));
    for text in [stderr.as_ref(), warned.as_str()] {
        assert!(
            text.contains(&format!("{check:.3} W"))
                && text.contains(&format!("{original:.3} W"))
                && text.contains(&metadata_path),
            "{text}"
        );
    }
    assert!(stderr.contains("warning:"), "{stderr}");
    // One idle power in windows.csv, and every call's net energy uses it.
    let w = windows(&dir);
    assert_eq!(w.len(), 8);
    assert!(w.iter().all(|r| r.idle_watts == Some(original)), "{w:?}");
    let calls = read_calls(&dir.join("calls.csv")).unwrap();
    let resumed: Vec<_> = calls.iter().filter(|c| c.window_id >= 3).collect();
    assert!(!resumed.is_empty());
    for c in &calls {
        let win = w.iter().find(|r| r.window_id == c.window_id).unwrap();
        let share_s = win.duration_ns as f64 * 1e-9 / f64::from(c.calls_in_window);
        let want = c.energy_gross_j.unwrap() - original * share_s;
        let net = c.energy_net_j.unwrap();
        // The call's share of the window is rounded to the nanosecond: a few nJ at 5 W.
        assert!(
            (net - want).abs() < original * 2e-9,
            "window {}: net {net} J, want {want} J",
            c.window_id
        );
    }
    // The rebuilt native binary: a second entry with its new hash, and a warning.
    let modules = m["modules"].as_array().unwrap();
    let natives: Vec<&Value> = modules.iter().filter(|e| e["build"] == "native").collect();
    assert_eq!(natives.len(), 2, "{modules:?}");
    assert_eq!(natives[1]["sha256"], sha256(&native));
    assert_ne!(natives[0]["sha256"], natives[1]["sha256"]);
    assert!(
        warning(&m, "native build of 'alpha' changed").is_some(),
        "{}",
        m["warnings"]
    );
}

/// The first warning kept in the metadata that contains `needle`.
fn warning(m: &Value, needle: &str) -> Option<String> {
    m["warnings"]
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .find(|w| w.contains(needle))
        .map(str::to_string)
}

#[test]
fn windows_long_enough_to_hide_a_counter_wrap_are_named_in_a_run_warning() {
    // A 6 J counter range wraps in 12 ms at the 500 W ceiling: 30 ms windows could hide one.
    let s = Setup::new_with(5.0, |pc, config| {
        std::fs::write(pc.join("intel-rapl:0/max_energy_range_uj"), "6000000\n").unwrap();
        *config = config
            .replace("min_window = \"10ms\"", "min_window = \"30ms\"")
            .replace("window_calls = 3\n", "");
    });
    let dir = s.tmp.path().join("run");
    let out = s.run(&dir);
    let flagged: Vec<u64> = windows(&dir)
        .iter()
        .filter(|w| w.missed_wrap_suspected)
        .map(|w| w.window_id)
        .collect();
    assert!(!flagged.is_empty(), "30 ms windows are suspects");
    let m = meta(&dir);
    let w = warning(&m, "wrap more than once").expect("a wrap warning");
    assert!(w.starts_with(&format!("{} window(s)", flagged.len())), "{w}");
    assert!(w.contains(&format!("first window {}", flagged[0])), "{w}");
    assert!(w.contains("window_calls, min_window"), "names the fix: {w}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("wrap more than once"), "{stderr}");
    // The default fixture's range (65 kJ) is far from it.
    let plain = Setup::new(5.0);
    let dir = plain.tmp.path().join("run");
    plain.run(&dir);
    assert_eq!(warning(&meta(&dir), "wrap more than once"), None);
}

#[test]
fn a_resume_whose_check_agrees_does_not_warn() {
    let s = Setup::new(5.0);
    let dir = s.tmp.path().join("run");
    s.run(&dir);
    cut_after(&dir, 5);
    // The same power: any difference is the fake counter's own scheduling lag.
    s.rapl.set_watts(5.0);
    let out = s.resume(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("idle baseline"), "{stderr}");
    let m = meta(&dir);
    assert_eq!(m["energy"]["baselines"].as_array().unwrap().len(), 2);
    // (A noisy neighbour may still add a steal warning; none is about the baseline.)
    assert!(m["warnings"].is_array(), "{m}");
    assert_eq!(warning(&m, "idle"), None, "{}", m["warnings"]);
}

#[test]
fn a_resume_that_would_measure_with_another_energy_source_is_refused() {
    let s = Setup::new(5.0);
    let dir = s.tmp.path().join("run");
    s.run(&dir);
    cut_after(&dir, 2);
    // As if the run had been measured by perf on another machine.
    let mut m = meta(&dir);
    m["energy"]["source"] = "perf".into();
    std::fs::write(dir.join("metadata.json"), serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    let out = s
        .nebula()
        .args(["run", "--quiet", "--resume"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("measured with the energy source 'perf'")
            && stderr.contains("would use 'powercap'")
            && stderr.contains("nebula sensors"),
        "{stderr}"
    );
    assert_eq!(windows(&dir).len(), 2, "no window was added");
}

/// `git ARGS` in the repository, `None` where git or the repository is missing (a tarball).
fn git(args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[test]
fn the_recorded_commit_is_the_one_built_and_dirty_when_its_sources_were() {
    // The build script reran only when .git/HEAD or .git/index changed, so a build after an
    // unstaged edit of src/ recorded the last commit as clean in every metadata.json.
    let Some(head) = git(&["rev-parse", "--short=12", "HEAD"]) else {
        return;
    };
    let Some(status) = git(&[
        "status",
        "--porcelain",
        "--untracked-files=no",
        "--",
        "src",
        "assets",
        "build.rs",
        "Cargo.toml",
        "Cargo.lock",
    ]) else {
        return;
    };
    let expected = format!("{head}{}", if status.is_empty() { "" } else { "-dirty" });
    let recorded = nebula::results::metadata::Versions::current(Path::new("functions"));
    assert_eq!(
        recorded.nebula_git_commit, expected,
        "the build's commit differs from the tree it was built from:\n{status}"
    );
}
