//! HTTP load experiments (`target = "http"`): the orchestrator drives `nebula serve` (started here
//! on a loopback port, or the configured `url`) with keep-alive connections, one per call in
//! flight, and records each request's client-side latency next to what the server measured
//! (its wall and CPU time and output digest, from the `x-nebula-call` header). A server started
//! here writes its own per-call rows to `server-calls.csv` in the run directory.

use super::config::Plan;
use crate::client::{self, ClientSample, Load};
use crate::clock::CpuTime;
use crate::results::call::unix_now_ns;
use crate::runtime::{CallError, CallOutcome, Phases, RuntimeKind};
use crate::server::LocalServer;
use crate::server::{Meter, ServerConfig};
use crate::suite::Suite;
use anyhow::{bail, Context, Result};
use bytes::Bytes;
use hyper::Method;
use std::path::Path;
use std::time::Duration;

/// What the server told about one call, beyond its outcome.
#[derive(Debug, Clone)]
pub struct Served {
    /// The HTTP status; 0 when the request failed below HTTP.
    pub status: u16,
    /// The server's own wall time for the call in ns (`server_wall_ns`).
    pub server_wall_ns: Option<u64>,
    /// SHA-256 of the function's output (hex), from the server's `x-nebula-call` header.
    pub output_digest: Option<String>,
    /// Size of the response body in bytes (`output_bytes`).
    pub body_bytes: u64,
}

/// The server at the run's URL could not be reached: no connection, so nothing about the
/// function or its input is known. Its own error, so that the caller does not blame the input.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot connect to {url} ({reason}). Fix: is `nebula serve` running there? Check `url` in the \
     config (or leave it out to have the run start a server)"
)]
pub struct Unreachable {
    /// The server's base URL.
    pub url: String,
    /// Why the connection failed (the root cause, or what `/healthz` answers).
    pub reason: String,
}

/// A server to drive and the runtime the client runs on.
pub struct HttpTarget {
    rt: tokio::runtime::Runtime,
    url: String,
    local: Option<LocalServer>,
    /// Keep-alive connections kept from window to window: a window starts on open ones.
    pool: std::sync::Mutex<client::Pool>,
}

impl HttpTarget {
    /// Start (or reach) the server. A server started here logs its calls to `server-calls.csv`
    /// in `dir`; without a `dir` (a dry run) it keeps no log.
    pub fn start(plan: &Plan, suite: &Suite, dir: Option<&Path>, run_id: &str) -> Result<HttpTarget> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("nebula-load")
            .build()
            .context("cannot start the load generator's runtime")?;
        if let Some(url) = &plan.config.url {
            return Ok(HttpTarget {
                rt,
                url: url.trim_end_matches('/').to_string(),
                local: None,
                pool: Default::default(),
            });
        }
        let max_c = plan.config.concurrency.iter().copied().max().unwrap_or(1) as usize;
        let mut cfg = ServerConfig::new(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2));
        cfg.limits = plan.limits;
        cfg.max_inflight = max_c.max(cfg.max_inflight);
        cfg.queue = max_c;
        cfg.csv_path = dir.map(|d| d.join("server-calls.csv"));
        cfg.run_id = run_id.to_string();
        cfg.suite_root = Some(suite.root.clone());
        // The run's functions of one's own are served too.
        cfg.functions = suite.functions.iter().filter(|f| f.is_own()).cloned().collect();
        cfg.meter = Meter::from_options(&plan.energy)?;
        cfg.sched = plan.server_sched;
        let local = crate::server::spawn_local_server(cfg)?;
        Ok(HttpTarget {
            rt,
            url: local.url(),
            local: Some(local),
            pool: Default::default(),
        })
    }

    fn path(function: &str, runtime: RuntimeKind) -> String {
        format!("/functions/{function}/invoke?runtime={runtime}")
    }

    /// One request, to check the function answers and to learn its output digest.
    pub fn reference(&self, function: &str, input: &str, runtime: RuntimeKind) -> Result<String> {
        let s = self.drive(function, input, runtime, 1, 1, None)?;
        let Some(first) = s.first() else {
            bail!("no response from {}", self.url)
        };
        if first.status == 0 {
            // A request that failed below HTTP: ask once more, plainly, to learn why.
            let reason = match self.rt.block_on(client::get(&self.url, "/healthz")) {
                Err(e) => e.root_cause().to_string(),
                Ok((status, _)) => format!("the request failed below HTTP; /healthz answers {status}"),
            };
            return Err(Unreachable {
                url: self.url.clone(),
                reason,
            }
            .into());
        }
        if !first.ok() {
            bail!(
                "{function}({input}) on {runtime} over HTTP answered status {}",
                first.status
            );
        }
        first
            .output_digest
            .clone()
            .context("the server's x-nebula-call header has no output-digest")
    }

    fn drive(
        &self,
        function: &str,
        input: &str,
        runtime: RuntimeKind,
        concurrency: usize,
        requests: usize,
        max_duration: Option<Duration>,
    ) -> Result<Vec<ClientSample>> {
        let load = Load {
            base: self.url.clone(),
            method: Method::POST,
            path: Self::path(function, runtime),
            body: Bytes::copy_from_slice(input.as_bytes()),
            concurrency,
            requests,
            max_duration,
            figures: client::Figures::All,
        };
        let mut pool = self.pool();
        let mut samples = self.rt.block_on(client::run_pooled(&load, &mut pool))?;
        client::parse_call_headers(&mut samples);
        Ok(samples)
    }

    /// The kept connections (a panic elsewhere while holding them leaves them usable).
    fn pool(&self) -> std::sync::MutexGuard<'_, client::Pool> {
        self.pool
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Open `concurrency` keep-alive connections before a window, so that the window (its
    /// energy and its first requests' latency) does not include their TCP handshakes.
    pub fn connect(&self, concurrency: u32) -> Result<()> {
        let mut pool = self.pool();
        self.rt
            .block_on(pool.fill(&self.url, concurrency as usize))
            .with_context(|| format!("cannot open {concurrency} connection(s) to {}", self.url))
    }

    /// A window of requests from `concurrency` connections for at least `min`, or `calls`
    /// requests when given. Returns (worker, start time, outcome, what the server said).
    pub fn window(
        &self,
        function: &str,
        input: &str,
        runtime: RuntimeKind,
        concurrency: u32,
        min: Duration,
        calls: Option<usize>,
    ) -> Result<Vec<(u32, u64, CallOutcome, Served)>> {
        let t0 = unix_now_ns();
        let samples = self.drive(
            function,
            input,
            runtime,
            concurrency as usize,
            calls.unwrap_or(1 << 20),
            Some(min),
        )?;
        Ok(samples
            .into_iter()
            .map(|s| {
                (
                    s.client as u32,
                    t0 + crate::units::ns(s.sent_at),
                    outcome(runtime, &s),
                    served(&s),
                )
            })
            .collect())
    }

    /// Stops the server started here (finishing its calls in flight and flushing its CSV); nothing
    /// to do for a server at a configured `url`.
    pub fn stop(self) -> Result<()> {
        match self.local {
            Some(l) => l.stop(),
            None => Ok(()),
        }
    }
}

fn served(s: &ClientSample) -> Served {
    Served {
        status: s.status,
        server_wall_ns: s.server_wall_ns,
        output_digest: s.output_digest.clone(),
        body_bytes: s.body_bytes as u64,
    }
}

/// A client sample as a call outcome: the client's latency as wall time, the server's CPU time
/// and peak memory. A 2xx answer without those figures (a server that is not `nebula serve`, or
/// an older one) is an error row, never a row of zeros passed off as measured.
fn outcome(runtime: RuntimeKind, s: &ClientSample) -> CallOutcome {
    let figures = s.server_cpu_ns.zip(s.server_peak_memory_bytes);
    let error = match (s.status, figures) {
        (200..=299, Some(_)) => None,
        (200..=299, None) => Some(CallError::Load(
            "the server's answer has no x-nebula-call header with cpu-user-ns, cpu-system-ns and peak-memory-bytes: is the url a `nebula serve` of this version?".into(),
        )),
        (0, _) => Some(CallError::Load(
            "the HTTP request failed (connection refused or reset)".into(),
        )),
        (code, _) => Some(CallError::Load(format!("the server answered HTTP {code}"))),
    };
    let ((user, system), peak) = figures.unwrap_or_default();
    CallOutcome {
        runtime,
        wall: s.latency,
        phases: Phases::default(),
        kernel: None,
        cpu: CpuTime {
            user: Duration::from_nanos(user),
            system: Duration::from_nanos(system),
        },
        peak_memory_bytes: peak,
        exit_code: None,
        stdout: Vec::new(),
        stderr_tail: Vec::new(),
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(status: u16, figures: bool) -> ClientSample {
        ClientSample {
            status,
            latency: Duration::from_micros(300),
            server_cpu_ns: figures.then_some((4000, 12)),
            server_peak_memory_bytes: figures.then_some(1 << 20),
            ..ClientSample::default()
        }
    }

    #[test]
    fn a_served_call_carries_the_servers_cpu_and_memory_and_a_bare_2xx_is_an_error() {
        let o = outcome(RuntimeKind::Wasm, &sample(200, true));
        assert!(o.error.is_none(), "{:?}", o.error);
        assert_eq!(
            (o.cpu.user, o.cpu.system),
            (Duration::from_nanos(4000), Duration::from_nanos(12))
        );
        assert_eq!(o.peak_memory_bytes, 1 << 20);
        assert_eq!(o.wall, Duration::from_micros(300));
        let bare = outcome(RuntimeKind::Wasm, &sample(200, false));
        let msg = bare.error.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            msg.contains("x-nebula-call") && msg.contains("nebula serve"),
            "{msg}"
        );
        let refused = outcome(RuntimeKind::Wasm, &sample(503, false));
        assert!(refused.error.is_some_and(|e| e.to_string().contains("503")));
        let lost = outcome(RuntimeKind::Native, &sample(0, false));
        assert!(lost
            .error
            .is_some_and(|e| e.to_string().contains("refused or reset")));
    }
}
