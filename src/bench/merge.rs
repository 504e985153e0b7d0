//! `nebula bench --results N --merge`: merging a study's shards at scale. The synthetic run of
//! N call rows (`results.rs`) is split into two shards by function (each function, input and
//! runtime on one machine, as `--shard` splits), each with its metadata (shard 1/2 and 2/2 of
//! one study, two machine ids), then `nebula merge` of the two, and `nebula report` and
//! `nebula plot` of the merged run, are measured as children (wall time, peak memory).

use super::results::{measure, Step};
use crate::results::metadata::{self, Machine, Metadata, Shard, Status};
use anyhow::{anyhow, Context, Result};
use std::path::{Path, PathBuf};

/// Splits the run in `dir` into `dir/shard-1` and `dir/shard-2` and measures the merge into
/// `dir/merged` and the report and charts of the merged run.
pub fn steps(dir: &Path) -> Result<Vec<Step>> {
    let shards = [dir.join("shard-1"), dir.join("shard-2")];
    let mut cells = [0usize; 2];
    let mut windows = [0usize; 2];
    for file in ["calls.csv", "windows.csv"] {
        let counts = split(&dir.join(file), &shards, file)?;
        if file == "windows.csv" {
            windows = counts;
        }
    }
    for (i, s) in shards.iter().enumerate() {
        let mut rdr = csv::Reader::from_path(s.join("windows.csv"))?;
        let mut seen = std::collections::BTreeSet::new();
        for r in rdr.records() {
            seen.insert(r?.get(2).unwrap_or_default().to_string());
        }
        cells[i] = seen.len();
    }
    for (i, s) in shards.iter().enumerate() {
        let meta = Metadata {
            run_id: format!("bench-results-shard-{}", i + 1),
            name: "bench-results".into(),
            status: Status::Complete,
            started: metadata::Timestamp::now(),
            ended: Some(metadata::Timestamp::now()),
            config_sha256: "bench-results".into(),
            config_toml: "name = \"bench-results\"\nruntimes = [\"wasm\", \"wasm-cold\", \"native\"]\n"
                .into(),
            cells: cells[i],
            windows_planned: windows[i],
            windows_done: windows[i],
            machine: Machine {
                id: format!("bench-machine-{}", i + 1),
                cpu_model: "synthetic".into(),
                ..Machine::default()
            },
            energy: metadata::EnergyMeta {
                source: "model".into(),
                label: "estimated".into(),
                ..metadata::EnergyMeta::default()
            },
            shard: Some(Shard {
                index: i as u32 + 1,
                count: 2,
                study: "bench-results".into(),
            }),
            ..Metadata::default()
        };
        metadata::write(s, &meta)?;
    }
    let merged = dir.join("merged");
    let (a, b, m) = (
        shards[0].display().to_string(),
        shards[1].display().to_string(),
        merged.display().to_string(),
    );
    let mut out = vec![measure(&["merge", &a, &b, "--out", &m])?];
    out.push(measure(&["report", &m])?);
    out.push(measure(&["plot", &m])?);
    Ok(out)
}

/// Streams `from`'s rows into the two shards' files of that name: a row of an even function
/// (`f00`, `f02`, ...) to the first; returns the rows each got.
fn split(from: &Path, shards: &[PathBuf; 2], name: &str) -> Result<[usize; 2]> {
    let mut rdr = csv::Reader::from_path(from).with_context(|| format!("cannot read {}", from.display()))?;
    let headers = rdr.byte_headers()?.clone();
    let f = headers
        .iter()
        .position(|h| h == b"function")
        .ok_or_else(|| anyhow!("{}: no function column", from.display()))?;
    let mut outs = Vec::new();
    for s in shards {
        std::fs::create_dir_all(s).with_context(|| format!("cannot create {}", s.display()))?;
        let file = std::fs::File::create(s.join(name))?;
        let mut w = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, file));
        w.write_byte_record(&headers)?;
        outs.push(w);
    }
    let mut counts = [0usize; 2];
    let mut rec = csv::ByteRecord::new();
    while rdr.read_byte_record(&mut rec)? {
        let func = rec.get(f).unwrap_or_default();
        let k = func
            .get(1..)
            .and_then(|d| std::str::from_utf8(d).ok()?.parse::<usize>().ok())
            .map_or(0, |n| n % 2);
        outs[k].write_byte_record(&rec)?;
        counts[k] += 1;
    }
    for mut w in outs {
        w.flush()?;
    }
    Ok(counts)
}
