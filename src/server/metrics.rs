//! `/metrics` in the Prometheus text exposition format (version 0.0.4), written by hand:
//! invocations by function, runtime and outcome (the calls that ran: one per calls.csv row);
//! requests refused before running, by reason; a latency histogram by function and runtime;
//! energy in joules by function, runtime and label; calls in flight; uploads by outcome.

use super::SharedState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds: 50 us to 10 s.
pub const BUCKETS: [f64; 17] = [
    50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1.0, 2.5,
    5.0, 10.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The figures of one (function, runtime) pair.
#[derive(Default)]
struct Series {
    /// Invocations by outcome.
    outcomes: BTreeMap<String, u64>,
    /// Requests refused before they ran, by reason.
    refused: BTreeMap<String, u64>,
    latency: Histogram,
    /// Joules by label.
    energy: BTreeMap<String, f64>,
}

#[derive(Default)]
struct Inner {
    /// function -> runtime -> figures. Nested maps are looked up by `&str`: a call allocates
    /// nothing once its function, runtime and outcome have been seen.
    series: BTreeMap<String, BTreeMap<String, Series>>,
    uploads: BTreeMap<String, u64>,
}

/// Apply `f` to the value at `key`, inserted as the default the first time (the only time the
/// key is copied).
fn at<V: Default, R>(map: &mut BTreeMap<String, V>, key: &str, f: impl FnOnce(&mut V) -> R) -> R {
    if let Some(v) = map.get_mut(key) {
        return f(v);
    }
    f(map.entry(key.to_owned()).or_default())
}

/// One counter family: its HELP and TYPE lines, then one sample per (function, runtime,
/// `key` label, value).
fn family<'a>(
    out: &mut String,
    name: &str,
    help: &str,
    key: &str,
    samples: impl Iterator<Item = (&'a String, &'a String, &'a String, f64)>,
) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} counter");
    for (f, r, k, v) in samples {
        let _ = writeln!(
            out,
            "{name}{{function=\"{}\",runtime=\"{}\",{key}=\"{}\"}} {v}",
            esc(f),
            esc(r),
            esc(k)
        );
    }
}

/// The counters; one lock, held for a few map updates per call.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A finished call: its outcome (`ok` or the error kind), wall time and energy.
    pub fn call(
        &self,
        function: &str,
        runtime: &str,
        outcome: &str,
        wall: Duration,
        energy: Option<(f64, &str)>,
    ) {
        let mut m = self.lock();
        at(&mut m.series, function, |by_runtime| {
            at(by_runtime, runtime, |series| {
                at(&mut series.outcomes, outcome, |n| *n += 1);
                let h = &mut series.latency;
                let s = wall.as_secs_f64();
                for (i, b) in BUCKETS.iter().enumerate() {
                    if s <= *b {
                        h.counts[i] += 1;
                    }
                }
                h.count += 1;
                h.sum += s;
                if let Some((j, label)) = energy {
                    at(&mut series.energy, label, |e| *e += j);
                }
            })
        });
    }

    /// A request refused before it ran (`saturated`): not an invocation, and no CSV row.
    pub fn refused(&self, function: &str, runtime: &str, reason: &str) {
        let mut m = self.lock();
        at(&mut m.series, function, |by_runtime| {
            at(by_runtime, runtime, |series| {
                at(&mut series.refused, reason, |n| *n += 1)
            })
        });
    }

    /// An upload's outcome: `ok`, `unauthorized`, `invalid` or `refused`.
    pub fn upload(&self, outcome: &str) {
        at(&mut self.lock().uploads, outcome, |n| *n += 1);
    }

    /// The exposition text.
    pub fn render(&self, inflight: usize, queued: usize) -> String {
        let m = self.lock();
        let mut out = String::with_capacity(4096);
        let all = || {
            m.series
                .iter()
                .flat_map(|(f, rs)| rs.iter().map(move |(r, series)| (f, r, series)))
        };
        family(
            &mut out,
            "nebula_invocations_total",
            "Function invocations by function, runtime and outcome (ok or the error kind).",
            "outcome",
            all().flat_map(|(f, r, s)| s.outcomes.iter().map(move |(o, n)| (f, r, o, *n as f64))),
        );
        family(
            &mut out,
            "nebula_refused_total",
            "Invoke requests refused before they ran, by function, runtime and reason (saturated).",
            "reason",
            all().flat_map(|(f, r, s)| s.refused.iter().map(move |(o, n)| (f, r, o, *n as f64))),
        );
        let _ = writeln!(
            out,
            "# HELP nebula_invocation_duration_seconds Wall time of each call, measured by the server."
        );
        let _ = writeln!(out, "# TYPE nebula_invocation_duration_seconds histogram");
        for (f, r, h) in all()
            .map(|(f, r, s)| (f, r, &s.latency))
            .filter(|(_, _, h)| h.count > 0)
        {
            let labels = format!("function=\"{}\",runtime=\"{}\"", esc(f), esc(r));
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "nebula_invocation_duration_seconds_bucket{{{labels},le=\"{b}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "nebula_invocation_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "nebula_invocation_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "nebula_invocation_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        family(
            &mut out,
            "nebula_energy_joules_total",
            "Energy of the calls in joules, by label (measured or estimated).",
            "label",
            all().flat_map(|(f, r, s)| s.energy.iter().map(move |(l, j)| (f, r, l, *j))),
        );
        let _ = writeln!(out, "# HELP nebula_inflight_calls Guest calls running now.");
        let _ = writeln!(out, "# TYPE nebula_inflight_calls gauge");
        let _ = writeln!(out, "nebula_inflight_calls {inflight}");
        let _ = writeln!(out, "# HELP nebula_queued_requests Requests waiting for a slot.");
        let _ = writeln!(out, "# TYPE nebula_queued_requests gauge");
        let _ = writeln!(out, "nebula_queued_requests {queued}");
        let _ = writeln!(out, "# HELP nebula_uploads_total Module uploads by outcome.");
        let _ = writeln!(out, "# TYPE nebula_uploads_total counter");
        for (o, n) in &m.uploads {
            let _ = writeln!(out, "nebula_uploads_total{{outcome=\"{}\"}} {n}", esc(o));
        }
        out
    }
}

/// A label value escaped for the text format.
fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// `GET /metrics`: the counters in the Prometheus text format.
pub async fn handler(State(state): State<SharedState>) -> impl IntoResponse {
    let text = state
        .metrics
        .render(state.admission.inflight(), state.admission.queued());
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        text,
    )
}
