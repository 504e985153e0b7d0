//! `nebula slurm`: the job scripts it writes (the array, `--exclusive`, the exact command each
//! task and the merge job run, checked by running the scripts through bash with a stand-in
//! `nebula` that records its argv), and the same scripts submitted to a real one-node Slurm on
//! this machine (`scripts/slurm-local.sh start`, as root; it installs Slurm if missing): the array
//! tasks run one at a time, the merge after both, and a sharded study merged by `nebula merge`
//! holds the cells and windows of the same config run unsharded. Refusals: more shards than
//! cells, no sbatch on PATH, a partition Slurm does not know.

use crate::experiment_run::nebula;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// One function, two inputs, two runtimes: four cells of two short windows each.
pub const TINY: &str = r#"name = "tiny"
runtimes = ["wasm", "native"]
repetitions = 2
warmup = 0
min_window = "5ms"
cooldown = "0s"
idle_baseline = "0s"
[energy]
source = "model"
[[function]]
name = "fibonacci"
sizes = [10, 20]
"#;

/// The `--set` whose quoting must survive the scripts: brackets and double quotes.
const RUNTIMES_SET: &str = r#"runtimes=["wasm","native"]"#;

/// A stand-in for the nebula binary that the jobs run: it records where it ran, NEBULA_FUNCTIONS,
/// Slurm's task id and its argv (NUL-separated) in `<its --out folder>/argv`, with the times it
/// started and ended (it runs for a second, so that tasks sharing a node would overlap).
const RECORDER: &str = r#"#!/usr/bin/env bash
set -euo pipefail
out=""
prev=""
for a in "$@"; do
  if [ "$prev" = "--out" ]; then out="$a"; fi
  prev="$a"
done
mkdir -p "$out"
start=$(date +%s.%N)
sleep 1
end=$(date +%s.%N)
printf '%s\0' "$PWD" "${NEBULA_FUNCTIONS:-}" "${SLURM_ARRAY_TASK_ID:-}" "$start" "$end" "$@" > "$out/argv"
"#;

fn write(path: &Path, text: &str) -> PathBuf {
    std::fs::write(path, text).unwrap();
    path.to_path_buf()
}

fn recorder(dir: &Path) -> PathBuf {
    let p = write(&dir.join("fake-nebula"), RECORDER);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

/// What the recorder saw: cwd, NEBULA_FUNCTIONS, task id, start, end and argv.
struct Recorded {
    cwd: String,
    functions: String,
    task: String,
    start: f64,
    end: f64,
    argv: Vec<String>,
}

fn recorded(out: &Path) -> Recorded {
    let path = out.join("argv");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut f: Vec<String> = String::from_utf8(bytes)
        .unwrap()
        .split_terminator('\0')
        .map(String::from)
        .collect();
    let argv = f.split_off(5);
    Recorded {
        cwd: f[0].clone(),
        functions: f[1].clone(),
        task: f[2].clone(),
        start: f[3].parse().unwrap(),
        end: f[4].parse().unwrap(),
        argv,
    }
}

fn text(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `nebula` run from `cwd`, with the suite's folder as an absolute path.
fn nebula_in(cwd: &Path) -> Command {
    let mut c = nebula();
    c.current_dir(cwd).env("NEBULA_FUNCTIONS", functions_dir());
    c
}

/// `nebula slurm ARGS` run from `cwd`.
fn slurm(cwd: &Path, args: &[&str]) -> Output {
    nebula_in(cwd).arg("slurm").args(args).output().unwrap()
}

fn functions_dir() -> String {
    text(&std::path::absolute(crate::common::suite().root).unwrap())
}

/// The argv `nebula slurm` gives shard `task` of `n` (after the binary's path).
fn shard_argv(config: &Path, task: u32, n: u32, study: &str, results: &Path, sets: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = vec![
        "run".into(),
        text(config),
        "--shard".into(),
        format!("{task}/{n}"),
        "--study".into(),
        study.into(),
        "--out".into(),
        text(&results.join(format!("shard-{task}"))),
        "--quiet".into(),
    ];
    for s in sets {
        v.push("--set".into());
        v.push(s.to_string());
    }
    v
}

fn merge_argv(results: &Path, n: u32) -> Vec<String> {
    let mut v = vec!["merge".to_string()];
    v.extend((1..=n).map(|i| text(&results.join(format!("shard-{i}")))));
    v.push("--out".into());
    v.push(text(&results.join("merged")));
    v
}

#[test]
fn the_scripts_run_each_shard_and_the_merge_with_the_exact_arguments() {
    let tmp = tempfile::tempdir().unwrap();
    write(&tmp.path().join("tiny.toml"), TINY);
    recorder(tmp.path());
    let cwd = tmp.path().join("submit here");
    std::fs::create_dir_all(&cwd).unwrap();
    let o = slurm(
        &cwd,
        &[
            "../tiny.toml",
            "--shards",
            "2",
            // A results folder whose path needs quoting in a shell and in an #SBATCH line.
            "--results",
            "../it's the results",
            "--study",
            "tiny-study-1",
            "--nebula",
            "../fake-nebula",
            "--partition",
            "debug",
            "--time",
            "0:10:00",
            "--set",
            RUNTIMES_SET,
            "--set",
            "repetitions=2",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // Relative paths were made absolute against the folder the command ran in; compare them
    // with the `..` left in, as the command sees them (no links resolved).
    let results = cwd.join("../it's the results");
    let config_abs = cwd.join("../tiny.toml");
    let fake = cwd.join("../fake-nebula");
    assert!(fake.is_file());
    let shards_file = results.join("shards.sbatch");
    let merge_file = results.join("merge.sbatch");
    let quoted = |p: &Path| format!("'{}'", text(p).replace('\'', r"'\''"));
    assert_eq!(
        stdout(&o),
        format!(
            "wrote {}\nwrote {}\nsubmit both (or run the same command with --submit):\n  \
             jobid=$(sbatch --parsable {})\n  sbatch --dependency=afterok:$jobid {}\n",
            shards_file.display(),
            merge_file.display(),
            quoted(&shards_file),
            quoted(&merge_file)
        )
    );

    let shards = std::fs::read_to_string(&shards_file).unwrap();
    let lines: Vec<&str> = shards.lines().collect();
    for want in [
        "#SBATCH --array=1-2",
        "#SBATCH --exclusive",
        "#SBATCH --nodes=1",
        "#SBATCH --ntasks=1",
        "#SBATCH --job-name=nebula-tiny-study-1",
        "#SBATCH --partition=debug",
        "#SBATCH --time=0:10:00",
        "set -euo pipefail",
    ] {
        assert!(lines.contains(&want), "no line {want:?} in:\n{shards}");
    }
    assert!(
        lines.contains(&format!("#SBATCH --output=\"{}/slurm-%A_%a.out\"", text(&results)).as_str()),
        "{shards}"
    );
    assert!(!shards.contains("--account"), "{shards}");
    let merge = std::fs::read_to_string(&merge_file).unwrap();
    assert!(merge
        .lines()
        .any(|l| l == "#SBATCH --job-name=nebula-merge-tiny-study-1"));
    assert!(
        !merge.contains("--array") && !merge.contains("--exclusive"),
        "{merge}"
    );

    // Each array task, run through bash as Slurm would run it (from another folder, with a bare
    // environment), runs exactly its shard.
    for task in 1..=2u32 {
        let o = Command::new("bash")
            .arg(&shards_file)
            .current_dir("/")
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("SLURM_ARRAY_TASK_ID", task.to_string())
            .output()
            .unwrap();
        assert!(o.status.success(), "task {task}: {}", stderr(&o));
        let r = recorded(&results.join(format!("shard-{task}")));
        assert_eq!(
            r.cwd,
            text(&std::fs::canonicalize(&cwd).unwrap()),
            "the jobs start where slurm was run"
        );
        assert_eq!(r.functions, functions_dir());
        assert_eq!(
            r.argv,
            shard_argv(
                &config_abs,
                task,
                2,
                "tiny-study-1",
                &results,
                &[RUNTIMES_SET, "repetitions=2"]
            )
        );
    }
    let o = Command::new("bash")
        .arg(&merge_file)
        .current_dir("/")
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert!(o.status.success(), "merge: {}", stderr(&o));
    assert_eq!(recorded(&results.join("merged")).argv, merge_argv(&results, 2));

    // The array script outside Slurm says what is wrong.
    let o = Command::new("bash")
        .arg(&shards_file)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("submit this script with sbatch"),
        "{}",
        stderr(&o)
    );

    // A second study into the same folder would collide with the first one's shard folders.
    let o = slurm(
        &cwd,
        &[
            "../tiny.toml",
            "--shards",
            "2",
            "--results",
            "../it's the results",
        ],
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains(
            "already holds the folders of an earlier study (merged, shard-1, shard-2): give another \
             --results folder, or remove them first"
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_derived_study_id_starts_with_the_config_name_and_nebula_defaults_to_this_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write(&tmp.path().join("tiny.toml"), TINY);
    let results = tmp.path().join("r");
    let o = slurm(tmp.path(), &[&text(&config), "--shards", "1", "--results", "r"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let shards = std::fs::read_to_string(results.join("shards.sbatch")).unwrap();
    let run = shards.lines().last().unwrap();
    let exe = text(&std::fs::canonicalize(env!("CARGO_BIN_EXE_nebula")).unwrap());
    assert!(
        run.starts_with(&format!("exec {exe} run {} --shard ", text(&config))),
        "{run}"
    );
    let study = run.split(" --study ").nth(1).unwrap().split(' ').next().unwrap();
    // tiny-YYYYMMDD-HHMMSS-xxxxxx, like a run id.
    let parts: Vec<&str> = study.split('-').collect();
    assert_eq!(parts.len(), 4, "{study}");
    assert_eq!(parts[0], "tiny");
    assert_eq!(
        (parts[1].len(), parts[2].len(), parts[3].len()),
        (8, 6, 6),
        "{study}"
    );
    assert!(shards.contains("#SBATCH --array=1-1\n"), "{shards}");
    assert!(!shards.contains("--set"), "{shards}");
}

#[test]
fn more_shards_than_cells_or_a_bad_value_are_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write(&tmp.path().join("tiny.toml"), TINY);
    let c = text(&config);
    // Each refusal: the arguments after the config, and what its message says.
    let cases: [(&[&str], &str); 4] = [
        (&["--shards", "3"], "--shards 3: "),
        (
            &["--shards", "2", "--study", "a b"],
            "--study \"a b\": a study id is 1 to 100 letters",
        ),
        (
            &["--shards", "2", "--time", "2 h"],
            "--time \"2 h\" is not one word",
        ),
        // A bad --set is the config's error, with its fix.
        (&["--shards", "2", "--set", "repetitions=0"], "Fix:"),
    ];
    for (args, says) in cases {
        let mut argv = vec![c.as_str(), "--results", "r"];
        argv.extend_from_slice(args);
        let o = slurm(tmp.path(), &argv);
        assert!(!o.status.success(), "{args:?} accepted");
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
    let o = slurm(tmp.path(), &[&c, "--shards", "3", "--results", "r"]);
    assert!(
        stderr(&o).contains(
            "has only 2 function/input/concurrency groups (a shard measures each with all its runtimes), and each shard needs at least one; use --shards 2 or fewer"
        ),
        "{}",
        stderr(&o)
    );
    assert!(
        !tmp.path().join("r").exists(),
        "nothing is written for a refused study"
    );
}

#[test]
fn submitting_without_sbatch_on_path_says_how_to_get_it() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write(&tmp.path().join("tiny.toml"), TINY);
    // A PATH without sbatch (the test's own may have one).
    let o2 = nebula_in(tmp.path())
        .env("PATH", tmp.path())
        .args([
            "slurm",
            &text(&config),
            "--shards",
            "2",
            "--results",
            "r2",
            "--submit",
        ])
        .output()
        .unwrap();
    assert!(!o2.status.success());
    let e = stderr(&o2);
    assert!(
        e.contains("sbatch is not on PATH: run this on a machine with the Slurm client"),
        "{e}"
    );
    assert!(e.contains("scripts/slurm-local.sh start"), "{e}");
    assert!(e.contains("nothing was submitted"), "{e}");
    assert!(
        e.contains(&format!(
            "jobid=$(sbatch --parsable {}/r2/shards.sbatch)",
            text(tmp.path())
        )),
        "{e}"
    );
    assert!(tmp.path().join("r2/shards.sbatch").is_file() && tmp.path().join("r2/merge.sbatch").is_file());
    assert_eq!(stdout(&o2), "", "no job id is printed");
}

// --- A real Slurm on this machine. ---

/// Starts the one-node Slurm (once per test binary), or fails with what went wrong.
fn local_slurm() {
    static UP: OnceLock<Result<(), String>> = OnceLock::new();
    let up = UP.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/slurm-local.sh");
        let o = Command::new("bash")
            .arg(&script)
            .arg("start")
            .output()
            .map_err(|e| e.to_string())?;
        if o.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{} start failed ({}); the Slurm tests need a one-node Slurm on this machine: run them as \
                 root on Debian 12 (the script installs slurm-wlm and munge), or fix what it says:\n{}{}",
                script.display(),
                o.status,
                stdout(&o),
                stderr(&o)
            ))
        }
    });
    if let Err(e) = up {
        panic!("{e}");
    }
}

/// JobState of every job (array task) of each id, once none is pending or running; panics after
/// `limit` with what is still queued.
fn wait_for_jobs(ids: &[&str], limit: Duration) -> BTreeMap<String, String> {
    let t0 = Instant::now();
    loop {
        let mut states = BTreeMap::new();
        for id in ids {
            let o = Command::new("scontrol")
                .args(["show", "job", "-o", id])
                .output()
                .unwrap();
            assert!(o.status.success(), "scontrol show job {id}: {}", stderr(&o));
            for line in stdout(&o).lines() {
                let field = |k: &str| {
                    line.split(' ')
                        .find_map(|f| f.strip_prefix(k))
                        .unwrap_or("")
                        .to_string()
                };
                states.insert(field("JobId="), field("JobState="));
            }
        }
        let done = states.values().all(|s| {
            !matches!(
                s.as_str(),
                "PENDING" | "RUNNING" | "CONFIGURING" | "COMPLETING" | "SUSPENDED"
            )
        });
        if done && !states.is_empty() {
            return states;
        }
        if t0.elapsed() > limit {
            let q = Command::new("squeue").output().unwrap();
            panic!(
                "jobs {ids:?} still not finished after {limit:?}: {states:?}\n{}",
                stdout(&q)
            );
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// The job ids `nebula slurm --submit` printed: `shards job N` and `merge job M`.
fn job_ids(o: &Output) -> (String, String) {
    let out = stdout(o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    let shards = lines[0].strip_prefix("shards job ").unwrap().to_string();
    let merge = lines[1].strip_prefix("merge job ").unwrap().to_string();
    assert!(
        shards.parse::<u64>().is_ok() && merge.parse::<u64>().is_ok(),
        "{out}"
    );
    (shards, merge)
}

/// The Slurm logs of a study, for a failure's message.
fn logs(results: &Path) -> String {
    let mut s = String::new();
    for e in std::fs::read_dir(results).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "out") {
            s += &format!(
                "--- {}\n{}\n",
                p.display(),
                std::fs::read_to_string(&p).unwrap_or_default()
            );
        }
    }
    s
}

#[test]
fn slurm_runs_the_array_tasks_one_at_a_time_and_the_merge_after_them() {
    local_slurm();
    let tmp = tempfile::tempdir().unwrap();
    let config = write(&tmp.path().join("tiny.toml"), TINY);
    let fake = recorder(tmp.path());
    let results = tmp.path().join("shared results");
    let o = slurm(
        tmp.path(),
        &[
            &text(&config),
            "--shards",
            "2",
            "--results",
            &text(&results),
            "--study",
            "plumbing",
            "--nebula",
            &text(&fake),
            "--set",
            RUNTIMES_SET,
            "--submit",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let (shards, merge) = job_ids(&o);
    let states = wait_for_jobs(&[&shards, &merge], Duration::from_secs(180));
    assert_eq!(states.len(), 3, "two array tasks and the merge: {states:?}");
    assert!(
        states.values().all(|s| s == "COMPLETED"),
        "{states:?}\n{}",
        logs(&results)
    );
    let tasks: Vec<Recorded> = (1..=2)
        .map(|i| recorded(&results.join(format!("shard-{i}"))))
        .collect();
    for (i, r) in tasks.iter().enumerate() {
        let task = i as u32 + 1;
        assert_eq!(r.task, task.to_string());
        assert_eq!(r.cwd, text(&std::fs::canonicalize(tmp.path()).unwrap()));
        assert_eq!(r.functions, functions_dir());
        assert_eq!(
            r.argv,
            shard_argv(&config, task, 2, "plumbing", &results, &[RUNTIMES_SET])
        );
    }
    // --exclusive on a one-node cluster: the second task started after the first ended.
    let (a, b) = (&tasks[0], &tasks[1]);
    assert!(
        a.end <= b.start || b.end <= a.start,
        "the tasks overlapped: {:?} and {:?}",
        (a.start, a.end),
        (b.start, b.end)
    );
    let m = recorded(&results.join("merged"));
    assert_eq!(m.argv, merge_argv(&results, 2));
    assert_eq!(m.task, "", "the merge is not an array task");
    assert!(
        m.start >= a.end.max(b.end),
        "the merge started before the shards ended"
    );
    // Each task wrote its Slurm log where the script said.
    for i in 1..=2 {
        assert!(
            results.join(format!("slurm-{shards}_{i}.out")).is_file(),
            "{}",
            logs(&results)
        );
    }
    assert!(results.join(format!("slurm-merge-{merge}.out")).is_file());
}

#[test]
fn sbatch_refusing_a_job_is_reported_with_its_message() {
    local_slurm();
    let tmp = tempfile::tempdir().unwrap();
    let config = write(&tmp.path().join("tiny.toml"), TINY);
    let o = slurm(
        tmp.path(),
        &[
            &text(&config),
            "--shards",
            "2",
            "--results",
            "r",
            "--partition",
            "no-such-partition",
            "--submit",
        ],
    );
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains("nothing was submitted"), "{e}");
    assert!(e.contains("sbatch refused") && e.contains("shards.sbatch"), "{e}");
    // sbatch's own words: "invalid partition specified: no-such-partition".
    assert!(
        e.contains("invalid partition specified: no-such-partition"),
        "{e}"
    );
    assert_eq!(stdout(&o), "");
}

/// The `cell` column of a CSV file, as a count of rows per cell.
fn rows_per_cell(path: &Path) -> BTreeMap<String, usize> {
    let mut rd = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let col = rd
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "cell")
        .expect("a cell column");
    let mut n = BTreeMap::new();
    for r in rd.records() {
        *n.entry(r.unwrap()[col].to_string()).or_insert(0) += 1;
    }
    n
}

#[test]
fn a_study_sharded_on_slurm_and_merged_has_the_cells_and_windows_of_an_unsharded_run() {
    local_slurm();
    let tmp = tempfile::tempdir().unwrap();
    let config = write(&tmp.path().join("tiny.toml"), TINY);
    let results = tmp.path().join("shared");
    let o = slurm(
        tmp.path(),
        &[
            &text(&config),
            "--shards",
            "2",
            "--results",
            &text(&results),
            "--submit",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let (shards, merge) = job_ids(&o);
    let states = wait_for_jobs(&[&shards, &merge], Duration::from_secs(240));
    assert!(
        states.values().all(|s| s == "COMPLETED"),
        "the study's jobs did not all complete: {states:?}\n{}",
        logs(&results)
    );
    let merged = results.join("merged");
    assert!(merged.is_dir(), "no merged run in {}", results.display());

    let whole = tmp.path().join("whole");
    crate::experiment_run::run_to(&whole, &config, &[]);
    let want_windows = rows_per_cell(&whole.join("windows.csv"));
    assert_eq!(want_windows.len(), 4, "{want_windows:?}");
    assert!(want_windows.values().all(|&n| n == 2), "{want_windows:?}");
    assert_eq!(rows_per_cell(&merged.join("windows.csv")), want_windows);
    let cells = |p: &Path| rows_per_cell(p).into_keys().collect::<BTreeSet<_>>();
    assert_eq!(cells(&merged.join("calls.csv")), cells(&whole.join("calls.csv")));
    // Each shard ran part of the cells, none twice.
    let per_shard: Vec<BTreeSet<String>> = (1..=2)
        .map(|i| cells(&results.join(format!("shard-{i}/windows.csv"))))
        .collect();
    assert!(per_shard.iter().all(|s| !s.is_empty()), "{per_shard:?}");
    assert!(per_shard[0].is_disjoint(&per_shard[1]), "{per_shard:?}");
}
