//! `POST /functions/{name}/invoke`: admission (at most `max_inflight` calls running, on the
//! call pool's threads, and a short queue; beyond it 503 with `Retry-After`), the guest call on
//! the pool, and the response: stdout as the body and the measurements in the `x-nebula-call`
//! header, or the output and the whole record as JSON with `?format=json`. Everything after the call
//! (CSV row, metrics, recent list, log line) happens outside the measured window.

use super::body::TimedBody;
use super::error::AppError;
use super::functions::{check_name, unknown, Entry, FnName};
use super::SharedState;
use crate::energy::Split;
use crate::results::call::{label_str, unix_now_ns, CallContext, CallRow};
use crate::runtime::{CallInput, CallOutcome, Runtime, RuntimeKind};
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::cell::Cell;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bounds the calls admitted at once: `max` running (the call pool has that many threads) and
/// `queue` waiting in the pool's channel for a thread.
pub struct Admission {
    counts: Arc<Counts>,
    max: usize,
    queue: usize,
}

#[derive(Default)]
struct Counts {
    /// Admitted and not finished: running plus queued.
    pending: AtomicUsize,
    /// Running on a pool thread.
    inflight: AtomicUsize,
    /// Calls started so far (the next call's sequence number).
    started: AtomicU64,
}

/// One admitted call; it leaves the count when dropped, on the pool thread once the call is
/// recorded, or wherever the request is abandoned before that.
pub struct Ticket(Arc<Counts>);

impl Drop for Ticket {
    fn drop(&mut self) {
        self.0.pending.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Admission {
    /// Admits `max_inflight` running calls (at least 1) and `queue` waiting ones.
    pub fn new(max_inflight: usize, queue: usize) -> Admission {
        Admission {
            counts: Arc::default(),
            max: max_inflight.max(1),
            queue,
        }
    }

    /// A ticket when fewer than `max + queue` calls are pending; `None` when the server is full.
    pub fn admit(&self) -> Option<Ticket> {
        let limit = self.max.saturating_add(self.queue);
        let prev = self.counts.pending.fetch_add(1, Ordering::SeqCst);
        let ticket = Ticket(self.counts.clone());
        (prev < limit).then_some(ticket)
    }

    /// Calls running on a pool thread now.
    pub fn inflight(&self) -> usize {
        self.counts.inflight.load(Ordering::SeqCst)
    }

    /// Calls admitted and waiting for a pool thread now.
    pub fn queued(&self) -> usize {
        self.counts
            .pending
            .load(Ordering::SeqCst)
            .saturating_sub(self.inflight())
    }

    /// Wait until no call is pending, at most `grace`.
    pub async fn drain(&self, grace: Duration) -> bool {
        let deadline = Instant::now() + grace;
        while self.counts.pending.load(Ordering::SeqCst) > 0 {
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        true
    }
}

/// The query string of an invocation.
#[derive(Debug, Deserialize)]
pub struct InvokeQuery {
    /// `wasm` (the default) or `native` (suite functions with a host build).
    pub runtime: Option<String>,
    /// `raw` (the default: the function's stdout as the body) or `json` (`ok`, `output` and the
    /// call's `record`).
    pub format: Option<String>,
}

/// `POST /functions/{name}/invoke`: runs the function with the body as stdin on a pool thread,
/// records the call and answers its output with the `x-nebula-call` header; 503 when the server is
/// saturated.
pub async fn handler(
    State(state): State<SharedState>,
    FnName(name): FnName,
    query: Result<Query<InvokeQuery>, QueryRejection>,
    body: TimedBody,
) -> Result<Response, AppError> {
    check_name(&name)?;
    let Query(q) = query.map_err(|e| AppError::bad_request("bad-query", e.body_text()))?;
    let json = match q.format.as_deref() {
        None | Some("raw") => false,
        Some("json") => true,
        Some(f) => {
            return Err(AppError::bad_request(
                "bad-query",
                format!("unknown format '{f}': use format=json or leave it out"),
            ))
        }
    };
    let entry = state.registry.get(&name).ok_or_else(|| unknown(&name))?;
    let kind = match q.runtime.as_deref() {
        None | Some("wasm") => RuntimeKind::Wasm,
        Some("native") => RuntimeKind::Native,
        Some(r) => {
            // The other runtimes (wasm-cold, wasm-simd128, the other engines') are Nebula's,
            // but the server runs only warm wasm on its default engine and native.
            let what = match RuntimeKind::parse(r) {
                Some(_) => "is not served here (the server runs warm wasm on its default engine, and native)",
                None => "is unknown",
            };
            return Err(AppError::bad_request(
                "bad-runtime",
                format!("runtime '{r}' {what}: use runtime=wasm or runtime=native"),
            ));
        }
    };
    if kind == RuntimeKind::Native && entry.native.is_none() {
        return Err(AppError::bad_request(
            "no-native-build",
            format!("'{name}' is wasm-only (uploaded modules and suite functions without a host build): use runtime=wasm"),
        ));
    }
    // Admission before the body: a refused request is never buffered, and the bodies held
    // at once are bounded by the calls admitted (`max_inflight + queue`) times `--max-body`.
    let Some(ticket) = state.admission.admit() else {
        state.metrics.refused(&name, kind.as_str(), "saturated");
        return Err(AppError::saturated(format!(
            "the server is saturated ({} calls running, {} queued): retry shortly",
            state.admission.inflight(),
            state.admission.queued()
        )));
    };
    let stdin = Vec::from(body.read(&state).await?);
    let st = state.clone();
    // The response is built on the pool thread too (after the call is recorded), so the
    // record's strings are freed on the thread that allocated them.
    state
        .pool
        .run(move || {
            let (row, outcome) = run_call(&st, &entry, kind, stdin, ticket);
            respond(&row, outcome, json)
        })
        .await
        .map_err(|_| AppError::internal("the call ended without a result (see the server log)"))
}

thread_local! {
    static WORKER: Cell<u32> = const { Cell::new(0) };
}
static NEXT_WORKER: AtomicU32 = AtomicU32::new(1);

/// A small stable index for the pool thread running the call (1-based).
fn worker_index() -> u32 {
    WORKER.with(|w| {
        if w.get() == 0 {
            w.set(NEXT_WORKER.fetch_add(1, Ordering::Relaxed));
        }
        w.get()
    })
}

/// Run one call on the current (pool) thread and record it.
fn run_call(
    state: &SharedState,
    entry: &Entry,
    kind: RuntimeKind,
    stdin: Vec<u8>,
    ticket: Ticket,
) -> (Arc<CallRow>, CallOutcome) {
    let input_label = describe_input(&stdin);
    let input = match &entry.spec {
        // A function of one's own: the body is its input, placed where its definition says.
        Some(spec) => crate::runtime::input_for(spec, &String::from_utf8_lossy(&stdin), kind.is_wasm()),
        None => CallInput {
            stdin,
            ..CallInput::default()
        },
    };
    let runtime: &dyn Runtime = match (&entry.native, kind) {
        (Some(n), RuntimeKind::Native) => n.as_ref(),
        _ => entry.wasm.as_ref(),
    };
    let adm = &state.admission.counts;
    let worker = worker_index();
    let concurrency = adm.inflight.fetch_add(1, Ordering::SeqCst) + 1;
    let seq = adm.started.fetch_add(1, Ordering::SeqCst);
    let start_unix_ns = unix_now_ns();
    // The measured window: the meter's readings bracket the call.
    let before = state.config.meter.before();
    let outcome = runtime.call(&input);
    let overlapped = concurrency > 1 || adm.started.load(Ordering::SeqCst) != seq + 1;
    let energy = state
        .config
        .meter
        .attribute(before, outcome.wall, outcome.cpu.total(), overlapped);
    adm.inflight.fetch_sub(1, Ordering::SeqCst);
    // Outside the window: the record, metrics, recent list, CSV row and log line.
    let ctx = CallContext {
        run_id: state.config.run_id.clone(),
        function: entry.name.clone(),
        input: input_label,
        concurrency: u32::try_from(concurrency).unwrap_or(u32::MAX),
        repetition: u32::try_from(seq).unwrap_or(u32::MAX),
        worker,
        start_unix_ns,
    };
    let mut row = CallRow::from_outcome(&ctx, &outcome);
    row.energy_gross_j = energy.joules.map(|j| j.value());
    if energy.joules.is_some() {
        row.energy_source = energy.source.clone();
        row.energy_label = Some(energy.label);
        row.energy_split = energy.split;
        row.energy_domains = energy.domains.clone();
    }
    row.window_id = seq;
    row.calls_in_window = 1;
    let row = Arc::new(row);
    let outcome_label = if row.ok { "ok" } else { row.error_kind.as_str() };
    state.metrics.call(
        &row.function,
        row.runtime.as_str(),
        outcome_label,
        outcome.wall,
        row.energy_gross_j.map(|j| (j, label_str(row.energy_label))),
    );
    state.recent.push(row.clone());
    if let Some(csv) = &state.csv {
        csv.append(row.clone());
    }
    tracing::info!(
        function = %row.function,
        runtime = %row.runtime,
        outcome = outcome_label,
        wall_ns = row.wall_ns,
        cpu_ns = row.cpu_user_ns + row.cpu_system_ns,
        energy_j = row.energy_gross_j,
        concurrency,
        "call"
    );
    drop(ticket);
    (row, outcome)
}

/// The CSV's `input` column: short printable inputs as they are, others by size and digest.
fn describe_input(stdin: &[u8]) -> String {
    match std::str::from_utf8(stdin) {
        Ok(s) if s.len() <= 64 && !s.trim().chars().any(char::is_control) => s.trim().to_string(),
        _ => {
            let d = crate::digest::sha256_hex(stdin);
            format!("{}B-{}", stdin.len(), &d[..12])
        }
    }
}

/// The response header that carries a call's measurements.
pub const CALL_HEADER: &str = "x-nebula-call";

/// The measurements of a call as one header value: comma-separated `key=value` pairs, times in
/// nanoseconds, memory in bytes, energy in joules (the keys are listed in the README). One
/// header rather than one per figure: every header line costs both ends of every request a
/// parse and a map insert (see docs/benchmarks.md).
pub fn call_header_value(row: &CallRow) -> String {
    // Integers through `itoa`: the header is built for every call, and `core::fmt` made it
    // a visible part of a small call's server time (see docs/benchmarks.md).
    let mut num = itoa::Buffer::new();
    let mut v = String::with_capacity(360);
    let mut field = |v: &mut String, key: &str, value: u64| {
        if !v.is_empty() {
            v.push_str(", ");
        }
        v.push_str(key);
        v.push('=');
        v.push_str(num.format(value));
    };
    field(&mut v, "id", row.window_id);
    v.push_str(", runtime=");
    v.push_str(row.runtime.as_str());
    field(&mut v, "wall-ns", row.wall_ns);
    let phases = [
        ("compile-ns", row.compile_ns),
        ("instantiate-ns", row.instantiate_ns),
        ("execute-ns", row.execute_ns),
        ("teardown-ns", row.teardown_ns),
        ("spawn-ns", row.spawn_to_exit_ns),
        ("kernel-ns", row.kernel_ns),
    ];
    for (key, value) in phases {
        if let Some(x) = value {
            field(&mut v, key, x);
        }
    }
    field(&mut v, "cpu-user-ns", row.cpu_user_ns);
    field(&mut v, "cpu-system-ns", row.cpu_system_ns);
    field(&mut v, "peak-memory-bytes", row.peak_memory_bytes);
    match row.energy_gross_j {
        Some(j) => {
            use std::fmt::Write;
            let _ = write!(
                v,
                ", energy-j={j:e}, energy-source={}, energy-label={}, energy-split={}",
                row.energy_source,
                label_str(row.energy_label),
                row.energy_split.map_or("", Split::as_str)
            );
        }
        None => v.push_str(", energy-source=none, energy-label=unavailable"),
    }
    v.push_str(", output-digest=");
    v.push_str(&row.output_digest);
    v
}

/// The `key=value` pairs of an `x-nebula-call` value, in order.
pub fn call_header_pairs(value: &str) -> impl Iterator<Item = (&str, &str)> {
    value.split(',').filter_map(|pair| pair.trim().split_once('='))
}

/// The `key=value` pairs of an `x-nebula-call` value as a map (what a client reads back).
pub fn parse_call_header(value: &str) -> std::collections::BTreeMap<&str, &str> {
    call_header_pairs(value).collect()
}

/// The measurement header of a call.
pub fn measurement_headers(row: &CallRow) -> HeaderMap {
    let mut h = HeaderMap::new();
    add_measurement_header(&mut h, row);
    h
}

/// Adds the `x-nebula-call` header to `h`.
fn add_measurement_header(h: &mut HeaderMap, row: &CallRow) {
    if let Ok(v) = HeaderValue::from_str(&call_header_value(row)) {
        h.insert(HeaderName::from_static(CALL_HEADER), v);
    }
}

/// The HTTP status of a failed call.
pub fn status_for(error_kind: &str) -> StatusCode {
    match error_kind {
        "timeout" => StatusCode::GATEWAY_TIMEOUT,
        "load" => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

fn respond(row: &CallRow, outcome: CallOutcome, json: bool) -> Response {
    let output = || serde_json::Value::String(String::from_utf8_lossy(&outcome.stdout).into_owned());
    let record = || serde_json::to_value(row).unwrap_or(serde_json::Value::Null);
    if !row.ok {
        let mut e = AppError::new(status_for(&row.error_kind), &row.error_kind, row.error.clone())
            .with_headers(measurement_headers(row))
            .with_field("record", record());
        if json {
            e = e.with_field("output", output());
        }
        return e.into_response();
    }
    let mut resp = if json {
        let v = serde_json::json!({ "ok": true, "output": output(), "record": record() });
        axum::Json(v).into_response()
    } else {
        let ctype = if std::str::from_utf8(&outcome.stdout).is_ok() {
            "text/plain; charset=utf-8"
        } else {
            "application/octet-stream"
        };
        let mut resp = Body::from(outcome.stdout).into_response();
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
        resp
    };
    // Into the response's own map: no second map to merge per call.
    add_measurement_header(resp.headers_mut(), row);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::EnergyLabel;

    #[test]
    fn inputs_are_described_briefly() {
        assert_eq!(describe_input(b" 30\n"), "30");
        let long = describe_input(&[b'x'; 100]);
        assert!(long.starts_with("100B-"), "{long}");
        assert!(describe_input(b"\x00\x01").starts_with("2B-"));
    }

    #[test]
    fn the_call_header_round_trips_and_never_says_zero_for_missing_energy() {
        let mut row = CallRow {
            runtime: "wasm".into(),
            window_id: 7,
            wall_ns: 4123,
            instantiate_ns: Some(900),
            execute_ns: Some(3000),
            cpu_user_ns: 4000,
            cpu_system_ns: 12,
            peak_memory_bytes: 1 << 20,
            output_digest: "ab".repeat(32),
            ..CallRow::default()
        };
        let v = call_header_value(&row);
        let m = parse_call_header(&v);
        assert_eq!(m.get("id"), Some(&"7"));
        assert_eq!(m.get("wall-ns"), Some(&"4123"));
        assert_eq!(m.get("instantiate-ns"), Some(&"900"));
        assert_eq!(m.get("compile-ns"), None, "absent phases are left out: {v}");
        assert_eq!(m.get("cpu-system-ns"), Some(&"12"));
        assert_eq!(m.get("peak-memory-bytes"), Some(&"1048576"));
        assert_eq!(m.get("energy-j"), None, "{v}");
        assert_eq!(m.get("energy-label"), Some(&"unavailable"));
        assert_eq!(m.get("output-digest").map(|d| d.len()), Some(64));
        row.energy_gross_j = Some(1.5e-5);
        row.energy_source = "model".into();
        row.energy_label = Some(EnergyLabel::Estimated);
        row.energy_split = Some(Split::Direct);
        let v = call_header_value(&row);
        let m = parse_call_header(&v);
        assert_eq!(
            m.get("energy-j").and_then(|j| j.parse::<f64>().ok()),
            Some(1.5e-5)
        );
        assert_eq!(m.get("energy-label"), Some(&"estimated"));
        assert!(HeaderValue::from_str(&v).is_ok(), "a valid header value: {v}");
    }

    #[test]
    fn statuses() {
        assert_eq!(status_for("timeout"), StatusCode::GATEWAY_TIMEOUT);
        assert_eq!(status_for("trap"), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(status_for("exit"), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
