//! A study over several machines: `--shard I/N` partitions the cells (every cell in exactly one
//! shard, for any N, a function/input/concurrency never split); `nebula merge` of the shards
//! holds exactly the cells and windows of the same config run whole, refuses parts of another
//! config, of other builds or a shard given twice, and names a missing cell; two machines' runs
//! merged give summaries and comparisons per machine, checked against the calls.

use crate::common::*;
use crate::experiment_run::nebula;
use nebula::experiment::config::parse;
use nebula::experiment::matrix;
use nebula::results::comparison::ComparisonRow;
use nebula::results::metadata::Shard;
use nebula::results::SummaryRow;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Slurm's tiny study (fibonacci at two inputs) and sha256: three groups of two cells.
fn config() -> String {
    format!(
        "{}[[function]]\nname = \"sha256\"\nsizes = [100]\n",
        crate::slurm_cluster::TINY
    )
}

/// `nebula run` of `cfg` into `out` as machine `machine`, with `extra` arguments.
fn run_as(machine: &str, cfg: &Path, out: &Path, extra: &[&str]) {
    let o = nebula()
        .env("NEBULA_MACHINE_ID", machine)
        .arg("run")
        .arg(cfg)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(extra)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "run failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn merge(dirs: &[&Path], out: &Path) -> std::process::Output {
    nebula()
        .arg("merge")
        .args(dirs)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

/// (cell, windows of it) of a run's windows.csv, and the machines of its calls.
fn cells_and_windows(dir: &Path) -> (BTreeMap<String, usize>, BTreeSet<String>) {
    let mut cells = BTreeMap::new();
    for w in csv::Reader::from_path(dir.join("windows.csv"))
        .unwrap()
        .deserialize::<nebula::results::WindowRow>()
    {
        *cells.entry(w.unwrap().cell).or_insert(0) += 1;
    }
    let machines = nebula::results::read_calls(&dir.join("calls.csv"))
        .unwrap()
        .into_iter()
        .map(|r| r.machine)
        .collect();
    (cells, machines)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]
    #[test]
    fn shards_partition_the_cells_and_keep_a_comparison_together(
        n in 1u32..9,
        sizes in 1usize..6,
        levels in prop::sample::subsequence(vec![1u32, 2, 4], 1..=3),
    ) {
        let sizes: Vec<String> = (1..=sizes).map(|s| (s * 5).to_string()).collect();
        let text = format!(
            "name = \"p\"\nruntimes = [\"wasm\", \"native\", \"wasm-cold\"]\nconcurrency = {levels:?}\n\
             [[function]]\nname = \"fibonacci\"\nsizes = [{}]\n[[function]]\nname = \"noop\"\nsizes = [1]\n",
            sizes.join(", ")
        );
        let mut plan = parse("p.toml", &text, &[], &suite()).unwrap();
        let all: Vec<String> = matrix::cells(&plan).iter().map(|c| c.id()).collect();
        let mut seen: BTreeMap<String, u32> = BTreeMap::new();
        for i in 1..=n {
            plan.shard = Some(Shard { index: i, count: n, study: "s".into() });
            let cells = matrix::cells(&plan);
            // Indices run 0.. within the shard: the window schedule is over the shard's cells.
            prop_assert!(cells.iter().enumerate().all(|(k, c)| c.index == k));
            for c in cells {
                prop_assert!(seen.insert(c.id(), i).is_none(), "{} in two shards", c.id());
            }
        }
        let got: BTreeSet<&String> = seen.keys().collect();
        prop_assert_eq!(got, all.iter().collect::<BTreeSet<_>>());
        // Every runtime of a (function, input, concurrency) is in one shard.
        let mut group: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
        for (id, s) in &seen {
            let (head, _) = id.rsplit_once('/').unwrap();
            let (fi, _) = head.rsplit_once('/').unwrap();
            group.entry(format!("{fi}/{}", id.rsplit('/').next().unwrap())).or_default().insert(*s);
        }
        prop_assert!(group.values().all(|s| s.len() == 1), "{group:?}");
    }
}

#[test]
fn merged_shards_hold_the_cells_and_windows_of_the_whole_run() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("study.toml");
    std::fs::write(&cfg, config()).unwrap();
    let (s1, s2, whole, merged) = (
        tmp.path().join("s1"),
        tmp.path().join("s2"),
        tmp.path().join("whole"),
        tmp.path().join("merged"),
    );
    run_as("node-a", &cfg, &s1, &["--shard", "1/2"]);
    run_as("node-b", &cfg, &s2, &["--shard", "2/2"]);
    run_as("node-a", &cfg, &whole, &[]);
    // A shard alone lacks the other's cells: named, with its shard.
    let out = merge(&[&s1, &s1], &tmp.path().join("x"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("shard 1/2 is given twice"),
        "{err}"
    );
    let o = merge(&[&s1, &s2], &merged);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (cells, machines) = cells_and_windows(&merged);
    let (want, _) = cells_and_windows(&whole);
    assert_eq!(cells, want, "the same cells, each with as many windows");
    assert_eq!(machines, BTreeSet::from(["node-a".into(), "node-b".into()]));
    // Window ids stay unique across the shards.
    let ids: Vec<u64> = csv::Reader::from_path(merged.join("windows.csv"))
        .unwrap()
        .deserialize::<nebula::results::WindowRow>()
        .map(|w| w.unwrap().window_id)
        .collect();
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len());
    let meta = nebula::results::metadata::read(&merged).unwrap();
    assert_eq!(meta.merged.len(), 2);
    assert_eq!(meta.windows_done, want.values().sum::<usize>());
    assert!(merged.join("report.html").is_file() && merged.join("summary.csv").is_file());
    // A merged run is a run: `nebula report` reads it.
    let o = nebula()
        .arg("report")
        .arg(&merged)
        .arg("--markdown")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // Another config's run is refused, naming both folders.
    let other = tmp.path().join("other.toml");
    std::fs::write(&other, config().replace("repetitions = 2", "repetitions = 1")).unwrap();
    let o2 = tmp.path().join("o2");
    run_as("node-b", &other, &o2, &["--shard", "2/2"]);
    let out = merge(&[&s1, &o2], &tmp.path().join("y"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ran different configs") && err.contains("o2"),
        "{err}"
    );
    // Other builds are refused, naming the function.
    let s2b = tmp.path().join("s2b");
    copy_dir(&s2, &s2b);
    let text = std::fs::read_to_string(s2b.join("metadata.json")).unwrap();
    let mut meta: serde_json::Value = serde_json::from_str(&text).unwrap();
    meta["modules"][0]["sha256"] = serde_json::Value::String("0".repeat(64));
    let function = meta["modules"][0]["function"].as_str().unwrap().to_string();
    std::fs::write(s2b.join("metadata.json"), meta.to_string()).unwrap();
    let out = merge(&[&s1, &s2b], &tmp.path().join("z"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("build of '{function}' differs")), "{err}");
    // A shard that is missing is named by its cells and its number.
    let lone = tmp.path().join("lone");
    run_as("node-c", &cfg, &lone, &["--shard", "1/3"]);
    let lone2 = tmp.path().join("lone2");
    run_as("node-c", &cfg, &lone2, &["--shard", "2/3"]);
    let out = merge(&[&lone, &lone2], &tmp.path().join("w"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is missing (shard 3/3)"), "{err}");
    assert!(!tmp.path().join("w").join("calls.csv").exists(), "nothing merged");
}

#[test]
fn two_machines_runs_merged_have_summaries_and_comparisons_per_machine() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("study.toml");
    std::fs::write(&cfg, config()).unwrap();
    let (a, b, merged) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("m"));
    run_as("intel-1", &cfg, &a, &[]);
    run_as("amd-1", &cfg, &b, &[]);
    let o = merge(&[&a, &b], &merged);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The end-of-run table: one per machine.
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains("machine amd-1:") && table.contains("machine intel-1:"),
        "{table}"
    );
    let summary: Vec<SummaryRow> = csv::Reader::from_path(merged.join("summary.csv"))
        .unwrap()
        .deserialize()
        .map(|r| r.unwrap())
        .collect();
    let comparison: Vec<ComparisonRow> = csv::Reader::from_path(merged.join("comparison.csv"))
        .unwrap()
        .deserialize()
        .map(|r| r.unwrap())
        .collect();
    let calls = nebula::results::read_calls(&merged.join("calls.csv")).unwrap();
    for machine in ["intel-1", "amd-1"] {
        let rows: Vec<&SummaryRow> = summary.iter().filter(|s| s.machine == machine).collect();
        assert_eq!(rows.len(), 6, "{machine}: 3 inputs x 2 runtimes");
        for s in rows {
            let mut walls: Vec<f64> = calls
                .iter()
                .filter(|c| c.machine == machine && c.cell == s.cell && c.ok)
                .map(|c| c.wall_ns as f64)
                .collect();
            walls.sort_by(f64::total_cmp);
            assert_eq!(s.n, walls.len(), "{machine} {}", s.cell);
            assert_eq!(
                s.wall_median_ns,
                Some(median_by_hand(&walls)),
                "{machine} {}",
                s.cell
            );
        }
        let latency: Vec<&ComparisonRow> = comparison
            .iter()
            .filter(|c| c.machine == machine && c.metric.as_str() == "latency")
            .collect();
        assert_eq!(latency.len(), 3, "{machine}: one wasm/native row per input");
        for c in latency {
            let med = |rt: &str| {
                summary
                    .iter()
                    .find(|s| {
                        s.machine == machine
                            && s.function == c.function
                            && s.input == c.input
                            && s.runtime == rt
                    })
                    .and_then(|s| s.wall_median_ns)
                    .unwrap()
            };
            let want = med("wasm") / med("native");
            let got = c.ratio.unwrap();
            assert!((got - want).abs() <= 1e-9 * want, "{machine}: {got} vs {want}");
        }
    }
    // The ratio chart has a row per machine under each function and input.
    let text = std::fs::read_to_string(merged.join("plots").join("ratio.svg")).unwrap();
    assert!(
        text.contains("fibonacci 10 · amd-1") && text.contains("fibonacci 10 · intel-1"),
        "{text}"
    );
}

#[test]
fn a_shard_resumes_as_the_same_part_of_its_study() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("study.toml");
    std::fs::write(&cfg, config()).unwrap();
    let s2 = tmp.path().join("s2");
    run_as("node-b", &cfg, &s2, &["--shard", "2/2"]);
    let (full, _) = cells_and_windows(&s2);
    // Cut the shard back to its first window, as a run stopped there leaves it.
    let cut = |file: &str| {
        let text = std::fs::read_to_string(s2.join(file)).unwrap();
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        let header = rdr.headers().unwrap().clone();
        let w = header.iter().position(|h| h == "window_id").unwrap();
        let mut out = csv::Writer::from_path(s2.join(file)).unwrap();
        out.write_record(&header).unwrap();
        for r in rdr.records().map(|r| r.unwrap()).filter(|r| &r[w] == "0") {
            out.write_record(&r).unwrap();
        }
        out.flush().unwrap();
    };
    cut("calls.csv");
    cut("windows.csv");
    let mut meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s2.join("metadata.json")).unwrap()).unwrap();
    meta["status"] = "interrupted".into();
    meta["windows_done"] = 1.into();
    std::fs::write(s2.join("metadata.json"), meta.to_string()).unwrap();
    for f in ["summary.csv", "comparison.csv", "report.html"] {
        std::fs::remove_file(s2.join(f)).unwrap();
    }
    let o = nebula()
        .env("NEBULA_MACHINE_ID", "node-b")
        .arg("run")
        .arg("--resume")
        .arg(&s2)
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (resumed, machines) = cells_and_windows(&s2);
    assert_eq!(
        resumed, full,
        "the shard's own cells, every window, and no other cell"
    );
    assert_eq!(machines, BTreeSet::from(["node-b".to_string()]));
    let meta = nebula::results::metadata::read(&s2).unwrap();
    assert_eq!(meta.shard.map(|s| (s.index, s.count)), Some((2, 2)));
}
