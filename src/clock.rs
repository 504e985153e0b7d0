//! Clocks: CPU time of the calling thread, the whole process and its waited-for children, and
//! the monotonic clock. A leaf: the runtimes, the energy sources and the server read it.
//!
//! Totals come from the kernel's CPU clocks (`clock_gettime`), which are exact to the
//! nanosecond, including the slice the thread is running now. `getrusage` alone is not enough
//! for short calls: the run time it reports for a running thread or process is only brought up
//! to date at scheduler ticks and context switches, so a 10 us call could read as 0 or as a
//! whole tick. The kernel splits that run time into user and system in proportion to the
//! ticks that landed in each; [`ThreadStop::split`] splits the exact total in the same
//! proportion, which is approximate for calls shorter than a few ticks. That proportion is
//! read once per call, when it stops, and the next call on the thread starts from that
//! reading: in a VM each system call costs about 0.6 us, a visible share of a 9 us call.

use serde::Serialize;
use std::time::Duration;

/// User and system CPU time. Their sum is exact (the thread's or the child's CPU clock); the
/// split between them is the kernel's, sampled at scheduler ticks (see the module doc).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct CpuTime {
    /// CPU time spent in user mode.
    pub user: Duration,
    /// CPU time spent in the kernel on the thread's or process's behalf (system calls, page
    /// faults).
    pub system: Duration,
}

impl CpuTime {
    /// User plus system time: the exact CPU time.
    pub fn total(self) -> Duration {
        self.user + self.system
    }
}

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

/// The calling thread's CPU time at the start of a call.
#[derive(Debug, Clone, Copy)]
pub struct ThreadMark {
    clock: Duration,
    ticks: CpuTime,
}

thread_local! {
    /// The thread's user/system reading (`getrusage`) taken when its previous call stopped:
    /// the next call's split starts from it, so a call costs one `getrusage`, not two.
    static LAST_TICKS: std::cell::Cell<Option<CpuTime>> = const { std::cell::Cell::new(None) };
}

/// Mark the calling thread's CPU time now: one CPU-clock reading (plus a `getrusage` on the
/// thread's first call only).
pub fn thread_mark() -> ThreadMark {
    let ticks = LAST_TICKS
        .with(std::cell::Cell::get)
        .unwrap_or_else(|| rusage(libc::RUSAGE_THREAD));
    ThreadMark {
        ticks,
        clock: thread_cpu_clock(),
    }
}

/// The exact CPU time of a call, read when it stopped; [`ThreadStop::split`] divides it.
#[derive(Debug, Clone, Copy)]
pub struct ThreadStop {
    total: Duration,
    ticks: CpuTime,
}

impl ThreadMark {
    /// The call's exact CPU time so far (one CPU-clock reading). Read it inside the call's wall
    /// interval; split it after, outside the window.
    pub fn stop(&self) -> ThreadStop {
        ThreadStop {
            total: thread_cpu_clock().saturating_sub(self.clock),
            ticks: self.ticks,
        }
    }

    /// [`ThreadMark::stop`] and [`ThreadStop::split`] at once.
    pub fn elapsed(&self) -> CpuTime {
        self.stop().split()
    }
}

impl ThreadStop {
    /// The call's exact CPU time, before it is split into user and system.
    pub fn total(&self) -> Duration {
        self.total
    }

    /// The exact total split into user and system in the proportion the kernel booked on this
    /// thread since its previous call stopped (this call, and the little the thread did
    /// between the two), else over the thread's life, else all user (what the kernel itself
    /// does for a thread no tick hit). The reading is kept for the thread's next call.
    pub fn split(self) -> CpuTime {
        let now = rusage(libc::RUSAGE_THREAD);
        LAST_TICKS.with(|t| t.set(Some(now)));
        let span = CpuTime {
            user: now.user.saturating_sub(self.ticks.user),
            system: now.system.saturating_sub(self.ticks.system),
        };
        let basis = if span.total() > Duration::ZERO { span } else { now };
        split(self.total, basis)
    }
}

/// `total` divided into user and system in the proportion of `basis`.
fn split(total: Duration, basis: CpuTime) -> CpuTime {
    let b = basis.total().as_nanos();
    if b == 0 {
        return CpuTime {
            user: total,
            system: Duration::ZERO,
        };
    }
    let system_ns = total.as_nanos() * basis.system.as_nanos() / b;
    let system = Duration::from_nanos(u64::try_from(system_ns).unwrap_or(u64::MAX)).min(total);
    CpuTime {
        user: total - system,
        system,
    }
}

/// CPU time of the whole process (its CPU clock: all threads, exact) and of the children it
/// has waited for (their `rusage`, complete once they are reaped): what
/// the energy sources' readings carry.
pub fn process_and_children_cpu() -> Duration {
    process_cpu_clock() + rusage(libc::RUSAGE_CHILDREN).total()
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
    fn a_busy_thread_gets_its_exact_cpu_time() {
        let before = thread_cpu_clock();
        let mark = thread_mark();
        // Spin for 30 ms of this thread's CPU (not wall time: the VM may take the CPU away).
        while thread_cpu_clock().saturating_sub(before) < Duration::from_millis(30) {
            busy_for(Duration::from_micros(50));
        }
        let e = mark.elapsed();
        let after = thread_cpu_clock();
        assert!(
            e.total() >= Duration::from_millis(30) - (mark.clock - before),
            "{e:?}"
        );
        assert!(e.total() <= after - before, "{e:?} > {:?}", after - before);
        let p = process_and_children_cpu();
        assert!(
            p >= after,
            "the process ({p:?}) ran at least this thread ({after:?})"
        );
    }

    #[test]
    fn a_threads_next_call_starts_from_the_reading_its_previous_call_stopped_with() {
        let seen = std::thread::spawn(|| {
            let fresh = LAST_TICKS.with(std::cell::Cell::get).is_none();
            let first = thread_mark();
            busy_for(Duration::from_millis(2));
            let stop = first.stop();
            let split = stop.split();
            let kept = LAST_TICKS.with(std::cell::Cell::get);
            busy_for(Duration::from_millis(1));
            let second = thread_mark();
            (fresh, stop.total(), split, kept, second.ticks)
        })
        .join()
        .expect("thread");
        let (fresh, total, split, kept, next_start) = seen;
        assert!(fresh, "a new thread has no reading yet");
        assert_eq!(split.total(), total, "the split keeps the exact total");
        let kept = kept.expect("the stop's reading is kept");
        assert_eq!(
            (next_start.user, next_start.system),
            (kept.user, kept.system),
            "the next mark reuses it instead of reading again"
        );
    }

    #[test]
    fn a_call_shorter_than_a_tick_is_not_zero() {
        // getrusage would say 0 here (or a whole tick); the thread clock sees the microseconds.
        let mark = thread_mark();
        std::hint::black_box(busy_for(Duration::from_micros(20)));
        let e = mark.elapsed();
        assert!(e.total() > Duration::ZERO, "{e:?}");
        assert!(e.total() < Duration::from_millis(1), "{e:?}");
    }

    #[test]
    fn the_total_is_split_in_the_kernels_proportion() {
        let basis = CpuTime {
            user: Duration::from_millis(3),
            system: Duration::from_millis(1),
        };
        let s = split(Duration::from_micros(10), basis);
        assert_eq!(s.user, Duration::from_nanos(7_500));
        assert_eq!(s.system, Duration::from_nanos(2_500));
        let none = split(Duration::from_micros(10), CpuTime::default());
        assert_eq!(
            (none.user, none.system),
            (Duration::from_micros(10), Duration::ZERO)
        );
        let all_sys = CpuTime {
            user: Duration::ZERO,
            system: Duration::from_millis(4),
        };
        assert_eq!(
            split(Duration::from_micros(7), all_sys).total(),
            Duration::from_micros(7)
        );
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
