//! `nebula bench --results N`: how long reading a run of N calls takes, and how much memory.
//! It writes a synthetic run folder of N call rows (13 functions x 4 inputs x 3 runtimes, 10
//! interleaved windows per cell, a window effect, noise, some failed calls, energy per window),
//! then runs, each as a child process so that its peak memory is its own, what a researcher
//! runs on such a folder: the end of a run (summary.csv, comparison.csv, calls.parquet, charts,
//! report), `nebula report` and `nebula plot`, and gives each one's wall time and peak resident
//! memory.

use crate::results::call::{CallRow, EnergyLabel};
use crate::results::files::with_header;
use crate::results::window::WindowRow;
use crate::results::write_csv;
use anyhow::{anyhow, Context, Result};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};
use std::time::Instant;

const FUNCTIONS: usize = 13;
const INPUTS: [&str; 4] = ["10", "100", "1000", "10000"];
const RUNTIMES: [(&str, f64); 3] = [("wasm", 1.3), ("wasm-cold", 40.0), ("native", 6.0)];
const WINDOWS_PER_CELL: u32 = 10;

/// One step measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Step {
    /// What ran, as a command line.
    pub what: String,
    /// Wall time, seconds.
    pub wall_s: f64,
    /// Peak resident memory of the process, MiB.
    pub peak_mib: f64,
    /// Whether it exited with status 0.
    pub ok: bool,
}

/// A count with an optional K, M or G suffix (`10M` = 10,000,000).
pub fn parse_count(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (digits, mult) = match t.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&t[..t.len() - 1], 1_000),
        Some('M') => (&t[..t.len() - 1], 1_000_000),
        Some('G') => (&t[..t.len() - 1], 1_000_000_000),
        _ => (t, 1),
    };
    match digits.parse::<u64>() {
        Ok(n) if n * mult >= 1000 => Ok(n * mult),
        Ok(_) => Err(format!(
            "'{s}' is too few calls to measure: use 1000 or more, e.g. 10M"
        )),
        Err(_) => Err(format!(
            "'{s}' is not a count of calls: use e.g. 100000, 500K or 10M"
        )),
    }
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let (u, v): (f64, f64) = (rng.gen_range(f64::EPSILON..1.0), rng.gen());
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// Writes a synthetic run of `calls` call rows into `dir` (calls.csv and windows.csv).
pub fn generate(dir: &Path, calls: u64, seed: u64) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join("calls.csv");
    let file = std::fs::File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut w = with_header::<CallRow, _>(std::io::BufWriter::with_capacity(1 << 20, file))?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut cells: Vec<(usize, usize, usize)> = Vec::new();
    for f in 0..FUNCTIONS {
        for i in 0..INPUTS.len() {
            for r in 0..RUNTIMES.len() {
                cells.push((f, i, r));
            }
        }
    }
    let windows_total = cells.len() as u64 * u64::from(WINDOWS_PER_CELL);
    let per_window = calls / windows_total;
    let mut extra = calls % windows_total;
    let mut windows: Vec<WindowRow> = Vec::new();
    let mut t: u64 = 1_800_000_000_000_000_000;
    let mut window_id = 0u64;
    let mut row = CallRow {
        run_id: "bench-results".into(),
        concurrency: 1,
        energy_source: "model".into(),
        energy_label: Some(EnergyLabel::Estimated),
        energy_domains: "cpu-model".into(),
        exit_code: Some(0),
        output_bytes: 8,
        ..CallRow::default()
    };
    for rep in 0..WINDOWS_PER_CELL {
        cells.shuffle(&mut rng);
        for &(f, i, r) in &cells {
            let (runtime, factor) = RUNTIMES[r];
            let function = format!("f{f:02}");
            let input = INPUTS[i];
            let n = per_window + u64::from(extra > 0);
            extra = extra.saturating_sub(1);
            let base = 2_000.0 * (1.0 + f as f64 / 4.0) * (10f64).powi(i as i32) / 10.0;
            let offset = 1.0 + 0.02 * normal(&mut rng);
            let start = t;
            row.cell = format!("{function}/{input}/{runtime}/c1");
            row.function = function.clone();
            row.runtime = runtime.into();
            row.input = input.into();
            row.repetition = rep;
            row.window_id = window_id;
            row.calls_in_window = n as u32;
            row.output_digest = format!("d-{function}-{input}");
            let kernel_factor = if runtime == "native" { 1.0 } else { 1.4 };
            let mut walls = Vec::with_capacity(n as usize);
            for _ in 0..n {
                walls.push(base * factor * offset * (0.1 * normal(&mut rng)).exp());
            }
            let duration: f64 = walls.iter().sum::<f64>() + n as f64 * 500.0;
            let energy = 5.0 * duration * 1e-9;
            for wall in &walls {
                let failed = rng.gen_range(0..1000) == 0;
                row.start_unix_ns = t;
                row.wall_ns = *wall as u64;
                row.kernel_ns = Some((base * kernel_factor * offset) as u64);
                row.cpu_user_ns = (*wall * 0.9) as u64;
                row.cpu_system_ns = (*wall * 0.05) as u64;
                (
                    row.compile_ns,
                    row.instantiate_ns,
                    row.execute_ns,
                    row.spawn_to_exit_ns,
                ) = match runtime {
                    "native" => (None, None, None, Some(row.wall_ns)),
                    "wasm-cold" => (
                        Some(row.wall_ns / 2),
                        Some(row.wall_ns / 8),
                        Some(row.wall_ns / 4),
                        None,
                    ),
                    _ => (None, Some(row.wall_ns / 8), Some(row.wall_ns / 2), None),
                };
                row.energy_gross_j = Some(energy / n as f64);
                row.energy_net_j = Some(0.8 * energy / n as f64);
                row.kernel_energy_j = row.kernel_ns.map(|k| 4.0 * k as f64 * 1e-9);
                row.ok = !failed;
                row.error_kind = if failed { "trap".into() } else { String::new() };
                w.serialize(&row)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                t += *wall as u64 + 500;
            }
            windows.push(WindowRow {
                run_id: row.run_id.clone(),
                window_id,
                cell: row.cell.clone(),
                function,
                runtime: runtime.into(),
                input: input.into(),
                concurrency: 1,
                repetition: rep,
                start_unix_ns: start,
                duration_ns: t - start,
                calls: n as u32,
                ok_calls: n as u32,
                energy_j: Some(energy),
                energy_source: "model".into(),
                energy_label: Some(EnergyLabel::Estimated),
                domain: "cpu-model".into(),
                domain_j: Some(energy),
                process_cpu_ns: t - start,
                ..WindowRow::default()
            });
            window_id += 1;
            t += 1_000_000;
        }
    }
    w.flush()
        .with_context(|| format!("cannot write {}", path.display()))?;
    write_csv(&dir.join("windows.csv"), &windows)
}

/// Runs `nebula ARGS` as a child and measures its wall time and peak resident memory.
pub(super) fn measure(args: &[&str]) -> Result<Step> {
    let exe = std::env::current_exe().context("cannot find the nebula binary to run")?;
    let start = Instant::now();
    let child = std::process::Command::new(&exe)
        .args(args)
        .stdout(std::process::Stdio::null())
        .spawn()
        .with_context(|| format!("cannot run {}", exe.display()))?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value of the plain C struct wait4 fills in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child, not yet waited for; status and usage are valid for writes.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if r != pid {
        return Err(anyhow!(
            "cannot wait for nebula {}: {}",
            args.join(" "),
            std::io::Error::last_os_error()
        ));
    }
    Ok(Step {
        what: format!("nebula {}", args.join(" ")),
        wall_s: start.elapsed().as_secs_f64(),
        peak_mib: usage.ru_maxrss as f64 / 1024.0,
        ok: libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
    })
}

/// The benchmark: generate `calls` rows into `dir` (a fresh temporary folder when `None`,
/// removed afterwards), then measure the end of a run, `report` and `plot` on it; with
/// `merge`, instead split it into two shards and measure their merge and the merged run's
/// report and charts (`merge.rs`).
pub fn run(calls: u64, dir: Option<PathBuf>, merge: bool) -> Result<(Vec<Step>, u64)> {
    let (dir, temp) = match dir {
        Some(d) => (d, None),
        None => {
            let t = tempfile_dir()?;
            (t.clone(), Some(t))
        }
    };
    let start = Instant::now();
    generate(&dir, calls, 42)?;
    let size = std::fs::metadata(dir.join("calls.csv"))
        .map(|m| m.len())
        .unwrap_or(0);
    let gen = Step {
        what: format!(
            "generate {calls} call rows ({:.0} MiB calls.csv)",
            size as f64 / (1 << 20) as f64
        ),
        wall_s: start.elapsed().as_secs_f64(),
        peak_mib: 0.0,
        ok: true,
    };
    let d = dir.display().to_string();
    let mut steps = vec![gen];
    if merge {
        steps.extend(super::merge::steps(&dir)?);
        if let Some(t) = temp {
            let _ = std::fs::remove_dir_all(t);
        }
        return Ok((steps, size));
    }
    for args in [
        vec!["bench", "--finish-run", d.as_str()],
        vec!["report", d.as_str()],
        vec!["plot", d.as_str()],
    ] {
        steps.push(measure(&args)?);
    }
    if let Some(t) = temp {
        let _ = std::fs::remove_dir_all(t);
    }
    Ok((steps, size))
}

/// A fresh folder under the system's temporary directory.
fn tempfile_dir() -> Result<PathBuf> {
    let base = std::env::temp_dir().join(format!("nebula-bench-results-{}", std::process::id()));
    std::fs::create_dir_all(&base).with_context(|| format!("cannot create {}", base.display()))?;
    Ok(base)
}

/// Prints the steps as a table.
pub fn print(steps: &[Step]) {
    crate::outln!("{:<64} {:>9} {:>10}", "step", "wall s", "peak MiB");
    for s in steps {
        let peak = if s.peak_mib > 0.0 {
            format!("{:.0}", s.peak_mib)
        } else {
            "-".into()
        };
        let failed = if s.ok { "" } else { "  FAILED" };
        crate::outln!("{:<64} {:>9.1} {:>10}{failed}", s.what, s.wall_s, peak);
    }
}
