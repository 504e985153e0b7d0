//! `nebula merge`: the runs of one study (its shards, or whole runs of one config on several
//! machines) joined into one run. The parts must belong together: one config (its hash), the
//! same function builds (their SHA-256), all complete, shards of one study and split, each
//! given once. Every cell of the config must be there, and none twice on one machine; each
//! missing or repeated cell is named. The calls and windows are concatenated (window ids
//! renumbered so that they stay unique, the run id the merged one's, the `machine` column
//! kept), and the summaries, comparison, charts and report are computed anew: a merged run is
//! a run that `plot`, `report` and `compare` read.

use super::config;
use super::matrix;
use crate::results::metadata::{self, MergedPart, Metadata, Status};
use anyhow::{anyhow, bail, Context, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The files a part's rows come from.
const CALLS: &str = "calls.csv";
const WINDOWS: &str = "windows.csv";

/// One part as read: its folder and metadata, and the cells its windows measured, per machine.
struct Part {
    dir: PathBuf,
    meta: Metadata,
    /// (machine, cell) of its windows.
    cells: BTreeSet<(String, String)>,
}

/// Merge the runs in `dirs` into the new folder `out`; returns the merged run's metadata.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<Metadata> {
    if dirs.len() < 2 {
        bail!("give at least two run folders to merge (the shards of a study, or runs of one config on several machines)");
    }
    let parts: Vec<Part> = dirs.iter().map(|d| read_part(d)).collect::<Result<_>>()?;
    check_together(&parts)?;
    check_cells(&parts)?;
    super::rundir::precheck(out)?;
    let folder = super::rundir::create_at(out)?;
    let first = &parts[0].meta;
    let run_id = super::rundir::new_run_id(&format!("{}-merged", first.name));
    let mut offset = 0u64;
    let calls_path = out.join(CALLS);
    let windows_path = out.join(WINDOWS);
    let mut calls_out = Joiner::create(&calls_path, &header_of::<crate::results::CallRow>())?;
    let mut windows_out = Joiner::create(&windows_path, &header_of::<crate::results::WindowRow>())?;
    for p in &parts {
        let machine = machine_of(&p.meta);
        let max_calls = calls_out.append(&p.dir.join(CALLS), &run_id, offset, &machine)?;
        let max_windows = windows_out.append(&p.dir.join(WINDOWS), &run_id, offset, &machine)?;
        offset += max_calls.max(max_windows).map_or(0, |m| m + 1);
    }
    calls_out.finish()?;
    windows_out.finish()?;
    let meta = merged_metadata(&parts, &run_id)?;
    metadata::write(out, &meta)?;
    drop(folder);
    Ok(meta)
}

fn read_part(dir: &Path) -> Result<Part> {
    let meta = metadata::read(dir).with_context(|| format!("cannot merge {}", dir.display()))?;
    if meta.status != Status::Complete {
        bail!(
            "{} is not complete ({:?}, {} of {} windows): finish it first with nebula run --resume {}",
            dir.display(),
            meta.status,
            meta.windows_done,
            meta.windows_planned,
            dir.display()
        );
    }
    let path = dir.join(WINDOWS);
    let mut rdr = csv::Reader::from_path(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let headers = rdr.headers()?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let cell = col("cell").ok_or_else(|| anyhow!("{}: no `cell` column", path.display()))?;
    let machine_col = col("machine");
    let own = machine_of(&meta);
    let mut cells = BTreeSet::new();
    for r in rdr.records() {
        let r = r.with_context(|| format!("cannot read {}", path.display()))?;
        let m = machine_col
            .and_then(|i| r.get(i))
            .filter(|m| !m.is_empty())
            .unwrap_or(&own);
        cells.insert((m.to_string(), r.get(cell).unwrap_or_default().to_string()));
    }
    Ok(Part {
        dir: dir.to_path_buf(),
        meta,
        cells,
    })
}

/// One config, the same builds, shards of one study given once each (or whole runs alone).
fn check_together(parts: &[Part]) -> Result<()> {
    let first = &parts[0];
    let builds = |p: &Part| -> BTreeMap<(String, String), String> {
        p.meta
            .modules
            .iter()
            .map(|m| ((m.function.clone(), m.build.clone()), m.sha256.clone()))
            .collect()
    };
    let first_builds = builds(first);
    for p in &parts[1..] {
        if p.meta.config_sha256 != first.meta.config_sha256 {
            bail!(
                "{} and {} ran different configs (config_sha256 {} and {}): merge only the runs of one config (with the same --set overrides)",
                first.dir.display(),
                p.dir.display(),
                short(&first.meta.config_sha256),
                short(&p.meta.config_sha256)
            );
        }
        for (key, sha) in builds(p) {
            if let Some(other) = first_builds.get(&key).filter(|o| **o != sha) {
                bail!(
                    "the {} build of '{}' differs: {} in {}, {} in {}. Fix: merge only runs of the same builds (copy one build of the functions to every machine)",
                    key.1,
                    key.0,
                    short(other),
                    first.dir.display(),
                    short(&sha),
                    p.dir.display()
                );
            }
        }
    }
    let shards: Vec<_> = parts.iter().map(|p| p.meta.shard.as_ref()).collect();
    match (shards.iter().all(Option::is_some), shards.iter().all(Option::is_none)) {
        (true, _) => {
            let s0 = shards[0].ok_or_else(|| anyhow!("internal: no shard"))?;
            let mut seen: BTreeMap<u32, &Path> = BTreeMap::new();
            for (p, s) in parts.iter().zip(&shards) {
                let s = s.ok_or_else(|| anyhow!("internal: no shard"))?;
                if s.study != s0.study || s.count != s0.count {
                    bail!(
                        "{} is shard {}/{} of study {}, {} shard {}/{} of study {}: merge the shards of one study",
                        first.dir.display(),
                        s0.index,
                        s0.count,
                        s0.study,
                        p.dir.display(),
                        s.index,
                        s.count,
                        s.study
                    );
                }
                if let Some(d) = seen.insert(s.index, &p.dir) {
                    bail!(
                        "shard {}/{} is given twice: {} and {}. Fix: give each shard's folder once",
                        s.index,
                        s.count,
                        d.display(),
                        p.dir.display()
                    );
                }
            }
        }
        (_, true) => {}
        _ => bail!("some of the folders are shards (--shard) and some whole runs: merge the shards of one study, or whole runs"),
    }
    Ok(())
}

/// Every cell of the config present, none twice on one machine; each one at fault named.
fn check_cells(parts: &[Part]) -> Result<()> {
    let first = &parts[0].meta;
    let base = first
        .config_dir
        .as_deref()
        .map_or_else(|| PathBuf::from("."), PathBuf::from);
    let suite = crate::suite::Suite::load_default()?;
    let plan = config::parse_in(
        &format!("{}/metadata.json (config_toml)", parts[0].dir.display()),
        &first.config_toml,
        &[],
        &suite,
        &base,
    );
    // Where the config's functions are not here (a merge on a machine without their builds),
    // its cells cannot be listed: only repeats are checked.
    let expected = match &plan {
        Ok(plan) => matrix::all_cells(plan),
        Err(e) => {
            crate::errln!(
                "warning: cannot list the config's cells on this machine ({e}): checked only that no cell is there twice on one machine"
            );
            Vec::new()
        }
    };
    let mut problems = Vec::new();
    let mut by_machine: BTreeMap<(&str, &str), &Path> = BTreeMap::new();
    for p in parts {
        for (m, c) in &p.cells {
            if let Some(d) = by_machine.insert((m, c), &p.dir) {
                problems.push(format!(
                    "cell {c} on machine {m} is in both {} and {}",
                    d.display(),
                    p.dir.display()
                ));
            }
        }
    }
    let present: BTreeSet<&str> = parts
        .iter()
        .flat_map(|p| p.cells.iter().map(|(_, c)| c.as_str()))
        .collect();
    let sharded = first.shard.clone();
    let groups = matrix::groups(&expected);
    for c in expected.iter().filter(|c| !present.contains(c.id().as_str())) {
        let whose = match &sharded {
            Some(s) => format!(" (shard {}/{})", matrix::shard_of(&groups, c, s.count), s.count),
            None => String::new(),
        };
        problems.push(format!("cell {} is missing{whose}", c.id()));
    }
    if !parts.iter().all(|p| p.meta.shard.is_some()) {
        // Whole runs: each must hold every cell.
        for p in parts {
            let own: BTreeSet<&str> = p.cells.iter().map(|(_, c)| c.as_str()).collect();
            for c in expected.iter().filter(|c| !own.contains(c.id().as_str())) {
                problems.push(format!("cell {} is missing from {}", c.id(), p.dir.display()));
            }
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    let n = problems.len();
    let shown: Vec<String> = problems.into_iter().take(20).collect();
    bail!(
        "the runs do not make one study: {}{}. Fix: give every shard's folder once (a missing shard: run it with nebula run --shard I/N --study {}), or finish the run that lacks cells",
        shown.join("; "),
        if n > 20 { format!("; and {} more", n - 20) } else { String::new() },
        sharded.map_or_else(|| "ID".to_string(), |s| s.study)
    )
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// The merged run's record: the first part's, with the parts listed, their counts added and
/// their warnings and mismatches kept (each warning naming its part).
fn merged_metadata(parts: &[Part], run_id: &str) -> Result<Metadata> {
    let mut m = parts[0].meta.clone();
    m.run_id = run_id.to_string();
    m.shard = None;
    m.cells = parts.iter().map(|p| p.meta.cells).sum();
    m.windows_planned = parts.iter().map(|p| p.meta.windows_planned).sum();
    m.windows_done = parts.iter().map(|p| p.meta.windows_done).sum();
    m.started = parts
        .iter()
        .map(|p| p.meta.started)
        .min()
        .unwrap_or_else(metadata::Timestamp::now);
    m.ended = parts.iter().filter_map(|p| p.meta.ended).max();
    m.status = Status::Complete;
    m.digest_mismatches = parts
        .iter()
        .flat_map(|p| p.meta.digest_mismatches.iter().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    m.warnings = parts
        .iter()
        .flat_map(|p| {
            p.meta
                .warnings
                .iter()
                .map(move |w| format!("{}: {w}", p.meta.run_id))
        })
        .collect();
    let sources: BTreeSet<String> = parts.iter().map(|p| p.meta.energy.label.clone()).collect();
    if sources.len() > 1 {
        m.warnings.push(format!(
            "the parts' energy is of different kinds ({}): compare energy within a machine, not across",
            sources.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    m.merged = parts
        .iter()
        .map(|p| MergedPart {
            dir: p.dir.display().to_string(),
            run_id: p.meta.run_id.clone(),
            shard: p.meta.shard.clone(),
            machine: p.meta.machine.clone(),
            energy: format!("{} ({})", p.meta.energy.source, p.meta.energy.label),
        })
        .collect();
    Ok(m)
}

/// A row's `window_id` field (`line` of `from`, for the error).
fn window_id(field: &[u8], from: &Path, line: usize) -> Result<u64> {
    std::str::from_utf8(field)
        .ok()
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| anyhow!("{}: line {line}: `window_id` is not a number", from.display()))
}

/// The machine a part's rows without a `machine` value were measured on: its metadata's id,
/// or its hostname in runs from before the id was recorded.
fn machine_of(meta: &Metadata) -> String {
    if meta.machine.id.is_empty() {
        meta.machine.hostname.clone()
    } else {
        meta.machine.id.clone()
    }
}

/// The CSV header serde writes for `T` (the current columns, in order).
fn header_of<T: serde::Serialize + Default>() -> Vec<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    if w.serialize(T::default()).is_err() {
        return Vec::new();
    }
    let bytes = w.into_inner().unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let first = text.lines().next().unwrap_or_default().to_string();
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(first.as_bytes());
    r.records()
        .next()
        .and_then(|r| r.ok())
        .map(|r| r.iter().map(str::to_string).collect())
        .unwrap_or_default()
}

/// A CSV written from the rows of several files of one kind, each mapped onto its columns.
struct Joiner {
    path: PathBuf,
    tmp: PathBuf,
    header: Vec<String>,
    out: std::io::BufWriter<std::fs::File>,
}

impl Joiner {
    fn create(path: &Path, header: &[String]) -> Result<Joiner> {
        let tmp = path.with_extension("csv.tmp");
        let file = std::fs::File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record(header)?;
            w.flush()?;
        }
        Ok(Joiner {
            path: path.to_path_buf(),
            tmp,
            header: header.to_vec(),
            out,
        })
    }

    /// Appends the rows of `from`: `run_id` set to `run_id`, `window_id` moved up by `offset`,
    /// an empty `machine` set to `machine`. Returns the largest window id read.
    fn append(&mut self, from: &Path, run_id: &str, offset: u64, machine: &str) -> Result<Option<u64>> {
        let mut rdr =
            csv::Reader::from_path(from).with_context(|| format!("cannot read {}", from.display()))?;
        let headers = rdr.byte_headers()?.clone();
        if headers.len() == self.header.len()
            && headers.iter().zip(&self.header).all(|(a, b)| a == b.as_bytes())
        {
            return self.append_raw(from, run_id, offset, machine);
        }
        let map: Vec<Option<usize>> = self
            .header
            .iter()
            .map(|h| headers.iter().position(|x| x == h.as_bytes()))
            .collect();
        let at = |name: &str| self.header.iter().position(|h| h == name);
        let (run_col, window_col, machine_col) = (at("run_id"), at("window_id"), at("machine"));
        let mut rec = csv::ByteRecord::new();
        let mut row = csv::ByteRecord::new();
        let mut max = None;
        let mut line = 1usize;
        let mut out = csv::Writer::from_writer(&mut self.out);
        while rdr
            .read_byte_record(&mut rec)
            .map_err(|e| anyhow!("{}: line {}: {e}", from.display(), line + 1))?
        {
            line += 1;
            row.clear();
            for (i, src) in map.iter().enumerate() {
                let field = src.and_then(|s| rec.get(s)).unwrap_or_default();
                if Some(i) == run_col {
                    row.push_field(run_id.as_bytes());
                } else if Some(i) == window_col {
                    let id = window_id(field, from, line)?;
                    max = max.max(Some(id));
                    row.push_field((id + offset).to_string().as_bytes());
                } else if Some(i) == machine_col && field.is_empty() {
                    row.push_field(machine.as_bytes());
                } else {
                    row.push_field(field);
                }
            }
            out.write_byte_record(&row)?;
        }
        out.flush()?;
        Ok(max)
    }

    /// [`Joiner::append`] of a file with this very header: each record's bytes are copied as
    /// they are but for the three fields changed, found by a quote-aware scan (a quoted field
    /// may hold commas and newlines), without parsing the others.
    fn append_raw(&mut self, from: &Path, run_id: &str, offset: u64, machine: &str) -> Result<Option<u64>> {
        use std::io::{BufRead, Write};
        let at = |name: &str| self.header.iter().position(|h| h == name).unwrap_or(usize::MAX);
        let (run_col, window_col, machine_col) = (at("run_id"), at("window_id"), at("machine"));
        let file = std::fs::File::open(from).with_context(|| format!("cannot read {}", from.display()))?;
        let mut input = std::io::BufReader::with_capacity(1 << 20, file);
        let out = &mut self.out;
        let mut rec: Vec<u8> = Vec::with_capacity(1024);
        let mut starts: Vec<usize> = Vec::with_capacity(self.header.len() + 1);
        let mut number = itoa::Buffer::new();
        let (mut max, mut line, mut header_done) = (None, 0usize, false);
        loop {
            rec.clear();
            // A record: lines until its quotes are balanced.
            loop {
                let n = input.read_until(b'\n', &mut rec)?;
                line += 1;
                if n == 0 || rec.iter().filter(|&&b| b == b'"').count() % 2 == 0 {
                    break;
                }
            }
            if rec.is_empty() {
                break;
            }
            if !header_done {
                header_done = true;
                continue;
            }
            let body = rec.strip_suffix(b"\n").unwrap_or(&rec);
            let body = body.strip_suffix(b"\r").unwrap_or(body);
            starts.clear();
            starts.push(0);
            let mut quoted = false;
            for (i, &b) in body.iter().enumerate() {
                match b {
                    b'"' => quoted = !quoted,
                    b',' if !quoted => starts.push(i + 1),
                    _ => {}
                }
            }
            if starts.len() != self.header.len() {
                bail!(
                    "{}: line {line}: {} fields where the header has {}",
                    from.display(),
                    starts.len(),
                    self.header.len()
                );
            }
            for (i, &start) in starts.iter().enumerate() {
                let end = starts.get(i + 1).map_or(body.len(), |next| next - 1);
                let field = &body[start..end];
                if i > 0 {
                    out.write_all(b",")?;
                }
                if i == run_col {
                    out.write_all(run_id.as_bytes())?;
                } else if i == window_col {
                    let id = window_id(field, from, line)?;
                    max = max.max(Some(id));
                    out.write_all(number.format(id + offset).as_bytes())?;
                } else if i == machine_col && field.is_empty() {
                    out.write_all(machine.as_bytes())?;
                } else {
                    out.write_all(field)?;
                }
            }
            out.write_all(b"\n")?;
        }
        Ok(max)
    }

    fn finish(self) -> Result<()> {
        use std::io::Write;
        let mut w = self.out;
        w.flush()?;
        drop(w);
        std::fs::rename(&self.tmp, &self.path)
            .with_context(|| format!("cannot write {}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path copies a record's bytes but for the fields it changes, quoted commas and
    /// newlines included; the general path (another header) gives the same rows.
    #[test]
    fn rows_are_joined_with_ids_moved_and_quoted_fields_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let header: Vec<String> = ["run_id", "window_id", "cell", "error", "machine"]
            .map(String::from)
            .to_vec();
        let a = tmp.path().join("part-a");
        std::fs::write(&a, "run_id,window_id,cell,error,machine\nr1,0,\"f/1,2/wasm/c1\",\"line one\nline, two \"\"q\"\"\",\nr1,3,f/3/native/c1,,m-a\n").unwrap();
        let b = tmp.path().join("part-b");
        std::fs::write(&b, "machine,cell,window_id,run_id,error\n,f/4/wasm/c1,1,r2,\n").unwrap();
        let out = tmp.path().join("joined");
        let mut j = Joiner::create(&out, &header).unwrap();
        assert_eq!(j.append(&a, "merged", 10, "m-x").unwrap(), Some(3));
        assert_eq!(j.append(&b, "merged", 14, "m-y").unwrap(), Some(1));
        j.finish().unwrap();
        let rows: Vec<Vec<String>> = csv::Reader::from_path(&out)
            .unwrap()
            .records()
            .map(|r| r.unwrap().iter().map(String::from).collect())
            .collect();
        assert_eq!(
            rows,
            vec![
                vec![
                    "merged",
                    "10",
                    "f/1,2/wasm/c1",
                    "line one\nline, two \"q\"",
                    "m-x"
                ],
                vec!["merged", "13", "f/3/native/c1", "", "m-a"],
                vec!["merged", "15", "f/4/wasm/c1", "", "m-y"],
            ]
        );
    }
}
