//! `nebula serve`: the FaaS server: async I/O workers on tokio, guest code on a call pool of
//! `--max-inflight` threads, both under the `--sched` policy. SIGINT/SIGTERM stop accepting, let the calls in flight
//! finish, flush the CSV and exit 0.

use super::energy_args::EnergyArgs;
use crate::runtime::Limits;
use crate::server::sched::{server_runtime, SchedPolicy};
use crate::server::{self, Meter, ServerConfig};
use crate::suite::Suite;
use crate::units::{parse_bytes, parse_duration};
use anyhow::{Context, Result};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on: HOST:PORT (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:8080", value_parser = parse_listen)]
    pub listen: String,
    /// Bearer token required by PUT and DELETE (none: open).
    #[arg(long, env = "NEBULA_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// A suite file of one's own whose functions are served too (see docs/functions.md).
    #[arg(long, value_name = "FILE")]
    pub suite: Option<PathBuf>,
    /// Guest calls running at once (default: one per core); the call pool has this many threads.
    #[arg(long)]
    pub max_inflight: Option<usize>,
    /// Async I/O workers reading requests and writing responses (default: half the cores, at
    /// least one).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub io_workers: Option<u16>,
    /// Requests allowed to wait for a slot before 503.
    #[arg(long, default_value_t = 16)]
    pub queue: usize,
    /// Wall-clock limit per call (longer than 0).
    #[arg(long, default_value = "10s", value_parser = super::invoke::parse_timeout)]
    pub timeout: Duration,
    /// Memory cap per call (wasm linear memory).
    #[arg(long, default_value = "512MiB", value_parser = parse_bytes)]
    pub memory: u64,
    /// Largest request body (stdin or an uploaded module).
    #[arg(long, default_value = "16MiB", value_parser = parse_bytes)]
    pub max_body: u64,
    /// A request's headers, then its body, must each arrive within this long (a late body
    /// gets 408; a connection whose headers are late is closed); also how long a keep-alive
    /// connection may idle between requests.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub read_timeout: Duration,
    /// Where calls are appended (default results/serve-<timestamp>/calls.csv).
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Scheduling policy of the call pool and the async I/O workers: `batch` (SCHED_BATCH:
    /// a woken thread waits for the running one's slice instead of preempting it; fewer
    /// context switches per request) or `normal` (the Linux default).
    #[arg(long, value_enum, default_value_t = SchedPolicy::Batch)]
    pub sched: SchedPolicy,
    #[command(flatten)]
    pub energy: EnergyArgs,
}

/// `--listen`: HOST:PORT with a port number (the host may be a name, resolved when binding; an
/// IPv6 host in brackets, `[::1]:8080`).
fn parse_listen(s: &str) -> Result<String, String> {
    let bad = || format!("'{s}' is not HOST:PORT: use e.g. 127.0.0.1:8080 or [::1]:8080");
    let (host, port) = s.rsplit_once(':').ok_or_else(bad)?;
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err(bad());
    }
    Ok(s.to_string())
}

/// The fix for an address that cannot be listened on, by what went wrong.
fn listen_error(addr: &str, e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    let fix = match e.kind() {
        ErrorKind::AddrInUse => {
            "the port is in use: stop what listens there or choose another port in --listen"
        }
        ErrorKind::AddrNotAvailable => {
            "that address is not one of this machine's: use 127.0.0.1 or 0.0.0.0 in --listen"
        }
        ErrorKind::PermissionDenied => "ports below 1024 need privileges: use a port from 1024 in --listen",
        _ => "check the host in --listen (HOST:PORT, e.g. 127.0.0.1:8080)",
    };
    format!("cannot listen on {addr} ({e}): {fix}")
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The server configuration these arguments describe.
pub fn config(a: &ServeArgs) -> Result<ServerConfig> {
    let mut c = ServerConfig::new(cores());
    if let Some(n) = a.max_inflight {
        anyhow::ensure!(n >= 1, "--max-inflight must be at least 1");
        c.max_inflight = n;
    }
    if let Some(n) = a.io_workers {
        c.io_workers = usize::from(n);
    }
    let max_body = usize::try_from(a.max_body).unwrap_or(usize::MAX);
    c.limits = Limits {
        timeout: a.timeout,
        memory_bytes: a.memory,
        output_bytes: Limits::default().output_bytes,
    };
    c.queue = a.queue;
    c.max_body = max_body;
    anyhow::ensure!(
        !a.read_timeout.is_zero(),
        "--read-timeout must be longer than 0 (e.g. 10s)"
    );
    c.read_timeout = a.read_timeout;
    c.token = a.token.clone().filter(|t| !t.is_empty());
    c.csv_path = Some(
        a.csv
            .clone()
            .unwrap_or_else(|| PathBuf::from("results").join(&c.run_id).join("calls.csv")),
    );
    let root = Suite::default_root();
    c.suite_root = root.join("suite.toml").is_file().then_some(root);
    c.suite_file = a.suite.clone();
    c.meter = Meter::from_options(&a.energy.options())?;
    c.sched = a.sched;
    Ok(c)
}

/// The per-call energy meter for these options: the model's per-call estimate when the
/// chosen source is an estimate, else the measured source read around each call.
pub fn run(a: ServeArgs) -> Result<ExitCode> {
    let cfg = config(&a)?;
    let rt = server_runtime(cfg.io_workers, cfg.max_inflight, cfg.sched)?;
    rt.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(&a.listen).await {
            Ok(l) => l,
            Err(e) => anyhow::bail!(listen_error(&a.listen, &e)),
        };
        let addr = listener.local_addr()?;
        let csv = cfg.csv_path.clone();
        let energy = cfg.meter.describe();
        let inflight = cfg.max_inflight;
        let io = cfg.io_workers;
        let sched = cfg.sched.as_str();
        let state = tokio::task::spawn_blocking(move || server::AppState::build(cfg))
            .await
            .context("the start-up task failed")??;
        crate::outln!(
            "nebula serve: http://{addr} ({} functions, {inflight} calls at once, {io} I/O workers, scheduling {sched}, energy {energy}, calls to {})",
            state.registry.len(),
            csv.map(|p| p.display().to_string()).unwrap_or_else(|| "nowhere".into())
        );
        server::serve_state(std::sync::Arc::new(state), listener, shutdown_signal()).await
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let term = async {
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
    tracing::info!("shutdown requested: finishing the calls in flight");
}
