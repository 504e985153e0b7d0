//! The orchestrator: opens the energy source, prepares every runtime, hashes its module files
//! and checks that wasm and native agree on every output (the preflight, made before the run
//! folder exists), measures the idle baseline (on a resume: a check of the run's own, see
//! `baseline.rs`), then runs the schedule window by window (N workers for concurrency N),
//! attributes each window's energy to its calls and writes their rows with the window's CPU
//! steal and load (read outside the window). Nothing is printed inside a measured window;
//! Ctrl-C stops after the window in flight. Warnings about the data (a drifted baseline, a
//! changed module, CPU steal) are printed before the first window or after the last, and kept in
//! metadata.json.

use super::attribute::{attribute, fill_row};
use super::baseline;
use super::config::Plan;
use super::contention::{self, Contention, Probe};
use super::http::{HttpTarget, Served, Unreachable};
use super::matrix::{self, Cell, Visit};
use super::provenance;
use crate::clock as cpu;
use crate::energy::auto::{select, Selected};
use crate::energy::window::{window_done, Meter};
use crate::energy::WindowEnergy;
use crate::results::call::{unix_now_ns, CallContext, CallRow, EnergyLabel, RuntimeName};
use crate::results::files::{Recovered, Writers};
use crate::results::metadata::{
    self, EnergyMeta, Machine, Metadata, ModuleFile, Status, Timestamp, Versions,
};
use crate::results::WindowRow;
use crate::runtime::{self, CallInput, CallOutcome, HostConfig, Runtime, RuntimeKind, WasmHost};
use crate::suite::{OutputCheck, Suite};
use crate::units::ns;
use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How the run behaves at the terminal.
#[derive(Clone)]
pub struct Options {
    /// Show a progress bar (windows done, time elapsed and left) on stderr.
    pub progress: bool,
    /// Set by Ctrl-C: stop after the window in flight.
    pub interrupted: Arc<AtomicBool>,
}

type Runtimes = HashMap<(String, RuntimeKind), Box<dyn Runtime>>;

/// One call of a window, with who made it and when (and, over HTTP, what the server said).
struct Call {
    worker: u32,
    start_unix_ns: u64,
    outcome: CallOutcome,
    served: Option<Served>,
}

/// One measured window: its calls, its energy (None when the source failed), its wall-clock
/// start, the process CPU time it spanned and the contention around it.
struct Measured {
    calls: Vec<Call>,
    window: Option<WindowEnergy>,
    /// Why the window has no energy figure, when the meter gave none.
    energy_error: Option<String>,
    start_unix_ns: u64,
    cpu_ns: u64,
    contention: Contention,
}

/// Where the calls go: the runtimes in this process, or a server over HTTP.
enum Target {
    Local(Runtimes),
    Http(HttpTarget),
}

/// What is checked before a run folder is created (and by `--dry-run`): the energy source opens
/// and reads, every module loads, and every (function, input) runs once on each runtime. Over
/// HTTP the reference requests need the server, which logs into the run folder: they are made
/// by [`execute`] (and by [`check_http`] for a dry run).
pub struct Preflight {
    selected: Selected,
    meter: Meter,
    host: Arc<WasmHost>,
    /// The loaded runtimes and their reference outputs; `None` over HTTP.
    local: Option<(Target, References)>,
    /// The module files the run loads, hashed; empty (with the reason) for a remote server.
    modules: Vec<ModuleFile>,
    modules_note: Option<String>,
    /// What the kernel markers add to a kernel span on each of the run's runtimes (local runs).
    marker_overhead: std::collections::BTreeMap<String, u64>,
}

impl Preflight {
    /// The module files the run loads, hashed.
    pub fn modules(&self) -> &[ModuleFile] {
        &self.modules
    }

    /// The energy source chosen, and why.
    pub fn energy(&self) -> (&'static str, &str) {
        (self.meter.source.info().name, &self.selected.why)
    }

    /// How many reference calls were made (none over HTTP: see [`check_http`]).
    pub fn reference_calls(&self) -> usize {
        self.local.as_ref().map_or(0, |(_, r)| r.calls)
    }

    /// Outputs that differ between runtimes.
    pub fn mismatches(&self) -> &[String] {
        self.local.as_ref().map(|(_, r)| &r.mismatches[..]).unwrap_or(&[])
    }
}

/// Open the energy source, load every runtime and make the reference calls (see [`Preflight`]).
pub fn preflight(plan: &Plan, suite: &Suite) -> Result<Preflight> {
    let selected = select(&plan.energy).with_context(|| {
        format!(
            "cannot use the energy source '{}': pick another with [energy] source in the config \
             or --set energy.source=model (`nebula sensors` shows what this machine has)",
            plan.energy.choice
        )
    })?;
    let meter = Meter::new(selected.source.clone()).with_context(|| {
        format!(
            "the energy source '{}' does not read: pick another with --set energy.source=... \
             (`nebula sensors` shows what this machine has)",
            selected.source.info().name
        )
    })?;
    let max_c = plan.config.concurrency.iter().copied().max().unwrap_or(1);
    let mut host_cfg = HostConfig::new(plan.limits);
    host_cfg.max_instances = max_c.saturating_mul(2).saturating_add(4);
    let host = WasmHost::new(host_cfg)?;
    let local = if plan.http {
        None
    } else {
        let target = Target::Local(prepare(plan, suite, &host)?);
        let refs = reference_digests(plan, &target)?;
        Some((target, refs))
    };
    let (modules, modules_note) = match (&plan.config.url, plan.http) {
        (Some(url), true) => (
            Vec::new(),
            Some(format!(
                "the functions ran on the server at {url}: their files are not known here"
            )),
        ),
        _ => (provenance::modules(plan, suite, Timestamp::now())?, None),
    };
    // The markers' own cost on each runtime: a null kernel's median span (local runs only; a
    // server elsewhere runs its own).
    let mut marker_overhead = std::collections::BTreeMap::new();
    for &rt in plan.runtimes.iter().filter(|_| !plan.http) {
        if let Some(ns) = runtime::null::overhead_ns(rt, &host)? {
            marker_overhead.insert(rt.as_str().to_string(), ns);
        }
    }
    Ok(Preflight {
        selected,
        meter,
        host,
        local,
        modules,
        modules_note,
        marker_overhead,
    })
}

/// For a dry run over HTTP: start the server (without its CSV log) or reach the configured
/// one, make the reference requests and stop. Returns how many were made and mismatches.
pub fn check_http(plan: &Plan, suite: &Suite) -> Result<(usize, Vec<String>)> {
    let target = Target::Http(HttpTarget::start(plan, suite, None, "dry-run")?);
    let refs = reference_digests(plan, &target);
    if let Target::Http(h) = target {
        h.stop()?;
    }
    let refs = refs?;
    Ok((refs.calls, refs.mismatches))
}

/// Run (or finish) the plan in `dir` after its [`preflight`]; returns the final metadata.
#[allow(clippy::too_many_arguments)]
pub fn execute(
    plan: &Plan,
    suite: &Suite,
    dir: &Path,
    mut meta: Metadata,
    done: Recovered,
    opts: &Options,
    checked: Preflight,
) -> Result<Metadata> {
    let cells = matrix::cells(plan);
    let schedule = matrix::schedule(cells.len(), plan.config.repetitions, plan.config.seed);
    let Preflight {
        selected,
        mut meter,
        host: _host,
        local,
        modules,
        modules_note,
        marker_overhead,
    } = checked;
    let (target, refs) = match local {
        Some(checked) => checked,
        None => {
            let t = Target::Http(HttpTarget::start(plan, suite, Some(dir), &meta.run_id)?);
            let refs = reference_digests(plan, &t)?;
            (t, refs)
        }
    };
    let reference = refs.digests;
    // Recomputed on every start, so a resumed run does not list them twice.
    meta.digest_mismatches = refs.mismatches;
    provenance::record(&mut meta, suite, modules, modules_note);
    meta.marker_overhead_ns = marker_overhead;
    let baselines = baseline::measure_and_settle(plan, dir, &mut meta, &mut meter)?;
    meta.energy = EnergyMeta::new(&meter, &selected.why, &selected.rejected, &plan.energy.model);
    meta.energy.baselines = baselines;
    meta.status = Status::Running;
    metadata::write(dir, &meta)?;
    let probe = Probe::default();
    let mut steal_flagged: Vec<(u64, f64)> = Vec::new();
    // Windows the meter gave no energy figure for (their rows say `unavailable`), and why the
    // first of them had none.
    let mut energy_gaps: Vec<u64> = Vec::new();
    let mut first_gap_why: Option<String> = None;
    // Windows long enough for an energy counter to wrap twice unseen.
    let mut wrap_suspects: Vec<u64> = Vec::new();
    let mut windows_measured = 0usize;

    let mut writers = Writers::open(dir)?;
    let todo: Vec<Visit> = schedule
        .into_iter()
        .filter(|v| !done.is_done(&cells[v.cell].id(), v.repetition))
        .collect();
    let bar = progress_bar(opts.progress, todo.len() as u64, meta.windows_done as u64);
    let mut warmed: HashSet<usize> = HashSet::new();
    let mut calls_total = 0u64;
    let started = Instant::now();
    for (window_id, v) in (done.next_window_id..).zip(todo) {
        if opts.interrupted.load(Ordering::Relaxed) {
            break;
        }
        let cell = &cells[v.cell];
        let warm_up = warmed.insert(cell.index);
        let m = match &target {
            Target::Local(runtimes) => {
                let rt = runtimes
                    .get(&(cell.function.clone(), cell.runtime))
                    .context("internal: a cell has no prepared runtime")?;
                let input = runtime::input_for(
                    plan.suite.get(&cell.function)?,
                    &cell.input,
                    cell.runtime.is_wasm(),
                );
                for _ in 0..if warm_up { plan.config.warmup } else { 0 } {
                    rt.call(&input);
                }
                local_window(plan, &meter, &probe, rt.as_ref(), &input, cell.concurrency)
            }
            Target::Http(http) => http_window(plan, &meter, &probe, http, cell, warm_up)?,
        };
        windows_measured += 1;
        if let Some(why) = &m.energy_error {
            energy_gaps.push(window_id);
            first_gap_why.get_or_insert_with(|| why.clone());
        }
        if m.window.as_ref().is_some_and(|w| w.missed_wrap_suspected) {
            wrap_suspects.push(window_id);
        }
        if m.contention.excessive_steal {
            steal_flagged.push((window_id, m.contention.steal_fraction.unwrap_or_default()));
        }
        let key = (cell.function.clone(), cell.input.clone());
        let rows = call_rows(
            &meta.run_id,
            cell,
            v,
            &m.calls,
            &meter,
            m.window.as_ref(),
            window_id,
            reference.get(&key),
        );
        let wrows = window_rows(&meta.run_id, cell, v, &rows, &meter, &m, window_id);
        writers.window(&rows, &wrows)?;
        calls_total += rows.len() as u64;
        meta.windows_done += 1;
        bar.inc(1);
        let rate = calls_total as f64 / started.elapsed().as_secs_f64().max(1e-9);
        bar.set_message(format!("{calls_total} calls, {rate:.0} calls/s"));
        if !plan.cooldown.is_zero() {
            std::thread::sleep(plan.cooldown);
        }
    }
    bar.finish_and_clear();
    if let Target::Http(h) = target {
        h.stop()?;
    }
    if let (Some(why), Some(first)) = (&first_gap_why, energy_gaps.first()) {
        meta.warn(format!(
            "{} window(s) have no energy figure (energy_label `unavailable` in calls.csv and windows.csv; window ids {}); the first, window {first}: {why}",
            energy_gaps.len(),
            crate::numfmt::first_and_more(&energy_gaps, 5)
        ));
    }
    if let Some(w) = wrap_warning(&wrap_suspects) {
        meta.warn(w);
    }
    if let Some(w) = contention::steal_warning(&steal_flagged, windows_measured, &dir.join("windows.csv")) {
        meta.warn(w);
    }
    meta.status = if meta.windows_done >= meta.windows_planned {
        Status::Complete
    } else {
        Status::Interrupted
    };
    meta.ended = Some(Timestamp::now());
    metadata::write(dir, &meta)?;
    Ok(meta)
}

/// The run's warning about windows long enough for an energy counter to wrap more than once
/// between two readings (`missed_wrap_suspected` in windows.csv), if there were any.
fn wrap_warning(windows: &[u64]) -> Option<String> {
    let first = windows.first()?;
    Some(format!(
        "{} window(s) lasted long enough for an energy counter to wrap more than once unseen (missed_wrap_suspected in windows.csv; window ids {}): their energy may be short by a whole counter range; shorten the windows (window_calls, min_window), first window {first}",
        windows.len(),
        crate::numfmt::first_and_more(windows, 5)
    ))
}

fn progress_bar(show: bool, len: u64, done: u64) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len + done);
    bar.set_position(done);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} windows  {msg}  {elapsed} elapsed, ~{eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// Load every (function, runtime) once: modules are compiled (or taken from the cache) here,
/// before anything is measured.
fn prepare(plan: &Plan, suite: &Suite, host: &Arc<WasmHost>) -> Result<Runtimes> {
    let mut out = Runtimes::new();
    for (f, _) in &plan.functions {
        for &rt in plan.runtimes.iter().filter(|rt| suite.has_build(f, rt.build())) {
            let path = suite.build_for(f, rt.build())?;
            let r =
                runtime::prepare(rt, host, f, &path).with_context(|| format!("cannot load {f} for {rt}"))?;
            out.insert((f.clone(), rt), r);
        }
    }
    Ok(out)
}

/// The reference output of every (function, input), outputs that differ between runtimes, and
/// how many calls it took to learn them.
#[derive(Default)]
struct References {
    digests: HashMap<(String, String), String>,
    mismatches: Vec<String>,
    calls: usize,
}

/// Run every (function, input) once on each runtime before measuring: a failing input stops the
/// run here, and outputs that differ between runtimes are recorded. The reference output is the
/// native one where native is in the run, else the first runtime's.
fn reference_digests(plan: &Plan, target: &Target) -> Result<References> {
    let mut refs = References::default();
    for (f, inputs) in &plan.functions {
        let spec = plan.suite.get(f)?;
        for input in inputs {
            let mut digests: Vec<(RuntimeKind, String)> = Vec::new();
            for &rt in plan
                .runtimes
                .iter()
                .filter(|rt| plan.suite.has_build(f, rt.build()))
            {
                let call = runtime::input_for(spec, input, rt.is_wasm());
                let fix = format!(
                    "Fix the sizes of '{f}' in the config (see `nebula functions` for its valid input)"
                );
                let digest = match target {
                    Target::Http(h) => {
                        refs.calls += 1;
                        // A server that cannot be reached says so, without blaming the input.
                        h.reference(f, input, rt).map_err(|e| {
                            if e.is::<Unreachable>() {
                                e
                            } else {
                                e.context(fix.clone())
                            }
                        })?
                    }
                    Target::Local(rts) => {
                        let Some(r) = rts.get(&(f.clone(), rt)) else {
                            continue;
                        };
                        let o = r.call(&call);
                        refs.calls += 1;
                        if let Some(e) = &o.error {
                            let stderr = String::from_utf8_lossy(&o.stderr_tail);
                            bail!(
                                "function '{f}' with input '{input}' fails on {rt}: {e} {}. {fix}",
                                stderr.trim()
                            );
                        }
                        o.digest()
                    }
                };
                digests.push((rt, digest));
            }
            // `output = "ignore"`: outputs are not compared, so no call has a reference.
            if spec.output == OutputCheck::Ignore {
                continue;
            }
            let reference_digest = digests
                .iter()
                .find(|(rt, _)| *rt == RuntimeKind::Native)
                .or(digests.first())
                .map(|(_, d)| d.clone())
                .unwrap_or_default();
            for (rt, d) in &digests {
                if *d != reference_digest {
                    refs.mismatches
                        .push(format!("{f}({input}): {rt} output differs from the reference"));
                }
            }
            refs.digests.insert((f.clone(), input.clone()), reference_digest);
        }
    }
    Ok(refs)
}

/// An HTTP window: warm-up requests on the cell's first visit, then a measured window.
fn http_window(
    plan: &Plan,
    meter: &Meter,
    probe: &Probe,
    http: &HttpTarget,
    cell: &Cell,
    warm_up: bool,
) -> Result<Measured> {
    let (f, input, rt, c) = (&cell.function, &cell.input, cell.runtime, cell.concurrency);
    if warm_up && plan.config.warmup > 0 {
        http.window(
            f,
            input,
            rt,
            c,
            Duration::from_secs(60),
            Some(plan.config.warmup as usize),
        )?;
    }
    let mut failed = None;
    let limit = plan.config.window_calls.map(|n| n as usize);
    http.connect(c)?;
    let m = measure(meter, probe, || {
        match http.window(f, input, rt, c, plan.min_window, limit) {
            Ok(w) => w
                .into_iter()
                .map(|(worker, start_unix_ns, outcome, served)| Call {
                    worker,
                    start_unix_ns,
                    outcome,
                    served: Some(served),
                })
                .collect(),
            Err(e) => {
                failed = Some(e);
                Vec::new()
            }
        }
    });
    match failed {
        Some(e) => Err(e.context(format!("the HTTP load for {} failed", cell.id()))),
        None => Ok(m),
    }
}

/// Measure one window around `calls`. Steal and load are read before the window opens and
/// after it closes, so their cost is not in it.
fn measure(meter: &Meter, probe: &Probe, calls: impl FnOnce() -> Vec<Call>) -> Measured {
    let before = probe.start();
    let start_unix_ns = unix_now_ns();
    let cpu0 = cpu::process_and_children_cpu();
    let opened = meter.open();
    let calls = calls();
    let (window, energy_error) = match opened.and_then(|r| meter.close(&r)) {
        Ok(w) => (Some(w), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let cpu_ns = ns(cpu::process_and_children_cpu().saturating_sub(cpu0));
    let contention = probe.between(&before, &probe.end());
    Measured {
        calls,
        window,
        energy_error,
        start_unix_ns,
        cpu_ns,
        contention,
    }
}

/// A measured window of calls from `concurrency` workers until it lasts `min_window` or reaches
/// `window_calls`. With more than one worker, the threads are started before the window opens
/// and released together once it has: their start-up is not measured, and the calls overlap
/// from the first (a worker started late used to leave the window's start to the others).
fn local_window(
    plan: &Plan,
    meter: &Meter,
    probe: &Probe,
    rt: &dyn Runtime,
    input: &CallInput,
    concurrency: u32,
) -> Measured {
    let min = plan.min_window;
    let max_calls = plan.config.window_calls.map(|n| n as usize);
    let one = |worker: u32| {
        let start_unix_ns = unix_now_ns();
        let outcome = rt.call(input);
        Call {
            worker,
            start_unix_ns,
            outcome,
            served: None,
        }
    };
    if concurrency <= 1 {
        return measure(meter, probe, || {
            let t0 = Instant::now();
            let mut calls = Vec::new();
            loop {
                calls.push(one(0));
                if window_done(t0.elapsed(), calls.len(), min, max_calls) {
                    return calls;
                }
            }
        });
    }
    let per_worker = max_calls.map(|n| n.div_ceil(concurrency as usize));
    let go = std::sync::Barrier::new(concurrency as usize + 1);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..concurrency)
            .map(|worker| {
                let (go, one) = (&go, &one);
                s.spawn(move || {
                    go.wait();
                    let t0 = Instant::now();
                    let mut mine = Vec::new();
                    loop {
                        mine.push(one(worker));
                        if window_done(t0.elapsed(), mine.len(), min, per_worker) {
                            break mine;
                        }
                    }
                })
            })
            .collect();
        measure(meter, probe, || {
            go.wait();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        })
    })
}

#[allow(clippy::too_many_arguments)]
fn call_rows(
    run_id: &str,
    cell: &Cell,
    v: Visit,
    calls: &[Call],
    meter: &Meter,
    window: Option<&WindowEnergy>,
    window_id: u64,
    reference: Option<&String>,
) -> Vec<CallRow> {
    let outcomes: Vec<&CallOutcome> = calls.iter().map(|c| &c.outcome).collect();
    let energy = window
        .map(|w| attribute(meter, w, &outcomes, cell.concurrency > 1))
        .unwrap_or_default();
    let n = calls.len() as u32;
    calls
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let ctx = CallContext {
                run_id: run_id.to_string(),
                function: cell.function.clone(),
                input: cell.input.clone(),
                concurrency: cell.concurrency,
                repetition: v.repetition,
                worker: c.worker,
                start_unix_ns: c.start_unix_ns,
            };
            let mut row = CallRow::from_outcome(&ctx, &c.outcome);
            if let Some(sv) = &c.served {
                row.output_digest = sv.output_digest.clone().unwrap_or_default();
                row.output_bytes = sv.body_bytes;
                row.server_wall_ns = sv.server_wall_ns;
                if sv.status != 0 && !(200..300).contains(&sv.status) {
                    row.error_kind = format!("http-{}", sv.status);
                }
            }
            match energy.get(i) {
                Some(e) => fill_row(&mut row, meter, e, window_id, n),
                None => {
                    row.energy_source = meter.source.info().name.to_string();
                    row.energy_label = Some(EnergyLabel::Unavailable);
                    row.window_id = window_id;
                    row.calls_in_window = n;
                }
            }
            if let Some(r) = reference.filter(|r| row.ok && **r != row.output_digest) {
                row.ok = false;
                row.error_kind = "digest-mismatch".into();
                row.error = format!(
                    "output sha256 {} differs from the reference {}",
                    row.output_digest.get(..16).unwrap_or(&row.output_digest),
                    r.get(..16).unwrap_or(r)
                );
            }
            row
        })
        .collect()
}

fn window_rows(
    run_id: &str,
    cell: &Cell,
    v: Visit,
    rows: &[CallRow],
    meter: &Meter,
    m: &Measured,
    window_id: u64,
) -> Vec<WindowRow> {
    let info = meter.source.info();
    let window = m.window.as_ref();
    let base = WindowRow {
        run_id: run_id.to_string(),
        window_id,
        cell: cell.id(),
        function: cell.function.clone(),
        runtime: RuntimeName::new(cell.runtime.as_str()),
        input: cell.input.clone(),
        concurrency: cell.concurrency,
        repetition: v.repetition,
        start_unix_ns: m.start_unix_ns,
        duration_ns: window.map(|w| ns(w.duration)).unwrap_or(0),
        calls: rows.len() as u32,
        ok_calls: rows.iter().filter(|r| r.ok).count() as u32,
        energy_j: window.map(|w| w.total.value()),
        energy_source: info.name.to_string(),
        energy_label: Some(match window {
            Some(_) => info.quality.into(),
            None => EnergyLabel::Unavailable,
        }),
        idle_watts: meter.idle.map(|w| w.value()),
        domain: info.domains.join("+"),
        missed_wrap_suspected: window.is_some_and(|w| w.missed_wrap_suspected),
        process_cpu_ns: m.cpu_ns,
        steal_ms: m.contention.steal_ms,
        steal_fraction: m.contention.steal_fraction,
        load_avg_1m: m.contention.load_avg_1m,
        machine: crate::results::metadata::machine_id().to_string(),
        ..WindowRow::default()
    };
    match window {
        Some(w) if !w.per_domain.is_empty() => w
            .per_domain
            .iter()
            .map(|d| WindowRow {
                domain: d.domain.clone(),
                raw_start: Some(d.raw_start),
                raw_end: Some(d.raw_end),
                domain_j: Some(d.joules.value()),
                wrapped: d.wrapped,
                ..base.clone()
            })
            .collect(),
        _ => vec![WindowRow {
            domain_j: base.energy_j,
            ..base
        }],
    }
}

/// A fresh metadata record for a new run.
pub fn new_metadata(plan: &Plan, suite: &Suite, run_id: &str) -> Metadata {
    let cells = matrix::cells(plan).len();
    Metadata {
        run_id: run_id.to_string(),
        name: plan.config.name.clone(),
        status: Status::Starting,
        started: Timestamp::now(),
        ended: None,
        resumed: Vec::new(),
        machine: Machine::probe(),
        energy: EnergyMeta {
            source: String::new(),
            label: String::new(),
            why: String::new(),
            rejected: Vec::new(),
            domains: Vec::new(),
            details: Vec::new(),
            idle_watts: None,
            read_cost_ns: 0,
            baselines: Vec::new(),
            model: None,
        },
        versions: Versions::current(&suite.root),
        config_sha256: metadata::config_hash(&plan.toml),
        config_toml: plan.toml.clone(),
        cells,
        windows_planned: cells * plan.config.repetitions as usize,
        windows_done: 0,
        digest_mismatches: Vec::new(),
        functions_dir: String::new(),
        modules: Vec::new(),
        modules_note: None,
        warnings: Vec::new(),
        inputs: plan
            .functions
            .iter()
            .filter_map(|(f, _)| {
                let spec = suite.get(f).ok()?;
                let m = metadata::InputMeta {
                    label: spec.input_label.clone(),
                    unit: spec.input_unit.clone(),
                };
                Some((f.clone(), m))
            })
            .collect(),
        functions: plan
            .functions
            .iter()
            .filter_map(|(f, _)| suite.get(f).ok().filter(|s| s.is_own()))
            .map(|s| (s.name.clone(), s.clone()))
            .collect(),
        marker_overhead_ns: Default::default(),
        build_notes: plan
            .functions
            .iter()
            .filter_map(|(f, _)| Some((f.clone(), suite.get(f).ok()?.build_note.clone()?)))
            .collect(),
        config_dir: (plan.config.suite.is_some()
            || !plan.config.command_runtimes.is_empty()
            || plan.config.functions.iter().any(|f| f.defines()))
        .then(|| plan.base.display().to_string()),
        // A server elsewhere runs its own engines, which this process cannot see.
        engines: match plan.config.url {
            Some(_) => Vec::new(),
            None => runtime::engine::engine_settings(&plan.runtimes),
        },
        shard: plan.shard.clone(),
        merged: Vec::new(),
        command_runtimes: plan
            .runtimes
            .iter()
            .filter_map(|rt| rt.command())
            .map(runtime::command::record)
            .collect(),
    }
}
