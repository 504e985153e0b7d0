//! `nebula bench-http`: requests per second and p50/p99 client latency of functions served
//! over HTTP at several concurrency levels, next to a bare axum handler (`/bare`, no wasm)
//! measured in the same run, level by level, so that both see the same machine state. With
//! several rounds, the bare handler and the functions alternate (bare, f1, f2, bare, f1, ...)
//! and each function's rate relative to bare is the median of the rounds' ratios, each taken
//! against the bare measurement next to it in time: drift of the machine (a noisy neighbour
//! on a virtual machine) then moves both sides of a ratio together.

use super::threads;
use crate::client::{self, ClientSample, Load};
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
    /// Base URL of the server whose functions are measured (`http://host:port`).
    pub url: String,
    /// The functions to measure, by name.
    pub functions: Vec<String>,
    /// The concurrency levels (connections, each with one request in flight) to measure at.
    pub concurrency: Vec<usize>,
    /// Measured requests per (target, level).
    pub requests: usize,
    /// Unmeasured requests sent before each measurement.
    pub warmup: usize,
    /// Input per function; functions not listed get the server's example input.
    pub inputs: HashMap<String, String>,
    /// The server runs in this process: report CPU per request by thread role.
    pub local: bool,
    /// Where `/bare`, the baseline, is served: the stock axum server of [`super::baseline`]
    /// when the server is local; `None` asks `url` itself for a `/bare` route.
    pub bare_url: Option<String>,
    /// Alternating rounds per level (at least 1).
    pub rounds: usize,
    /// The load generators each target is measured with, in every round; the highest rate
    /// is kept (see [`run`]). Empty: the runtime `run` is awaited on, alone.
    pub generators: Vec<Generator>,
}

/// A load generator: a tokio runtime of `threads` worker threads.
#[derive(Debug, Clone)]
pub struct Generator {
    /// Worker threads of the generator's runtime (`load_threads` in the results).
    pub threads: usize,
    /// The runtime the generator's connections are driven on.
    pub handle: tokio::runtime::Handle,
}

/// One (target, concurrency) measurement.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BenchRow {
    /// The function measured, or [`BARE`] for the baseline handler.
    pub target: String,
    /// The request body sent (the function's stdin); empty for the baseline handler.
    pub input: String,
    /// Connections, each with one request in flight at a time.
    pub concurrency: usize,
    /// Requests measured, over all rounds, ok or not.
    pub requests: usize,
    /// Of which answered with no 2xx status (or failed below HTTP).
    pub errors: usize,
    /// Successful requests per second (with several rounds, the median of the rounds' rates).
    pub rps: f64,
    /// Median client latency of the successful requests (nearest rank).
    pub p50: Duration,
    /// 99th percentile of the client latency of the successful requests (nearest rank).
    pub p99: Duration,
    /// The server's own median wall time of the calls (absent for the bare handler).
    pub server_wall_p50: Option<Duration>,
    /// CPU microseconds per request by thread role (`server-io`, `call-pool`, `load-gen`,
    /// `other`), when the server runs in this process; empty otherwise.
    pub cpu_us: BTreeMap<String, f64>,
    /// Threads switched in per request, all of this process's threads together (local server).
    pub switches: Option<f64>,
    /// Rounds measured; with more than one, `rps`, `cpu_us` and `switches` are medians over
    /// the rounds and the latency quantiles are over all rounds' samples together.
    pub rounds: usize,
    /// Threads of the load generator that gave the highest rate in most rounds (0: the one
    /// generator the plan ran on).
    pub load_threads: usize,
    /// The rate relative to the bare handler: the median of the rounds' ratios, and the
    /// smallest and largest (absent for the bare handler, or without `/bare`).
    pub vs_bare: Option<Spread>,
}

/// A median with the smallest and largest value it was taken from.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Spread {
    /// The median of the finite values (the mean of the middle two for an even count).
    pub median: f64,
    /// The smallest finite value.
    pub min: f64,
    /// The largest finite value.
    pub max: f64,
}

impl Spread {
    /// `None` for no values.
    pub fn of(values: &[f64]) -> Option<Spread> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        let (&min, &max) = (v.first()?, v.last()?);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Some(Spread { median, min, max })
    }
}

/// The `q` quantile (nearest rank) of sorted durations.
pub fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// Successful requests per second.
fn rate(samples: &[ClientSample], elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        samples.iter().filter(|s| s.ok()).count() as f64 / secs
    } else {
        0.0
    }
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
    BenchRow {
        target: target.to_string(),
        input: input.to_string(),
        concurrency,
        requests: samples.len(),
        errors: samples.len() - lat.len(),
        rps: rate(samples, elapsed),
        p50: quantile(&lat, 0.5),
        p99: quantile(&lat, 0.99),
        server_wall_p50: (!walls.is_empty()).then(|| quantile(&walls, 0.5)),
        cpu_us: BTreeMap::new(),
        switches: None,
        rounds: 1,
        load_threads: 0,
        vs_bare: None,
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
    /// Threads of the generator that sent the load (0: unnamed).
    load_threads: usize,
}

/// What one measurement sends.
#[derive(Clone)]
struct Window {
    base: String,
    path: String,
    body: Bytes,
    concurrency: usize,
    warmup: usize,
    requests: usize,
    local: bool,
}

async fn measure(w: Window) -> Result<Measured> {
    let mut load = Load {
        base: w.base.clone(),
        method: Method::POST,
        path: w.path,
        body: w.body,
        concurrency: w.concurrency,
        requests: w.warmup,
        max_duration: None,
        figures: client::Figures::Wall,
    };
    // The warm-up and the measurement share keep-alive connections, all open before the clock
    // starts: the measurement times requests, not TCP handshakes.
    let mut pool = client::Pool::default();
    if w.warmup > 0 {
        client::run_pooled(&load, &mut pool).await?;
    }
    pool.fill(&w.base, w.concurrency).await?;
    load.requests = w.requests;
    let cpu0 = threads::snapshot();
    let t0 = Instant::now();
    let mut samples = client::run_pooled(&load, &mut pool).await?;
    let elapsed = t0.elapsed();
    let (cpu_us, switches) = if w.local {
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
        load_threads: 0,
    })
}

/// Measure `w` with each generator and keep the measurement with the highest rate.
async fn measure_best(generators: &[Generator], w: Window) -> Result<Measured> {
    if generators.is_empty() {
        return measure(w).await;
    }
    let mut best: Option<(f64, Measured)> = None;
    for g in generators {
        let mut m = g
            .handle
            .spawn(measure(w.clone()))
            .await
            .context("a load-generator task failed")??;
        m.load_threads = g.threads;
        let r = rate(&m.samples, m.elapsed);
        if best.as_ref().is_none_or(|(b, _)| r > *b) {
            best = Some((r, m));
        }
    }
    best.map(|(_, m)| m).context("no load generator")
}

/// Run the plan: at each level, `rounds` times, the bare handler (when the server has
/// `/bare`), then each function, each measured with every generator of the plan, keeping the
/// highest rate. The generator shares the server's cores: one with many threads can leave a
/// cheap handler waiting on it, one with few takes less CPU from an expensive one; each target
/// is compared at the rate it reaches with the generator that suits it best.
pub async fn run(plan: &BenchPlan) -> Result<Vec<BenchRow>> {
    let served = examples(&plan.url).await?;
    let mut targets = Vec::new();
    for f in &plan.functions {
        let Some(example) = served.get(f) else {
            bail!(
                "the server at {} does not serve '{f}': build the suite (scripts/build-functions.sh) or upload it",
                plan.url
            );
        };
        let input = plan.inputs.get(f).cloned().unwrap_or_else(|| example.clone());
        targets.push(Target {
            name: f.clone(),
            base: plan.url.clone(),
            path: format!("/functions/{f}/invoke"),
            input,
        });
    }
    let bare_base = plan.bare_url.clone().unwrap_or_else(|| plan.url.clone());
    let (bare_status, _) = client::get(&bare_base, "/bare").await?;
    if bare_status == 200 {
        targets.insert(
            0,
            Target {
                name: BARE.to_string(),
                base: bare_base,
                path: "/bare".to_string(),
                input: String::new(),
            },
        );
    } else {
        tracing::warn!("the server has no /bare route: the baseline is not measured");
    }
    let mut rows = Vec::new();
    for &c in &plan.concurrency {
        // rounds[i][t]: round i's measurement of target t.
        let mut rounds: Vec<Vec<Measured>> = Vec::new();
        for _ in 0..plan.rounds.max(1) {
            let mut round = Vec::new();
            for t in &targets {
                let w = Window {
                    base: t.base.clone(),
                    path: t.path.clone(),
                    body: Bytes::from(t.input.clone()),
                    concurrency: c,
                    warmup: plan.warmup,
                    requests: plan.requests,
                    local: plan.local,
                };
                round.push(measure_best(&plan.generators, w).await?);
            }
            rounds.push(round);
        }
        rows.extend(combine(&targets, c, rounds));
    }
    Ok(rows)
}

/// What one measurement invokes.
struct Target {
    name: String,
    /// The server it is sent to.
    base: String,
    path: String,
    input: String,
}

/// One row per target from its rounds; each function's ratio to bare is taken round by round.
fn combine(targets: &[Target], c: usize, rounds: Vec<Vec<Measured>>) -> Vec<BenchRow> {
    let bare = targets.iter().position(|t| t.name == BARE);
    // rates[round][target], each computed once.
    let rates: Vec<Vec<f64>> = rounds
        .iter()
        .map(|r| r.iter().map(|m| rate(&m.samples, m.elapsed)).collect())
        .collect();
    // Each target's measurements over the rounds, moved rather than copied.
    let mut by_target: Vec<Vec<Measured>> = targets.iter().map(|_| Vec::new()).collect();
    for round in rounds {
        for (ms, m) in by_target.iter_mut().zip(round) {
            ms.push(m);
        }
    }
    let median = |v: Vec<f64>| Spread::of(&v).map(|s| s.median);
    targets
        .iter()
        .zip(by_target)
        .enumerate()
        .map(|(i, (t, ms))| {
            let own: Vec<f64> = rates.iter().filter_map(|r| r.get(i).copied()).collect();
            let ratios: Vec<f64> = match bare {
                Some(b) if b != i => rates.iter().filter_map(|r| Some(r.get(i)? / r.get(b)?)).collect(),
                _ => Vec::new(),
            };
            let roles: std::collections::BTreeSet<String> =
                ms.iter().flat_map(|m| m.cpu_us.keys().cloned()).collect();
            let cpu_us = roles
                .into_iter()
                .filter_map(|role| {
                    let m = median(ms.iter().filter_map(|m| m.cpu_us.get(&role).copied()).collect())?;
                    Some((role, m))
                })
                .collect();
            let switches = median(ms.iter().filter_map(|m| m.switches).collect());
            let load_threads = most_frequent(ms.iter().map(|m| m.load_threads));
            let elapsed: Duration = ms.iter().map(|m| m.elapsed).sum();
            let n = ms.len();
            let samples: Vec<ClientSample> = ms.into_iter().flat_map(|m| m.samples).collect();
            BenchRow {
                rps: median(own).unwrap_or(0.0),
                cpu_us,
                switches,
                rounds: n,
                load_threads,
                vs_bare: Spread::of(&ratios),
                ..summarize(&t.name, &t.input, c, &samples, elapsed)
            }
        })
        .collect()
}

/// The value seen most often (the smallest of a tie; 0 for none).
fn most_frequent(values: impl Iterator<Item = usize>) -> usize {
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map_or(0, |(v, _)| *v)
}

/// The rows as a text table, plus each function's rate relative to the bare handler.
pub fn table(rows: &[BenchRow]) -> String {
    use std::fmt::Write;
    let ms = |d: Duration| format!("{:.3}", d.as_secs_f64() * 1e3);
    let many = rows.iter().any(|r| r.rounds > 1);
    let mut out = format!(
        "{:<14} {:>11} {:>5} {:>8} {:>6} {:>10} {:>9} {:>9} {:>11} {:>w$}  {}\n",
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
        "CPU us/request: server-io call-pool load-gen  switches/request  load threads",
        w = if many { 19 } else { 8 }
    );
    for r in rows {
        let ratio = match r.vs_bare {
            Some(s) if many => format!("{:.2}x ({:.2}-{:.2})", s.median, s.min, s.max),
            Some(s) => format!("{:.2}x", s.median),
            None => "-".into(),
        };
        let cpu = |role: &str| {
            r.cpu_us
                .get(role)
                .map_or_else(|| "-".to_string(), |us| format!("{us:.1}"))
        };
        let _ = writeln!(
            out,
            "{:<14} {:>11} {:>5} {:>8} {:>6} {:>10.0} {:>9} {:>9} {:>11} {:>w$}  {:>9} {:>9} {:>8}  {:>8}  {:>12}",
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
            r.switches.map_or_else(|| "-".to_string(), |s| format!("{s:.2}")),
            if r.load_threads == 0 { "-".to_string() } else { r.load_threads.to_string() },
            w = if many { 19 } else { 8 }
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` successful samples of `ms` milliseconds, taking `secs` in all.
    fn measured(n: usize, ms: u64, secs: u64, io_us: f64) -> Measured {
        Measured {
            samples: (0..n)
                .map(|_| ClientSample {
                    latency: Duration::from_millis(ms),
                    status: 200,
                    ..ClientSample::default()
                })
                .collect(),
            elapsed: Duration::from_secs(secs),
            cpu_us: BTreeMap::from([("server-io".to_string(), io_us)]),
            switches: Some(0.5),
            load_threads: 2,
        }
    }

    fn target(name: &str) -> Target {
        Target {
            name: name.into(),
            base: "http://127.0.0.1:1".into(),
            path: format!("/{name}"),
            input: String::new(),
        }
    }

    #[test]
    fn rounds_give_medians_and_each_ratio_is_taken_against_its_own_round() {
        let targets = [target(BARE), target("noop")];
        // Round 2 ran on a slower machine: both sides halve, its ratio stays 0.5.
        let rounds = vec![
            vec![measured(1000, 1, 1, 8.0), measured(400, 2, 1, 12.0)],
            vec![measured(500, 1, 1, 9.0), measured(250, 2, 1, 13.0)],
            vec![measured(1000, 1, 1, 10.0), measured(600, 4, 1, 14.0)],
        ];
        let rows = combine(&targets, 32, rounds);
        assert_eq!(rows.len(), 2);
        let (bare, noop) = (&rows[0], &rows[1]);
        assert_eq!(bare.target, BARE);
        assert_eq!(bare.vs_bare, None);
        assert_eq!(bare.rps, 1000.0, "median of 1000, 500, 1000");
        assert_eq!(bare.requests, 2500);
        assert_eq!(bare.rounds, 3);
        assert_eq!(
            noop.vs_bare,
            Some(Spread {
                median: 0.5,
                min: 0.4,
                max: 0.6
            })
        );
        assert_eq!(noop.rps, 400.0);
        assert_eq!(noop.cpu_us.get("server-io"), Some(&13.0));
        assert_eq!(noop.switches, Some(0.5));
        // Latency quantiles over every round's samples: 650 of 1250 took 2 ms or less.
        assert_eq!(noop.p50, Duration::from_millis(2));
        assert_eq!(noop.p99, Duration::from_millis(4));
        let table = table(&rows);
        assert!(table.contains("0.50x (0.40-0.60)"), "{table}");
    }

    #[test]
    fn a_spread_of_nothing_is_none_and_an_even_count_averages_the_middle() {
        assert_eq!(Spread::of(&[]), None);
        assert_eq!(Spread::of(&[f64::NAN]), None);
        let s = Spread::of(&[3.0, 1.0, 2.0, 10.0]).expect("values");
        assert_eq!((s.median, s.min, s.max), (2.5, 1.0, 10.0));
    }

    #[test]
    fn nearest_rank_quantiles() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(quantile(&v, 0.5), Duration::from_millis(50));
        assert_eq!(quantile(&v, 0.99), Duration::from_millis(99));
        assert_eq!(quantile(&v[..1], 0.99), Duration::from_millis(1));
        assert_eq!(quantile(&[], 0.5), Duration::ZERO);
    }
}
