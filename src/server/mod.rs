//! The FaaS server (`nebula serve`): axum on tokio. This module owns the configuration, the
//! shared state and the router; each concern has its own file: `invoke.rs` (calls, admission),
//! `functions.rs` (registry, upload, delete), `page.rs` (landing page), `metrics.rs`
//! (Prometheus text), `csv_log.rs` (the calls.csv writer), `energy.rs` (per-call energy),
//! `error.rs` (errors as HTTP responses), `local.rs` (a server inside this process, for HTTP
//! experiments and benchmarks). Its HTTP clients live in the top-level `client/` folder.

pub mod body;
pub mod csv_log;
pub mod energy;
pub mod error;
pub mod functions;
pub mod invoke;
pub mod listen;
pub mod local;
pub mod metrics;
pub mod page;
pub mod pool;
pub mod sched;

use crate::runtime::{HostConfig, Limits, WasmHost};
use anyhow::{Context, Result};
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use energy::Meter;
pub use error::AppError;
pub use local::{spawn_local_server, LocalServer};

/// Everything `nebula serve` is configured with.
#[derive(Clone)]
pub struct ServerConfig {
    /// Timeout, memory cap and output cap of each call.
    pub limits: Limits,
    /// Guest calls running at once (also the number of call-pool threads).
    pub max_inflight: usize,
    /// Async I/O workers (tokio worker threads) that read requests and write responses.
    pub io_workers: usize,
    /// Requests allowed to wait for a slot; beyond it, 503 with `Retry-After`.
    pub queue: usize,
    /// Largest request body (stdin of a call, or an uploaded module).
    pub max_body: usize,
    /// Bearer token required by `PUT` and `DELETE`; `None` leaves them open.
    pub token: Option<String>,
    /// Where every call is appended; `None` writes no CSV.
    pub csv_path: Option<PathBuf>,
    /// The `run_id` column of the CSV.
    pub run_id: String,
    /// The precompiled-module cache.
    pub cache_dir: PathBuf,
    /// The suite folder whose built functions are registered at start; `None` registers none.
    pub suite_root: Option<PathBuf>,
    /// A suite file of one's own whose functions are registered too (`nebula serve --suite`).
    pub suite_file: Option<PathBuf>,
    /// Functions of one's own registered too (an HTTP experiment's), builds absolute.
    pub functions: Vec<crate::suite::FunctionSpec>,
    /// How each call's energy is obtained.
    pub meter: Meter,
    /// Started by `bench-http` inside its own process, on loopback: no warning about the
    /// missing token.
    pub in_process_bench: bool,
    /// A request's headers, and then its body, must each arrive within this long (408 for a
    /// body; a connection whose headers are late is closed); also the keep-alive idle timeout.
    pub read_timeout: Duration,
    /// Scheduling policy of the call pool and the async I/O workers.
    pub sched: sched::SchedPolicy,
}

impl ServerConfig {
    /// Defaults for a machine with `cores` cores: one call per core in flight, half as many I/O
    /// workers (at least one), a queue of 16, 16 MiB bodies.
    pub fn new(cores: usize) -> ServerConfig {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        ServerConfig {
            limits: Limits::default(),
            max_inflight: cores.max(1),
            io_workers: sched::default_io_workers(cores),
            queue: 16,
            max_body: 16 << 20,
            token: None,
            csv_path: None,
            run_id: format!("serve-{stamp}"),
            cache_dir: crate::runtime::cache::ModuleCache::default_dir(),
            suite_root: None,
            suite_file: None,
            functions: Vec::new(),
            meter: Meter::unavailable("no energy source configured"),
            in_process_bench: false,
            read_timeout: Duration::from_secs(10),
            sched: sched::SchedPolicy::default(),
        }
    }
}

/// What every handler shares.
pub struct AppState {
    /// The settings the server was started with.
    pub config: ServerConfig,
    /// The wasm engine, linker and module cache every function shares.
    pub host: Arc<WasmHost>,
    /// The served functions, by name.
    pub registry: functions::Registry,
    /// Bounds the calls running (`--max-inflight`) and waiting (`--queue`).
    pub admission: invoke::Admission,
    /// The counters of `GET /metrics`.
    pub metrics: metrics::Metrics,
    /// The last calls, for the landing page.
    pub recent: page::Recent,
    /// The threads that run guest calls.
    pub pool: pool::CallPool,
    /// The per-call CSV log (`--csv`); `None` when the server keeps none.
    pub csv: Option<csv_log::CsvLog>,
    /// When the server state was built (UTC).
    pub started: chrono::DateTime<chrono::Utc>,
    /// Set to `true` when the server stops accepting: connections and body reads that have
    /// not reached a handler's work yet are cut after a short grace (see [`listen`]).
    pub stopping: tokio::sync::watch::Sender<bool>,
}

/// The state every handler receives, shared among them.
pub type SharedState = Arc<AppState>;

impl AppState {
    /// Create the wasm host, open the CSV and register the suite's built functions.
    /// Compiling the suite is blocking work: call this from a blocking context or before the
    /// runtime starts serving (`serve` does it on the blocking pool).
    pub fn build(config: ServerConfig) -> Result<AppState> {
        match config.token.as_deref() {
            Some(t) if t.trim().is_empty() => anyhow::bail!(
                "the token is empty (--token or NEBULA_TOKEN): give a non-empty token, or unset both to leave uploads and deletes open"
            ),
            None if !config.in_process_bench => tracing::warn!(
                "no token (--token or NEBULA_TOKEN): anyone who can reach this server can upload and delete functions"
            ),
            _ => {}
        }
        let mut host_cfg = HostConfig::new(config.limits);
        host_cfg.cache_dir = config.cache_dir.clone();
        host_cfg.max_instances = u32::try_from(config.max_inflight.max(1)).unwrap_or(u32::MAX);
        let host = WasmHost::new(host_cfg)?;
        let registry = functions::Registry::default();
        if let Some(root) = &config.suite_root {
            let mut suite = crate::suite::Suite::load(root)?;
            if let Some(file) = &config.suite_file {
                suite.add_file(file)?;
            }
            for f in &config.functions {
                suite.add(f.clone())?;
            }
            registry.load_suite(&host, &suite)?;
        }
        let csv = match &config.csv_path {
            Some(p) => Some(csv_log::CsvLog::open(p)?),
            None => None,
        };
        let pool = pool::CallPool::new(config.max_inflight, "nebula-call", config.sched)?;
        Ok(AppState {
            pool,
            admission: invoke::Admission::new(config.max_inflight, config.queue),
            config,
            host,
            registry,
            metrics: metrics::Metrics::default(),
            recent: page::Recent::default(),
            csv,
            started: chrono::Utc::now(),
            stopping: tokio::sync::watch::Sender::new(false),
        })
    }
}

/// The routes. Bodies are capped at `max_body` (413 beyond it).
pub fn router(state: SharedState) -> Router {
    Router::new()
        .route("/", get(page::landing))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::handler))
        .route("/functions", get(functions::list))
        .route(
            "/functions/{name}",
            get(functions::get_one)
                .put(functions::upload)
                .delete(functions::delete),
        )
        .route("/functions/{name}/invoke", post(invoke::handler))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(state.config.max_body))
        .with_state(state)
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// 405 in the JSON error shape (axum adds the `Allow` header with the route's methods).
async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> AppError {
    AppError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        format!(
            "{method} is not allowed on {}: the Allow header lists the methods it takes; see / for the API",
            uri.path()
        ),
    )
}

async fn not_found(uri: axum::http::Uri) -> AppError {
    AppError::not_found(format!("no route for {}: see / for the API", uri.path()))
}

/// Serve on `listener` until `shutdown` resolves; then stop accepting, let the calls in flight
/// finish (up to the call timeout plus a margin), flush the CSV and return.
pub async fn serve(
    config: ServerConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let state = tokio::task::spawn_blocking(move || AppState::build(config))
        .await
        .context("the server's start-up task failed")??;
    serve_state(Arc::new(state), listener, shutdown).await
}

/// [`serve`] with a state built by the caller.
pub async fn serve_state(
    state: SharedState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let addr: Option<SocketAddr> = listener.local_addr().ok();
    tracing::info!(
        ?addr,
        functions = state.registry.len(),
        max_inflight = state.config.max_inflight,
        energy = %state.config.meter.describe(),
        "nebula serve: listening"
    );
    listen::serve(
        listener,
        router(state.clone()),
        state.config.read_timeout,
        &state.stopping,
        shutdown,
    )
    .await;
    // Requests whose client went away may still have a guest call running: wait for them.
    let grace = state.config.limits.timeout + Duration::from_secs(5);
    if !state.admission.drain(grace).await {
        tracing::warn!("shutdown: calls still running after {grace:?}; their rows may be missing");
    }
    if let Some(csv) = &state.csv {
        csv.close().await;
    }
    tracing::info!("nebula serve: stopped");
    Ok(())
}
