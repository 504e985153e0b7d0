//! Which files a run measured: the functions folder (absolute) and the SHA-256 of every module
//! file the run loads (the `.wasm` for `wasm` and `wasm-cold`, the simd128 `.wasm` for
//! `wasm-simd128`, the host binary for `native`) with what it was compiled for
//! ([`targets`]), recorded in `metadata.json`. A resume hashes them again: a file that changed since the run
//! started is added to the list with its new hash and is a warning.

use super::config::Plan;
use super::targets;
use crate::results::metadata::{Metadata, ModuleFile, Timestamp};
use crate::suite::{Build, Suite};
use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// `path` made absolute (symbolic links resolved where it exists).
pub fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// Hex SHA-256 of a file and its size, read in chunks.
pub fn sha256_file(path: &Path) -> Result<(String, u64)> {
    let mut f = std::fs::File::open(path)
        .with_context(|| format!("cannot read {} to record its SHA-256", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        let k = f
            .read(&mut buf)
            .with_context(|| format!("cannot read {} to record its SHA-256", path.display()))?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((crate::digest::to_hex(&h.finalize()), n))
}

/// Hash every module file the plan loads, one entry per (function, build), with what it was
/// compiled for.
pub fn modules(plan: &Plan, suite: &Suite, now: Timestamp) -> Result<Vec<ModuleFile>> {
    let manifest = targets::Manifest::read(&suite.root);
    let mut out = Vec::new();
    for (f, _) in &plan.functions {
        for build in Build::ALL {
            let runtimes: Vec<String> = plan
                .runtimes
                .iter()
                .filter(|r| r.build() == build && suite.has_build(f, build))
                .map(|r| r.as_str().to_string())
                .collect();
            if runtimes.is_empty() {
                continue;
            }
            let path = absolute(&suite.build_for(f, build)?);
            let (sha256, bytes) = sha256_file(&path)?;
            let own = suite.get(f).is_ok_and(|s| s.is_own());
            let target = targets::of(&manifest, own, f, build, &path, &sha256);
            out.push(ModuleFile {
                function: f.clone(),
                build: build.as_str().into(),
                runtimes,
                path: path.display().to_string(),
                bytes,
                sha256,
                hashed_at: now,
                target: Some(target),
            });
        }
    }
    Ok(out)
}

/// Merge the hashes of a resume into the run's list: files unchanged since last recorded are
/// kept as they are; a changed or new file is appended and named in the returned warnings.
pub fn merge(recorded: &mut Vec<ModuleFile>, now: Vec<ModuleFile>) -> Vec<String> {
    let mut warnings = Vec::new();
    for m in now {
        match last_recorded(recorded, &m) {
            Some(r) if r.sha256 == m.sha256 => {}
            Some(r) => {
                warnings.push(format!(
                    "the {} build of '{}' changed since the run started: {} now has SHA-256 {}, \
                     the earlier windows ran {} ({}). Windows from before and after this resume \
                     measured different code; rebuild the original or rerun the experiment",
                    m.build,
                    m.function,
                    m.path,
                    short(&m.sha256),
                    short(&r.sha256),
                    r.path
                ));
                recorded.push(m);
            }
            None => recorded.push(m),
        }
    }
    warnings
}

/// The functions folder and module hashes into the metadata: on a new run as they are, on a
/// resume merged with those recorded (a changed file is a warning).
pub fn record(meta: &mut Metadata, suite: &Suite, modules: Vec<ModuleFile>, note: Option<String>) {
    let folder = absolute(&suite.root).display().to_string();
    if meta.functions_dir.is_empty() {
        meta.functions_dir = folder;
    } else if meta.functions_dir != folder {
        let w = format!(
            "this session takes the functions from {folder}, the run started with {}: the \
             module hashes in metadata.json say whether the files differ",
            meta.functions_dir
        );
        meta.warn(w);
    }
    meta.modules_note = note;
    for w in merge(&mut meta.modules, modules) {
        meta.warn(w);
    }
}

/// Refuses a resume when a build of a function of one's own (`own(name)`) changed since the run
/// started: its windows would measure two programs under one name.
pub fn refuse_changed_own(
    recorded: &[ModuleFile],
    now: &[ModuleFile],
    own: impl Fn(&str) -> bool,
) -> Result<()> {
    for m in now.iter().filter(|m| own(&m.function)) {
        if let Some(r) = last_recorded(recorded, m).filter(|r| r.sha256 != m.sha256) {
            anyhow::bail!(
                "the {} build of '{}' changed since the run started: {} now has SHA-256 {}, the \
                 run's windows ran {}. Restore the original build to finish this run, or start a \
                 new run with the new one",
                m.build,
                m.function,
                m.path,
                short(&m.sha256),
                short(&r.sha256)
            );
        }
    }
    Ok(())
}

/// The latest recorded hash of `m`'s function and build.
fn last_recorded<'a>(recorded: &'a [ModuleFile], m: &ModuleFile) -> Option<&'a ModuleFile> {
    recorded
        .iter()
        .rev()
        .find(|r| r.function == m.function && r.build == m.build)
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(16)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(function: &str, build: &str, sha: &str) -> ModuleFile {
        ModuleFile {
            function: function.into(),
            build: build.into(),
            runtimes: vec![build.into()],
            path: format!("/f/{function}.{build}"),
            bytes: 1,
            sha256: sha.into(),
            hashed_at: Timestamp(chrono::DateTime::UNIX_EPOCH),
            target: None,
        }
    }

    #[test]
    fn a_file_hash_is_the_sha256_of_its_bytes() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("x.wasm");
        std::fs::write(&p, b"abc").unwrap();
        let (sha, n) = sha256_file(&p).unwrap();
        assert_eq!(n, 3);
        assert_eq!(
            sha,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let err = format!("{:#}", sha256_file(&tmp.path().join("missing")).unwrap_err());
        assert!(err.contains("missing") && err.contains("SHA-256"), "{err}");
    }

    #[test]
    fn a_resume_keeps_unchanged_files_and_adds_changed_ones_with_a_warning() {
        let mut rec = vec![m("sort", "wasm", "aa"), m("sort", "native", "bb")];
        let w = merge(&mut rec, vec![m("sort", "wasm", "aa"), m("sort", "native", "cc")]);
        assert_eq!(rec.len(), 3);
        assert_eq!(rec[2].sha256, "cc");
        assert_eq!(w.len(), 1);
        assert!(
            w[0].contains("native build of 'sort'") && w[0].contains("/f/sort.native"),
            "{}",
            w[0]
        );
        // Hashed again with the same change: nothing new.
        assert!(merge(&mut rec, vec![m("sort", "native", "cc")]).is_empty());
        assert_eq!(rec.len(), 3);
    }
}
