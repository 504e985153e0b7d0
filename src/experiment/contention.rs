//! Contention around a measurement window, for spotting a noisy neighbour: the CPU steal time
//! over the window (time the hypervisor gave this machine's vCPUs to other guests, from the
//! `steal` column of `/proc/stat`'s all-CPU line) and the 1-minute load average at its start
//! (`/proc/loadavg`). Both are read just before the window opens and just after it closes, never
//! inside it; a value that cannot be read is `None` (an empty cell), never a zero.
//!
//! Units: `steal_ms` is the steal of all CPUs added up, in milliseconds; `steal_fraction` divides
//! it by the CPU time the machine had over the same span (wall time x CPUs counted in
//! `/proc/stat`), so 0.25 means a quarter of all CPU time was taken by other guests. The kernel
//! reports steal in clock ticks (`USER_HZ`, 10 ms at the usual 100 Hz) and truncates the all-CPU
//! sum once, so a window's steal is known to within one tick.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A window is flagged (and the run warns at its end) when steal certainly exceeded this share of
/// the CPU time available over the window: `(steal - one tick) / (wall x CPUs) > 0.10`.
/// Subtracting the tick keeps a single tick of rounding from flagging a short window.
pub const STEAL_WARN_FRACTION: f64 = 0.10;

/// What `/proc/stat` says about steal: its all-CPU counter and how many CPUs it sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StealCounter {
    /// The 8th value of the `cpu` line, in clock ticks.
    pub ticks: u64,
    /// The `cpuN` lines: the CPUs the all-CPU line adds up.
    pub cpus: u32,
}

/// The steal counter of a `/proc/stat` text, `None` when the `cpu` line is missing, has no steal
/// column (kernels before 2.6.11) or does not parse.
pub fn parse_stat(text: &str) -> Option<StealCounter> {
    let mut ticks = None;
    let mut cpus = 0u32;
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        let Some(label) = fields.next() else { continue };
        if label == "cpu" {
            // user nice system idle iowait irq softirq steal guest guest_nice
            ticks = fields.nth(7).and_then(|v| v.parse::<u64>().ok());
        } else if label
            .strip_prefix("cpu")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        {
            cpus += 1;
        }
    }
    Some(StealCounter {
        ticks: ticks?,
        cpus: cpus.max(1),
    })
}

/// The 1-minute load average of a `/proc/loadavg` text (its first field).
pub fn parse_loadavg(text: &str) -> Option<f64> {
    text.split_whitespace()
        .next()?
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
}

/// Clock ticks per second of `/proc/stat` (`USER_HZ`).
fn ticks_per_second() -> f64 {
    // SAFETY: sysconf only reads a configuration value.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 {
        hz as f64
    } else {
        100.0
    }
}

/// Reads the counters under a `/proc` folder (the real one, or a fixture in tests).
#[derive(Debug, Clone)]
pub struct Probe {
    root: PathBuf,
    ticks_per_s: f64,
}

/// The counters at one instant.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    at: Instant,
    steal: Option<StealCounter>,
    load_avg_1m: Option<f64>,
}

/// A window's contention, as written to `windows.csv`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Contention {
    /// CPU steal over the window in ms, all CPUs added up (`steal_ms`); `None` when `/proc/stat` is
    /// unreadable.
    pub steal_ms: Option<f64>,
    /// `steal_ms` / (window wall time x CPUs), 0 to 1: the share of all CPU time taken by other
    /// guests (`steal_fraction`).
    pub steal_fraction: Option<f64>,
    /// The 1-minute load average when the window opened (`load_avg_1m`); `None` when unreadable.
    pub load_avg_1m: Option<f64>,
    /// Steal certainly above [`STEAL_WARN_FRACTION`] (see there).
    pub excessive_steal: bool,
}

impl Default for Probe {
    fn default() -> Self {
        Probe::at(Path::new("/proc"))
    }
}

impl Probe {
    /// A probe reading `stat` and `loadavg` under `root` (`/proc`, or a fixture).
    pub fn at(root: &Path) -> Probe {
        Probe {
            root: root.to_path_buf(),
            ticks_per_s: ticks_per_second(),
        }
    }

    fn read(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.root.join(name)).ok()
    }

    /// Before a window: steal and the load average.
    pub fn start(&self) -> Sample {
        Sample {
            load_avg_1m: self.read("loadavg").as_deref().and_then(parse_loadavg),
            steal: self.read("stat").as_deref().and_then(parse_stat),
            at: Instant::now(),
        }
    }

    /// After a window: steal only.
    pub fn end(&self) -> Sample {
        let steal = self.read("stat").as_deref().and_then(parse_stat);
        Sample {
            at: Instant::now(),
            steal,
            load_avg_1m: None,
        }
    }

    /// The contention between a [`Probe::start`] and a [`Probe::end`] sample.
    pub fn between(&self, start: &Sample, end: &Sample) -> Contention {
        let wall = end.at.saturating_duration_since(start.at);
        let mut c = Contention {
            load_avg_1m: start.load_avg_1m,
            ..Contention::default()
        };
        if let (Some(a), Some(b)) = (start.steal, end.steal) {
            let tick_ms = 1e3 / self.ticks_per_s;
            let steal_ms = b.ticks.saturating_sub(a.ticks) as f64 * tick_ms;
            c.steal_ms = Some(steal_ms);
            c.steal_fraction = fraction(steal_ms, wall, b.cpus);
            c.excessive_steal = fraction((steal_ms - tick_ms).max(0.0), wall, b.cpus)
                .is_some_and(|f| f > STEAL_WARN_FRACTION);
        }
        c
    }
}

/// `steal_ms` as a share of `wall x cpus`; `None` for an empty span.
fn fraction(steal_ms: f64, wall: Duration, cpus: u32) -> Option<f64> {
    let capacity_ms = wall.as_secs_f64() * 1e3 * f64::from(cpus.max(1));
    (capacity_ms > 0.0).then(|| steal_ms / capacity_ms)
}

/// The end-of-run warning when any window's steal was excessive: how many, the worst share and
/// where to look. `flagged` holds (window id, steal fraction) of the flagged windows.
pub fn steal_warning(flagged: &[(u64, f64)], windows: usize, file: &Path) -> Option<String> {
    let worst = flagged
        .iter()
        .map(|(_, f)| *f)
        .fold(None, |m: Option<f64>, f| Some(m.map_or(f, |m| m.max(f))))?;
    let ids: Vec<String> = flagged.iter().take(10).map(|(id, _)| id.to_string()).collect();
    let more = if flagged.len() > ids.len() { ", ..." } else { "" };
    Some(format!(
        "CPU steal exceeded {:.0}% of the available CPU time in {} of {windows} windows (at most \
         {:.0}%; window_id {}{more}): the hypervisor gave this machine's CPUs to other guests \
         during them, which inflates their times and energy. See steal_ms and steal_fraction in \
         {}; rerun on a quieter host, or leave those windows out of the analysis",
        STEAL_WARN_FRACTION * 100.0,
        flagged.len(),
        worst * 100.0,
        ids.join(", "),
        file.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str = "cpu  2749284 108 285228 4163417 14763 0 10873 1904 0 0
cpu0 1332061 43 138018 2132130 4078 0 5124 941 0 0
cpu1 1417222 65 147209 2031287 10685 0 5749 962 0 0
intr 25543951 0 0 0
ctxt 41231
btime 1700000000
cpufreq 1
";

    #[test]
    fn the_steal_column_of_the_all_cpu_line_and_the_cpu_count_are_parsed() {
        assert_eq!(parse_stat(STAT), Some(StealCounter { ticks: 1904, cpus: 2 }));
        // A kernel without the steal column, a missing cpu line, garbage: no value.
        assert_eq!(parse_stat("cpu  1 2 3 4 5 6 7\ncpu0 1 2 3 4 5 6 7\n"), None);
        assert_eq!(parse_stat("cpu0 1 2 3 4 5 6 7 8\n"), None);
        assert_eq!(parse_stat("cpu  1 2 3 4 5 6 7 x 0 0\n"), None);
        assert_eq!(parse_stat(""), None);
    }

    #[test]
    fn the_load_average_is_the_first_field() {
        assert_eq!(parse_loadavg("4.52 1.45 0.51 7/134 6555\n"), Some(4.52));
        assert_eq!(parse_loadavg(""), None);
        assert_eq!(parse_loadavg("abc 1 2"), None);
        assert_eq!(parse_loadavg("-1 1 2"), None);
    }

    fn write_proc(dir: &Path, steal: u64, load: &str) {
        let stat = format!(
            "cpu  10 0 10 100 0 0 0 {steal} 0 0\ncpu0 5 0 5 50 0 0 0 0 0 0\ncpu1 5 0 5 50 0 0 0 0 0 0\n\
             cpu2 0 0 0 0 0 0 0 0 0 0\ncpu3 0 0 0 0 0 0 0 0 0 0\n"
        );
        std::fs::write(dir.join("stat"), stat).unwrap();
        std::fs::write(dir.join("loadavg"), load).unwrap();
    }

    /// A probe reading the fake `/proc` files in `root`, at 100 clock ticks per second.
    fn probe_at(root: &Path) -> Probe {
        Probe {
            ticks_per_s: 100.0,
            ..Probe::at(root)
        }
    }

    #[test]
    fn a_window_gets_steal_in_ms_its_share_of_cpu_time_and_the_starting_load() {
        let tmp = tempfile::tempdir().unwrap();
        let probe = probe_at(tmp.path());
        write_proc(tmp.path(), 1000, "2.50 1.00 0.50 1/100 42\n");
        let a = probe.start();
        write_proc(tmp.path(), 1030, "9.00 1.00 0.50 1/100 42\n");
        let b = Sample {
            at: a.at + Duration::from_millis(200),
            ..probe.end()
        };
        let c = probe.between(&a, &b);
        assert_eq!(c.steal_ms, Some(300.0), "30 ticks of 10 ms");
        assert_eq!(c.load_avg_1m, Some(2.5), "the load at the start");
        // 300 ms of 200 ms x 4 CPUs.
        let f = c.steal_fraction.unwrap();
        assert!((f - 0.375).abs() < 1e-12, "{f}");
        assert!(c.excessive_steal);
    }

    #[test]
    fn one_tick_of_steal_in_a_short_window_is_not_flagged() {
        let tmp = tempfile::tempdir().unwrap();
        let probe = probe_at(tmp.path());
        write_proc(tmp.path(), 7, "0.1 0 0 1/1 1\n");
        let a = probe.start();
        write_proc(tmp.path(), 8, "0.1 0 0 1/1 1\n");
        let b = Sample {
            at: a.at + Duration::from_millis(15),
            ..probe.end()
        };
        let c = probe.between(&a, &b);
        assert_eq!(c.steal_ms, Some(10.0));
        assert!(c.steal_fraction.unwrap() > STEAL_WARN_FRACTION);
        assert!(!c.excessive_steal, "within one tick of rounding");
    }

    #[test]
    fn an_unreadable_proc_gives_empty_values_not_zeros() {
        let probe = Probe::at(Path::new("/nonexistent/proc"));
        let c = probe.between(&probe.start(), &probe.end());
        assert_eq!(c, Contention::default());
        assert_eq!(c.steal_ms, None);
        assert_eq!(c.load_avg_1m, None);
    }

    #[test]
    fn the_warning_names_the_windows_the_worst_share_and_the_file() {
        assert_eq!(steal_warning(&[], 10, Path::new("windows.csv")), None);
        let w = steal_warning(&[(3, 0.2), (7, 0.35)], 10, Path::new("run/windows.csv")).unwrap();
        assert!(
            w.contains("2 of 10 windows")
                && w.contains("at most 35%")
                && w.contains("window_id 3, 7")
                && w.contains("run/windows.csv")
                && w.contains("10%"),
            "{w}"
        );
    }
}
