//! Records, for metadata.json, the rustc that built Nebula, the wasmtime version in Cargo.lock, the
//! target triple and the git commit of the source (with `-dirty` when the files Nebula is built from, [`SOURCES`],
//! had uncommitted changes). The script reruns when those files or the checked-out commit change,
//! so that the flag is never left over from an earlier build.

use std::process::Command;

fn run(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = run(&rustc, &["--version"]).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=NEBULA_RUSTC_VERSION={version}");
    let commit = run("git", &["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let mut status = vec!["status", "--porcelain", "--untracked-files=no", "--"];
    status.extend(SOURCES);
    let dirty = run("git", &status).is_some_and(|s| !s.is_empty());
    println!(
        "cargo:rustc-env=NEBULA_GIT_COMMIT={commit}{}",
        if dirty { "-dirty" } else { "" }
    );
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    let wasmtime = lock
        .split("[[package]]")
        .find(|p| p.contains("name = \"wasmtime\"\n"))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = \"")))
        .map(|v| v.trim_end_matches('"').to_string())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=NEBULA_WASMTIME_VERSION={wasmtime}");
    // The triple Cranelift and Winch compile for (the host's): recorded with each engine.
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".into());
    println!("cargo:rustc-env=NEBULA_HOST_TARGET={target}");
    // Without these, Cargo reran the script only when .git/HEAD or .git/index changed: an edit of
    // src/ that was not staged yet kept the commit of the last run, without `-dirty`.
    for source in SOURCES {
        println!("cargo:rerun-if-changed={source}");
    }
    for git_file in git_files() {
        println!("cargo:rerun-if-changed={git_file}");
    }
}

/// What the binary is built from: a change to any of them makes the build `-dirty`.
const SOURCES: [&str; 5] = ["src", "assets", "build.rs", "Cargo.toml", "Cargo.lock"];

/// The git files that change with the commit checked out and the index, where they are (`.git`
/// is a file in a worktree, and a commit moves the branch's ref, not HEAD). Only files that
/// exist: Cargo reruns the script on every build for a path that does not.
fn git_files() -> Vec<String> {
    let mut names = vec!["HEAD".to_string(), "index".into(), "packed-refs".into()];
    names.extend(run("git", &["symbolic-ref", "-q", "HEAD"]));
    names
        .iter()
        .filter_map(|n| run("git", &["rev-parse", "--git-path", n]))
        .filter(|p| std::path::Path::new(p).exists())
        .collect()
}
