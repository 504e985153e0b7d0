//! The command line: clap definitions here, one file per subcommand. `main` prints the whole
//! error chain and exits 1 (2 for usage errors, from clap).

mod bench;
mod bench_http;
mod compare;
mod energy_args;
mod functions;
mod invoke;
mod merge;
mod parquet;
mod plot;
mod report;
mod run;
mod runtimes;
mod sensors;
mod serve;
mod slurm;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

// The parsed command line. clap: the help text is the attribute's (`about`); a doc comment
// here would become clap's `about`/`long_about`, so the lint is allowed instead.
#[allow(missing_docs)]
#[derive(Parser)]
#[command(
    name = "nebula",
    version,
    about = "Time and energy footprint of WebAssembly functions vs native, and a small FaaS server",
    after_help = "Environment:
  NEBULA_FUNCTIONS      the function suite folder (default: ./functions)
  NEBULA_RUNTIMES       the folder of the shipped runtime definitions (default: ./runtimes)
  NEBULA_CACHE_DIR      precompiled modules (default: ~/.cache/nebula/modules)
  NEBULA_LOG            log filter, e.g. debug or nebula=trace (default: info for serve, warn otherwise)
  NEBULA_TOKEN          bearer token for uploads and deletes on `nebula serve` (or --token)
  NEBULA_POWERCAP_ROOT  read RAPL from this copy of /sys/class/powercap (tests, fixtures)
  NEBULA_PERF_ROOT      a prefix under which perf's sys/ and proc/ files are read (tests, fixtures)"
)]
pub struct Cli {
    /// Log format for diagnostics on stderr.
    #[arg(long, global = true, default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
    #[command(subcommand)]
    pub command: Command,
}

// The subcommands. clap: the help text is each variant's doc comment; a doc comment on the
// enum would become the `about`/`long_about` of the `nebula` command, so the lint is allowed.
#[allow(missing_docs)]
#[derive(Subcommand)]
pub enum Command {
    /// Run one function (or any WASI module) and show what was measured.
    Invoke(Box<invoke::InvokeArgs>),
    /// List the function suite: inputs and whether each build exists.
    Functions(functions::FunctionsArgs),
    /// List the runtimes: built-in and defined by a command template, ready here or how to install.
    Runtimes(runtimes::RuntimesArgs),
    /// Run an experiment config (or --resume an interrupted run).
    Run(run::RunArgs),
    /// Per-call latency of each runtime next to a bare wasmtime loop and a bare spawn loop.
    Bench(bench::BenchArgs),
    /// List the energy sources: available or not, why, and how to fix what is missing.
    Sensors(sensors::SensorsArgs),
    /// Serve the functions over HTTP (FaaS), measuring every call.
    Serve(Box<serve::ServeArgs>),
    /// Requests/s and latency over HTTP vs a bare axum handler.
    BenchHttp(bench_http::BenchHttpArgs),
    /// Draw the charts of a results directory into RUN/plots/ and write RUN/report.html.
    Plot(plot::PlotArgs),
    /// Write RUN/report.html, or print the summary as a Markdown table (--markdown).
    Report(report::ReportArgs),
    /// Change in median latency and energy per cell from run A to run B, with CIs.
    Compare(compare::CompareArgs),
    /// Join the shards of a study (or runs of one config on several machines) into one run.
    Merge(merge::MergeArgs),
    /// (Re)write RUN/calls.parquet, the columnar copy of RUN/calls.csv for pandas, polars and R.
    Parquet(parquet::ParquetArgs),
    /// Write (and --submit) Slurm jobs that run a config as N shards, one node each, then merge them.
    Slurm(slurm::SlurmArgs),
}

/// The `nebula` command: parses the command line, sets up logging on stderr (`--log-format`,
/// `NEBULA_LOG`) and runs the subcommand. Returns the subcommand's exit code, or 1 after printing
/// an error's whole chain; clap exits with 2 on a usage error.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // The server logs one line per call at info; other commands only warnings.
    let level = if matches!(cli.command, Command::Serve(_)) {
        "info"
    } else {
        "warn"
    };
    let log = init_tracing(&cli.log_format, level);
    let result = match cli.command {
        Command::Invoke(a) => invoke::run(*a),
        Command::Functions(a) => functions::run(a),
        Command::Runtimes(a) => runtimes::run(a),
        Command::Sensors(a) => sensors::run(a),
        Command::Run(a) => run::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Serve(a) => serve::run(*a),
        Command::BenchHttp(a) => bench_http::run(a),
        Command::Plot(a) => plot::run(a),
        Command::Report(a) => report::run(a),
        Command::Compare(a) => compare::run(a),
        Command::Parquet(a) => parquet::run(a),
        Command::Merge(a) => merge::run(a),
        Command::Slurm(a) => slurm::run(a),
    };
    // Write the log lines still queued before the final error, so that stderr stays in order.
    drop(log);
    match result {
        Ok(code) => code,
        Err(e) => {
            crate::errln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr through a writer thread: a line is formatted where it is logged, and
/// written (buffered, in batches) by the writer, so the server's call threads do not make a
/// `write` system call per call. Lines are never dropped: a full queue makes the logger wait.
fn init_tracing(format: &str, default_level: &str) -> tracing_appender::non_blocking::WorkerGuard {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("NEBULA_LOG").unwrap_or_else(|_| EnvFilter::new(default_level));
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("nebula-log")
        .finish(std::io::BufWriter::new(std::io::stderr()));
    // Colours only on a terminal: a log redirected to a file stays plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(writer);
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    guard
}
