//! The powercap source on fixture trees: domain choice per tree, errors, and fake counters
//! advanced by a thread while "calls" run, checked against the joules written (within one step),
//! including across the wrap at `max_energy_range_uj`.

use crate::common;

use common::copy_dir;
use nebula::energy::cpu::busy_for;
use nebula::energy::powercap::{self, DomainSet, Powercap, PowercapOptions, RealFs, SysfsReader};
use nebula::energy::window::{kernel_energy, split_by_cpu, split_mean, window_done, KernelEnergy, Meter};
use nebula::energy::{EnergyError, EnergySource, Quality};
use nebula::units::{Joules, Watts};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/powercap")
        .join(name)
}

/// A writable copy of a fixture tree.
fn copy_fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("powercap");
    copy_dir(&fixture(name), &root);
    (dir, root)
}

fn domains(pc: &Powercap) -> Vec<String> {
    pc.info().domains
}

#[test]
fn two_sockets_with_dram_sum_packages_and_dram_once() {
    let pc = Powercap::open(&fixture("two-socket-dram")).unwrap();
    assert_eq!(domains(&pc), ["package-0", "dram-0", "package-1", "dram-1"]);
    assert_eq!(pc.domains_label(), "package-0+dram-0+package-1+dram-1");
    // core and the mmio duplicate of package-0 are found but not summed.
    assert_eq!(pc.zones().len(), 6);
    assert!(pc.selected_zones().all(|z| !z.mmio));
    let info = pc.info();
    assert_eq!(info.quality, Quality::Measured);
    assert!(info.details[0].contains("262143328850"), "{:?}", info.details);
    assert_eq!(info.update_interval, Some(Duration::from_millis(1)));
}

#[test]
fn every_die_of_a_multi_die_package_is_summed() {
    // Multi-die parts name their zones package-0-die-0, package-0-die-1: both dies (and their
    // dram) must be counted, not one of them taken for a duplicate of the other.
    let (_d, root) = copy_fixture("two-die");
    let pc = Powercap::open(&root).unwrap();
    assert_eq!(
        domains(&pc),
        [
            "package-0-die-0",
            "dram-0-die-0",
            "package-0-die-1",
            "dram-0-die-1"
        ]
    );
    let a = pc.read().unwrap();
    assert_eq!(a.counters, vec![1_000_000, 2000, 1_500_000, 2100]);
    // 2 J on die 0, 3 J on die 1, 0.5 J of dram on die 1.
    let bump = |rel: &str, uj: u64| {
        let p = root.join(rel);
        let v: u64 = std::fs::read_to_string(&p).unwrap().trim().parse().unwrap();
        std::fs::write(&p, format!("{}\n", v + uj)).unwrap();
    };
    bump("intel-rapl:0/energy_uj", 2_000_000);
    bump("intel-rapl:1/energy_uj", 3_000_000);
    bump("intel-rapl:1/intel-rapl:1:0/energy_uj", 500_000);
    let b = pc.read().unwrap();
    let w = pc.between(&a, &b);
    assert!((w.total.value() - 5.5).abs() < 1e-9, "{}", w.total);
}

#[test]
fn amd_package_only() {
    let pc = Powercap::open(&fixture("amd-package-only")).unwrap();
    assert_eq!(domains(&pc), ["package-0"]);
    let r = pc.read().unwrap();
    assert_eq!(r.counters, vec![123456789]);
}

#[test]
fn psys_alone_when_present() {
    let pc = Powercap::open(&fixture("psys")).unwrap();
    assert_eq!(domains(&pc), ["psys"]);
    let opts = PowercapOptions {
        domains: DomainSet::PackagesDram,
        ..PowercapOptions::default()
    };
    let pc = Powercap::open_with(&fixture("psys"), opts, Arc::new(RealFs)).unwrap();
    assert_eq!(domains(&pc), ["package-0"]);
}

#[test]
fn unreadable_energy_file_names_the_file() {
    let e = Powercap::open(&fixture("unreadable")).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("intel-rapl:0/energy_uj"), "{msg}");
    assert!(matches!(e, EnergyError::Io(_)));
}

/// Denies `energy_uj` like the kernel does for non-root users since CVE-2020-8694.
struct DenyEnergy;

impl SysfsReader for DenyEnergy {
    fn read(&self, path: &Path) -> io::Result<String> {
        if path.ends_with("energy_uj") {
            return Err(io::Error::from(io::ErrorKind::PermissionDenied));
        }
        std::fs::read_to_string(path)
    }
}

#[test]
fn permission_denied_says_how_to_grant_access() {
    let e = Powercap::open_with(
        &fixture("two-socket-dram"),
        PowercapOptions::default(),
        Arc::new(DenyEnergy),
    )
    .unwrap_err();
    let EnergyError::Permission { what, fix } = &e else {
        panic!("expected a permission error, got {e}");
    };
    assert!(what.contains("intel-rapl:0/energy_uj"), "{what}");
    assert!(fix.contains("CVE-2020-8694"), "{fix}");
    assert!(
        fix.contains("chmod") && fix.contains("udev") && fix.contains("root"),
        "{fix}"
    );
}

#[test]
fn real_eacces_maps_to_the_permission_error_when_not_root() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        eprintln!("running as root, which reads mode-000 files: covered by the injected reader");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let (_d, root) = copy_fixture("amd-package-only");
    let f = root.join("intel-rapl:0/energy_uj");
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o000)).unwrap();
    let e = Powercap::open(&root).unwrap_err();
    assert!(matches!(e, EnergyError::Permission { .. }), "{e}");
}

#[test]
fn missing_tree_says_no_rapl_and_how_to_get_it() {
    let e = Powercap::open(&fixture("no-such-tree")).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("no RAPL present") && msg.contains("no-such-tree"),
        "{msg}"
    );
    assert!(e.fix().is_some_and(|f| f.contains("NEBULA_POWERCAP_ROOT")));
}

#[test]
fn root_comes_from_flag_then_env_then_default() {
    // The environment's value is passed in: this binary's other tests share the process's
    // environment, and their `nebula` children would inherit a variable set here.
    let env = || Some(std::ffi::OsString::from("/tmp/elsewhere"));
    assert_eq!(
        powercap::resolve_root_from(None, env()),
        PathBuf::from("/tmp/elsewhere")
    );
    assert_eq!(
        powercap::resolve_root_from(Some(Path::new("/flag")), env()),
        PathBuf::from("/flag")
    );
    assert_eq!(
        powercap::resolve_root_from(None, None),
        PathBuf::from(powercap::DEFAULT_ROOT)
    );
}

/// A thread that advances fake counters in steps, wrapping at each file's range, and publishes
/// how many microjoules it is about to write (`started`, before each write) and has written
/// (`written`, after each write lands) per domain.
struct Writer {
    started: Arc<Vec<AtomicU64>>,
    written: Arc<Vec<AtomicU64>>,
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<()>,
}

fn start_writer(files: Vec<(PathBuf, u64)>, steps: u32, step_uj: u64) -> Writer {
    let written: Arc<Vec<AtomicU64>> = Arc::new(files.iter().map(|_| AtomicU64::new(0)).collect());
    let started: Arc<Vec<AtomicU64>> = Arc::new(files.iter().map(|_| AtomicU64::new(0)).collect());
    let stop = Arc::new(AtomicBool::new(false));
    let (w, s, st) = (written.clone(), stop.clone(), started.clone());
    let handle = std::thread::spawn(move || {
        let mut values: Vec<u64> = files
            .iter()
            .map(|(p, _)| std::fs::read_to_string(p).unwrap().trim().parse().unwrap())
            .collect();
        for i in 0..steps {
            if s.load(Ordering::SeqCst) {
                break;
            }
            for (k, (path, max)) in files.iter().enumerate() {
                // Vary the step (1..=4 units) so the sums are not trivially regular.
                let inc = step_uj * (1 + u64::from((i + k as u32) % 4));
                values[k] = (values[k] + inc) % max;
                st[k].fetch_add(inc, Ordering::SeqCst);
                let tmp = path.with_file_name(".energy_uj.tmp");
                std::fs::write(&tmp, format!("{}\n", values[k])).unwrap();
                std::fs::rename(&tmp, path).unwrap();
                w[k].fetch_add(inc, Ordering::SeqCst);
            }
            std::thread::sleep(Duration::from_micros(500));
        }
    });
    Writer {
        started,
        written,
        stop,
        handle,
    }
}

fn energy_files(pc: &Powercap) -> Vec<(PathBuf, u64)> {
    pc.selected_zones()
        .map(|z| (z.energy_path(), z.max_energy_range_uj))
        .collect()
}

/// Read while the writer runs; every per-domain cumulative figure must lie between what had been
/// written just before and just after the read, and the final figure must equal what was written.
fn check_tracks_writer(fixture_name: &str, step_uj: u64, expect_wrap: bool) {
    let (_d, root) = copy_fixture(fixture_name);
    let pc = Powercap::open(&root).unwrap();
    let n = pc.selected_zones().count();
    let start = pc.read().unwrap();
    let writer = start_writer(energy_files(&pc), 300, step_uj);
    let mut prev = start.clone();
    let mut cumulative = vec![0.0f64; n];
    let mut saw_wrap = false;
    let mut reads = 0;
    while !writer.handle.is_finished() {
        busy_for(Duration::from_millis(1)); // a "call"
        let lo: Vec<u64> = writer.written.iter().map(|a| a.load(Ordering::SeqCst)).collect();
        let r = pc.read().unwrap();
        let hi: Vec<u64> = writer.started.iter().map(|a| a.load(Ordering::SeqCst)).collect();
        let w = pc.between(&prev, &r);
        for (k, d) in w.per_domain.iter().enumerate() {
            cumulative[k] += d.joules.value();
            saw_wrap |= d.wrapped;
            let got = cumulative[k] * 1e6;
            assert!(
                got >= lo[k] as f64 - 0.5 && got <= hi[k] as f64 + 0.5,
                "{}: reported {got} uJ, written between {} and {} uJ",
                d.domain,
                lo[k],
                hi[k]
            );
        }
        prev = r;
        reads += 1;
    }
    writer.stop.store(true, Ordering::SeqCst);
    writer.handle.join().unwrap();
    let end = pc.read().unwrap();
    let total = pc.between(&start, &end);
    let written: u64 = writer.written.iter().map(|a| a.load(Ordering::SeqCst)).sum();
    let step = Joules::from_microjoules(step_uj).value();
    assert!(
        (total.total.value() - Joules::from_microjoules(written).value()).abs() < step,
        "window says {}, writer wrote {written} uJ",
        total.total
    );
    assert!(reads > 5, "only {reads} reads while the writer ran");
    if expect_wrap {
        assert!(saw_wrap, "the counter never wrapped between two reads");
        assert!(total.per_domain.iter().any(|d| d.wrapped));
    }
    assert!(!total.missed_wrap_suspected);
}

#[test]
fn fake_counters_are_tracked_across_the_wrap() {
    // near-wrap starts 5000 uJ below the range; 300 steps of 61..244 uJ cross it.
    check_tracks_writer("near-wrap", 61, true);
}

#[test]
fn fake_counters_are_tracked_on_two_sockets() {
    check_tracks_writer("two-socket-dram", 15, false);
}

#[test]
fn a_window_of_calls_divides_to_the_written_energy() {
    let (_d, root) = copy_fixture("near-wrap");
    let pc = Arc::new(Powercap::open(&root).unwrap());
    let meter = Meter::new(pc.clone()).unwrap();
    assert!(meter.read_cost > Duration::ZERO);
    let writer = start_writer(energy_files(&pc), 200, 61);
    std::thread::sleep(Duration::from_millis(5));
    // Freeze: take the window while the writer runs, then stop and compare with what it wrote
    // between the two readings.
    let before: Vec<u64> = writer.written.iter().map(|a| a.load(Ordering::SeqCst)).collect();
    let open = meter.open().unwrap();
    let begin = std::time::Instant::now();
    let mut calls = 0;
    while !window_done(begin.elapsed(), calls, Duration::from_millis(40), None) {
        busy_for(Duration::from_millis(2));
        calls += 1;
    }
    let after_lo: Vec<u64> = writer.written.iter().map(|a| a.load(Ordering::SeqCst)).collect();
    let w = meter.close(&open).unwrap();
    let after_hi: Vec<u64> = writer.started.iter().map(|a| a.load(Ordering::SeqCst)).collect();
    writer.stop.store(true, Ordering::SeqCst);
    writer.handle.join().unwrap();
    let lo: u64 = after_lo.iter().sum::<u64>() - before.iter().sum::<u64>();
    let hi: u64 = after_hi.iter().sum::<u64>() - before.iter().sum::<u64>();
    // The opening read may also land just after a write: allow one step per domain each side.
    let slack = 2.0 * 244.0 * after_lo.len() as f64;
    let got = w.total.value() * 1e6;
    assert!(
        got >= lo as f64 - slack && got <= hi as f64 + slack,
        "window {got} uJ, written {lo}..{hi} uJ"
    );
    let per_call = split_mean(&w, calls);
    assert!((per_call.value() * calls as f64 - w.total.value()).abs() < 1e-9);
    let shares = split_by_cpu(&w, &[Duration::from_millis(3), Duration::from_millis(1)]);
    assert!((shares[0].value() - 0.75 * w.total.value()).abs() < 1e-9);
}

#[test]
fn kernel_energy_needs_ten_updates() {
    let (_d, root) = copy_fixture("amd-package-only");
    let pc = Powercap::open(&root).unwrap();
    let a = pc.read().unwrap();
    let b = pc.read().unwrap();
    match kernel_energy(&pc, &a, &b) {
        KernelEnergy::Unresolved(why) => assert!(why.contains("10 updates"), "{why}"),
        other => panic!("a microsecond kernel resolved: {other:?}"),
    }
    let mut late = b.clone();
    late.at = a.at + Duration::from_millis(20);
    late.counters = vec![a.counters[0] + 1_000_000];
    assert_eq!(kernel_energy(&pc, &a, &late), KernelEnergy::Resolved(Joules(1.0)));
}

#[test]
fn a_long_window_is_flagged_as_possibly_hiding_a_wrap() {
    // 262143 J range at an absurd 10 MW wraps every 26 ms: a 40 ms window may hide one.
    let opts = PowercapOptions {
        max_watts: Watts(1e7),
        ..PowercapOptions::default()
    };
    let pc = Powercap::open_with(&fixture("near-wrap"), opts, Arc::new(RealFs)).unwrap();
    let a = pc.read().unwrap();
    std::thread::sleep(Duration::from_millis(40));
    let b = pc.read().unwrap();
    assert!(pc.between(&a, &b).missed_wrap_suspected);
    let pc = Powercap::open(&fixture("near-wrap")).unwrap();
    assert!(!pc.between(&a, &b).missed_wrap_suspected);
}

#[test]
fn kernel_layout_with_top_level_links_to_sub_zones_is_not_double_counted() {
    // The kernel lists sub-zones at the top of /sys/class/powercap too (as links).
    let (_d, root) = copy_fixture("two-socket-dram");
    std::os::unix::fs::symlink(
        root.join("intel-rapl:0/intel-rapl:0:1"),
        root.join("intel-rapl:0:1"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        root.join("intel-rapl:1/intel-rapl:1:0"),
        root.join("intel-rapl:1:0"),
    )
    .unwrap();
    let pc = Powercap::open(&root).unwrap();
    assert_eq!(pc.zones().len(), 6);
    assert_eq!(pc.domains_label(), "package-0+dram-0+package-1+dram-1");
    let r = pc.read().unwrap();
    assert_eq!(r.counters, vec![1000000, 200000, 3000000, 500000]);
}

/// A window's start reading taken `ago` before now, so that a test need not sleep it out.
fn reading_from(pc: &Powercap, ago: Duration) -> nebula::energy::Reading {
    let mut r = pc.read().unwrap();
    r.at = r.at.checked_sub(ago).unwrap();
    r
}

#[test]
fn counters_that_never_move_give_no_energy_not_a_measured_zero() {
    // The fixture's counters stand still, like a virtual machine's fake PMU: 50 ms of a real
    // package is never 0 J.
    let (_d, root) = copy_fixture("two-socket-dram");
    let pc = Arc::new(Powercap::open(&root).unwrap());
    let mut meter = Meter::new(pc.clone()).unwrap();
    let start = reading_from(&pc, Duration::from_millis(50));
    let e = meter.close(&start).unwrap_err().to_string();
    assert!(
        e.contains("did not move") && e.contains("package-0+dram-0+package-1+dram-1"),
        "{e}"
    );
    assert!(e.contains("energy.source=model"), "{e}");
    // Nor is a frozen idle baseline 0 W.
    let idle = meter
        .measure_idle(Duration::from_millis(20))
        .unwrap_err()
        .to_string();
    assert!(idle.contains("did not move"), "{idle}");
    assert_eq!(meter.idle, None);
    // A kernel of 50 ms between frozen readings is unresolved, not 0 J.
    let end = pc.read().unwrap();
    match kernel_energy(pc.as_ref(), &start, &end) {
        KernelEnergy::Unresolved(why) => assert!(why.contains("did not move"), "{why}"),
        other => panic!("frozen counters resolved a kernel: {other:?}"),
    }
    // Once a counter moves, the window is measured (1 J written to package-0).
    let path = root.join("intel-rapl:0/energy_uj");
    let v: u64 = std::fs::read_to_string(&path).unwrap().trim().parse().unwrap();
    std::fs::write(&path, format!("{}\n", v + 1_000_000)).unwrap();
    let w = meter.close(&start).unwrap();
    assert!((w.total.value() - 1.0).abs() < 1e-9, "{}", w.total);
}

#[test]
fn a_counter_reset_is_not_read_as_a_wrap() {
    // near-wrap: package-0 wraps at 262143328850 uJ (262 kJ); the dram sub-zone moves a little.
    let (_d, root) = copy_fixture("near-wrap");
    let pc = Arc::new(Powercap::open(&root).unwrap());
    let meter = Meter::new(pc.clone()).unwrap();
    let pkg = root.join("intel-rapl:0/energy_uj");
    let dram = root.join("intel-rapl:0/intel-rapl:0:0/energy_uj");
    std::fs::write(&pkg, "100000000000\n").unwrap();
    std::fs::write(&dram, "200\n").unwrap();
    let start = reading_from(&pc, Duration::from_millis(100));
    // The counter goes back from 100 kJ to 5 J: as a wrap that would be 162 kJ in 100 ms.
    std::fs::write(&pkg, "5000000\n").unwrap();
    std::fs::write(&dram, "300\n").unwrap();
    let end = pc.read().unwrap();
    let w = pc.between(&start, &end);
    assert!(w.per_domain[0].wrapped);
    let why = w.implausible.clone().expect("a reset is flagged");
    assert!(
        why.contains("intel-rapl:0/energy_uj") && why.contains("went back from 100000000000 to 5000000"),
        "{why}"
    );
    let e = meter.close(&start).unwrap_err().to_string();
    assert!(e.contains("was reset"), "{e}");
    // A true wrap in the same window is still measured: 5000 uJ to the range, then 3000 uJ.
    std::fs::write(&pkg, "262143323850\n").unwrap();
    let start = reading_from(&pc, Duration::from_millis(100));
    std::fs::write(&pkg, "3000\n").unwrap();
    std::fs::write(&dram, "400\n").unwrap();
    let w = meter.close(&start).unwrap();
    assert!(w.per_domain[0].wrapped && w.implausible.is_none());
    assert!(
        (w.total.value() - (8000.0 + 100.0) * 1e-6).abs() < 1e-12,
        "{}",
        w.total
    );
}
