//! CPU time of this process's threads, grouped by role (server I/O workers, call pool, load
//! generator), read from `/proc/self/task/*/schedstat`: `nebula bench-http` divides the
//! difference over a measurement by its requests, to show where each request's CPU goes, and
//! how often a thread was switched in (the third field): hand-offs between threads cost a
//! context switch each on a busy machine.

use std::collections::BTreeMap;
use std::time::Duration;

/// The role of a thread, from the name Nebula gives it.
pub fn role(name: &str) -> &'static str {
    if name.starts_with("nebula-serve-w") || name.starts_with(super::baseline::THREAD_NAME) {
        "server-io"
    } else if name.starts_with("nebula-call") {
        "call-pool"
    } else if name.starts_with("nebula-load") {
        "load-gen"
    } else {
        "other"
    }
}

/// CPU time per role and times switched in, summed over this process's threads.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// CPU time on a CPU per role ([`role`]), from the first field of each thread's `schedstat`.
    pub cpu: BTreeMap<&'static str, Duration>,
    /// Times the threads were switched in (the third field of `schedstat`).
    pub switches: u64,
}

/// CPU time on record for each role now (threads that exited are not counted).
/// Empty where `/proc` cannot be read.
pub fn snapshot() -> Snapshot {
    let mut out = Snapshot::default();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for t in tasks.flatten() {
        let dir = t.path();
        let (Ok(name), Ok(stat)) = (
            std::fs::read_to_string(dir.join("comm")),
            std::fs::read_to_string(dir.join("schedstat")),
        ) else {
            continue;
        };
        if let Some((ns, slices)) = parse_schedstat(&stat) {
            *out.cpu.entry(role(name.trim())).or_default() += Duration::from_nanos(ns);
            out.switches += slices;
        }
    }
    out
}

/// The first and third fields of `schedstat`: nanoseconds spent on a CPU, and the number of
/// times the thread was switched in.
fn parse_schedstat(s: &str) -> Option<(u64, u64)> {
    let mut f = s.split_whitespace();
    let ns = f.next()?.parse().ok()?;
    let slices = f.nth(1)?.parse().ok()?;
    Some((ns, slices))
}

/// Context switches (threads switched in) per request between two snapshots.
pub fn switches_per_request(before: &Snapshot, after: &Snapshot, n: usize) -> f64 {
    after.switches.saturating_sub(before.switches) as f64 / n.max(1) as f64
}

/// `after - before` per role, divided by `n`, in microseconds.
pub fn per_request(before: &Snapshot, after: &Snapshot, n: usize) -> BTreeMap<String, f64> {
    let before = &before.cpu;
    after
        .cpu
        .iter()
        .map(|(role, a)| {
            let b = before.get(role).copied().unwrap_or_default();
            let us = a.saturating_sub(b).as_secs_f64() * 1e6 / n.max(1) as f64;
            (role.to_string(), us)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_schedstat() {
        assert_eq!(role("nebula-serve-wo"), "server-io");
        assert_eq!(role("nebula-call-3"), "call-pool");
        assert_eq!(role("nebula-load"), "load-gen");
        assert_eq!(role("tokio-rt-worker"), "other");
        assert_eq!(parse_schedstat("123456 789 10\n"), Some((123_456, 10)));
        assert_eq!(parse_schedstat("123456"), None);
        assert_eq!(parse_schedstat(""), None);
    }

    #[test]
    fn this_threads_cpu_grows_and_is_divided_per_request() {
        use crate::clock::thread_cpu_clock;
        let before = snapshot();
        // Spin until this thread has had 30 ms of CPU (by its own CPU clock, not the wall
        // clock: a VM that takes the CPU away makes the spin longer, not the figure smaller).
        let t = thread_cpu_clock();
        let mut x = 0u64;
        while thread_cpu_clock().saturating_sub(t) < Duration::from_millis(30) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let after = snapshot();
        let per = per_request(&before, &after, 10);
        // The spinning thread is a test thread ("other"): 30 ms / 10 requests = 3000 us, less
        // what schedstat has not yet booked for a running thread (at most one scheduler tick,
        // 10 ms at HZ=100).
        let other = per.get("other").copied().unwrap_or(0.0);
        assert!(other >= 2000.0, "{per:?}");
        // Every thread on record was switched in at least once since it started.
        assert!(after.switches >= after.cpu.len() as u64, "{after:?}");
    }
}
