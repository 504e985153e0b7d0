//! The `perf` source: RAPL through `perf_event_open` on the `power` PMU (energy-pkg, energy-ram,
//! energy-psys), one system-wide counter per cpu of the PMU's `cpumask` (pid = -1; one cpu per
//! package, or per die where dies have their own counters), scaled to joules with the PMU's
//! `.scale`. The kernel extends the 32-bit hardware counter to 64 bits, so no wrap correction
//! is needed. Needs `perf_event_paranoid <= 0` or CAP_PERFMON.
//!
//! The sysfs/procfs paths can be moved under a prefix (`NEBULA_PERF_ROOT`) so the discovery can be
//! tested on fixture trees; the syscall itself needs real hardware.

use super::{DomainEnergy, EnergyError, EnergySource, Quality, Reading, SourceInfo, WindowEnergy};
use crate::units::Joules;
use std::collections::BTreeMap;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Environment variable naming a prefix under which `sys/...` and `proc/...` are looked up.
pub const ENV_ROOT: &str = "NEBULA_PERF_ROOT";
/// How long the busy loop that checks the counters move lasts by default.
pub const DEFAULT_PROBE: Duration = Duration::from_millis(30);

/// Where the power PMU, the CPU topology and the paranoid setting live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PerfPaths {
    /// The power PMU's folder (`sys/bus/event_source/devices/power`).
    pub pmu: PathBuf,
    /// The CPU topology folder (`sys/devices/system/cpu`).
    pub cpus: PathBuf,
    /// The `perf_event_paranoid` setting (`proc/sys/kernel/perf_event_paranoid`).
    pub paranoid: PathBuf,
}

impl Default for PerfPaths {
    fn default() -> Self {
        PerfPaths::under(Path::new("/"))
    }
}

impl PerfPaths {
    /// The same layout below `prefix` (`/` is the real system).
    pub fn under(prefix: &Path) -> Self {
        PerfPaths {
            pmu: prefix.join("sys/bus/event_source/devices/power"),
            cpus: prefix.join("sys/devices/system/cpu"),
            paranoid: prefix.join("proc/sys/kernel/perf_event_paranoid"),
        }
    }

    /// An explicit prefix, else `NEBULA_PERF_ROOT`, else the real system.
    pub fn resolve(explicit: Option<&Path>) -> Self {
        if let Some(p) = explicit {
            return PerfPaths::under(p);
        }
        match std::env::var_os(ENV_ROOT) {
            Some(v) if !v.is_empty() => PerfPaths::under(Path::new(&v)),
            _ => PerfPaths::default(),
        }
    }
}

/// One event of the power PMU.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PerfEvent {
    /// `energy-pkg`, `energy-ram`, `energy-psys`.
    pub name: String,
    /// The event's `config` for `perf_event_open` (from `events/<event>`, `event=0x..`).
    pub config: u64,
    /// Joules per count (from `<event>.scale`).
    pub scale: f64,
    /// From `<event>.unit`, `Joules` on every kernel so far.
    pub unit: String,
}

/// One counter to open: an event on one cpu.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PlannedCounter {
    /// `pkg-0`, `ram-1`, `psys`.
    pub label: String,
    /// Index of the event in [`PerfPlan::events`].
    pub event: usize,
    /// The CPU to open it on (the first CPU of its package).
    pub cpu: u32,
}

/// What discovery found, before any syscall.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PerfPlan {
    /// The power PMU's type number for `perf_event_attr.type` (from its `type` file).
    pub pmu_type: u32,
    /// The energy events the PMU has (`energy-pkg`, `energy-ram`, `energy-psys`).
    pub events: Vec<PerfEvent>,
    /// (package, first cpu of that package).
    pub packages: Vec<(u32, u32)>,
    /// The counters to open: psys alone where present, else pkg (and ram) per package.
    pub counters: Vec<PlannedCounter>,
}

fn read_trim(path: &Path) -> Result<String, EnergyError> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .map_err(|e| EnergyError::Io(format!("cannot read {}: {e}", path.display())))
}

/// Parse an event description such as `event=0x02` (other terms are ignored; the power PMU has
/// only `event`).
pub fn parse_event_config(text: &str) -> Option<u64> {
    text.trim().split(',').find_map(|term| {
        let (k, v) = term.split_once('=')?;
        if k.trim() != "event" {
            return None;
        }
        let v = v.trim();
        match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => v.parse().ok(),
        }
    })
}

/// Parse a cpu list such as `0`, `0,28` or `0-3,8`.
pub fn parse_cpu_list(text: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.trim().parse::<u32>(), b.trim().parse::<u32>()) {
                    out.extend(a..=b);
                }
            }
            None => out.extend(part.trim().parse::<u32>().ok()),
        }
    }
    out
}

/// The value of `perf_event_paranoid`, if readable.
pub fn paranoid(paths: &PerfPaths) -> Option<i32> {
    std::fs::read_to_string(&paths.paranoid).ok()?.trim().parse().ok()
}

/// A cpu's topology number (`physical_package_id`, `die_id`), if readable.
fn topology(paths: &PerfPaths, cpu: u32, what: &str) -> Option<u32> {
    let text = std::fs::read_to_string(paths.cpus.join(format!("cpu{cpu}/topology/{what}"))).ok()?;
    text.trim().parse().ok()
}

/// One cpu per RAPL counter, with its package: the PMU's `cpumask`, where the kernel lists one
/// cpu per package, or per die on multi-die parts whose dies have their own counters (so no die
/// is missed and none counted twice); else the first cpu of each package from
/// `cpu*/topology/physical_package_id`; else cpu 0.
pub fn package_cpus(paths: &PerfPaths) -> Vec<(u32, u32)> {
    if let Ok(mask) = std::fs::read_to_string(paths.pmu.join("cpumask")) {
        let cpus = parse_cpu_list(&mask);
        if !cpus.is_empty() {
            return cpus
                .into_iter()
                .enumerate()
                .map(|(i, c)| (topology(paths, c, "physical_package_id").unwrap_or(i as u32), c))
                .collect();
        }
    }
    let mut first: BTreeMap<u32, u32> = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(&paths.cpus) {
        for e in entries.filter_map(|e| e.ok()) {
            let name = e.file_name();
            let Some(cpu) = name
                .to_str()
                .and_then(|n| n.strip_prefix("cpu"))
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(pkg) = std::fs::read_to_string(e.path().join("topology/physical_package_id")) else {
                continue;
            };
            let Ok(pkg) = pkg.trim().parse::<u32>() else {
                continue;
            };
            let slot = first.entry(pkg).or_insert(cpu);
            *slot = (*slot).min(cpu);
        }
    }
    if first.is_empty() {
        return vec![(0, 0)];
    }
    first.into_iter().collect()
}

/// The label suffix of each counter cpu: `-0` for package 0, and `-0-die-1` where a package has
/// several counters (one per die; the die from `topology/die_id`, else its rank).
fn package_labels(paths: &PerfPaths, packages: &[(u32, u32)]) -> Vec<String> {
    packages
        .iter()
        .enumerate()
        .map(|(i, &(p, cpu))| {
            let same: Vec<usize> = (0..packages.len()).filter(|&j| packages[j].0 == p).collect();
            if same.len() < 2 {
                return format!("-{p}");
            }
            let rank = same.iter().position(|&j| j == i).unwrap_or(0) as u32;
            format!("-{p}-die-{}", topology(paths, cpu, "die_id").unwrap_or(rank))
        })
        .collect()
}

fn missing_fix() -> String {
    "the power PMU needs bare metal with an Intel or AMD Zen CPU and a kernel built with \
     CONFIG_PERF_EVENTS_INTEL_RAPL (AMD: Linux >= 5.11); virtual machines usually have none. \
     Set NEBULA_PERF_ROOT if the tree lives under another prefix"
        .to_string()
}

/// Find the PMU type, the events and one counter per package, without opening anything.
/// psys alone where present (the whole platform), else energy-pkg plus energy-ram per package.
pub fn discover(paths: &PerfPaths) -> Result<PerfPlan, EnergyError> {
    let type_path = paths.pmu.join("type");
    if !type_path.is_file() {
        return Err(EnergyError::Missing {
            what: format!("no power PMU at {}", paths.pmu.display()),
            fix: missing_fix(),
        });
    }
    let type_text = read_trim(&type_path)?;
    let pmu_type: u32 = type_text.parse().map_err(|_| {
        EnergyError::Io(format!(
            "{} holds {type_text:?}, not a PMU type number",
            type_path.display()
        ))
    })?;
    let mut events = Vec::new();
    for name in ["energy-pkg", "energy-ram", "energy-psys"] {
        let ev = paths.pmu.join("events").join(name);
        if !ev.is_file() {
            continue;
        }
        let text = read_trim(&ev)?;
        let config = parse_event_config(&text).ok_or_else(|| {
            EnergyError::Io(format!("{} holds {text:?}, expected `event=0x..`", ev.display()))
        })?;
        let scale_path = paths.pmu.join("events").join(format!("{name}.scale"));
        let scale_text = read_trim(&scale_path)?;
        let scale: f64 = scale_text
            .parse()
            .ok()
            .filter(|s: &f64| s.is_finite() && *s > 0.0)
            .ok_or_else(|| {
                EnergyError::Io(format!(
                    "{} holds {scale_text:?}, not a positive scale",
                    scale_path.display()
                ))
            })?;
        let unit_path = paths.pmu.join("events").join(format!("{name}.unit"));
        let unit = read_trim(&unit_path)?;
        if unit != "Joules" {
            return Err(EnergyError::Unavailable(format!(
                "{} says {unit:?}; nebula only knows Joules",
                unit_path.display()
            )));
        }
        events.push(PerfEvent {
            name: name.to_string(),
            config,
            scale,
            unit,
        });
    }
    let find = |n: &str| events.iter().position(|e| e.name == n);
    let packages = package_cpus(paths);
    let mut counters = Vec::new();
    if let Some(psys) = find("energy-psys") {
        let cpu = packages.first().map_or(0, |p| p.1);
        counters.push(PlannedCounter {
            label: "psys".into(),
            event: psys,
            cpu,
        });
    } else if let Some(pkg) = find("energy-pkg") {
        let ram = find("energy-ram");
        for (&(_, cpu), suffix) in packages.iter().zip(package_labels(paths, &packages)) {
            counters.push(PlannedCounter {
                label: format!("pkg{suffix}"),
                event: pkg,
                cpu,
            });
            if let Some(ram) = ram {
                counters.push(PlannedCounter {
                    label: format!("ram{suffix}"),
                    event: ram,
                    cpu,
                });
            }
        }
    } else {
        return Err(EnergyError::Missing {
            what: format!(
                "the power PMU at {} has neither energy-pkg nor energy-psys",
                paths.pmu.display()
            ),
            fix: missing_fix(),
        });
    }
    Ok(PerfPlan {
        pmu_type,
        events,
        packages,
        counters,
    })
}

/// `perf_event_attr` up to `config1` (PERF_ATTR_SIZE_VER0, 64 bytes): all the power PMU needs.
#[repr(C)]
#[derive(Default)]
struct PerfEventAttr {
    type_: u32,
    size: u32,
    config: u64,
    sample_period: u64,
    sample_type: u64,
    read_format: u64,
    flags: u64,
    wakeup_events: u32,
    bp_type: u32,
    config1: u64,
}

const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 8;

/// The error for an open refused by the kernel.
pub fn permission_error(paranoid: Option<i32>) -> EnergyError {
    let level = paranoid.map_or("unknown".to_string(), |p| p.to_string());
    EnergyError::Permission {
        what: format!("perf_event_open on the power PMU (kernel.perf_event_paranoid is {level})"),
        fix: "system-wide power counters need perf_event_paranoid <= 0 or CAP_PERFMON. Fix: \
              `sudo sysctl kernel.perf_event_paranoid=0` (persist in /etc/sysctl.d/), or \
              `sudo setcap cap_perfmon+ep <path to nebula>`, or run as root"
            .to_string(),
    }
}

fn open_counter(pmu_type: u32, config: u64, cpu: u32) -> Result<OwnedFd, std::io::Error> {
    let attr = PerfEventAttr {
        type_: pmu_type,
        size: std::mem::size_of::<PerfEventAttr>() as u32,
        config,
        ..PerfEventAttr::default()
    };
    // SAFETY: `attr` is a valid PERF_ATTR_SIZE_VER0 perf_event_attr that outlives the call;
    // pid = -1 with a cpu >= 0 asks for a system-wide counter on that cpu; no group.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            &attr as *const PerfEventAttr,
            -1 as libc::pid_t,
            cpu as libc::c_int,
            -1 as libc::c_int,
            PERF_FLAG_FD_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let fd = libc::c_int::try_from(fd).map_err(|_| std::io::Error::other("fd out of range"))?;
    // SAFETY: the kernel just returned this descriptor and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn read_counter(fd: &OwnedFd) -> Result<u64, std::io::Error> {
    let mut v: u64 = 0;
    // SAFETY: reading 8 bytes into a u64 we own from a perf event fd.
    let n = unsafe { libc::read(fd.as_raw_fd(), (&mut v as *mut u64).cast(), 8) };
    if n != 8 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(v)
}

/// Whether any counter moved between two readings (a dead PMU reads the same forever).
pub fn counters_moved(a: &[u64], b: &[u64]) -> bool {
    a.iter().zip(b).any(|(x, y)| x != y)
}

/// RAPL through perf_event.
pub struct Perf {
    plan: PerfPlan,
    fds: Vec<OwnedFd>,
}

impl std::fmt::Debug for Perf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Perf").field("plan", &self.plan).finish()
    }
}

impl Perf {
    /// Discover, open one counter per package and domain, and check they move under a busy
    /// loop of `probe`.
    pub fn open(paths: &PerfPaths, probe: Duration) -> Result<Perf, EnergyError> {
        let plan = discover(paths)?;
        let mut fds = Vec::with_capacity(plan.counters.len());
        for c in &plan.counters {
            let ev = &plan.events[c.event];
            match open_counter(plan.pmu_type, ev.config, c.cpu) {
                Ok(fd) => fds.push(fd),
                Err(e) if matches!(e.raw_os_error(), Some(libc::EACCES) | Some(libc::EPERM)) => {
                    return Err(permission_error(paranoid(paths)));
                }
                Err(e) => {
                    return Err(EnergyError::Unavailable(format!(
                        "perf_event_open({}, type {}, config {:#x}, cpu {}) failed: {e}",
                        ev.name, plan.pmu_type, ev.config, c.cpu
                    )))
                }
            }
        }
        let perf = Perf { plan, fds };
        let a = perf.read()?;
        crate::clock::busy_for(probe);
        let b = perf.read()?;
        if !counters_moved(&a.counters, &b.counters) {
            return Err(EnergyError::Unavailable(format!(
                "the power PMU at {} is exposed but its counters did not move during a {} busy loop \
                 (some virtual machines expose a PMU that never counts); not using it",
                paths.pmu.display(),
                crate::units::human_duration(probe)
            )));
        }
        Ok(perf)
    }

    /// What discovery found: the PMU, its events and the counters opened.
    pub fn plan(&self) -> &PerfPlan {
        &self.plan
    }
}

impl EnergySource for Perf {
    fn info(&self) -> SourceInfo {
        SourceInfo {
            name: "perf",
            quality: Quality::Measured,
            domains: self.plan.counters.iter().map(|c| c.label.clone()).collect(),
            details: self
                .plan
                .counters
                .iter()
                .map(|c| {
                    let ev = &self.plan.events[c.event];
                    format!(
                        "{}: {} on cpu {}, {:e} {} per count, 64-bit (the kernel handles overflow)",
                        c.label, ev.name, c.cpu, ev.scale, ev.unit
                    )
                })
                .collect(),
            resolution: None,
            update_interval: Some(super::powercap::UPDATE_INTERVAL),
        }
    }

    fn read(&self) -> Result<Reading, EnergyError> {
        let mut counters = Vec::with_capacity(self.fds.len());
        for (fd, c) in self.fds.iter().zip(&self.plan.counters) {
            let v = read_counter(fd)
                .map_err(|e| EnergyError::Io(format!("reading perf counter {}: {e}", c.label)))?;
            counters.push(v);
        }
        Ok(Reading {
            at: Instant::now(),
            counters,
            process_cpu: crate::clock::process_and_children_cpu(),
        })
    }

    fn between(&self, start: &Reading, end: &Reading) -> WindowEnergy {
        let mut total = Joules::ZERO;
        let mut per_domain = Vec::new();
        for (k, c) in self.plan.counters.iter().enumerate() {
            let (Some(&a), Some(&b)) = (start.counters.get(k), end.counters.get(k)) else {
                continue;
            };
            let joules = Joules(b.wrapping_sub(a) as f64 * self.plan.events[c.event].scale);
            total += joules;
            per_domain.push(DomainEnergy {
                domain: c.label.clone(),
                joules,
                raw_start: a,
                raw_end: b,
                wrapped: false,
            });
        }
        WindowEnergy {
            total,
            per_domain,
            duration: end.at.saturating_duration_since(start.at),
            missed_wrap_suspected: false,
            implausible: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PerfPaths {
        PerfPaths::under(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/perf")
                .join(name),
        )
    }

    #[test]
    fn event_configs_and_cpu_lists_parse() {
        assert_eq!(parse_event_config("event=0x02"), Some(2));
        assert_eq!(parse_event_config("event=0x05\n"), Some(5));
        assert_eq!(parse_event_config("umask=0x1,event=3"), Some(3));
        assert_eq!(parse_event_config("config=1"), None);
        assert_eq!(parse_cpu_list("0,28\n"), vec![0, 28]);
        assert_eq!(parse_cpu_list("0-2,8"), vec![0, 1, 2, 8]);
    }

    #[test]
    fn two_socket_pmu_gives_pkg_and_ram_per_package() {
        let plan = discover(&fixture("two-socket")).unwrap();
        assert_eq!(plan.pmu_type, 4242);
        assert_eq!(plan.packages, vec![(0, 0), (1, 2)]);
        let labels: Vec<_> = plan.counters.iter().map(|c| (c.label.as_str(), c.cpu)).collect();
        assert_eq!(labels, [("pkg-0", 0), ("ram-0", 0), ("pkg-1", 2), ("ram-1", 2)]);
        let pkg = &plan.events[plan.counters[0].event];
        assert_eq!(pkg.config, 2);
        assert!((pkg.scale - 2f64.powi(-32)).abs() < 1e-20);
        assert_eq!(paranoid(&fixture("two-socket")), Some(2));
    }

    /// A power PMU on one package of two dies (cpus 0-1 on die 0, 2-3 on die 1) whose
    /// `cpumask` is `mask`.
    fn two_die_tree(mask: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let pmu = dir.path().join("sys/bus/event_source/devices/power");
        std::fs::create_dir_all(pmu.join("events")).unwrap();
        std::fs::write(pmu.join("type"), "4242\n").unwrap();
        std::fs::write(pmu.join("cpumask"), format!("{mask}\n")).unwrap();
        for (name, event) in [("energy-pkg", 2), ("energy-ram", 3)] {
            let ev = pmu.join("events");
            std::fs::write(ev.join(name), format!("event=0x{event:02x}\n")).unwrap();
            std::fs::write(ev.join(format!("{name}.scale")), "2.3283064365386962890625e-10\n").unwrap();
            std::fs::write(ev.join(format!("{name}.unit")), "Joules\n").unwrap();
        }
        for cpu in 0..4u32 {
            let topo = dir
                .path()
                .join(format!("sys/devices/system/cpu/cpu{cpu}/topology"));
            std::fs::create_dir_all(&topo).unwrap();
            std::fs::write(topo.join("physical_package_id"), "0\n").unwrap();
            std::fs::write(topo.join("die_id"), format!("{}\n", cpu / 2)).unwrap();
        }
        dir
    }

    #[test]
    fn one_counter_per_die_where_the_pmu_lists_one_cpu_per_die() {
        // Die-scoped counters (cpumask 0,2): both dies, not only the package's first cpu.
        let dir = two_die_tree("0,2");
        let plan = discover(&PerfPaths::under(dir.path())).unwrap();
        let labels: Vec<_> = plan.counters.iter().map(|c| (c.label.as_str(), c.cpu)).collect();
        assert_eq!(
            labels,
            [
                ("pkg-0-die-0", 0),
                ("ram-0-die-0", 0),
                ("pkg-0-die-1", 2),
                ("ram-0-die-1", 2)
            ]
        );
        // Package-scoped counters on the same machine (cpumask 0): one, never one per die.
        let dir = two_die_tree("0");
        let plan = discover(&PerfPaths::under(dir.path())).unwrap();
        let labels: Vec<_> = plan.counters.iter().map(|c| (c.label.as_str(), c.cpu)).collect();
        assert_eq!(labels, [("pkg-0", 0), ("ram-0", 0)]);
    }

    #[test]
    fn psys_pmu_uses_psys_alone() {
        let plan = discover(&fixture("psys")).unwrap();
        let labels: Vec<_> = plan.counters.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["psys"]);
    }

    #[test]
    fn absent_pmu_says_so() {
        let e = discover(&fixture("does-not-exist")).unwrap_err();
        assert!(e.to_string().contains("no power PMU"), "{e}");
        assert!(e.fix().is_some());
    }

    #[test]
    fn permission_error_names_paranoid_and_fix() {
        let msg = permission_error(Some(2)).to_string();
        assert!(msg.contains("paranoid is 2") && msg.contains("CAP_PERFMON") && msg.contains("sysctl"));
    }

    #[test]
    fn a_counter_that_never_moves_is_detected() {
        assert!(!counters_moved(&[5, 7], &[5, 7]));
        assert!(counters_moved(&[5, 7], &[5, 8]));
    }

    #[test]
    fn opening_on_this_machine_fails_cleanly() {
        // Fixture PMU types are not real; the syscall must fail without a panic.
        assert!(Perf::open(&fixture("two-socket"), Duration::from_millis(1)).is_err());
        assert_eq!(std::mem::size_of::<PerfEventAttr>(), 64);
    }
}
