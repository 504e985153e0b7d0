//! The `native` runtime: each call spawns the host build as a child process in its own process
//! group, feeds stdin, collects stdout (capped) and stderr over pipes in one poll loop with a
//! deadline, kills the group on timeout or output overflow (and, once the child has exited, kills
//! what is left of its group, so that no background grandchild outlives its call), and reaps it
//! with `wait4` for its CPU time and max RSS. Kernel markers arrive as lines on an inherited pipe (`NEBULA_MARKER_FD`).

use super::wasm::failed;
use super::{store::STDERR_CAP, Limits};
use super::{CallError, CallInput, CallOutcome, Kernel, Phases, Runtime, RuntimeKind};
use crate::clock as cpu;
use anyhow::{bail, Result};
use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The PATH a native call gets.
pub use crate::suite::NATIVE_PATH;

/// A native build, spawned per call.
pub struct NativeFunction {
    path: PathBuf,
    limits: Limits,
}

impl NativeFunction {
    /// The native build at `path`, run under `limits`; an error when the file does not exist.
    pub fn new(path: &Path, limits: Limits) -> Result<NativeFunction> {
        if !path.is_file() {
            bail!(
                "native build {} not found: run scripts/build-functions.sh",
                path.display()
            );
        }
        Ok(NativeFunction {
            path: path.to_path_buf(),
            limits,
        })
    }
}

impl Runtime for NativeFunction {
    fn kind(&self) -> RuntimeKind {
        RuntimeKind::Native
    }

    fn call(&self, input: &CallInput) -> CallOutcome {
        let t0 = Instant::now();
        let process = Process {
            program: &self.path,
            args: &input.args,
            env: &input.env,
            path: NATIVE_PATH,
            kind: RuntimeKind::Native,
        };
        match spawn_and_collect(&process, input, self.limits, t0) {
            Ok(o) => o,
            Err(e) => failed(RuntimeKind::Native, t0, CallError::Load(format!("{e:#}"))),
        }
    }
}

/// What one call starts: the program, its arguments, the variables set on it besides PATH and
/// Nebula's marker protocol, the PATH it gets, and the runtime the outcome is of.
pub(crate) struct Process<'a> {
    pub program: &'a Path,
    pub args: &'a [String],
    pub env: &'a [(String, String)],
    pub path: &'a str,
    pub kind: RuntimeKind,
}

/// A pipe whose read end is ours (close-on-exec) and whose write end the child inherits.
fn marker_pipe() -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: pipe2 writes two fds into the array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
        bail!(
            "cannot create the marker pipe: {}",
            std::io::Error::last_os_error()
        );
    }
    // SAFETY: both fds were just created and are owned by nobody else.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // The write end must survive exec: clear its close-on-exec flag. Another child spawned at
    // the same moment may inherit it too; it only holds it open until it exits.
    // SAFETY: fcntl on an fd we own.
    unsafe { libc::fcntl(w.as_raw_fd(), libc::F_SETFD, 0) };
    Ok((r, w))
}

/// Run `p` once with `input`'s stdin, bounded by `limits`: its outcome, or an error when it
/// cannot be started.
pub(crate) fn spawn_and_collect(
    p: &Process,
    input: &CallInput,
    limits: Limits,
    t0: Instant,
) -> Result<CallOutcome> {
    let (marker_r, marker_w) = marker_pipe()?;
    let call_mono = cpu::monotonic_ns();
    let mut cmd = Command::new(p.program);
    // Like a wasm guest, a native call sees only the environment it is given (and a PATH):
    // never Nebula's own, which may hold the server's token.
    cmd.args(p.args)
        .env_clear()
        .env("PATH", p.path)
        .env("NEBULA_MARKER_FD", marker_w.as_raw_fd().to_string())
        // The suite's guests ask the kernel to kill them if this process goes (see
        // `nebula_guest::run`), so that a Nebula killed with SIGKILL leaves none running.
        .env("NEBULA_PARENT_PID", std::process::id().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(match input.inherit_stderr {
            true => Stdio::inherit(),
            false => Stdio::piped(),
        })
        .process_group(0);
    for (k, v) in p.env {
        cmd.env(k, v);
    }
    let spawn_at = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| anyhow::anyhow!("cannot start {}: {e}", p.program.display()))?;
    drop(marker_w);
    let pid = child.id() as libc::pid_t;
    let deadline = spawn_at + limits.timeout;

    // Inputs up to a pipe buffer go in at once; larger ones from a thread, so that a child that
    // writes before it reads cannot deadlock us.
    let stdin = child.stdin.take();
    let feeder = match stdin {
        Some(mut s) if input.stdin.len() > 60_000 => {
            let data = input.stdin.clone();
            Some(std::thread::spawn(move || {
                let _ = s.write_all(&data);
            }))
        }
        Some(mut s) => {
            let _ = s.write_all(&input.stdin);
            None
        }
        None => None,
    };
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let mut out = Vec::new();
    let mut err = Vec::new();
    let verdict = pump(
        stdout.as_ref().map(|s| s.as_raw_fd()),
        stderr.as_ref().map(|s| s.as_raw_fd()),
        &mut out,
        &mut err,
        limits.output_bytes,
        deadline,
    );
    if verdict.is_some() {
        // SAFETY: signalling the child's own process group.
        unsafe { libc::kill(-pid, libc::SIGKILL) };
    }
    let (status, ru, late) = reap(pid, deadline, verdict.is_some())?;
    let spawn_to_exit = spawn_at.elapsed();
    if let Some(f) = feeder {
        let _ = f.join();
    }
    // The Child handle no longer owns a live process: wait4 reaped it.
    std::mem::forget(child);
    let wall = t0.elapsed();
    let report = read_markers(&marker_r, call_mono);

    let (exit_code, mut error) = decode_status(status);
    if late {
        error = Some(CallError::Timeout(limits.timeout));
    }
    if let Some(v) = verdict {
        error = Some(match v {
            CallError::Timeout(_) => CallError::Timeout(limits.timeout),
            other => other,
        });
    }
    Ok(CallOutcome {
        runtime: p.kind,
        wall,
        phases: Phases {
            spawn_to_exit: Some(spawn_to_exit),
            ..Phases::default()
        },
        kernel: report.kernel,
        cpu: cpu::from_rusage(&ru),
        // The guest's own VmHWM when it reports one; else ru_maxrss, which Linux inflates with
        // the parent's resident set for children started by (v)fork.
        peak_memory_bytes: report.peak_rss.unwrap_or((ru.ru_maxrss.max(0) as u64) * 1024),
        exit_code,
        stdout: out,
        stderr_tail: err,
        error,
    })
}

/// Read stdout and stderr until both close, the output cap is passed, or the deadline.
fn pump(
    stdout: Option<RawFd>,
    stderr: Option<RawFd>,
    out: &mut Vec<u8>,
    err: &mut Vec<u8>,
    cap: usize,
    deadline: Instant,
) -> Option<CallError> {
    let mut open = [stdout, stderr];
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let mut fds: Vec<libc::pollfd> = open
            .iter()
            .flatten()
            .map(|&fd| libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        if fds.is_empty() {
            return None;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Some(CallError::Timeout(Duration::ZERO));
        }
        let ms = left.as_millis().clamp(1, i32::MAX as u128) as i32;
        // SAFETY: fds is a valid array of pollfd of the given length.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
        if n < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return None;
        }
        for p in fds.iter().filter(|p| p.revents != 0) {
            // SAFETY: reading into our buffer from an fd we own.
            let r = unsafe { libc::read(p.fd, buf.as_mut_ptr().cast(), buf.len()) };
            let is_out = Some(p.fd) == open[0];
            if r <= 0 {
                let slot = if is_out { 0 } else { 1 };
                open[slot] = None;
                continue;
            }
            let chunk = &buf[..r as usize];
            if is_out {
                out.extend_from_slice(chunk);
                if out.len() > cap {
                    out.truncate(cap);
                    return Some(CallError::OutputLimit(cap));
                }
            } else {
                err.extend_from_slice(chunk);
                if err.len() > STDERR_CAP {
                    err.drain(..err.len() - STDERR_CAP);
                }
            }
        }
    }
}

/// Wait for the child, killing its group at the deadline; returns its status, its rusage and
/// whether it had to be killed here for running past the deadline. Once the child has exited,
/// whatever is left of its process group (background grandchildren) is killed before the child
/// is reaped: until then its zombie holds the pid, so the group id cannot have been reused.
/// Waits on a pidfd (Linux 5.3+) so that the exit is seen at once; polls with short sleeps
/// where there is none.
fn reap(pid: libc::pid_t, deadline: Instant, killed: bool) -> Result<(libc::c_int, libc::rusage, bool)> {
    let pidfd = pidfd_open(pid);
    let mut sent_kill = killed;
    let mut pause = Duration::from_micros(20);
    loop {
        let flags = libc::WEXITED | libc::WNOWAIT | if sent_kill { 0 } else { libc::WNOHANG };
        // SAFETY: a zeroed siginfo_t is valid; waitid fills it (si_pid stays 0 if none exited).
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waiting (without reaping) for our own child.
        let r = unsafe { libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, flags) };
        if r < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            bail!("waitid on child {pid} failed: {e}");
        }
        // SAFETY: si_pid is valid for the SIGCHLD-style siginfo waitid fills.
        if unsafe { info.si_pid() } == pid {
            // SAFETY: signalling the group of our exited (unreaped) child.
            unsafe { libc::kill(-pid, libc::SIGKILL) };
            let (status, ru) = wait4_blocking(pid)?;
            return Ok((status, ru, sent_kill && !killed));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            // SAFETY: signalling the child's own process group.
            unsafe { libc::kill(-pid, libc::SIGKILL) };
            sent_kill = true;
            continue;
        }
        match &pidfd {
            Some(fd) => {
                let mut p = libc::pollfd {
                    fd: fd.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                };
                let ms = left.as_millis().clamp(1, i32::MAX as u128) as i32;
                // SAFETY: one valid pollfd; readable when the child has exited.
                unsafe { libc::poll(&mut p, 1, ms) };
            }
            None => {
                std::thread::sleep(pause.min(left));
                pause = (pause * 2).min(Duration::from_millis(2));
            }
        }
    }
}

/// A pidfd for `pid`, or None where the kernel has no pidfd_open.
fn pidfd_open(pid: libc::pid_t) -> Option<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    // SAFETY: a non-negative result is a new fd that we own.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// Reap an exited child: its status and rusage.
fn wait4_blocking(pid: libc::pid_t) -> Result<(libc::c_int, libc::rusage)> {
    let mut status: libc::c_int = 0;
    // SAFETY: zeroed rusage is valid; wait4 fills it.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: waiting for our own child.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        if r == pid {
            return Ok((status, ru));
        }
        let e = std::io::Error::last_os_error();
        if r < 0 && e.kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        bail!("wait4 on child {pid} failed: {e}");
    }
}

fn decode_status(status: libc::c_int) -> (Option<i32>, Option<CallError>) {
    if libc::WIFEXITED(status) {
        match libc::WEXITSTATUS(status) {
            0 => (Some(0), None),
            c => (Some(c), Some(CallError::Exit(c))),
        }
    } else if libc::WIFSIGNALED(status) {
        (None, Some(CallError::Signal(libc::WTERMSIG(status))))
    } else {
        (
            None,
            Some(CallError::Trap(format!("unexpected wait status {status}"))),
        )
    }
}

/// What a native guest reported on the marker pipe.
#[derive(Debug, Default)]
pub(crate) struct GuestReport {
    pub kernel: Option<Kernel>,
    /// The guest's own peak resident set (`rss_hwm KIB`, from its /proc/self/status VmHWM).
    pub peak_rss: Option<u64>,
}

/// Read the marker pipe; the child has exited, so what it wrote is all there.
fn read_markers(fd: &OwnedFd, call_mono: u64) -> GuestReport {
    let mut buf = [0u8; 1024];
    // SAFETY: non-blocking read into our buffer.
    let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    if n <= 0 {
        return GuestReport::default();
    }
    parse_markers(&buf[..n as usize], call_mono)
}

/// The marker pipe this process was given (`$NEBULA_MARKER_FD`), if any.
pub(crate) fn marker_fd() -> Option<libc::c_int> {
    std::env::var("NEBULA_MARKER_FD")
        .ok()
        .and_then(|v| v.trim().parse::<libc::c_int>().ok())
}

/// When this process was started with a marker pipe (`$NEBULA_MARKER_FD`, as `nebula invoke`
/// is by a command runtime), write `kernel` to it as a native guest would: the call began at
/// `call_mono` on the monotonic clock.
pub fn report_kernel(kernel: &Kernel, call_mono: u64) {
    let Some(fd) = marker_fd() else {
        return;
    };
    let start = call_mono.saturating_add(kernel.offset.as_nanos() as u64);
    let end = start.saturating_add(kernel.duration.as_nanos() as u64);
    let cpu = kernel.cpu.map_or(0, |c| c.as_nanos() as u64);
    let line = format!("start {start} 0\nend {end} {cpu}\n");
    // SAFETY: writing our own buffer to a descriptor the parent gave us; a bad one only fails.
    unsafe { libc::write(fd, line.as_ptr().cast(), line.len()) };
}

/// Parse `start MONO_NS CPU_NS`, `end MONO_NS CPU_NS` and `rss_hwm KIB` lines; malformed lines
/// are ignored (a guest cannot make the host fail).
pub(crate) fn parse_markers(text: &[u8], call_mono: u64) -> GuestReport {
    let text = String::from_utf8_lossy(text);
    let (mut start, mut end, mut rss) = (None, None, None);
    for line in text.lines() {
        let f: Vec<u64> = line
            .split_ascii_whitespace()
            .skip(1)
            .filter_map(|x| x.parse().ok())
            .collect();
        match (line.split_ascii_whitespace().next(), f.as_slice()) {
            (Some("start"), [mono, cpu]) => start = Some((*mono, *cpu)),
            (Some("end"), [mono, cpu]) => end = Some((*mono, *cpu)),
            (Some("rss_hwm"), [kib]) => rss = kib.checked_mul(1024),
            _ => {}
        }
    }
    let kernel = match (start, end) {
        (Some((m0, c0)), Some((m1, c1))) if m1 >= m0 => Some(Kernel {
            offset: Duration::from_nanos(m0.saturating_sub(call_mono)),
            duration: Duration::from_nanos(m1 - m0),
            cpu: Some(Duration::from_nanos(c1.saturating_sub(c0))),
            readings: None,
        }),
        _ => None,
    };
    GuestReport {
        kernel,
        peak_rss: rss,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_parse_into_a_kernel_span() {
        let r = parse_markers(b"start 1500 10\nend 4500 2010\nrss_hwm 2048\n", 1000);
        let k = r.kernel.expect("kernel");
        assert_eq!(k.offset, Duration::from_nanos(500));
        assert_eq!(k.duration, Duration::from_nanos(3000));
        assert_eq!(k.cpu, Some(Duration::from_nanos(2000)));
        assert_eq!(r.peak_rss, Some(2048 * 1024));
        assert!(parse_markers(b"start 1500 10\n", 1000).kernel.is_none());
        assert!(
            parse_markers(b"end 10 1\nstart 20 2\n", 0).kernel.is_none(),
            "end before start"
        );
        let junk = parse_markers(b"garbage\nstart x y\nrss_hwm 99999999999999999999\n", 0);
        assert!(junk.kernel.is_none() && junk.peak_rss.is_none());
    }

    #[test]
    fn a_shell_child_runs_and_reports_exit_codes_and_timeouts() {
        let sh = Path::new("/bin/sh");
        let limits = Limits {
            timeout: Duration::from_millis(300),
            ..Limits::default()
        };
        let f = NativeFunction::new(sh, limits).expect("sh");
        let run = |script: &str, stdin: &[u8]| {
            f.call(&CallInput {
                stdin: stdin.to_vec(),
                args: vec!["-c".into(), script.into()],
                ..CallInput::default()
            })
        };
        let o = run("cat", b"hello");
        assert_eq!(o.stdout, b"hello");
        assert!(o.ok(), "{:?}", o.error);
        assert_eq!(o.exit_code, Some(0));
        let o = run("exit 7", b"");
        assert_eq!(o.error, Some(CallError::Exit(7)));
        let o = run("sleep 5", b"");
        assert_eq!(o.error.as_ref().map(|e| e.kind()), Some("timeout"));
        assert!(o.wall < Duration::from_secs(2), "timeout took {:?}", o.wall);
        let o = run("printf \"start 1 0\\nend 2 0\\n\" >&$NEBULA_MARKER_FD", b"");
        assert!(o.kernel.is_some(), "markers over the inherited fd were not seen");
    }
}
