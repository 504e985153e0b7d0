//! `nebula invoke`: run a suite function or any WASI command module the way `time` runs a
//! program: the guest's stdout and stderr pass through byte for byte, what one call (or each of
//! `--repeat N` calls) measured goes to stderr (or `--output FILE`; `--json`: one record per
//! call), and the exit status is the guest's (see [`CallError::exit_status`] for a call that
//! failed otherwise).

use super::energy_args::EnergyArgs;
use crate::energy::auto::select;
use crate::energy::window::Meter;
use crate::experiment::attribute::{attribute, fill_row};
use crate::results::call::{unix_now_ns, CallContext, CallRow};
use crate::runtime::{
    self, CallError, CallInput, CallOutcome, HostConfig, Limits, Preopen, RuntimeKind, WasmHost,
};
use crate::suite::{FunctionSpec, Suite};
use crate::units::{human_duration, parse_bytes, parse_duration};
use anyhow::{bail, Context, Result};
use clap::Args;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Args)]
pub struct InvokeArgs {
    /// A function of the suite (see `nebula functions`).
    #[arg(required_unless_present = "module", conflicts_with = "module")]
    pub function: Option<String>,
    /// The function's input (its stdin); defaults to the suite's example.
    #[arg(long)]
    pub input: Option<String>,
    /// Any WASI preview-1 command module instead of a suite function.
    #[arg(long)]
    pub module: Option<PathBuf>,
    /// wasm (warm, cached), wasm-cold (compile per call), native, wasm-simd128 (warm, the
    /// suite function's build with the simd128 target feature), or another wasmtime engine:
    /// wasm-opt-none, wasm-opt-size (Cranelift at opt level none, speed-and-size), wasm-winch
    /// (Winch, x86_64), wasm-pulley (the Pulley interpreter), each also -cold.
    #[arg(long, default_value = "wasm", value_parser = parse_runtime)]
    pub runtime: RuntimeKind,
    /// Number of calls.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub repeat: u32,
    /// Report one JSON record per call instead of text.
    #[arg(long)]
    pub json: bool,
    /// Write the report to this file instead of stderr.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// An argument for the module (repeatable).
    #[arg(long = "arg", allow_hyphen_values = true)]
    pub args: Vec<String>,
    /// An environment variable K=V for the module (repeatable).
    #[arg(long = "env", value_parser = parse_env)]
    pub env: Vec<(String, String)>,
    /// A preopened directory HOST::GUEST, read-only; HOST::GUEST::rw to let the module write
    /// in it (repeatable).
    #[arg(long = "dir", value_parser = Preopen::parse)]
    pub dirs: Vec<Preopen>,
    /// A suite file of one's own: its functions join the suite's (see docs/functions.md).
    #[arg(long, value_name = "FILE")]
    pub suite: Option<PathBuf>,
    /// Read stdin from this file (`-`: this process's stdin) instead of --input.
    #[arg(long, conflicts_with = "input")]
    pub stdin: Option<PathBuf>,
    /// Wall-clock limit per call (longer than 0).
    #[arg(long, default_value = "10s", value_parser = parse_timeout)]
    pub timeout: Duration,
    /// Memory cap per call (wasm linear memory).
    #[arg(long, default_value = "512MiB", value_parser = parse_bytes)]
    pub memory: u64,
    /// Cap on captured output per call.
    #[arg(long, default_value = "16MiB", value_parser = parse_bytes)]
    pub max_output: u64,
    #[command(flatten)]
    pub energy: EnergyArgs,
    /// Measure idle power for this long first, to report net energy.
    #[arg(long, value_parser = parse_duration)]
    pub baseline: Option<Duration>,
}

pub fn parse_runtime(s: &str) -> Result<RuntimeKind, String> {
    let kind = RuntimeKind::parse(s)
        .ok_or_else(|| format!("unknown runtime '{s}': use {}", RuntimeKind::names("", "or")))?;
    match kind.unsupported_here() {
        Some((problem, fix)) => Err(format!("{problem}. Fix: {fix}")),
        None => Ok(kind),
    }
}

/// `--timeout`: a duration longer than zero (a zero timeout would fail every call), as the
/// config's `timeout` key requires.
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    match parse_duration(s)? {
        d if d.is_zero() => Err(format!("'{s}' must be longer than zero: use e.g. 10s")),
        d => Ok(d),
    }
}

fn parse_env(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("'{s}' is not K=V")),
    }
}

pub fn run(a: InvokeArgs) -> Result<ExitCode> {
    let limits = Limits {
        timeout: a.timeout,
        memory_bytes: a.memory,
        output_bytes: usize::try_from(a.max_output).unwrap_or(usize::MAX),
    };
    let mut report = Report::open(a.output.as_deref())?;
    let (name, path, call) = resolve(&a)?;
    let host = WasmHost::new(HostConfig::new(limits))?;
    // A module or program that cannot be loaded is the load status, as a call's load error is.
    let rt = match runtime::prepare(a.runtime, &host, &name, &path) {
        Ok(rt) => rt,
        Err(e) => {
            crate::errln!("error: {e:#}");
            return Ok(ExitCode::from(runtime::LOAD_STATUS));
        }
    };
    let selected = select(&a.energy.options())?;
    let mut meter = Meter::new(selected.source.clone())?;
    if let Some(d) = a.baseline {
        meter.measure_idle(d)?;
    }
    let (mut input, label) = match call {
        Call::Stdin(stdin) => {
            let label = String::from_utf8_lossy(&stdin).trim().to_string();
            (
                CallInput {
                    stdin,
                    ..CallInput::default()
                },
                label,
            )
        }
        Call::Own(spec, text) => (runtime::input_for(&spec, &text, a.runtime.is_wasm()), text),
    };
    input.args.extend(a.args.iter().cloned());
    input.env.extend(a.env.iter().cloned());
    input.dirs.extend(a.dirs.iter().cloned());
    input.inherit_stderr = true;
    input.probe = Some(selected.source.clone());
    let mut outcomes = Vec::with_capacity(a.repeat as usize);
    for i in 0..a.repeat {
        let start = unix_now_ns();
        let before = meter.open()?;
        let mono = crate::clock::monotonic_ns();
        let o = rt.call(&input);
        let window = meter.close(&before)?;
        // Run as a command runtime's program, the kernel goes to the runtime that started us.
        if let Some(k) = &o.kernel {
            runtime::native::report_kernel(k, mono);
        }
        // The guest's stdout, as it wrote it (its stderr went straight to ours during the call).
        crate::stdout::write(&o.stdout);
        let ctx = CallContext {
            run_id: "invoke".into(),
            function: name.clone(),
            input: label.clone(),
            concurrency: 1,
            repetition: i,
            worker: 0,
            start_unix_ns: start,
        };
        let mut row = CallRow::from_outcome(&ctx, &o);
        if let Some(e) = attribute(&meter, &window, &[&o], false).first() {
            fill_row(&mut row, &meter, e, u64::from(i), 1);
        }
        outcomes.push((row, o));
    }
    if a.json {
        for (row, o) in &outcomes {
            let mut v = serde_json::to_value(row)?;
            v["output"] = serde_json::Value::String(String::from_utf8_lossy(&o.stdout).into_owned());
            report.line(&serde_json::to_string(&v)?);
        }
    } else {
        report_text(&mut report, &name, a.runtime, &outcomes);
        report_energy(&mut report, &meter, &selected.why, &outcomes);
    }
    report.finish()?;
    // The first failed call's status, as a shell reports a command's; 0 when every call ran.
    let status = outcomes
        .iter()
        .find_map(|(_, o)| o.error.as_ref().map(CallError::exit_status))
        .unwrap_or(0);
    Ok(ExitCode::from(status))
}

/// Where the report goes: stderr (the guest's stdout is on stdout), or the `--output` file.
struct Report {
    file: Option<(PathBuf, std::fs::File)>,
}

impl Report {
    fn open(path: Option<&Path>) -> Result<Report> {
        let file = match path {
            Some(p) => Some((
                p.to_path_buf(),
                std::fs::File::create(p).with_context(|| {
                    format!(
                        "cannot write --output {}: check the folder exists and is writable",
                        p.display()
                    )
                })?,
            )),
            None => None,
        };
        Ok(Report { file })
    }

    fn line(&mut self, text: &str) {
        match &mut self.file {
            Some((path, f)) => {
                if let Err(e) = writeln!(f, "{text}") {
                    crate::errln!("error: cannot write {}: {e}", path.display());
                    self.file = None;
                }
            }
            None => crate::errln!("{text}"),
        }
    }

    fn finish(self) -> Result<()> {
        if let Some((path, mut f)) = self.file {
            f.flush()
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        Ok(())
    }
}

/// What a call is given: stdin bytes (a suite function, a module), or the input of a function
/// of one's own, which its definition places.
enum Call {
    Stdin(Vec<u8>),
    Own(Box<FunctionSpec>, String),
}

/// The function's name, the build to run and what the call is given.
fn resolve(a: &InvokeArgs) -> Result<(String, PathBuf, Call)> {
    let read_stdin = |fallback: String| -> Result<Vec<u8>> {
        match &a.stdin {
            Some(p) if p.as_os_str() == "-" => {
                let mut buf = Vec::new();
                std::io::stdin()
                    .read_to_end(&mut buf)
                    .context("cannot read this process's stdin (--stdin -)")?;
                Ok(buf)
            }
            Some(p) => std::fs::read(p).with_context(|| format!("cannot read --stdin file {}", p.display())),
            None => Ok(a.input.clone().unwrap_or(fallback).into_bytes()),
        }
    };
    if let Some(m) = &a.module {
        if a.runtime == RuntimeKind::Native {
            bail!("--module runs a .wasm module; --runtime native needs a suite function");
        }
        if a.runtime == RuntimeKind::WasmSimd128 {
            bail!(
                "--module runs the module given as it is: use --runtime wasm (or wasm-cold, or \
                 another engine's runtime) with the simd128 build's path, or name a function for \
                 --runtime wasm-simd128"
            );
        }
        if m.is_dir() {
            bail!(
                "module {} is a directory: give the path of a .wasm file",
                m.display()
            );
        }
        if !m.is_file() {
            bail!("module {} not found: check the path", m.display());
        }
        let name = m
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "module".into());
        return Ok((name, m.clone(), Call::Stdin(read_stdin(String::new())?)));
    }
    let name = a.function.clone().unwrap_or_default();
    let suite = Suite::load_with(a.suite.as_deref())?;
    let spec = suite.get(&name)?;
    let path = suite.build_for(&name, a.runtime.build())?;
    if spec.is_own() {
        // Where the input goes is the definition's: the arguments, stdin or both.
        let input = match (&a.stdin, &a.input) {
            (Some(_), _) => String::from_utf8_lossy(&read_stdin(String::new())?).into_owned(),
            (None, Some(i)) => i.clone(),
            (None, None) => spec.example.clone(),
        };
        return Ok((name, path, Call::Own(Box::new(spec.clone()), input)));
    }
    Ok((name, path, Call::Stdin(read_stdin(spec.example.clone())?)))
}

fn opt(d: Option<u64>) -> String {
    d.map(|n| human_duration(Duration::from_nanos(n)))
        .unwrap_or_else(|| "-".into())
}

fn report_text(r: &mut Report, name: &str, runtime: RuntimeKind, calls: &[(CallRow, CallOutcome)]) {
    let Some((first_row, first)) = calls.first() else {
        return;
    };
    let status = match &first.error {
        None => "ok".to_string(),
        Some(_) => format!("FAILED ({})", first_row.error),
    };
    r.line(&format!("{name} on {runtime}: {status}"));
    r.line(&format!(
        "output ({} bytes, sha256 {}) on stdout",
        first.stdout.len(),
        first_row
            .output_digest
            .get(..16)
            .unwrap_or(&first_row.output_digest)
    ));
    r.line(&format!(
        "{:>5} {:>10} {:>10} {:>11} {:>10} {:>10} {:>10} {:>10} {:>9} {:>10}",
        "call",
        "wall",
        "compile",
        "instantiate",
        "execute",
        "spawn",
        "kernel",
        "cpu usr",
        "cpu sys",
        "peak mem"
    ));
    for (row, _) in calls {
        r.line(&format!(
            "{:>5} {:>10} {:>10} {:>11} {:>10} {:>10} {:>10} {:>10} {:>9} {:>10}",
            row.repetition + 1,
            opt(Some(row.wall_ns)),
            opt(row.compile_ns),
            opt(row.instantiate_ns),
            opt(row.execute_ns),
            opt(row.spawn_to_exit_ns),
            opt(row.kernel_ns),
            opt(Some(row.cpu_user_ns)),
            opt(Some(row.cpu_system_ns)),
            format!("{:.1} MiB", row.peak_memory_bytes as f64 / 1048576.0),
        ));
        if calls.len() > 20 && row.repetition == 9 {
            r.line(&format!("{:>5}", "..."));
            break;
        }
    }
    if calls.len() > 1 {
        let mut walls: Vec<u64> = calls.iter().map(|(r, _)| r.wall_ns).collect();
        walls.sort_unstable();
        let q = |p: f64| walls[((walls.len() - 1) as f64 * p).round() as usize];
        let failed = calls.iter().filter(|(_, o)| !o.ok()).count();
        r.line(&format!(
            "{} calls, {} failed: wall p50 {}, p99 {}, min {}",
            calls.len(),
            failed,
            opt(Some(q(0.5))),
            opt(Some(q(0.99))),
            opt(Some(walls[0]))
        ));
    }
}

fn report_energy(r: &mut Report, meter: &Meter, why: &str, calls: &[(CallRow, CallOutcome)]) {
    let info = meter.source.info();
    let label = match info.quality {
        crate::energy::Quality::Measured => "MEASURED",
        crate::energy::Quality::Estimated => "ESTIMATED (model, not a measurement)",
    };
    let gross: Vec<f64> = calls.iter().filter_map(|(r, _)| r.energy_gross_j).collect();
    // The same median as summary.csv's (the mean of the middle two for an even count).
    let Some(median) = crate::stats::describe::median(&gross) else {
        return;
    };
    r.line(&format!(
        "energy per call: {} median, {label}; source {} ({why})",
        crate::units::Joules(median),
        info.name
    ));
    if let Some(k) = calls.first().and_then(|(r, _)| r.kernel_energy_j) {
        r.line(&format!(
            "kernel energy (first call): {}",
            crate::units::Joules(k)
        ));
    }
    match calls.first().and_then(|(r, _)| r.energy_net_j) {
        Some(n) => r.line(&format!(
            "net of idle baseline (first call): {}",
            crate::units::Joules(n)
        )),
        None => r.line("net energy: no idle baseline measured (use --baseline 2s)"),
    }
    if info.quality == crate::energy::Quality::Measured {
        r.line(
            "note: RAPL counters update about every millisecond; a single short call is below their \
             resolution. `nebula run` repeats calls inside windows of at least 100 ms.",
        );
    }
}
