//! Crashes and interruption of `nebula run`: SIGINT and SIGKILL at seeded random points (several
//! times), a full disk (RLIMIT_FSIZE) mid-run and a row cut inside its last field. Every file
//! left behind parses, no half-written row is kept, and `--resume` completes the run to the
//! same set of (cell, repetition) windows as an uninterrupted one.

use crate::common;
use crate::hostile_support;

use hostile_support::*;
use nebula::results::call::CallRow;
use nebula::results::read_calls;
use nebula::results::WindowRow;
use rand::{Rng, SeedableRng};
use std::collections::BTreeSet;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// Two functions, two inputs, wasm and native: 8 cells x 6 repetitions = 48 windows of 5 calls.
const CONFIG: &str = r#"name = "crash"
seed = 11
runtimes = ["wasm", "native"]
repetitions = 6
warmup = 1
min_window = "20ms"
window_calls = 5
cooldown = "0s"
idle_baseline = "0s"
timeout = "5s"
[energy]
source = "model"
[[function]]
name = "alpha"
sizes = ["1", "2"]
[[function]]
name = "beta"
sizes = ["1", "2"]
"#;

const WINDOWS: usize = 48;

struct Setup {
    tmp: tempfile::TempDir,
    suite: FakeSuite,
    config: PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let tmp = tempfile::tempdir().unwrap();
        // Each native call takes a few ms (a sleep), so that windows last long enough to be
        // cut at random points.
        let script = "#!/bin/sh\nsleep 0.004\nprintf hello\n".to_string();
        let suite = FakeSuite::create(
            &tmp.path().join("functions"),
            &[
                ("alpha", common::hello("hello"), script.clone()),
                ("beta", common::hello("hello"), script),
            ],
        );
        let config = tmp.path().join("crash.toml");
        std::fs::write(&config, CONFIG).unwrap();
        Setup { tmp, suite, config }
    }

    fn cmd(&self) -> Command {
        nebula(&self.suite.root, &self.tmp.path().join("cache"))
    }

    fn start(&self, dir: &Path) -> Command {
        let mut c = self.cmd();
        c.args(["run", "--quiet", "--out"]).arg(dir).arg(&self.config);
        c
    }

    fn resume(&self, dir: &Path) -> Output {
        let out = self
            .cmd()
            .args(["run", "--quiet", "--resume"])
            .arg(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "resume of {} failed: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

fn keys(rows: &[CallRow]) -> BTreeSet<(String, u32)> {
    rows.iter().map(|r| (r.cell.clone(), r.repetition)).collect()
}

fn meta(dir: &Path) -> serde_json::Value {
    let text = std::fs::read(dir.join("metadata.json")).expect("metadata.json exists");
    serde_json::from_slice(&text).expect("metadata.json parses")
}

/// The whole lines of a CSV file (up to its last line end) parse as typed rows; a kill may cut
/// only the last line. Returns the rows and whether a cut line was left.
fn whole_rows<T: for<'de> serde::Deserialize<'de>>(path: &Path) -> (Vec<T>, bool) {
    let bytes = std::fs::read(path).unwrap_or_default();
    let end = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let rows = csv::Reader::from_reader(&bytes[..end])
        .deserialize()
        .map(|r| r.unwrap_or_else(|e| panic!("{}: a whole row does not parse: {e}", path.display())))
        .collect();
    (rows, end < bytes.len())
}

/// After a finished (or resumed) run: both files parse strictly, no window twice, the set of
/// windows is the full one, and each window's rows are all there.
fn check_complete(dir: &Path, want: &BTreeSet<(String, u32)>) {
    let rows = read_calls(&dir.join("calls.csv")).unwrap();
    assert_eq!(&keys(&rows), want, "{}", dir.display());
    let windows: Vec<WindowRow> = csv::Reader::from_path(dir.join("windows.csv"))
        .unwrap()
        .deserialize()
        .map(|r| r.unwrap())
        .collect();
    let ids: BTreeSet<u64> = windows.iter().map(|w| w.window_id).collect();
    assert_eq!(ids.len(), WINDOWS, "one window row per window");
    assert_eq!(windows.len(), WINDOWS);
    for w in &windows {
        let n = rows.iter().filter(|r| r.window_id == w.window_id).count();
        assert_eq!(n as u32, w.calls, "window {} has all its call rows", w.window_id);
    }
    assert_eq!(meta(dir)["status"], "complete");
    for f in ["summary.csv", "comparison.csv"] {
        assert!(
            csv::Reader::from_path(dir.join(f))
                .unwrap()
                .records()
                .all(|r| r.is_ok()),
            "{f}"
        );
    }
}

fn uninterrupted(s: &Setup) -> BTreeSet<(String, u32)> {
    uninterrupted_timed(s).0
}

/// An uninterrupted run's windows, and how long after its start its last window ended (the
/// summaries and charts that follow take longer than the windows in a debug build).
fn uninterrupted_timed(s: &Setup) -> (BTreeSet<(String, u32)>, Duration) {
    let dir = s.tmp.path().join("full");
    let spawned = nebula::results::call::unix_now_ns();
    let out = s.start(&dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let want = keys(&read_calls(&dir.join("calls.csv")).unwrap());
    assert_eq!(want.len(), WINDOWS);
    check_complete(&dir, &want);
    let last_end = csv::Reader::from_path(dir.join("windows.csv"))
        .unwrap()
        .deserialize::<WindowRow>()
        .map(|w| w.map(|w| w.start_unix_ns + w.duration_ns).unwrap())
        .max()
        .unwrap();
    (want, Duration::from_nanos(last_end.saturating_sub(spawned)))
}

#[test]
fn sigint_and_sigkill_at_random_points_leave_parsable_files_and_resume_completes() {
    let s = Setup::new();
    let (want, windows_end) = uninterrupted_timed(&s);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x4E45_4255);
    let mut interrupted = 0;
    for i in 0..6 {
        let signal = if i % 2 == 0 { libc::SIGINT } else { libc::SIGKILL };
        // From just after start-up to the end of the run's last window (signals after it only
        // find the summaries and charts being written).
        let upper = (windows_end.as_millis() as u64).clamp(400, 3000);
        let at = Duration::from_millis(rng.gen_range(120..upper));
        let dir = s.tmp.path().join(format!("cut-{i}"));
        let child = s
            .start(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(at);
        // SAFETY: signalling the child we spawned.
        unsafe { libc::kill(child.id() as libc::pid_t, signal) };
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        if signal == libc::SIGKILL && !dir.join("metadata.json").exists() {
            // Killed while it checked the energy source and made its reference calls, before it
            // created its folder (or in the instant between the folder and its metadata): there
            // is nothing to resume, only a config to run again.
            assert!(
                !dir.exists() || nebula::experiment::rundir::holds_only_a_lock(&dir),
                "{}",
                dir.display()
            );
            continue;
        }
        if out.status.success() {
            // The signal came after the run had finished its last window.
            check_complete(&dir, &want);
            continue;
        }
        if signal == libc::SIGKILL && meta(&dir)["status"] == "complete" {
            // The kill landed after the last window, while the run wrote its summaries and
            // charts or exited: resume writes whatever is missing, or says it is done.
            let out = s
                .cmd()
                .args(["run", "--quiet", "--resume"])
                .arg(&dir)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success() || stderr.contains("already complete"),
                "{stderr}"
            );
            check_complete(&dir, &want);
            continue;
        }
        interrupted += 1;
        // Every file left behind parses; only a killed run may leave one cut line at the end.
        let (calls, cut_calls): (Vec<CallRow>, bool) = whole_rows(&dir.join("calls.csv"));
        let (_, cut_windows): (Vec<WindowRow>, bool) = whole_rows(&dir.join("windows.csv"));
        let m = meta(&dir);
        if signal == libc::SIGINT {
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(
                out.status.code(),
                Some(130),
                "SIGINT at {at:?}: {:?} {stderr}",
                out.status.signal()
            );
            assert!(
                stderr.contains("interrupted after") && stderr.contains("nebula run --resume"),
                "{stderr}"
            );
            assert!(!cut_calls && !cut_windows, "a clean stop leaves whole rows only");
            assert_eq!(m["status"], "interrupted");
            assert_eq!(m["windows_done"].as_u64().unwrap() as usize, keys(&calls).len());
            assert!(
                dir.join("summary.csv").is_file(),
                "summaries are written on SIGINT"
            );
        }
        // A signal that lands after the last window (during the summaries and charts) finds
        // every window recorded; resume then only finishes the files.
        assert!(keys(&calls).len() <= WINDOWS);
        let out = s.resume(&dir);
        assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
        check_complete(&dir, &want);
        assert_eq!(meta(&dir)["resumed"].as_array().unwrap().len(), 1);
    }
    assert!(
        interrupted >= 3,
        "only {interrupted} of 6 signals cut a run short"
    );
}

#[test]
fn a_second_sigint_during_resume_is_also_resumable() {
    let s = Setup::new();
    let dir = s.tmp.path().join("twice");
    for _ in 0..2 {
        let mut c = if dir.exists() {
            let mut c = s.cmd();
            c.args(["run", "--quiet", "--resume"]).arg(&dir);
            c
        } else {
            s.start(&dir)
        };
        let child = c.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(350));
        // SAFETY: signalling the child we spawned.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
        let out = child.wait_with_output().unwrap();
        assert!(
            matches!(out.status.code(), Some(130) | Some(0)),
            "{:?}",
            out.status
        );
    }
    if meta(&dir)["status"] != "complete" {
        s.resume(&dir);
    }
    let rows = read_calls(&dir.join("calls.csv")).unwrap();
    assert_eq!(keys(&rows).len(), WINDOWS);
    assert!(meta(&dir)["resumed"].as_array().unwrap().len() <= 2);
}

/// Run `cmd` with writes capped at `bytes` per file (RLIMIT_FSIZE): a write past it fails with
/// EFBIG, as on a full disk (SIGXFSZ is ignored so the process sees the error).
fn with_file_size_limit(cmd: &mut Command, bytes: u64) -> &mut Command {
    // SAFETY: between fork and exec we only call async-signal-safe functions.
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let lim = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    }
}

#[test]
fn a_full_disk_mid_run_stops_cleanly_with_a_clear_error_and_resume_finishes() {
    let s = Setup::new();
    let want = uninterrupted(&s);
    let dir = s.tmp.path().join("full-disk");
    let out = with_file_size_limit(&mut s.start(&dir), 24 << 10)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains("cannot write calls.csv") || stderr.contains("cannot flush calls.csv"),
        "the error names the file: {stderr}"
    );
    assert!(
        stderr.contains("disk full") && stderr.contains("File too large"),
        "{stderr}"
    );
    // The rows written so far parse (a row cut by the limit is only ever the last line).
    let (rows, _) = whole_rows::<CallRow>(&dir.join("calls.csv"));
    assert!(!rows.is_empty() && keys(&rows).len() < WINDOWS);
    assert!(meta(&dir)["status"] != "complete");
    // With room again, --resume drops the cut window and finishes the run.
    s.resume(&dir);
    check_complete(&dir, &want);
    // A disk too full to start: refused before anything runs, naming the directory.
    let dir = s.tmp.path().join("no-room");
    let out = with_file_size_limit(&mut s.start(&dir), 1).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no-room") && !stderr.contains("panicked"),
        "{stderr}"
    );
    assert!(!dir.join("calls.csv").exists());
}

#[test]
fn a_row_cut_inside_its_last_field_is_dropped_by_resume() {
    let s = Setup::new();
    let want = uninterrupted(&s);
    let dir = s.tmp.path().join("full");
    // Cut the last window row inside its last field (`process_cpu_ns`): what is left still
    // parses as a row, with a wrong number. A row without its line end is not whole.
    let path = dir.join("windows.csv");
    let text = std::fs::read(&path).unwrap();
    std::fs::write(&path, &text[..text.len() - 3]).unwrap();
    let mut m = meta(&dir);
    m["status"] = "interrupted".into();
    std::fs::write(dir.join("metadata.json"), serde_json::to_vec(&m).unwrap()).unwrap();
    let r = nebula::results::files::recover(&dir).unwrap();
    assert!(
        r.dropped_rows >= 1,
        "the cut row must be dropped, not kept with a wrong value"
    );
    assert_eq!(r.done.len(), WINDOWS - 1);
    s.resume(&dir);
    check_complete(&dir, &want);
}
