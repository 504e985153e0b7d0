//! How the server's threads are scheduled. By default the call pool (guest code: CPU-bound
//! batch work) and the async I/O workers run under Linux's `SCHED_BATCH`: a thread woken by
//! another (a call handed to the pool, a result handed back) waits for the running thread's
//! slice instead of preempting it, so each thread finishes a run of work per switch. On the
//! 2-vCPU development VM this halves the context switches per request and raises `noop`'s rate
//! at concurrency 32 by about an eighth, with lower p50 and p99 latency (docs/benchmarks.md).
//! `--sched normal` keeps the default policy (`SCHED_OTHER`). No privilege is needed: both
//! are ordinary time-sharing policies.

use anyhow::{Context, Result};
use std::sync::Once;

/// The scheduling policy of the server's call pool and I/O workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SchedPolicy {
    /// `SCHED_BATCH`: woken threads do not preempt the running one.
    #[default]
    Batch,
    /// `SCHED_OTHER`, the default of every Linux thread.
    Normal,
}

impl SchedPolicy {
    /// The policy's name as `--sched` takes it (`batch` or `normal`).
    pub fn as_str(self) -> &'static str {
        match self {
            SchedPolicy::Batch => "batch",
            SchedPolicy::Normal => "normal",
        }
    }

    fn raw(self) -> libc::c_int {
        match self {
            SchedPolicy::Batch => libc::SCHED_BATCH,
            SchedPolicy::Normal => libc::SCHED_OTHER,
        }
    }

    /// Put the calling thread under this policy. A refusal (a seccomp filter, an exotic
    /// kernel) is logged once and leaves the thread as it was: the server still serves.
    pub fn apply_to_current_thread(self) {
        let p = libc::sched_param { sched_priority: 0 };
        // SAFETY: pid 0 names the calling thread; `p` is a valid sched_param (priority 0 is
        // the only one the time-sharing policies take).
        let rc = unsafe { libc::sched_setscheduler(0, self.raw(), &p) };
        if rc != 0 {
            static WARN: Once = Once::new();
            let err = std::io::Error::last_os_error();
            WARN.call_once(|| {
                tracing::warn!(
                    "cannot set the {} scheduling policy ({err}): threads keep the default; use --sched normal to silence this",
                    self.as_str()
                )
            });
        }
    }
}

/// The calling thread's policy, as the kernel reports it (`None` for any other policy).
pub fn current() -> Option<SchedPolicy> {
    // SAFETY: pid 0 names the calling thread; the call only reads.
    match unsafe { libc::sched_getscheduler(0) } {
        libc::SCHED_BATCH => Some(SchedPolicy::Batch),
        libc::SCHED_OTHER => Some(SchedPolicy::Normal),
        _ => None,
    }
}

/// The default number of async I/O workers on a machine with `cores` cores: half of them, at
/// least one. A guest call costs more CPU than its HTTP exchange, and each worker beyond what
/// the I/O needs adds cross-worker wake-ups (tokio wakes an idle worker to share a task handed
/// back from the call pool): on the 2-vCPU development VM, two workers made 0.4 eventfd writes
/// and 0.2 futex calls per `noop` request that one worker does not (docs/benchmarks.md).
pub fn default_io_workers(cores: usize) -> usize {
    (cores / 2).max(1)
}

/// The server's tokio runtime: `io_workers` I/O workers named `nebula-serve-worker` under
/// `policy`, and a blocking pool (start-up, module compilation on upload) of `max_inflight + 2`
/// threads.
pub fn server_runtime(
    io_workers: usize,
    max_inflight: usize,
    policy: SchedPolicy,
) -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(io_workers.max(1))
        .enable_all()
        .max_blocking_threads(max_inflight.max(1) + 2)
        .thread_name("nebula-serve-worker")
        .on_thread_start(move || policy.apply_to_current_thread())
        .build()
        .context("cannot start the server's tokio runtime")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_takes_the_policy_it_is_given() {
        let seen = std::thread::spawn(|| {
            let before = current();
            SchedPolicy::Batch.apply_to_current_thread();
            let batch = current();
            SchedPolicy::Normal.apply_to_current_thread();
            (before, batch, current())
        })
        .join()
        .expect("thread");
        assert_eq!(
            seen,
            (
                Some(SchedPolicy::Normal),
                Some(SchedPolicy::Batch),
                Some(SchedPolicy::Normal)
            )
        );
    }

    #[test]
    fn runtime_workers_run_under_the_policy() {
        for policy in [SchedPolicy::Batch, SchedPolicy::Normal] {
            let rt = server_runtime(1, 1, policy).expect("runtime");
            let seen = rt
                .block_on(async { tokio::spawn(async { current() }).await })
                .expect("task");
            assert_eq!(seen, Some(policy));
        }
    }

    #[test]
    fn the_runtime_has_the_io_workers_it_is_given_and_half_the_cores_by_default() {
        for n in [1, 3] {
            let rt = server_runtime(n, 2, SchedPolicy::Normal).expect("runtime");
            assert_eq!(rt.metrics().num_workers(), n);
        }
        assert_eq!(default_io_workers(1), 1);
        assert_eq!(default_io_workers(2), 1);
        assert_eq!(default_io_workers(3), 1);
        assert_eq!(default_io_workers(16), 8);
    }
}
