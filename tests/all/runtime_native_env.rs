//! A native call sees only the environment it is given, never Nebula's own (the server's
//! token), and a suite guest does not outlive a Nebula killed with SIGKILL.

use crate::common;

use nebula::runtime::{CallInput, Limits, NativeFunction, Runtime};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn native_calls_get_a_clean_environment() {
    // Stands for the server's token: a variable of this process's own. Not NEBULA_TOKEN itself,
    // which the `nebula serve` children of other tests in this binary would inherit and read.
    std::env::set_var("NEBULA_TEST_PARENT_SECRET", "secret-from-the-server");
    let f = NativeFunction::new(Path::new("/bin/sh"), Limits::default()).unwrap();
    let o = f.call(&CallInput {
        args: vec!["-c".into(), "env | sort".into()],
        env: vec![("GIVEN".into(), "yes".into())],
        ..CallInput::default()
    });
    assert!(o.ok(), "{:?}", o.error);
    let env = String::from_utf8_lossy(&o.stdout);
    assert!(
        !env.contains("secret-from-the-server"),
        "the token leaked:\n{env}"
    );
    assert!(
        env.contains("GIVEN=yes") && env.contains("PATH=/usr/local/bin:/usr/bin:/bin"),
        "{env}"
    );
    assert!(
        !env.contains("HOME="),
        "nothing of the parent's environment: {env}"
    );
}

/// The state letter and parent pid of a process, from `/proc/PID/stat` (`None` once it is gone).
fn stat(pid: u32) -> Option<(char, u32, String)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (head, rest) = s.rsplit_once(')')?;
    let comm = head.split_once('(')?.1.to_string();
    let mut f = rest.split_whitespace();
    let state = f.next()?.chars().next()?;
    let ppid = f.next()?.parse().ok()?;
    Some((state, ppid, comm))
}

/// The children of `parent` whose name starts with `prefix`.
fn children(parent: u32, prefix: &str) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| stat(pid).is_some_and(|(_, ppid, comm)| ppid == parent && comm.starts_with(prefix)))
        .collect()
}

/// Running: present and neither a zombie nor dead.
fn running(pid: u32) -> bool {
    stat(pid).is_some_and(|(state, _, _)| state != 'Z' && state != 'X')
}

#[test]
fn a_native_guest_dies_with_a_killed_nebula() {
    let suite = common::suite();
    let tmp = tempfile::tempdir().expect("temp dir");
    // fibonacci-recursive(50) runs for minutes natively: it is still running when Nebula dies.
    let mut nebula = Command::new(env!("CARGO_BIN_EXE_nebula"))
        .args([
            "invoke",
            "fibonacci-recursive",
            "--input",
            "50",
            "--runtime",
            "native",
        ])
        .args(["--timeout", "10m"])
        .env("NEBULA_FUNCTIONS", &suite.root)
        .env("NEBULA_CACHE_DIR", tmp.path().join("cache"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nebula starts");
    let started = Instant::now();
    let guest = loop {
        // The kernel truncates names to 15 bytes.
        if let Some(&pid) = children(nebula.id(), "fibonacci-recu").first() {
            break Some(pid);
        }
        if started.elapsed() > Duration::from_secs(30) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let Some(guest) = guest else {
        let _ = nebula.kill();
        panic!("no native guest started within 30 s");
    };
    // Let the guest pass its start (and arm its request) before the kill.
    std::thread::sleep(Duration::from_millis(300));
    assert!(running(guest), "the guest runs before the kill");
    nebula.kill().expect("SIGKILL");
    let _ = nebula.wait();
    let gone_by = Instant::now() + Duration::from_secs(5);
    while running(guest) && Instant::now() < gone_by {
        std::thread::sleep(Duration::from_millis(20));
    }
    let still = running(guest);
    if still {
        // Clean up before failing: the guest would otherwise run on for minutes.
        // SAFETY: kill with a pid we found as Nebula's child and SIGKILL.
        unsafe { libc::kill(guest as libc::pid_t, libc::SIGKILL) };
    }
    assert!(!still, "the native guest {guest} outlived the killed Nebula");
}
