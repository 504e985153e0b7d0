//! CPU time of this process's threads, grouped by role (server I/O workers, call pool, load
//! generator), read from `/proc/self/task/*/schedstat`: `nebula bench-http` divides the
//! difference over a measurement by its requests, to show where each request's CPU goes.

use std::collections::BTreeMap;
use std::time::Duration;

/// The role of a thread, from the name Nebula gives it.
pub fn role(name: &str) -> &'static str {
    if name.starts_with("nebula-serve-w") {
        "server-io"
    } else if name.starts_with("nebula-call") {
        "call-pool"
    } else if name.starts_with("nebula-load") {
        "load-gen"
    } else {
        "other"
    }
}

/// CPU time on record for each role now (threads that exited are not counted).
/// Empty where `/proc` cannot be read.
pub fn snapshot() -> BTreeMap<&'static str, Duration> {
    let mut out = BTreeMap::new();
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
        if let Some(ns) = parse_schedstat(&stat) {
            *out.entry(role(name.trim())).or_default() += Duration::from_nanos(ns);
        }
    }
    out
}

/// The first field of `schedstat`: nanoseconds spent on a CPU.
fn parse_schedstat(s: &str) -> Option<u64> {
    s.split_whitespace().next()?.parse().ok()
}

/// `after - before` per role, divided by `n`, in microseconds.
pub fn per_request(
    before: &BTreeMap<&'static str, Duration>,
    after: &BTreeMap<&'static str, Duration>,
    n: usize,
) -> BTreeMap<String, f64> {
    after
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
        assert_eq!(parse_schedstat("123456 789 10\n"), Some(123_456));
        assert_eq!(parse_schedstat(""), None);
    }

    #[test]
    fn this_threads_cpu_grows_and_is_divided_per_request() {
        use crate::energy::cpu::thread_cpu_clock;
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
    }
}
