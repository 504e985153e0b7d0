//! A run's files when something is wrong with them, and the files of runs that stopped early:
//! `report`/`plot` recompute an empty summary, refuse an empty or headerless `calls.csv`
//! naming it, and point a file cut short by a kill to `--resume`; a run interrupted before its
//! first window leaves CSV files with their headers (and a resume keeps exactly one); the
//! end-of-run table of a run without concurrency 1 shows its lowest level; custom model
//! coefficients are recorded as the user's.

use crate::common;
use crate::fixture_run;
use nebula::results::comparison::Metric;

use fixture_run::{write_run, Spec};
use nebula::results::metadata;
use nebula::results::SummaryRow;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn nebula() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nebula"));
    c.env("NEBULA_FUNCTIONS", common::suite().root)
        .env("NEBULA_CACHE_DIR", std::env::temp_dir().join("nebula-test-cache"));
    c
}

/// A fixture run in `tmp/run` whose metadata says `status` after `windows_done` windows.
fn fixture(tmp: &Path, status: &str, windows_done: usize) -> PathBuf {
    let dir = tmp.join("run");
    write_run(&dir, "run-x", Spec::default());
    let mut m = metadata::read(&dir).unwrap();
    m.status = status.parse().unwrap();
    m.windows_done = windows_done;
    metadata::write(&dir, &m).unwrap();
    dir
}

fn load_err(dir: &Path) -> String {
    match nebula::export::load_run(dir) {
        Ok(_) => panic!("{} loaded", dir.display()),
        Err(e) => format!("{e:#}"),
    }
}

#[test]
fn an_empty_summary_is_recomputed_from_the_calls() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture(tmp.path(), "complete", 10);
    let written: Vec<SummaryRow> = nebula::results::files::read_rows(&dir.join("summary.csv")).unwrap();
    assert!(!written.is_empty());
    std::fs::write(dir.join("summary.csv"), b"").unwrap();
    std::fs::write(dir.join("comparison.csv"), b"").unwrap();
    let data = nebula::export::load_run(&dir).unwrap();
    let cells = |rows: &[SummaryRow]| -> Vec<(String, usize)> {
        rows.iter().map(|r| (r.cell.clone(), r.n)).collect()
    };
    assert_eq!(cells(&data.summary), cells(&written));
    assert!(!data.comparison.is_empty());
    let md = nebula::report::markdown(&data);
    assert!(md.contains("alpha"), "{md}");
}

#[test]
fn a_summary_of_fewer_calls_than_calls_csv_holds_is_recomputed() {
    // An interrupted run writes summary.csv for its windows so far; a resume then adds windows
    // and is killed before it rewrites it. The report and charts showed the old figures.
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture(tmp.path(), "running", 10);
    let all = nebula::results::read_calls(&dir.join("calls.csv")).unwrap();
    let early: Vec<_> = all.iter().filter(|c| c.repetition < 2).cloned().collect();
    nebula::results::write_calls(&dir.join("calls.csv"), &early).unwrap();
    let m = metadata::read(&dir).unwrap();
    nebula::experiment::finish::finish(&dir, &m, false).unwrap();
    let stale: Vec<SummaryRow> = nebula::results::files::read_rows(&dir.join("summary.csv")).unwrap();
    assert_eq!(stale[0].n, 2 * fixture_run::CALLS as usize);
    nebula::results::write_calls(&dir.join("calls.csv"), &all).unwrap();

    let data = nebula::export::load_run(&dir).unwrap();
    let full = nebula::export::summarize_cells(&all, nebula::stats::DEFAULT_RESAMPLES, 42);
    let stats = |rows: &[SummaryRow]| -> Vec<(String, usize, Option<f64>, Option<f64>)> {
        rows.iter()
            .map(|r| (r.cell.clone(), r.n, r.wall_median_ns, r.energy_gross_median_j))
            .collect()
    };
    assert_eq!(stats(&data.summary), stats(&full));
    let windows = fixture_run::WINDOWS as usize * fixture_run::CALLS as usize;
    assert!(
        data.summary.iter().all(|s| s.n == windows),
        "{:?}",
        stats(&data.summary)
    );
    let latency = || data.comparison.iter().filter(|c| c.metric == Metric::Latency);
    assert!(latency().count() > 0);
    assert!(
        latency().all(|c| c.n == windows && c.n_reference == windows),
        "{:?}",
        latency().map(|c| (c.n, c.n_reference)).collect::<Vec<_>>()
    );
    let md = nebula::report::markdown(&data);
    let wasm = full
        .iter()
        .find(|s| s.cell == "alpha/10/wasm/c1")
        .and_then(|s| s.wall_median_ns)
        .unwrap();
    let shown = format!("{:.1} µs", wasm / 1000.0);
    assert!(md.contains(&shown), "{shown} not in\n{md}");

    // A summary of these very calls is read as it is, not recomputed.
    let m = metadata::read(&dir).unwrap();
    nebula::experiment::finish::finish(&dir, &m, false).unwrap();
    let mut written: Vec<SummaryRow> = nebula::results::files::read_rows(&dir.join("summary.csv")).unwrap();
    written[0].wall_median_ns = Some(1.0);
    nebula::results::write_csv(&dir.join("summary.csv"), &written).unwrap();
    assert_eq!(
        nebula::export::load_run(&dir).unwrap().summary[0].wall_median_ns,
        Some(1.0)
    );
}

#[test]
fn the_markdown_table_of_a_partial_run_or_differing_outputs_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture(tmp.path(), "interrupted", 40);
    let mut m = metadata::read(&dir).unwrap();
    m.windows_planned = 105;
    metadata::write(&dir, &m).unwrap();
    let md = nebula::report::markdown(&nebula::export::load_run(&dir).unwrap());
    assert!(
        md.contains(
            "**PARTIAL RUN (interrupted): 40 of 105 windows measured; the figures cover only those.**"
        ),
        "{md}"
    );
    assert!(!md.contains("OUTPUTS DIFFER"), "{md}");

    let done = tmp.path().join("done");
    write_run(&done, "run-y", Spec::default());
    let mut calls = nebula::results::read_calls(&done.join("calls.csv")).unwrap();
    for c in calls
        .iter_mut()
        .filter(|c| c.function == "beta" && c.input == "large" && c.runtime == "native")
    {
        c.output_digest = "other".into();
    }
    nebula::results::write_calls(&done.join("calls.csv"), &calls).unwrap();
    let m = metadata::read(&done).unwrap();
    nebula::experiment::finish::finish(&done, &m, false).unwrap();
    let md = nebula::report::markdown(&nebula::export::load_run(&done).unwrap());
    assert!(!md.contains("PARTIAL RUN"), "{md}");
    assert!(
        md.contains("**OUTPUTS DIFFER between runtimes for beta(large)**"),
        "{md}"
    );
}

#[test]
fn an_empty_or_headerless_calls_csv_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture(tmp.path(), "complete", 10);
    let calls = dir.join("calls.csv");
    let text = std::fs::read_to_string(&calls).unwrap();
    // Emptied after the run recorded its windows: the summary is not shown in its place.
    std::fs::write(&calls, b"").unwrap();
    assert_eq!(
        load_err(&dir),
        format!(
            "{} has no calls although the run recorded 10 windows: the file was emptied or replaced; \
             restore it from a copy of the run (the charts and report need the calls)",
            calls.display()
        )
    );
    let header = text.lines().next().unwrap();
    std::fs::write(&calls, format!("{header}\n")).unwrap();
    assert!(load_err(&dir).contains("has no calls although the run recorded 10 windows"));
    // Without its header line.
    let body: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
    std::fs::write(&calls, body).unwrap();
    let e = load_err(&dir);
    assert!(
        e.starts_with(&format!(
            "{} has no header line (it begins 'run-x,",
            calls.display()
        )),
        "{e}"
    );
    // A run stopped before its first window, by a Nebula that left the file empty.
    let dir = fixture(&tmp.path().join("early"), "interrupted", 0);
    std::fs::write(dir.join("calls.csv"), b"").unwrap();
    let e = load_err(&dir);
    assert!(
        e.contains("calls.csv is empty: the run recorded no calls yet")
            && e.contains(&format!("nebula run --resume {}", dir.display())),
        "{e}"
    );
    // With its header only, that run loads, with nothing in it.
    std::fs::write(dir.join("calls.csv"), format!("{header}\n")).unwrap();
    std::fs::write(dir.join("summary.csv"), b"").unwrap();
    std::fs::write(dir.join("comparison.csv"), b"").unwrap();
    let data = nebula::export::load_run(&dir).unwrap();
    assert!(data.calls.is_empty() && data.summary.is_empty());
}

#[test]
fn a_file_cut_short_by_a_kill_points_to_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture(tmp.path(), "running", 10);
    for file in ["calls.csv", "windows.csv"] {
        let path = dir.join(file);
        let whole = std::fs::read(&path).unwrap();
        std::fs::write(&path, &whole[..whole.len() - 40]).unwrap();
        let e = load_err(&dir);
        assert!(
            e.starts_with(&path.display().to_string())
                && e.ends_with(&format!(
                    "; the file ends in a row cut short: `nebula run --resume {}` repairs a run cut short",
                    dir.display()
                )),
            "{e}"
        );
        std::fs::write(&path, whole).unwrap();
    }
    assert!(nebula::export::load_run(&dir).is_ok());
}

fn csv_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn a_run_interrupted_before_its_first_window_leaves_csv_headers_and_resume_keeps_one() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("early.toml");
    // The idle baseline runs after the folder is made and before the first window.
    std::fs::write(
        &cfg,
        "name = \"early\"\nrepetitions = 2\nwarmup = 0\nmin_window = \"5ms\"\ncooldown = \"0s\"\n\
         idle_baseline = \"3s\"\n[energy]\nsource = \"model\"\n[[function]]\nname = \"noop\"\n",
    )
    .unwrap();
    let dir = tmp.path().join("run");
    let child = nebula()
        .arg("run")
        .arg(&cfg)
        .arg("--out")
        .arg(&dir)
        .arg("--quiet")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while !dir.join("metadata.json").exists() {
        assert!(t0.elapsed() < Duration::from_secs(30), "the run never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: signalling a child this test spawned and has not reaped.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) }, 0);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted after 0 of 4 windows"), "{stderr}");
    let first_column = [
        ("calls.csv", "run_id,cell,function,runtime,"),
        ("windows.csv", "run_id,window_id,cell,"),
        ("summary.csv", "cell,function,runtime,input,concurrency,n,"),
        ("comparison.csv", "function,input,concurrency,"),
    ];
    for (file, start) in first_column {
        let lines = csv_lines(&dir.join(file));
        assert_eq!(lines.len(), 1, "{file}: {lines:?}");
        assert!(lines[0].starts_with(start), "{file}: {}", lines[0]);
    }
    let out = nebula()
        .args(["run", "--quiet", "--resume"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for (file, start) in first_column {
        let lines = csv_lines(&dir.join(file));
        assert!(lines[0].starts_with(start), "{file}: {}", lines[0]);
        assert_eq!(
            lines.iter().filter(|l| l.starts_with(start)).count(),
            1,
            "{file} has one header"
        );
        assert!(lines.len() > 1, "{file} has rows after the resume");
    }
    let rows = nebula::results::read_calls(&dir.join("calls.csv")).unwrap();
    assert_eq!(
        rows.iter()
            .map(|r| (r.cell.clone(), r.repetition))
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        4
    );
}

#[test]
fn a_run_without_concurrency_1_shows_its_lowest_level_and_the_users_coefficients() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("c24.toml");
    std::fs::write(
        &cfg,
        "name = \"c24\"\nconcurrency = [4, 2]\nrepetitions = 2\nwarmup = 0\nmin_window = \"5ms\"\n\
         cooldown = \"0s\"\nidle_baseline = \"0s\"\n[energy]\nsource = \"model\"\nidle_watts = 9.0\n\
         [[function]]\nname = \"noop\"\n",
    )
    .unwrap();
    let dir = tmp.path().join("run");
    let out = nebula()
        .arg("run")
        .arg(&cfg)
        .arg("--out")
        .arg(&dir)
        .arg("--quiet")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.contains("median per call at concurrency 2, the run's lowest level (gross energy"),
        "{stdout}"
    );
    // A row per runtime: function, input, runtime, latency, ratio, kernel, energy, ratio.
    let row = stdout
        .lines()
        .find(|l| l.starts_with("noop ") && l.split_whitespace().nth(2) == Some("wasm"))
        .unwrap_or_else(|| panic!("no noop wasm row: {stdout}"));
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert!(cols.len() >= 8 && cols[3] != "-" && cols[5] != "-", "{row}");
    // The coefficients the config gave are not credited to Cloud Carbon Footprint.
    let meta = metadata::read(&dir).unwrap();
    let said = format!("{} {}", meta.energy.why, meta.energy.details.join(" "));
    assert!(
        !said.contains("Cloud Carbon")
            && said.contains("idle 9.000 W + 2.760 W per busy core (idle_watts given by the user"),
        "{said}"
    );
}
