//! CPU time of the calling thread, the whole process and its waited-for children, from
//! `getrusage` (user and system apart) and `clock_gettime` (nanosecond thread clock).

use crate::runtime::CpuTime;
use std::time::Duration;

fn timeval(tv: libc::timeval) -> Duration {
    let secs = u64::try_from(tv.tv_sec).unwrap_or(0);
    let micros = u32::try_from(tv.tv_usec).unwrap_or(0);
    Duration::from_secs(secs) + Duration::from_micros(u64::from(micros))
}

/// User and system time of a `rusage`, e.g. the one `wait4` fills for a native child.
pub fn from_rusage(ru: &libc::rusage) -> CpuTime {
    CpuTime {
        user: timeval(ru.ru_utime),
        system: timeval(ru.ru_stime),
    }
}

fn rusage(who: libc::c_int) -> CpuTime {
    // SAFETY: an all-zero rusage is a valid value and getrusage only writes into it.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable rusage; `who` is one of the RUSAGE_* constants.
    let rc = unsafe { libc::getrusage(who, &mut ru) };
    if rc != 0 {
        return CpuTime::default();
    }
    from_rusage(&ru)
}

/// CPU time of the calling thread (getrusage RUSAGE_THREAD, microsecond resolution).
pub fn thread_cpu() -> CpuTime {
    rusage(libc::RUSAGE_THREAD)
}

/// CPU time of the whole process, all threads (RUSAGE_SELF).
pub fn process_cpu() -> CpuTime {
    rusage(libc::RUSAGE_SELF)
}

/// CPU time of the children this process has waited for (RUSAGE_CHILDREN).
pub fn children_cpu() -> CpuTime {
    rusage(libc::RUSAGE_CHILDREN)
}

/// The process and its waited-for children together: what [`crate::energy::Reading`] carries.
pub fn process_and_children_cpu() -> CpuTime {
    let a = process_cpu();
    let b = children_cpu();
    CpuTime {
        user: a.user + b.user,
        system: a.system + b.system,
    }
}

fn clock(id: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    let rc = unsafe { libc::clock_gettime(id, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    let secs = u64::try_from(ts.tv_sec).unwrap_or(0);
    let nanos = u32::try_from(ts.tv_nsec).unwrap_or(0);
    Duration::new(secs, nanos)
}

/// CPU time of the calling thread in nanoseconds (CLOCK_THREAD_CPUTIME_ID), user + system.
pub fn thread_cpu_clock() -> Duration {
    clock(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// CPU time of the whole process in nanoseconds (CLOCK_PROCESS_CPUTIME_ID), user + system.
pub fn process_cpu_clock() -> Duration {
    clock(libc::CLOCK_PROCESS_CPUTIME_ID)
}

/// CLOCK_MONOTONIC in nanoseconds: the clock the native kernel markers are written in.
pub fn monotonic_ns() -> u64 {
    u64::try_from(clock(libc::CLOCK_MONOTONIC).as_nanos()).unwrap_or(u64::MAX)
}

/// Spin the calling thread for `d` of wall time (used to give counters something to count).
pub fn busy_for(d: Duration) -> u64 {
    let start = std::time::Instant::now();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while start.elapsed() < d {
        for _ in 0..1000 {
            x = x.rotate_left(7) ^ x.wrapping_mul(0x2545_f491_4f6c_dd1d);
        }
    }
    std::hint::black_box(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_thread_accumulates_cpu_time() {
        let t0 = thread_cpu_clock();
        let r0 = thread_cpu();
        let p0 = process_cpu();
        busy_for(Duration::from_millis(30));
        let t1 = thread_cpu_clock();
        let r1 = thread_cpu();
        let p1 = process_cpu();
        assert!(t1 - t0 >= Duration::from_millis(10), "thread clock {:?}", t1 - t0);
        assert!(r1.total() > r0.total());
        assert!(p1.total() >= p0.total());
        assert!(process_and_children_cpu().total() >= p1.total());
    }

    #[test]
    fn rusage_conversion_keeps_user_and_system_apart() {
        // SAFETY: zeroed rusage is valid.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        ru.ru_utime.tv_sec = 1;
        ru.ru_utime.tv_usec = 500_000;
        ru.ru_stime.tv_usec = 250;
        let c = from_rusage(&ru);
        assert_eq!(c.user, Duration::from_millis(1500));
        assert_eq!(c.system, Duration::from_micros(250));
    }
}
