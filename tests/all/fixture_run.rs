//! A small deterministic results directory for the chart and report tests, generated into a
//! temp dir from call rows built here: functions `alpha` (inputs 10, 1000, 100000; also at
//! concurrency 4) and `beta` (inputs `small`, `large`), runtimes wasm, wasm-cold and native,
//! `WINDOWS` windows of `CALLS` calls per cell, energy from a 3 W model ("estimated").
#![allow(dead_code)]

use nebula::energy::Split;
use nebula::results::call::{CallRow, EnergyLabel};
use nebula::results::metadata::{self, EnergyMeta, Machine, Metadata, Status, Versions};
use nebula::results::WindowRow;
use nebula::results::{write_calls, write_csv};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;

pub const WINDOWS: u32 = 5;
pub const CALLS: u32 = 12;
pub const WATTS: f64 = 3.0;

/// How the fixture differs between runs.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Multiplies warm wasm latency (2.0 plants a 2x slowdown).
    pub wasm_scale: f64,
    /// Seed of the noise.
    pub seed: u64,
    /// Include `wasm-cold` and concurrency 4 (else only wasm and native at c=1).
    pub full: bool,
}

impl Default for Spec {
    fn default() -> Spec {
        Spec {
            wasm_scale: 1.0,
            seed: 7,
            full: true,
        }
    }
}

fn cells(full: bool) -> Vec<(&'static str, &'static str, f64, u32)> {
    let mut v = vec![
        ("alpha", "10", 20_000.0, 1),
        ("alpha", "1000", 200_000.0, 1),
        ("alpha", "100000", 4_000_000.0, 1),
        ("beta", "small", 50_000.0, 1),
        ("beta", "large", 500_000.0, 1),
    ];
    if full {
        v.extend([("alpha", "10", 20_000.0, 4), ("alpha", "1000", 200_000.0, 4)]);
    }
    v
}

/// The call and window rows of a run.
pub fn rows(run_id: &str, spec: Spec) -> (Vec<CallRow>, Vec<WindowRow>) {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let runtimes: &[&str] = if spec.full {
        &["wasm", "wasm-cold", "native"]
    } else {
        &["wasm", "native"]
    };
    let (mut calls, mut windows) = (Vec::new(), Vec::new());
    let mut t = 1_700_000_000_000_000_000u64;
    let mut window_id = 0u64;
    for rep in 0..WINDOWS {
        for &(function, input, base, conc) in &cells(spec.full) {
            for &rt in runtimes {
                let start = t;
                let mut rs = Vec::new();
                for i in 0..CALLS {
                    let noise = 1.0 + 0.1 * rng.gen::<f64>();
                    let (wall, compile, inst, exec, spawn) = match rt {
                        "wasm" => {
                            let w = base * spec.wasm_scale * noise;
                            (w, None, Some(2_000.0), Some(w - 2_000.0), None)
                        }
                        "wasm-cold" => {
                            let e = base * noise;
                            (e + 302_000.0, Some(300_000.0), Some(2_000.0), Some(e), None)
                        }
                        _ => {
                            let w = base * 1.5 * noise + 500_000.0;
                            (w, None, None, None, Some(w))
                        }
                    };
                    let u = |v: f64| v as u64;
                    let wall = wall / f64::from(conc);
                    rs.push(CallRow {
                        run_id: run_id.into(),
                        cell: format!("{function}/{input}/{rt}/c{conc}"),
                        function: function.into(),
                        runtime: rt.into(),
                        input: input.into(),
                        concurrency: conc,
                        repetition: rep,
                        worker: i % conc,
                        start_unix_ns: t,
                        wall_ns: u(wall),
                        compile_ns: compile.map(u),
                        instantiate_ns: inst.map(u),
                        execute_ns: exec.map(u),
                        spawn_to_exit_ns: spawn.map(u),
                        kernel_ns: Some(u(base * 0.8)),
                        cpu_user_ns: u(wall * 0.9),
                        cpu_system_ns: u(wall * 0.05),
                        peak_memory_bytes: 1 << 20,
                        energy_source: "model".into(),
                        energy_label: Some(EnergyLabel::Estimated),
                        energy_split: Some(Split::Mean),
                        energy_domains: "cpu-model".into(),
                        window_id,
                        calls_in_window: CALLS,
                        exit_code: Some(0),
                        output_bytes: 4,
                        output_digest: format!("{function}-{input}"),
                        ok: true,
                        ..CallRow::default()
                    });
                    t += u(wall) + 1_000;
                }
                let duration = t - start;
                let energy = WATTS * duration as f64 * 1e-9;
                for r in &mut rs {
                    r.energy_gross_j = Some(energy / f64::from(CALLS));
                    r.energy_net_j = Some((WATTS - 1.0) * duration as f64 * 1e-9 / f64::from(CALLS));
                }
                calls.extend(rs);
                windows.push(WindowRow {
                    run_id: run_id.into(),
                    window_id,
                    cell: format!("{function}/{input}/{rt}/c{conc}"),
                    function: function.into(),
                    runtime: rt.into(),
                    input: input.into(),
                    concurrency: conc,
                    repetition: rep,
                    start_unix_ns: start,
                    duration_ns: duration,
                    calls: CALLS,
                    ok_calls: CALLS,
                    energy_j: Some(energy * (1.0 + 0.05 * rng.gen::<f64>())),
                    energy_source: "model".into(),
                    energy_label: Some(EnergyLabel::Estimated),
                    idle_watts: Some(1.0),
                    domain: "cpu-model".into(),
                    domain_j: Some(energy),
                    process_cpu_ns: duration,
                    ..WindowRow::default()
                });
                window_id += 1;
                t += 2_000_000;
            }
        }
    }
    (calls, windows)
}

/// The metadata of a fixture run (the config TOML contains markup, to test escaping).
pub fn meta(run_id: &str) -> Metadata {
    Metadata {
        run_id: run_id.into(),
        name: "fixture".into(),
        status: Status::Complete,
        started: "2026-01-01T00:00:00.000Z".parse().unwrap(),
        ended: Some("2026-01-01T00:01:00.000Z".parse().unwrap()),
        resumed: vec![],
        machine: Machine {
            cpu_model: "Test CPU <model>".into(),
            logical_cores: 2,
            kernel: "6.0".into(),
            hostname: "test".into(),
            governor: None,
            turbo: None,
            virtualized: Some(true),
            cpu_features: vec!["sse2".into(), "avx2".into(), "sha_ni".into()],
            id: String::new(),
        },
        energy: EnergyMeta {
            source: "model".into(),
            label: "estimated".into(),
            why: "no RAPL present".into(),
            rejected: vec![("powercap".into(), "no powercap tree".into())],
            domains: vec!["cpu-model".into()],
            details: vec!["ESTIMATE, not a measurement".into()],
            idle_watts: Some(1.0),
            read_cost_ns: 900,
            baselines: vec![],
            model: None,
        },
        versions: Versions {
            nebula: "0.1.0".into(),
            nebula_git_commit: "test".into(),
            wasmtime: "48".into(),
            rustc: "1.95".into(),
            functions_profile: "opt-level = 3".into(),
        },
        config_sha256: "00".into(),
        config_toml: "name = \"fixture\"\nseed = 42\nruntimes = [\"wasm\", \"wasm-cold\", \"native\"]\ndescription = \"<script>alert(1)</script>\"\n".into(),
        cells: 0,
        windows_planned: 0,
        windows_done: 0,
        digest_mismatches: vec![],
        functions_dir: "/fixture/functions".into(),
        modules: vec![],
        modules_note: None,
        warnings: vec![],
        inputs: Default::default(),
        functions: Default::default(),
        marker_overhead_ns: Default::default(),
        build_notes: Default::default(),
        config_dir: None,
        command_runtimes: Vec::new(),
        shard: None,
        merged: Vec::new(),
        engines: vec![],
    }
}

/// Writes a fixture run into `dir` and finishes it like `nebula run` does (summary.csv,
/// comparison.csv, the charts and report.html).
pub fn write_run(dir: &Path, run_id: &str, spec: Spec) {
    std::fs::create_dir_all(dir).expect("create run dir");
    let (calls, windows) = rows(run_id, spec);
    write_calls(&dir.join("calls.csv"), &calls).expect("write calls");
    write_csv(&dir.join("windows.csv"), &windows).expect("write windows");
    let m = meta(run_id);
    metadata::write(dir, &m).expect("write metadata");
    nebula::experiment::finish::finish(dir, &m, false).expect("finish");
}
