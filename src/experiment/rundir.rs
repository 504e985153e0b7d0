//! The run folder: a unique run id, atomic creation, an exclusive lock (`.lock`, flock) held for
//! the whole of a run or a resume, and the removal of a folder whose run failed before it wrote
//! its first window (so that the user fixes the config and runs again).

use anyhow::{bail, Context, Result};
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

/// The lock file in a run folder. It stays there after the run; only the flock on it counts.
pub const LOCK_FILE: &str = ".lock";

/// Files a run writes before its first window: a folder holding nothing else (and an empty
/// `calls.csv`/`windows.csv`) can be removed when the run fails there.
const STARTUP_FILES: [&str; 5] = [
    LOCK_FILE,
    "metadata.json",
    "metadata.json.tmp",
    ".write-test",
    "server-calls.csv",
];

/// `NAME-YYYYMMDD-HHMMSS-xxxxxx`: the local start time to the second, readable and sortable,
/// then 24 random bits (six hex digits), so that runs started in the same second, on this machine
/// or another, still get different ids. Only `[0-9a-f-]` is added to the name.
pub fn new_run_id(name: &str) -> String {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let suffix = rand::random::<u32>() & 0x00ff_ffff;
    format!("{name}-{stamp}-{suffix:06x}")
}

/// An exclusive advisory lock on `DIR/.lock`, held until dropped. The kernel releases it when
/// the process exits for any reason (a kill included), so a killed run can be resumed at once.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

impl RunLock {
    /// Take the lock of `dir` (an existing folder), or say which process holds it. The lock file
    /// records the holder's pid, for that message.
    pub fn acquire(dir: &Path) -> Result<RunLock> {
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| {
                format!(
                    "cannot open {}: check the permissions of {}",
                    path.display(),
                    dir.display()
                )
            })?;
        // SAFETY: flock on a descriptor we own; it does not touch memory.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == ErrorKind::WouldBlock {
                let mut text = String::new();
                let pid = file
                    .read_to_string(&mut text)
                    .ok()
                    .and_then(|_| text.trim().parse::<u32>().ok());
                let who = pid
                    .map(|p| format!("another nebula process (pid {p})"))
                    .unwrap_or_else(|| "another nebula process".into());
                let stop = pid
                    .map(|p| format!("stop it (kill -INT {p})"))
                    .unwrap_or_else(|| "stop it (Ctrl-C in its terminal)".into());
                bail!(
                    "{} is in use: {who} is running it. Wait for it to finish, or {stop} and then \
                     `nebula run --resume {}`",
                    dir.display(),
                    dir.display()
                );
            }
            return Err(e).with_context(|| format!("cannot lock {}", path.display()));
        }
        let pid = format!("{}\n", std::process::id());
        file.set_len(0)
            .and_then(|_| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(pid.as_bytes()))
            .and_then(|_| file.flush())
            .with_context(|| {
                format!(
                    "cannot write {}: check the permissions of {} and free disk space",
                    path.display(),
                    dir.display()
                )
            })?;
        Ok(RunLock { _file: file })
    }
}

/// A run folder this process holds the lock of.
#[derive(Debug)]
pub struct RunDir {
    /// The run folder.
    pub path: PathBuf,
    /// Whether this process created the folder (rather than taking an empty `--out`).
    created: bool,
    lock: RunLock,
}

/// Before the (slow) checks of a new run: an `--out` folder that exists must be empty, and the
/// parent folder must exist or be creatable. Creates the parent.
pub fn precheck(dir: &Path) -> Result<()> {
    if dir.exists() && !is_empty(dir)? {
        return Err(not_empty(dir));
    }
    create_parent(dir)
}

fn not_empty(dir: &Path) -> anyhow::Error {
    anyhow::anyhow!(
        "{} already exists and is not empty: choose another --out, or --resume it",
        dir.display()
    )
}

fn create_parent(dir: &Path) -> Result<()> {
    let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(());
    };
    std::fs::create_dir_all(parent).with_context(|| {
        format!(
            "cannot create {} (the parent of {}): check the path and its permissions, or choose \
             another --out",
            parent.display(),
            dir.display()
        )
    })
}

/// The folder new runs go into (`output_dir`), created if missing.
pub fn create_output_dir(output_dir: &Path) -> Result<()> {
    std::fs::create_dir_all(output_dir).with_context(|| {
        format!(
            "cannot create the output folder {}: check its permissions, or set another output_dir \
             in the config (--set output_dir=PATH) or give --out",
            output_dir.display()
        )
    })
}

/// Empty, apart from a lock file left by an earlier attempt.
fn is_empty(dir: &Path) -> Result<bool> {
    let entries = std::fs::read_dir(dir).with_context(|| {
        format!(
            "cannot read {}: it is not a folder, or check its permissions",
            dir.display()
        )
    })?;
    for e in entries {
        let e = e.with_context(|| format!("cannot read {}", dir.display()))?;
        if e.file_name() != LOCK_FILE {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether `dir` holds a lock file and nothing else a run writes: a run killed between creating
/// its folder and writing its metadata (nothing to resume).
pub fn holds_only_a_lock(dir: &Path) -> bool {
    dir.join(LOCK_FILE).is_file() && !dir.join("metadata.json").exists() && is_empty(dir).unwrap_or(false)
}

/// A fresh folder `<parent>/<run id>` (created atomically; a new id is drawn if one is taken),
/// locked and checked writable. Returns the run id and the folder.
pub fn create_fresh(parent: &Path, name: &str) -> Result<(String, RunDir)> {
    create_output_dir(parent)?;
    for _ in 0..16 {
        let run_id = new_run_id(name);
        let dir = parent.join(&run_id);
        if let Some(d) = create(&dir, false)? {
            return Ok((run_id, d));
        }
    }
    bail!(
        "cannot find a free run folder name in {}: remove old runs from it or choose another \
         output_dir",
        parent.display()
    )
}

/// The folder given with `--out`: created atomically, or an existing empty folder; locked and
/// checked writable.
pub fn create_at(dir: &Path) -> Result<RunDir> {
    match create(dir, true)? {
        Some(d) => Ok(d),
        None => Err(not_empty(dir)),
    }
}

/// `None` when `dir` exists and `take_empty` is false, or it is not empty.
fn create(dir: &Path, take_empty: bool) -> Result<Option<RunDir>> {
    create_parent(dir)?;
    let created = match std::fs::create_dir(dir) {
        Ok(()) => true,
        Err(e) if e.kind() == ErrorKind::AlreadyExists && take_empty && dir.is_dir() => false,
        Err(e) if e.kind() == ErrorKind::AlreadyExists => return Ok(None),
        Err(e) => {
            return Err(e).with_context(|| {
                format!(
                    "cannot create {}: check the permissions of its parent",
                    dir.display()
                )
            })
        }
    };
    let lock = match RunLock::acquire(dir) {
        Ok(l) => l,
        Err(e) => {
            if created {
                std::fs::remove_file(dir.join(LOCK_FILE)).ok();
                std::fs::remove_dir(dir).ok();
            }
            return Err(e);
        }
    };
    let d = RunDir {
        path: dir.to_path_buf(),
        created,
        lock,
    };
    // Under the lock: another run may have written into an empty --out folder meanwhile.
    if !created && !is_empty(dir)? {
        return Ok(None);
    }
    let probe = dir.join(".write-test");
    if let Err(e) = std::fs::write(&probe, b"nebula") {
        d.discard_unstarted();
        return Err(e).with_context(|| {
            format!(
                "cannot write into {}: check its permissions and free disk space",
                dir.display()
            )
        });
    }
    std::fs::remove_file(&probe).ok();
    Ok(Some(d))
}

impl RunDir {
    /// The run failed before writing its first window: remove what it wrote (and the folder if
    /// this process created it), so that the same command can simply be run again. Anything
    /// else in the folder (a window's rows, a file this run did not write) keeps it all.
    /// Returns whether the folder was cleared.
    pub fn discard_unstarted(self) -> bool {
        let Ok(entries) = std::fs::read_dir(&self.path) else {
            return false;
        };
        let mut ours = Vec::new();
        for e in entries {
            let Ok(e) = e else { return false };
            let name = e.file_name();
            let name = name.to_string_lossy();
            let empty = e.metadata().map(|m| m.is_file() && m.len() == 0).unwrap_or(false);
            let startup = STARTUP_FILES.contains(&name.as_ref())
                || (empty && ["calls.csv", "windows.csv"].contains(&name.as_ref()));
            if !startup {
                return false;
            }
            ours.push(e.path());
        }
        // The lock file goes last, while still held.
        ours.sort_by_key(|p| p.file_name().is_some_and(|n| n == LOCK_FILE));
        for p in &ours {
            if std::fs::remove_file(p).is_err() {
                return false;
            }
        }
        let RunDir { path, created, lock } = self;
        drop(lock);
        if created {
            return std::fs::remove_dir(&path).is_ok();
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_keep_the_readable_prefix_and_differ_within_one_second() {
        let ids: Vec<String> = (0..200).map(|_| new_run_id("quick")).collect();
        for id in &ids {
            let rest = id.strip_prefix("quick-").expect("the name comes first");
            let parts: Vec<&str> = rest.split('-').collect();
            assert_eq!(parts.len(), 3, "{id}");
            assert_eq!(parts[0].len(), 8, "{id}: YYYYMMDD");
            assert_eq!(parts[1].len(), 6, "{id}: HHMMSS");
            assert_eq!(parts[2].len(), 6, "{id}: six hex digits");
            assert!(parts[..2].iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())));
            assert!(parts[2]
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        }
        let distinct: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(
            distinct.len(),
            ids.len(),
            "200 ids drawn at once are all different"
        );
    }

    #[test]
    fn a_second_lock_of_a_folder_is_refused_with_the_holders_pid_and_released_on_drop() {
        let tmp = tempfile::tempdir().unwrap();
        let first = RunLock::acquire(tmp.path()).unwrap();
        let pid = std::fs::read_to_string(tmp.path().join(LOCK_FILE)).unwrap();
        assert_eq!(pid.trim(), std::process::id().to_string());
        // flock locks belong to the open file description: a second open conflicts, even here.
        let err = format!("{:#}", RunLock::acquire(tmp.path()).unwrap_err());
        assert!(
            err.contains(&format!("pid {}", std::process::id()))
                && err.contains("is in use")
                && err.contains(&tmp.path().display().to_string())
                && err.contains("--resume"),
            "{err}"
        );
        drop(first);
        assert!(RunLock::acquire(tmp.path()).is_ok());
    }

    #[test]
    fn fresh_folders_are_new_and_locked_and_an_unstarted_one_is_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let parent = tmp.path().join("results");
        let (id_a, a) = create_fresh(&parent, "x").unwrap();
        let (id_b, b) = create_fresh(&parent, "x").unwrap();
        assert_ne!(id_a, id_b);
        assert_eq!(a.path, parent.join(&id_a));
        assert!(a.path.join(LOCK_FILE).is_file() && b.path.is_dir());
        std::fs::write(a.path.join("metadata.json"), "{}").unwrap();
        std::fs::write(a.path.join("calls.csv"), "").unwrap();
        let a_path = a.path.clone();
        assert!(a.discard_unstarted());
        assert!(!a_path.exists(), "the folder it created is gone");
        // A window's rows keep the folder.
        std::fs::write(b.path.join("calls.csv"), "run_id\nx\n").unwrap();
        let b_path = b.path.clone();
        assert!(!b.discard_unstarted());
        assert!(b_path.join("calls.csv").is_file());
    }

    #[test]
    fn an_empty_out_folder_is_taken_and_left_in_place_when_discarded() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let d = create_at(&out).unwrap();
        std::fs::write(out.join("metadata.json"), "{}").unwrap();
        assert!(d.discard_unstarted());
        assert!(out.is_dir(), "a folder it did not create stays");
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0, "and is empty again");
        std::fs::write(out.join("notes.txt"), "mine").unwrap();
        let err = format!("{:#}", create_at(&out).unwrap_err());
        assert!(err.contains("already exists and is not empty"), "{err}");
        assert_eq!(std::fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
    }
}
