//! `nebula bench-http`: requests per second and p50/p99 client latency of functions served
//! over HTTP at several concurrency levels, next to a bare axum handler (`/bare`, no wasm)
//! measured in the same run, level by level, so that both see the same machine state.

use super::client::{self, ClientSample, Load};
use super::threads;
use anyhow::{bail, Context, Result};
use bytes::Bytes;
use hyper::Method;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// The target name of the baseline handler in the results.
pub const BARE: &str = "bare-axum";

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchPlan {
    pub url: String,
    pub functions: Vec<String>,
    pub concurrency: Vec<usize>,
    /// Measured requests per (target, level).
    pub requests: usize,
    /// Unmeasured requests sent before each measurement.
    pub warmup: usize,
    /// Input per function; functions not listed get the server's example input.
    pub inputs: HashMap<String, String>,
    /// The server runs in this process: report CPU per request by thread role.
    pub local: bool,
}

/// One (target, concurrency) measurement.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BenchRow {
    pub target: String,
    pub input: String,
    pub concurrency: usize,
    pub requests: usize,
    pub errors: usize,
    pub rps: f64,
    pub p50: Duration,
    pub p99: Duration,
    /// The server's own median wall time of the calls (absent for the bare handler).
    pub server_wall_p50: Option<Duration>,
    /// CPU microseconds per request by thread role (`server-io`, `call-pool`, `load-gen`,
    /// `other`), when the server runs in this process; empty otherwise.
    pub cpu_us: BTreeMap<String, f64>,
    /// Threads switched in per request, all of this process's threads together (local server).
    pub switches: Option<f64>,
}

/// The `q` quantile (nearest rank) of sorted durations.
pub fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// Summarise one run's samples.
pub fn summarize(
    target: &str,
    input: &str,
    concurrency: usize,
    samples: &[ClientSample],
    elapsed: Duration,
) -> BenchRow {
    let mut lat: Vec<Duration> = samples.iter().filter(|s| s.ok()).map(|s| s.latency).collect();
    lat.sort_unstable();
    let mut walls: Vec<Duration> = samples
        .iter()
        .filter_map(|s| s.server_wall_ns.map(Duration::from_nanos))
        .collect();
    walls.sort_unstable();
    let secs = elapsed.as_secs_f64();
    BenchRow {
        target: target.to_string(),
        input: input.to_string(),
        concurrency,
        requests: samples.len(),
        errors: samples.len() - lat.len(),
        rps: if secs > 0.0 { lat.len() as f64 / secs } else { 0.0 },
        p50: quantile(&lat, 0.5),
        p99: quantile(&lat, 0.99),
        server_wall_p50: (!walls.is_empty()).then(|| quantile(&walls, 0.5)),
        cpu_us: BTreeMap::new(),
        switches: None,
    }
}

/// The example inputs the server advertises at `GET /functions`.
async fn examples(url: &str) -> Result<HashMap<String, String>> {
    let (status, body) = client::get(url, "/functions").await?;
    if status != 200 {
        bail!("GET {url}/functions answered {status}");
    }
    let list: Vec<serde_json::Value> =
        serde_json::from_slice(&body).context("GET /functions did not return a JSON list")?;
    Ok(list
        .iter()
        .filter_map(|f| {
            Some((
                f.get("name")?.as_str()?.to_string(),
                f.get("example")?.as_str()?.to_string(),
            ))
        })
        .collect())
}

/// One measurement: the samples, the elapsed time and the CPU per request by thread role.
struct Measured {
    samples: Vec<ClientSample>,
    elapsed: Duration,
    cpu_us: BTreeMap<String, f64>,
    switches: Option<f64>,
}

async fn measure(plan: &BenchPlan, path: &str, body: Bytes, c: usize) -> Result<Measured> {
    let mut load = Load {
        base: plan.url.clone(),
        method: Method::POST,
        path: path.to_string(),
        body,
        concurrency: c,
        requests: plan.warmup,
        max_duration: None,
    };
    if plan.warmup > 0 {
        client::run(&load).await?;
    }
    load.requests = plan.requests;
    let cpu0 = threads::snapshot();
    let t0 = Instant::now();
    let mut samples = client::run_unparsed(&load).await?;
    let elapsed = t0.elapsed();
    let (cpu_us, switches) = if plan.local {
        let cpu1 = threads::snapshot();
        (
            threads::per_request(&cpu0, &cpu1, samples.len()),
            Some(threads::switches_per_request(&cpu0, &cpu1, samples.len())),
        )
    } else {
        (BTreeMap::new(), None)
    };
    client::parse_call_headers(&mut samples);
    Ok(Measured {
        samples,
        elapsed,
        cpu_us,
        switches,
    })
}

/// Run the plan: at each level, the bare handler (when the server has `/bare`), then each
/// function.
pub async fn run(plan: &BenchPlan) -> Result<Vec<BenchRow>> {
    let served = examples(&plan.url).await?;
    let mut inputs = Vec::new();
    for f in &plan.functions {
        let Some(example) = served.get(f) else {
            bail!(
                "the server at {} does not serve '{f}': build the suite (scripts/build-functions.sh) or upload it",
                plan.url
            );
        };
        inputs.push((
            f.clone(),
            plan.inputs.get(f).cloned().unwrap_or_else(|| example.clone()),
        ));
    }
    let (bare_status, _) = client::get(&plan.url, "/bare").await?;
    let has_bare = bare_status == 200;
    if !has_bare {
        tracing::warn!("the server has no /bare route: the baseline is not measured");
    }
    let mut rows = Vec::new();
    for &c in &plan.concurrency {
        if has_bare {
            let m = measure(plan, "/bare", Bytes::new(), c).await?;
            rows.push(BenchRow {
                cpu_us: m.cpu_us,
                switches: m.switches,
                ..summarize(BARE, "", c, &m.samples, m.elapsed)
            });
        }
        for (f, input) in &inputs {
            let path = format!("/functions/{f}/invoke");
            let m = measure(plan, &path, Bytes::from(input.clone()), c).await?;
            rows.push(BenchRow {
                cpu_us: m.cpu_us,
                switches: m.switches,
                ..summarize(f, input, c, &m.samples, m.elapsed)
            });
        }
    }
    Ok(rows)
}

/// The rows as a text table, plus each function's rate relative to the bare handler.
pub fn table(rows: &[BenchRow]) -> String {
    use std::fmt::Write;
    let ms = |d: Duration| format!("{:.3}", d.as_secs_f64() * 1e3);
    let mut out = format!(
        "{:<14} {:>11} {:>5} {:>8} {:>6} {:>10} {:>9} {:>9} {:>11} {:>8}  {}\n",
        "target",
        "input",
        "conc",
        "requests",
        "errors",
        "req/s",
        "p50 ms",
        "p99 ms",
        "server p50",
        "vs bare",
        "CPU us/request: server-io call-pool load-gen  switches/request"
    );
    for r in rows {
        let bare = rows
            .iter()
            .find(|b| b.target == BARE && b.concurrency == r.concurrency)
            .map(|b| b.rps);
        let ratio = match bare {
            Some(b) if b > 0.0 && r.target != BARE => format!("{:.2}x", r.rps / b),
            _ => "-".into(),
        };
        let cpu = |role: &str| {
            r.cpu_us
                .get(role)
                .map_or_else(|| "-".to_string(), |us| format!("{us:.1}"))
        };
        let _ = writeln!(
            out,
            "{:<14} {:>11} {:>5} {:>8} {:>6} {:>10.0} {:>9} {:>9} {:>11} {:>8}  {:>9} {:>9} {:>8}  {:>8}",
            r.target,
            r.input.chars().take(11).collect::<String>(),
            r.concurrency,
            r.requests,
            r.errors,
            r.rps,
            ms(r.p50),
            ms(r.p99),
            r.server_wall_p50.map(ms).unwrap_or_else(|| "-".into()),
            ratio,
            cpu("server-io"),
            cpu("call-pool"),
            cpu("load-gen"),
            r.switches.map_or_else(|| "-".to_string(), |s| format!("{s:.2}"))
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_quantiles() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(quantile(&v, 0.5), Duration::from_millis(50));
        assert_eq!(quantile(&v, 0.99), Duration::from_millis(99));
        assert_eq!(quantile(&v[..1], 0.99), Duration::from_millis(1));
        assert_eq!(quantile(&[], 0.5), Duration::ZERO);
    }
}
