//! Shared guest code of the Nebula function suite.
//!
//! Every function of the suite is a small binary that reads its input (one integer `n`) from
//! stdin, runs a kernel, and writes a deterministic result to stdout. The same source is built
//! for `wasm32-wasip1` and for the host, and both builds must print the same bytes.
//!
//! This crate provides:
//! - [`run`]: the stdin → function → stdout/stderr wrapper (errors exit with status 2);
//! - [`parse_u64`]: input parsing with helpful messages;
//! - [`kernel`]: brackets the measured part of a function with the `bench.start` / `bench.end`
//!   markers (wasm imports, or lines written to `$NEBULA_MARKER_FD` natively);
//! - [`SplitMix64`] and [`SEED`]: the deterministic data generator used by the functions (and by
//!   tests that regenerate their data);
//! - [`try_vec_with_capacity`]: fallible allocation, so that huge inputs give an error rather
//!   than an abort.

use std::io::{Read, Write};

/// Exit status of a function that failed (bad input, allocation failure, I/O error).
pub const ERROR_EXIT_CODE: i32 = 2;

/// Runs a function: reads all of stdin, trims it, calls `f`, and writes the `Ok` string to
/// stdout as-is (functions end their output with a newline). On `Err(message)` it prints
/// `error: MESSAGE` to stderr and exits with status 2.
pub fn run(f: fn(&str) -> Result<String, String>) {
    markers::die_with_parent();
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        fail(&format!("cannot read the input from stdin: {e}"));
    }
    match f(input.trim()) {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = stdout.write_all(out.as_bytes()).and_then(|()| stdout.flush()) {
                fail(&format!("cannot write the output to stdout: {e}"));
            }
        }
        Err(message) => fail(&message),
    }
    markers::report_peak_memory();
}

/// Prints `error: MESSAGE` to stderr and exits with status 2.
pub fn fail(message: &str) -> ! {
    // Never panic here, even if stderr is closed.
    let _ = writeln!(std::io::stderr(), "error: {message}");
    std::process::exit(ERROR_EXIT_CODE)
}

/// Parses `input` as an integer in `min..=max`.
///
/// The error reads like `input must be an integer n in 1..=186 (got "abc")`, where `n` is `name`.
pub fn parse_u64(input: &str, name: &str, min: u64, max: u64) -> Result<u64, String> {
    let err = || {
        let shown: String = if input.chars().count() > 40 {
            input.chars().take(40).chain("...".chars()).collect()
        } else {
            input.to_string()
        };
        format!("input must be an integer {name} in {min}..={max} (got {shown:?})")
    };
    let s = input.trim();
    // `u64::from_str` accepts a leading '+'; we want plain digits only.
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    match s.parse::<u64>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(err()),
    }
}

/// A `Vec` with room for `n` elements, or an error message instead of an allocation abort.
pub fn try_vec_with_capacity<T>(n: usize, what: &str) -> Result<Vec<T>, String> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| {
        format!(
            "cannot allocate {what} ({n} elements of {} bytes)",
            std::mem::size_of::<T>()
        )
    })?;
    Ok(v)
}

/// Runs `f` between the `start` and `end` kernel markers and returns its result.
///
/// The result goes through [`std::hint::black_box`] before the end marker, so the work cannot be
/// moved after it (or dropped).
#[inline(never)]
pub fn kernel<T>(f: impl FnOnce() -> T) -> T {
    let f = std::hint::black_box(f);
    markers::start();
    let r = std::hint::black_box(f());
    markers::end();
    r
}

#[cfg(target_arch = "wasm32")]
mod markers {
    #[link(wasm_import_module = "bench")]
    extern "C" {
        #[link_name = "start"]
        fn bench_start();
        #[link_name = "end"]
        fn bench_end();
    }

    #[inline(always)]
    pub fn start() {
        // SAFETY: host functions with no parameters and no results (`bench.start`).
        unsafe { bench_start() }
    }

    #[inline(always)]
    pub fn end() {
        // SAFETY: host functions with no parameters and no results (`bench.end`).
        unsafe { bench_end() }
    }

    /// The wasm host measures linear memory itself.
    pub fn report_peak_memory() {}

    /// A wasm guest lives inside its host.
    pub fn die_with_parent() {}
}

#[cfg(not(target_arch = "wasm32"))]
mod markers {
    //! Native markers: when `NEBULA_MARKER_FD` holds a file descriptor number, `start` keeps its
    //! stamps in memory and `end` writes both lines, `start MONO_NS CPU_NS\n` and
    //! `end MONO_NS CPU_NS\n`, with `CLOCK_MONOTONIC` and `CLOCK_THREAD_CPUTIME_ID` in
    //! nanoseconds, after its own stamps: no write falls inside the kernel's span. Without the
    //! variable they do nothing.

    use std::sync::OnceLock;

    /// When Nebula started this process (`NEBULA_PARENT_PID` holds its pid), ask the kernel
    /// to kill it if that parent goes: a Nebula killed with SIGKILL (which no handler can
    /// catch) then leaves no guest running on. A parent that went before the request was
    /// made (the process was already adopted) ends the call at once. Two system calls, about
    /// a microsecond of a native call's ~0.8 ms spawn.
    pub fn die_with_parent() {
        let Some(parent) = std::env::var("NEBULA_PARENT_PID")
            .ok()
            .and_then(|v| v.trim().parse::<libc::pid_t>().ok())
        else {
            return;
        };
        #[cfg(target_os = "linux")]
        // SAFETY: PR_SET_PDEATHSIG takes a signal number and changes only this process.
        unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        }
        // SAFETY: getppid has no preconditions.
        if unsafe { libc::getppid() } != parent {
            super::fail("the Nebula process that started this call has gone");
        }
    }

    fn marker_fd() -> Option<libc::c_int> {
        static FD: OnceLock<Option<libc::c_int>> = OnceLock::new();
        *FD.get_or_init(|| {
            let v = std::env::var("NEBULA_MARKER_FD").ok()?;
            let fd: libc::c_int = v.trim().parse().ok()?;
            (fd >= 0).then_some(fd)
        })
    }

    fn now_ns(clock: libc::clockid_t) -> u64 {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec.
        let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
        if rc != 0 {
            return 0;
        }
        (ts.tv_sec as u64)
            .wrapping_mul(1_000_000_000)
            .wrapping_add(ts.tv_nsec as u64)
    }

    fn emit_line(fd: libc::c_int, line: &str) {
        let mut buf = line.as_bytes();
        while !buf.is_empty() {
            // SAFETY: `buf` is a valid byte slice; a bad fd only makes write fail.
            let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
            if n > 0 {
                buf = &buf[n as usize..];
            } else if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            } else {
                return;
            }
        }
    }

    /// Write `rss_hwm KIB` (this process's VmHWM from /proc/self/status): the host's wait4
    /// max RSS would also count the parent's pages shared at spawn.
    pub fn report_peak_memory() {
        let Some(fd) = marker_fd() else { return };
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let kib = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
        if let Some(kib) = kib {
            emit_line(fd, &format!("rss_hwm {kib}\n"));
        }
    }

    /// The start stamps, kept until `end` writes both lines: a write between the stamps would be
    /// counted in the kernel.
    static START: std::sync::Mutex<Option<(u64, u64)>> = std::sync::Mutex::new(None);

    #[inline(never)]
    pub fn start() {
        if marker_fd().is_some() {
            record_start();
        }
    }

    #[inline(never)]
    pub fn end() {
        if let Some(fd) = marker_fd() {
            end_to(fd);
        }
    }

    /// Keeps the start stamps. The thread CPU clock is a system call (about a microsecond in a
    /// VM), the monotonic clock is not: it is read innermost, so the kernel's wall span holds
    /// neither CPU-clock read.
    pub(crate) fn record_start() {
        let cpu = now_ns(libc::CLOCK_THREAD_CPUTIME_ID);
        let mono = now_ns(libc::CLOCK_MONOTONIC);
        if let Ok(mut s) = START.lock() {
            *s = Some((mono, cpu));
        }
    }

    /// Takes the end stamps (the clocks in the reverse order of the start's), then writes both
    /// lines to `fd`.
    pub(crate) fn end_to(fd: libc::c_int) {
        let mono = now_ns(libc::CLOCK_MONOTONIC);
        let cpu = now_ns(libc::CLOCK_THREAD_CPUTIME_ID);
        let started = START.lock().ok().and_then(|mut s| s.take());
        if let Some((mono0, cpu0)) = started {
            emit_line(fd, &format!("start {mono0} {cpu0}\nend {mono} {cpu}\n"));
        }
    }
}

/// The default seed of the suite's data: the ASCII bytes of "NEBULA" (`0x4E_45_42_55_4C_41`).
///
/// Every function that needs data draws it from `SplitMix64::new(SEED)`, so a test (or the
/// Nebula host) can regenerate exactly the same data.
pub const SEED: u64 = 0x4E45_4255_4C41;

/// SplitMix64 (Steele, Lea & Flood 2014; the generator of `java.util.SplittableRandom` and the
/// usual seeder of xoshiro), with the standard constants:
///
/// ```text
/// state += 0x9E3779B97F4A7C15
/// z = state
/// z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
/// z = (z ^ (z >> 27)) * 0x94D049BB133111EB
/// return z ^ (z >> 31)
/// ```
///
/// (all arithmetic wrapping mod 2^64). [`SplitMix64::next_f64`] maps the top 53 bits to
/// `[0, 1)`: `(x >> 11) as f64 * 2^-53`. The output is the same on every target, so tests
/// regenerate the functions' data with it.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub const fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform `f64` in `[0, 1)`: `(next_u64() >> 11) as f64 * 2^-53`.
    #[inline]
    pub fn next_f64(&mut self) -> f64 {
        const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
        (self.next_u64() >> 11) as f64 * SCALE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Natively, the start writes nothing and the end writes both lines, the end's stamps after
    /// the start's: no write falls inside the kernel.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn native_markers_write_both_lines_at_the_end() {
        use std::io::Read;
        use std::os::fd::FromRawFd;
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: `fds` has room for the two descriptors pipe() writes.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        markers::record_start();
        // SAFETY: fds[0] is the pipe's read end, owned here from now on; non-blocking to peek.
        unsafe { libc::fcntl(fds[0], libc::F_SETFL, libc::O_NONBLOCK) };
        let mut reader = unsafe { std::fs::File::from_raw_fd(fds[0]) };
        let mut early = [0u8; 64];
        assert!(reader.read(&mut early).is_err(), "start wrote nothing yet");
        markers::end_to(fds[1]);
        // SAFETY: closing the write end we created.
        unsafe { libc::close(fds[1]) };
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        let nums: Vec<Vec<u64>> = text
            .lines()
            .map(|l| l.split(' ').skip(1).map(|n| n.parse().unwrap()).collect())
            .collect();
        assert!(text.starts_with("start ") && text.contains("\nend "), "{text}");
        assert!(nums[1][0] >= nums[0][0] && nums[1][1] >= nums[0][1], "{text}");
    }

    #[test]
    fn splitmix64_known_values_seed_zero() {
        // Published reference outputs of SplitMix64 seeded with 0.
        let mut g = SplitMix64::new(0);
        assert_eq!(g.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(g.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(g.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn splitmix64_suite_seed() {
        // Computed independently (Python re-implementation).
        let mut g = SplitMix64::new(SEED);
        assert_eq!(g.next_u64(), 0xb3df_c871_ccc5_6112);
        assert_eq!(g.next_u64(), 0xa9b2_41d1_4206_3038);
    }

    #[test]
    fn next_f64_in_unit_interval() {
        let mut g = SplitMix64::new(SEED);
        for _ in 0..10_000 {
            let x = g.next_f64();
            assert!((0.0..1.0).contains(&x));
        }
        let mut a = SplitMix64::new(SEED);
        let mut b = SplitMix64::new(SEED);
        assert_eq!(
            a.next_f64(),
            (b.next_u64() >> 11) as f64 / 9_007_199_254_740_992.0
        );
    }

    #[test]
    fn seed_is_nebula() {
        assert_eq!(&SEED.to_be_bytes()[2..], b"NEBULA");
    }

    #[test]
    fn parse_u64_accepts_range_and_rejects_rest() {
        assert_eq!(parse_u64("5", "n", 1, 186), Ok(5));
        assert_eq!(parse_u64(" 186 ", "n", 1, 186), Ok(186));
        assert_eq!(
            parse_u64("abc", "n", 1, 186),
            Err("input must be an integer n in 1..=186 (got \"abc\")".to_string())
        );
        for bad in [
            "",
            "0",
            "187",
            "-1",
            "+5",
            "1.5",
            "1e3",
            "99999999999999999999999",
        ] {
            assert!(parse_u64(bad, "n", 1, 186).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn try_vec_reports_impossible_sizes() {
        assert!(try_vec_with_capacity::<u64>(usize::MAX / 4, "data").is_err());
        assert!(try_vec_with_capacity::<u64>(10, "data").unwrap().capacity() >= 10);
    }

    #[test]
    fn kernel_returns_result() {
        assert_eq!(kernel(|| 6 * 7), 42);
    }
}
