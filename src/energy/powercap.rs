//! The `powercap` source: RAPL counters in `/sys/class/powercap` (`intel-rapl:*` and
//! `intel-rapl-mmio:*`, Intel and AMD). Discovers zones and sub-zones on every socket, picks a
//! set of domains that counts nothing twice, reads `energy_uj`, corrects wraparound with
//! `max_energy_range_uj` and flags windows long enough to have hidden a second wrap.
//!
//! The root can be moved (`--powercap-root`, `NEBULA_POWERCAP_ROOT`) so tests and users can point
//! it at another tree; file reads go through [`SysfsReader`] so errors can be injected.

use super::{DomainEnergy, EnergyError, EnergySource, Quality, Reading, SourceInfo, WindowEnergy};
use crate::units::{Joules, Watts};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where the kernel puts the powercap tree.
pub const DEFAULT_ROOT: &str = "/sys/class/powercap";
/// Environment variable that moves the root.
pub const ENV_ROOT: &str = "NEBULA_POWERCAP_ROOT";
/// The largest power one counter is assumed to see, for the missed-wrap flag: above any current
/// server package's TDP (AMD EPYC 9005 and Intel Xeon 6 top out near 500 W), so a window shorter
/// than `range / 500 W` cannot have hidden a second wrap.
pub const DEFAULT_MAX_WATTS: Watts = Watts(500.0);
/// RAPL counters update about once a millisecond.
pub const UPDATE_INTERVAL: Duration = Duration::from_millis(1);

/// The root to use: an explicit one (the CLI flag), else `NEBULA_POWERCAP_ROOT`, else the default.
pub fn resolve_root(explicit: Option<&Path>) -> PathBuf {
    resolve_root_from(explicit, std::env::var_os(ENV_ROOT))
}

/// [`resolve_root`] with the environment's value given: the flag, then `env`, then the default.
pub fn resolve_root_from(explicit: Option<&Path>, env: Option<std::ffi::OsString>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    match env {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => PathBuf::from(DEFAULT_ROOT),
    }
}

/// Reads small sysfs files; swapped in tests to inject errors root would not see.
pub trait SysfsReader: Send + Sync {
    /// The contents of the file at `path`.
    fn read(&self, path: &Path) -> io::Result<String>;
}

/// The real file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealFs;

impl SysfsReader for RealFs {
    fn read(&self, path: &Path) -> io::Result<String> {
        std::fs::read_to_string(path)
    }
}

/// What a zone measures.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DomainKind {
    /// A package (socket) zone, `package-N`.
    Package,
    /// The cores of a package (`core`), inside its package zone.
    Core,
    /// The uncore of a package (`uncore`, e.g. integrated graphics), inside its package zone.
    Uncore,
    /// Memory (`dram`).
    Dram,
    /// The whole platform (`psys`).
    Psys,
    /// Any other zone, with its `name`.
    Other(String),
}

impl DomainKind {
    fn from_name(name: &str) -> DomainKind {
        let base = name.split('-').next().unwrap_or(name);
        match base {
            "package" => DomainKind::Package,
            "core" => DomainKind::Core,
            "uncore" => DomainKind::Uncore,
            "dram" => DomainKind::Dram,
            "psys" => DomainKind::Psys,
            _ => DomainKind::Other(name.to_string()),
        }
    }
}

/// One powercap zone or sub-zone.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Zone {
    /// Directory name, e.g. `intel-rapl:0:1` or `intel-rapl-mmio:0`.
    pub id: String,
    /// The zone's folder.
    pub path: PathBuf,
    /// Contents of `name`, e.g. `package-0`, `dram`, `psys`.
    pub name: String,
    /// What the zone measures, from its `name`.
    pub kind: DomainKind,
    /// Socket (package index) the zone belongs to; `None` for psys.
    pub socket: Option<u32>,
    /// Die within the socket, on multi-die parts whose kernel names the package zones
    /// `package-N-die-M` (one RAPL domain per die); `None` elsewhere.
    pub die: Option<u32>,
    /// Where `energy_uj` wraps, in microjoules.
    pub max_energy_range_uj: u64,
    /// Found under `intel-rapl-mmio:*` (the MMIO interface of newer Intel parts).
    pub mmio: bool,
    /// Index path under the control type: `[0]` for `intel-rapl:0`, `[0, 1]` for `intel-rapl:0:1`.
    pub index: Vec<u32>,
}

impl Zone {
    /// A label unique across sockets and dies: `package-0`, `dram-1`, `core-0`, `psys`, and on
    /// multi-die parts `package-0-die-1`, `dram-0-die-1`.
    pub fn label(&self) -> String {
        let die = self.die.map(|d| format!("-die-{d}")).unwrap_or_default();
        match (&self.kind, self.socket) {
            (DomainKind::Package, Some(s)) => format!("package-{s}{die}"),
            (DomainKind::Psys, _) => "psys".to_string(),
            (DomainKind::Other(n), Some(s)) => format!("{n}@{s}{die}"),
            (DomainKind::Other(n), None) => n.clone(),
            (k, Some(s)) => format!("{}-{s}{die}", kind_word(k)),
            (k, None) => kind_word(k).to_string(),
        }
    }

    /// An `intel-rapl-mmio` zone with the same label as an `intel-rapl` one (never summed).
    pub fn mmio_duplicate(&self, all: &[Zone]) -> bool {
        self.mmio && all.iter().any(|o| !o.mmio && o.label() == self.label())
    }

    /// The zone's `energy_uj` counter file.
    pub fn energy_path(&self) -> PathBuf {
        self.path.join("energy_uj")
    }

    /// The counter's range in joules.
    pub fn range(&self) -> Joules {
        Joules::from_microjoules(self.max_energy_range_uj)
    }
}

fn kind_word(k: &DomainKind) -> &str {
    match k {
        DomainKind::Package => "package",
        DomainKind::Core => "core",
        DomainKind::Uncore => "uncore",
        DomainKind::Dram => "dram",
        DomainKind::Psys => "psys",
        DomainKind::Other(n) => n,
    }
}

/// Which non-overlapping set of domains to sum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DomainSet {
    /// psys alone where present (the whole platform), else packages plus dram.
    #[default]
    Auto,
    /// psys alone; an error if there is none.
    Psys,
    /// Every package plus every dram zone, ignoring psys.
    PackagesDram,
}

/// How to open the powercap source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowercapOptions {
    /// Which non-overlapping set of domains to sum.
    pub domains: DomainSet,
    /// Upper bound on one counter's power, for the missed-wrap flag.
    pub max_watts: Watts,
}

impl Default for PowercapOptions {
    fn default() -> Self {
        PowercapOptions {
            domains: DomainSet::Auto,
            max_watts: DEFAULT_MAX_WATTS,
        }
    }
}

/// The fix for a missing tree.
pub fn missing_fix(root: &Path) -> String {
    format!(
        "RAPL through powercap needs bare metal with an Intel (Sandy Bridge or later) or AMD Zen CPU \
         and the intel_rapl_msr module (`sudo modprobe intel_rapl_msr`; AMD needs Linux >= 5.8, family \
         19h >= 5.11); virtual machines usually have none. If the tree lives elsewhere, pass \
         --powercap-root or set {ENV_ROOT} (now {})",
        root.display()
    )
}

/// The fix for an `energy_uj` that only root may read.
pub fn permission_fix() -> String {
    "Since CVE-2020-8694 (Nov 2020) the kernel makes energy_uj readable by root only. Fix: run nebula \
     as root; or grant read access until reboot with \
     `sudo chmod a+r /sys/class/powercap/intel-rapl*/energy_uj /sys/class/powercap/intel-rapl*/*/energy_uj` \
     (or to one group: `sudo setfacl -m g:power:r <same files>`); or for good with a udev rule in \
     /etc/udev/rules.d/99-powercap.rules: \
     `ACTION==\"add\", SUBSYSTEM==\"powercap\", KERNEL==\"intel-rapl*\", RUN+=\"/bin/chmod a+r %S%p/energy_uj\"`"
        .to_string()
}

fn io_error(path: &Path, e: &io::Error) -> EnergyError {
    if e.kind() == io::ErrorKind::PermissionDenied {
        EnergyError::Permission {
            what: format!("reading {}", path.display()),
            fix: permission_fix(),
        }
    } else {
        EnergyError::Io(format!(
            "cannot read {}: {e}; check that the powercap tree is intact (or that --powercap-root / \
             {ENV_ROOT} points at one)",
            path.display()
        ))
    }
}

fn read_u64(reader: &dyn SysfsReader, path: &Path) -> Result<u64, EnergyError> {
    let text = reader.read(path).map_err(|e| io_error(path, &e))?;
    text.trim().parse::<u64>().map_err(|e| {
        EnergyError::Io(format!(
            "{} holds {:?}, not a whole number of microjoules ({e}); the powercap tree is not what \
             the kernel writes",
            path.display(),
            text.trim()
        ))
    })
}

/// Socket and die of a package zone's name: `package-1` -> (1, None), `package-0-die-1` ->
/// (0, Some(1)); `None` for another name.
pub fn parse_package_name(name: &str) -> Option<(u32, Option<u32>)> {
    let rest = name.strip_prefix("package-")?;
    match rest.split_once("-die-") {
        Some((s, d)) => Some((s.parse().ok()?, Some(d.parse().ok()?))),
        None => Some((rest.parse().ok()?, None)),
    }
}

/// Parse a zone directory name: `intel-rapl:0:1` -> (false, [0, 1]), `intel-rapl-mmio:0` -> (true, [0]).
pub fn parse_zone_id(name: &str) -> Option<(bool, Vec<u32>)> {
    let (mmio, rest) = if let Some(r) = name.strip_prefix("intel-rapl-mmio:") {
        (true, r)
    } else if let Some(r) = name.strip_prefix("intel-rapl:") {
        (false, r)
    } else {
        return None;
    };
    let index: Option<Vec<u32>> = rest.split(':').map(|p| p.parse().ok()).collect();
    let index = index?;
    (!index.is_empty() && index.len() <= 2).then_some((mmio, index))
}

fn list_dir(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
        .collect();
    out.sort();
    out
}

/// Find every RAPL zone under `root`: the top-level entries (the kernel links sub-zones there
/// too) and the sub-zone directories nested in each zone. Returns zones sorted by id.
pub fn discover(root: &Path, reader: &dyn SysfsReader) -> Result<Vec<Zone>, EnergyError> {
    if !root.is_dir() {
        return Err(EnergyError::Missing {
            what: format!("no RAPL present: no powercap tree at {}", root.display()),
            fix: missing_fix(root),
        });
    }
    // (mmio, index) -> path; nested and top-level links to the same zone collapse.
    let mut found: BTreeMap<(bool, Vec<u32>), (String, PathBuf)> = BTreeMap::new();
    for (name, path) in list_dir(root) {
        let Some((mmio, index)) = parse_zone_id(&name) else {
            continue;
        };
        if index.len() == 1 {
            for (sub, sub_path) in list_dir(&path) {
                if let Some((m2, i2)) = parse_zone_id(&sub) {
                    if m2 == mmio && i2.len() == 2 && i2[0] == index[0] {
                        found.entry((m2, i2)).or_insert((sub, sub_path));
                    }
                }
            }
        }
        found.entry((mmio, index)).or_insert((name, path));
    }
    if found.is_empty() {
        return Err(EnergyError::Missing {
            what: format!(
                "no RAPL present: {} has no intel-rapl:* or intel-rapl-mmio:* zones",
                root.display()
            ),
            fix: missing_fix(root),
        });
    }
    let mut zones: Vec<Zone> = Vec::new();
    let mut top_socket: BTreeMap<(bool, u32), (Option<u32>, Option<u32>)> = BTreeMap::new();
    for ((mmio, index), (id, path)) in found {
        let name_path = path.join("name");
        let name = reader.read(&name_path).map_err(|e| io_error(&name_path, &e))?;
        let name = name.trim().to_string();
        let kind = DomainKind::from_name(&name);
        let range_path = path.join("max_energy_range_uj");
        let max_energy_range_uj = read_u64(reader, &range_path)?;
        let (socket, die) = if index.len() == 1 {
            let s = match kind {
                DomainKind::Package => parse_package_name(&name).map_or((None, None), |(s, d)| (Some(s), d)),
                DomainKind::Psys => (None, None),
                _ => (name.rsplit('-').next().and_then(|n| n.parse().ok()), None),
            };
            top_socket.insert((mmio, index[0]), s);
            s
        } else {
            top_socket.get(&(mmio, index[0])).copied().unwrap_or((None, None))
        };
        zones.push(Zone {
            id,
            path,
            name,
            kind,
            socket,
            die,
            max_energy_range_uj,
            mmio,
            index,
        });
    }
    Ok(zones)
}

/// Choose the domains to sum so nothing is counted twice: psys alone, or every package plus
/// every dram (never core/uncore, which packages contain). An `intel-rapl-mmio` zone that
/// duplicates an `intel-rapl` one (same label) is dropped. Returns indices into `zones`.
pub fn select(zones: &[Zone], set: DomainSet) -> Result<Vec<usize>, String> {
    let mut chosen: Vec<usize> = Vec::new();
    let mut labels: Vec<String> = Vec::new();
    // MSR zones first, so an MMIO duplicate loses.
    let mut order: Vec<usize> = (0..zones.len()).collect();
    order.sort_by_key(|&i| (zones[i].mmio, zones[i].index.clone()));
    let psys: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| zones[i].kind == DomainKind::Psys)
        .take(1)
        .collect();
    let want_psys = match set {
        DomainSet::Psys => {
            if psys.is_empty() {
                return Err("no psys zone found (only newer Intel client parts have one)".into());
            }
            true
        }
        DomainSet::Auto => !psys.is_empty(),
        DomainSet::PackagesDram => false,
    };
    if want_psys {
        return Ok(psys);
    }
    for &i in &order {
        let z = &zones[i];
        if matches!(z.kind, DomainKind::Package | DomainKind::Dram) {
            let label = z.label();
            if !labels.contains(&label) {
                labels.push(label);
                chosen.push(i);
            }
        }
    }
    if !chosen.iter().any(|&i| zones[i].kind == DomainKind::Package) {
        return Err("no package zone found (psys, core or uncore alone)".into());
    }
    chosen.sort_by_key(|&i| (zones[i].socket, zones[i].die, zones[i].kind.clone()));
    Ok(chosen)
}

/// The energy between two raw readings of a counter that wraps at `max_range`: `(delta, wrapped)`.
/// A negative step is one wrap: `(max - prev) + cur`.
pub fn wrap_delta(prev: u64, cur: u64, max_range: u64) -> (u64, bool) {
    if cur >= prev {
        (cur - prev, false)
    } else {
        (max_range.saturating_sub(prev).saturating_add(cur), true)
    }
}

/// Whether a step of `delta_uj` that [`wrap_delta`] read as one wrap is more energy than the
/// counter can take in `window` at `max_watts` (with 10 update intervals of slack for the
/// timestamps): then the counter did not wrap but went back, reset by a driver reload, a CPU
/// hot-plug or a resume from suspend, and `(max - prev) + cur` is no energy at all.
pub fn wrap_implausible(delta_uj: u64, window: Duration, max_watts: Watts) -> bool {
    if max_watts.value() <= 0.0 {
        return false;
    }
    let slack = UPDATE_INTERVAL * super::window::KERNEL_MIN_UPDATES;
    let most = max_watts.for_duration(window + slack);
    Joules::from_microjoules(delta_uj).value() > most.value()
}

/// Whether a window of `window` could have hidden a second wrap of a counter with this range,
/// assuming the counter never sees more than `max_watts`.
pub fn missed_wrap_possible(window: Duration, max_range_uj: u64, max_watts: Watts) -> bool {
    if max_watts.value() <= 0.0 {
        return false;
    }
    let seconds_per_wrap = Joules::from_microjoules(max_range_uj).value() / max_watts.value();
    window.as_secs_f64() >= seconds_per_wrap
}

/// RAPL through powercap sysfs.
pub struct Powercap {
    root: PathBuf,
    zones: Vec<Zone>,
    selected: Vec<usize>,
    opts: PowercapOptions,
    reader: Arc<dyn SysfsReader>,
}

impl std::fmt::Debug for Powercap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Powercap")
            .field("root", &self.root)
            .field(
                "selected",
                &self.selected_zones().map(Zone::label).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Powercap {
    /// Open the tree at `root` with the default options and the real file system.
    pub fn open(root: &Path) -> Result<Powercap, EnergyError> {
        Self::open_with(root, PowercapOptions::default(), Arc::new(RealFs))
    }

    /// Open the tree at `NEBULA_POWERCAP_ROOT`, or `/sys/class/powercap`.
    pub fn open_default() -> Result<Powercap, EnergyError> {
        Self::open(&resolve_root(None))
    }

    /// Discover, select and read each chosen counter once, so that a missing or root-only
    /// counter is reported now and not in the middle of an experiment.
    pub fn open_with(
        root: &Path,
        opts: PowercapOptions,
        reader: Arc<dyn SysfsReader>,
    ) -> Result<Powercap, EnergyError> {
        let zones = discover(root, reader.as_ref())?;
        let selected = select(&zones, opts.domains).map_err(|why| EnergyError::Missing {
            what: format!("no usable RAPL domains under {}: {why}", root.display()),
            fix: missing_fix(root),
        })?;
        let pc = Powercap {
            root: root.to_path_buf(),
            zones,
            selected,
            opts,
            reader,
        };
        pc.read()?;
        Ok(pc)
    }

    /// The powercap tree this source reads.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Every zone found, chosen or not.
    pub fn zones(&self) -> &[Zone] {
        &self.zones
    }

    /// The zones summed, in the order of [`Reading::counters`].
    pub fn selected_zones(&self) -> impl Iterator<Item = &Zone> {
        self.selected.iter().map(|&i| &self.zones[i])
    }

    /// `package-0+dram-0+package-1+dram-1`, for the `energy_domains` column.
    pub fn domains_label(&self) -> String {
        self.selected_zones()
            .map(Zone::label)
            .collect::<Vec<_>>()
            .join("+")
    }
}

impl EnergySource for Powercap {
    fn info(&self) -> SourceInfo {
        let details = self
            .selected_zones()
            .map(|z| {
                let secs = z.range().value() / self.opts.max_watts.value().max(f64::MIN_POSITIVE);
                format!(
                    "{} ({}{}): uJ, wraps at {} uJ ({:.0} J, at least {:.0} s at {})",
                    z.label(),
                    z.id,
                    if z.mmio { ", mmio" } else { "" },
                    z.max_energy_range_uj,
                    z.range().value(),
                    secs,
                    self.opts.max_watts
                )
            })
            .collect();
        SourceInfo {
            name: "powercap",
            quality: Quality::Measured,
            domains: self.selected_zones().map(Zone::label).collect(),
            details,
            // sysfs reports microjoules; the hardware step (15.3 or 61 uJ) is not exposed there.
            resolution: Some(Joules::from_microjoules(1)),
            update_interval: Some(UPDATE_INTERVAL),
        }
    }

    fn read(&self) -> Result<Reading, EnergyError> {
        let mut counters = Vec::with_capacity(self.selected.len());
        for z in self.selected_zones() {
            counters.push(read_u64(self.reader.as_ref(), &z.energy_path())?);
        }
        Ok(Reading {
            at: Instant::now(),
            counters,
            process_cpu: crate::clock::process_and_children_cpu(),
        })
    }

    fn between(&self, start: &Reading, end: &Reading) -> WindowEnergy {
        let duration = end.at.saturating_duration_since(start.at);
        let mut total = Joules::ZERO;
        let mut per_domain = Vec::with_capacity(self.selected.len());
        let mut missed = false;
        let mut implausible = None;
        for (k, z) in self.selected_zones().enumerate() {
            let (Some(&a), Some(&b)) = (start.counters.get(k), end.counters.get(k)) else {
                continue;
            };
            let (delta, wrapped) = wrap_delta(a, b, z.max_energy_range_uj);
            if wrapped && implausible.is_none() && wrap_implausible(delta, duration, self.opts.max_watts) {
                implausible = Some(format!(
                    "{} ({}) went back from {a} to {b} uJ in {}: a wrap at {} uJ would mean {:.0} J,                      more than {} can deliver; the counter was reset (driver reload, CPU hot-plug,                      suspend), so this window has no energy figure",
                    z.energy_path().display(),
                    z.label(),
                    crate::units::human_duration(duration),
                    z.max_energy_range_uj,
                    Joules::from_microjoules(delta).value(),
                    self.opts.max_watts
                ));
            }
            let joules = Joules::from_microjoules(delta);
            total += joules;
            missed |= missed_wrap_possible(duration, z.max_energy_range_uj, self.opts.max_watts);
            per_domain.push(DomainEnergy {
                domain: z.label(),
                joules,
                raw_start: a,
                raw_end: b,
                wrapped,
            });
        }
        WindowEnergy {
            total,
            per_domain,
            duration,
            missed_wrap_suspected: missed,
            implausible,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn zone(id: &str, name: &str, socket: Option<u32>, mmio: bool, index: Vec<u32>) -> Zone {
        Zone {
            id: id.into(),
            path: PathBuf::from(id),
            name: name.into(),
            kind: DomainKind::from_name(name),
            socket,
            die: None,
            max_energy_range_uj: 1000,
            mmio,
            index,
        }
    }

    fn labels(zones: &[Zone], idx: &[usize]) -> Vec<String> {
        idx.iter().map(|&i| zones[i].label()).collect()
    }

    #[test]
    fn package_names_give_socket_and_die() {
        assert_eq!(parse_package_name("package-1"), Some((1, None)));
        assert_eq!(parse_package_name("package-0-die-1"), Some((0, Some(1))));
        assert_eq!(parse_package_name("package-x"), None);
        assert_eq!(parse_package_name("dram"), None);
    }

    #[test]
    fn zone_ids_parse() {
        assert_eq!(parse_zone_id("intel-rapl:0"), Some((false, vec![0])));
        assert_eq!(parse_zone_id("intel-rapl:1:0"), Some((false, vec![1, 0])));
        assert_eq!(parse_zone_id("intel-rapl-mmio:0"), Some((true, vec![0])));
        assert_eq!(parse_zone_id("intel-rapl"), None);
        assert_eq!(parse_zone_id("intel-rapl:x"), None);
        assert_eq!(parse_zone_id("intel-rapl:0:0:0"), None);
    }

    #[test]
    fn packages_plus_dram_never_core_or_uncore_and_no_mmio_duplicate() {
        let zones = vec![
            zone("intel-rapl:0", "package-0", Some(0), false, vec![0]),
            zone("intel-rapl:0:0", "core", Some(0), false, vec![0, 0]),
            zone("intel-rapl:0:1", "uncore", Some(0), false, vec![0, 1]),
            zone("intel-rapl:0:2", "dram", Some(0), false, vec![0, 2]),
            zone("intel-rapl:1", "package-1", Some(1), false, vec![1]),
            zone("intel-rapl:1:0", "dram", Some(1), false, vec![1, 0]),
            zone("intel-rapl-mmio:0", "package-0", Some(0), true, vec![0]),
        ];
        let s = select(&zones, DomainSet::Auto).unwrap();
        assert_eq!(labels(&zones, &s), ["package-0", "dram-0", "package-1", "dram-1"]);
        assert!(s.iter().all(|&i| !zones[i].mmio));
    }

    #[test]
    fn psys_alone_when_present_unless_packages_asked() {
        let zones = vec![
            zone("intel-rapl:0", "package-0", Some(0), false, vec![0]),
            zone("intel-rapl:0:0", "core", Some(0), false, vec![0, 0]),
            zone("intel-rapl:1", "psys", None, false, vec![1]),
        ];
        assert_eq!(
            labels(&zones, &select(&zones, DomainSet::Auto).unwrap()),
            ["psys"]
        );
        assert_eq!(
            labels(&zones, &select(&zones, DomainSet::Psys).unwrap()),
            ["psys"]
        );
        assert_eq!(
            labels(&zones, &select(&zones, DomainSet::PackagesDram).unwrap()),
            ["package-0"]
        );
        assert!(select(&zones[..2], DomainSet::Psys).is_err());
        assert!(select(&zones[1..2], DomainSet::Auto).is_err());
    }

    #[test]
    fn mmio_only_package_is_used() {
        let zones = vec![zone("intel-rapl-mmio:0", "package-0", Some(0), true, vec![0])];
        assert_eq!(
            labels(&zones, &select(&zones, DomainSet::Auto).unwrap()),
            ["package-0"]
        );
    }

    #[test]
    fn wrap_is_corrected() {
        assert_eq!(wrap_delta(10, 25, 100), (15, false));
        assert_eq!(wrap_delta(90, 5, 100), (15, true));
        assert_eq!(wrap_delta(7, 7, 100), (0, false));
    }

    #[test]
    fn long_windows_are_flagged() {
        // 262143 J at 500 W wraps every ~524 s.
        let range = 262_143_328_850;
        assert!(!missed_wrap_possible(
            Duration::from_secs(100),
            range,
            DEFAULT_MAX_WATTS
        ));
        assert!(missed_wrap_possible(
            Duration::from_secs(600),
            range,
            DEFAULT_MAX_WATTS
        ));
        assert!(missed_wrap_possible(
            Duration::from_secs(2),
            1_000_000,
            Watts(1.0)
        ));
    }

    #[test]
    fn permission_denied_names_the_file_and_the_fix() {
        let e = io_error(
            Path::new("/x/intel-rapl:0/energy_uj"),
            &io::Error::from(io::ErrorKind::PermissionDenied),
        );
        let msg = e.to_string();
        assert!(msg.contains("/x/intel-rapl:0/energy_uj"), "{msg}");
        assert!(msg.contains("CVE-2020-8694") && msg.contains("chmod") && msg.contains("udev"));
        assert!(matches!(e, EnergyError::Permission { .. }));
    }

    #[test]
    fn a_step_back_beyond_what_the_power_allows_is_a_reset() {
        // 500 W over 100 ms, plus 10 ms of slack, is at most 55 J.
        let d = Duration::from_millis(100);
        assert!(!wrap_implausible(55_000_000, d, DEFAULT_MAX_WATTS));
        assert!(wrap_implausible(55_000_001, d, DEFAULT_MAX_WATTS));
        assert!(!wrap_implausible(u64::MAX, d, Watts(0.0)));
    }

    proptest! {
        #[test]
        fn wrap_delta_recovers_any_single_step(max in 1u64..u64::MAX / 4, start_frac in 0.0f64..1.0, step_frac in 0.0f64..1.0) {
            let start = ((max as f64) * start_frac) as u64 % max;
            let step = ((max as f64) * step_frac) as u64 % max;
            // The counter runs over [0, max) and wraps to (start + step) - max.
            let end = if start + step >= max { start + step - max } else { start + step };
            let (d, wrapped) = wrap_delta(start, end, max);
            prop_assert_eq!(d, step);
            prop_assert_eq!(wrapped, start + step >= max && step > 0);
        }

        #[test]
        fn summed_steps_equal_the_total(max in 100u64..1_000_000, steps in proptest::collection::vec(0u64..100, 1..200), start in 0u64..100) {
            let mut c = start % max;
            let mut total = 0u64;
            let mut sum = 0u64;
            for s in steps {
                let next = (c + s) % max;
                total += s;
                sum += wrap_delta(c, next, max).0;
                c = next;
            }
            prop_assert_eq!(sum, total);
        }

        #[test]
        fn delta_never_exceeds_range(max in 1u64..u64::MAX, a in any::<u64>(), b in any::<u64>()) {
            let a = a % max;
            let b = b % max;
            prop_assert!(wrap_delta(a, b, max).0 <= max);
        }
    }
}
