//! CPU time and clocks: the calling thread's CPU time (getrusage RUSAGE_THREAD), rusage to
//! [`CpuTime`], and CLOCK_MONOTONIC in nanoseconds (the clock the native kernel markers use).

use super::CpuTime;
use std::time::Duration;

fn timeval(tv: libc::timeval) -> Duration {
    Duration::from_secs(tv.tv_sec.max(0) as u64) + Duration::from_micros(tv.tv_usec.max(0) as u64)
}

/// User and system time of a `rusage`.
pub fn from_rusage(ru: &libc::rusage) -> CpuTime {
    CpuTime {
        user: timeval(ru.ru_utime),
        system: timeval(ru.ru_stime),
    }
}

fn rusage(who: libc::c_int) -> CpuTime {
    // SAFETY: getrusage only writes the struct we pass; a zeroed rusage is a valid value.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(who, &mut ru) };
    if rc != 0 {
        return CpuTime::default();
    }
    from_rusage(&ru)
}

/// CPU time of the calling thread, user and system.
pub fn thread() -> CpuTime {
    rusage(libc::RUSAGE_THREAD)
}

/// CPU time of the whole process plus its waited-for children.
pub fn process() -> CpuTime {
    let s = rusage(libc::RUSAGE_SELF);
    let c = rusage(libc::RUSAGE_CHILDREN);
    CpuTime {
        user: s.user + c.user,
        system: s.system + c.system,
    }
}

fn clock_ns(clock: libc::clockid_t) -> u64 {
    // SAFETY: clock_gettime writes into the timespec we pass.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return 0;
    }
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// CLOCK_MONOTONIC in nanoseconds.
pub fn monotonic_ns() -> u64 {
    clock_ns(libc::CLOCK_MONOTONIC)
}

/// CLOCK_THREAD_CPUTIME_ID in nanoseconds (precise, unlike rusage's split).
pub fn thread_cpu_ns() -> u64 {
    clock_ns(libc::CLOCK_THREAD_CPUTIME_ID)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_cpu_advances_under_work() {
        let a = thread_cpu_ns();
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
        let b = thread_cpu_ns();
        assert!(b > a, "thread CPU time did not advance ({a} -> {b}, {x})");
        assert!(monotonic_ns() > 0);
    }
}
