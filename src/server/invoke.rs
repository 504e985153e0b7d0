//! `POST /functions/{name}/invoke`: admission (a semaphore of `max_inflight` permits and a
//! short queue; beyond it 503 with `Retry-After`), the guest call on the blocking pool, and the
//! response: stdout as the body and the measurements as `x-nebula-*` headers, or the output and
//! the whole record as JSON with `?format=json`. Everything after the call (CSV row, metrics,
//! recent list, log line) happens outside the measured window.

use super::error::AppError;
use super::functions::{check_name, unknown, Entry};
use super::page::RecentCall;
use super::SharedState;
use crate::record::{unix_now_ns, CallContext, CallRow};
use crate::runtime::{CallInput, CallOutcome, Runtime, RuntimeKind};
use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::cell::Cell;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Bounds the guest calls running at once and the requests waiting for one.
pub struct Admission {
    sem: Arc<Semaphore>,
    max: usize,
    queue: usize,
    queued: AtomicUsize,
    inflight: AtomicUsize,
    started: AtomicU64,
}

/// Decrements the queue count however the wait ends (including a dropped request).
struct Queued<'a>(&'a AtomicUsize);

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Admission {
    pub fn new(max_inflight: usize, queue: usize) -> Admission {
        let max = max_inflight.clamp(1, Semaphore::MAX_PERMITS);
        Admission {
            sem: Arc::new(Semaphore::new(max)),
            max,
            queue,
            queued: AtomicUsize::new(0),
            inflight: AtomicUsize::new(0),
            started: AtomicU64::new(0),
        }
    }

    /// A slot now, or after waiting in the queue; `None` when the queue is full too.
    pub async fn admit(&self) -> Option<OwnedSemaphorePermit> {
        if let Ok(p) = self.sem.clone().try_acquire_owned() {
            return Some(p);
        }
        if self.queued.fetch_add(1, Ordering::SeqCst) >= self.queue {
            self.queued.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        let _q = Queued(&self.queued);
        self.sem.clone().acquire_owned().await.ok()
    }

    pub fn inflight(&self) -> usize {
        self.inflight.load(Ordering::SeqCst)
    }

    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::SeqCst)
    }

    /// Wait until every slot is free (no call running), at most `grace`.
    pub async fn drain(&self, grace: Duration) -> bool {
        let n = u32::try_from(self.max).unwrap_or(u32::MAX);
        matches!(
            tokio::time::timeout(grace, self.sem.acquire_many(n)).await,
            Ok(Ok(_))
        )
    }
}

#[derive(Debug, Deserialize)]
pub struct InvokeQuery {
    pub runtime: Option<String>,
    pub format: Option<String>,
}

pub async fn handler(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    query: Result<Query<InvokeQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
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
            return Err(AppError::bad_request(
                "bad-runtime",
                format!("unknown runtime '{r}': use runtime=wasm or runtime=native"),
            ))
        }
    };
    if kind == RuntimeKind::Native && entry.native.is_none() {
        return Err(AppError::bad_request(
            "no-native-build",
            format!("'{name}' is wasm-only (uploaded modules and suite functions without a host build): use runtime=wasm"),
        ));
    }
    let stdin = body?.to_vec();
    let Some(permit) = state.admission.admit().await else {
        state.metrics.refused(&name, kind.as_str(), "saturated");
        return Err(AppError::saturated(format!(
            "the server is saturated ({} calls running, {} queued): retry shortly",
            state.admission.inflight(),
            state.admission.queued()
        )));
    };
    let st = state.clone();
    let (row, outcome) = tokio::task::spawn_blocking(move || run_call(&st, &entry, kind, stdin, permit))
        .await
        .map_err(|e| AppError::internal(format!("the call's task failed: {e}")))?;
    Ok(respond(&row, &outcome, json))
}

thread_local! {
    static WORKER: Cell<u32> = const { Cell::new(0) };
}
static NEXT_WORKER: AtomicU32 = AtomicU32::new(1);

/// A small stable index for the blocking thread running the call (1-based).
fn worker_index() -> u32 {
    WORKER.with(|w| {
        if w.get() == 0 {
            w.set(NEXT_WORKER.fetch_add(1, Ordering::Relaxed));
        }
        w.get()
    })
}

/// Run one call on the current (blocking) thread and record it.
fn run_call(
    state: &SharedState,
    entry: &Entry,
    kind: RuntimeKind,
    stdin: Vec<u8>,
    permit: OwnedSemaphorePermit,
) -> (CallRow, CallOutcome) {
    let input_label = describe_input(&stdin);
    let input = CallInput {
        stdin,
        ..CallInput::default()
    };
    let runtime: &dyn Runtime = match (&entry.native, kind) {
        (Some(n), RuntimeKind::Native) => n.as_ref(),
        _ => entry.wasm.as_ref(),
    };
    let adm = &state.admission;
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
        row.energy_label = energy.label.clone();
        row.energy_split = energy.split.clone();
        row.energy_domains = energy.domains.clone();
    }
    row.window_id = seq;
    row.calls_in_window = 1;
    let outcome_label = if row.ok { "ok" } else { row.error_kind.as_str() };
    state.metrics.call(
        &row.function,
        &row.runtime,
        outcome_label,
        outcome.wall,
        row.energy_gross_j.map(|j| (j, row.energy_label.as_str())),
    );
    state.recent.push(RecentCall::from_row(&row));
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
    drop(permit);
    (row, outcome)
}

/// The CSV's `input` column: short printable inputs as they are, others by size and digest.
fn describe_input(stdin: &[u8]) -> String {
    match std::str::from_utf8(stdin) {
        Ok(s) if s.len() <= 64 && !s.trim().chars().any(char::is_control) => s.trim().to_string(),
        _ => {
            use sha2::{Digest, Sha256};
            let d = hex::encode(Sha256::digest(stdin));
            format!("{}B-{}", stdin.len(), &d[..12])
        }
    }
}

/// The measurement headers of a call.
pub fn measurement_headers(row: &CallRow) -> HeaderMap {
    let mut h = HeaderMap::new();
    let mut put = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(HeaderName::from_static(name), v);
        }
    };
    put("x-nebula-runtime", row.runtime.clone());
    // The row's `window_id` in the CSV: joins client-side samples to server records.
    put("x-nebula-call-id", row.window_id.to_string());
    put("x-nebula-wall-ns", row.wall_ns.to_string());
    let opt = [
        ("x-nebula-compile-ns", row.compile_ns),
        ("x-nebula-instantiate-ns", row.instantiate_ns),
        ("x-nebula-execute-ns", row.execute_ns),
        ("x-nebula-spawn-ns", row.spawn_to_exit_ns),
        ("x-nebula-kernel-ns", row.kernel_ns),
    ];
    for (name, v) in opt {
        if let Some(v) = v {
            put(name, v.to_string());
        }
    }
    put("x-nebula-cpu-user-ns", row.cpu_user_ns.to_string());
    put("x-nebula-cpu-system-ns", row.cpu_system_ns.to_string());
    put("x-nebula-peak-memory-bytes", row.peak_memory_bytes.to_string());
    match row.energy_gross_j {
        Some(j) => {
            put("x-nebula-energy-j", format!("{j:e}"));
            put("x-nebula-energy-source", row.energy_source.clone());
            put("x-nebula-energy-label", row.energy_label.clone());
            put("x-nebula-energy-split", row.energy_split.clone());
        }
        None => {
            put("x-nebula-energy-source", "none".into());
            put("x-nebula-energy-label", "unavailable".into());
        }
    }
    put("x-nebula-output-digest", row.output_digest.clone());
    h
}

/// The HTTP status of a failed call.
pub fn status_for(error_kind: &str) -> StatusCode {
    match error_kind {
        "timeout" => StatusCode::GATEWAY_TIMEOUT,
        "load" => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

fn respond(row: &CallRow, outcome: &CallOutcome, json: bool) -> Response {
    let headers = measurement_headers(row);
    let output = || serde_json::Value::String(String::from_utf8_lossy(&outcome.stdout).into_owned());
    let record = || serde_json::to_value(row).unwrap_or(serde_json::Value::Null);
    if !row.ok {
        let mut e = AppError::new(status_for(&row.error_kind), &row.error_kind, row.error.clone())
            .with_headers(headers)
            .with_field("record", record());
        if json {
            e = e.with_field("output", output());
        }
        return e.into_response();
    }
    if json {
        let v = serde_json::json!({ "ok": true, "output": output(), "record": record() });
        return (headers, axum::Json(v)).into_response();
    }
    let ctype = if std::str::from_utf8(&outcome.stdout).is_ok() {
        "text/plain; charset=utf-8"
    } else {
        "application/octet-stream"
    };
    let mut resp = (headers, Body::from(outcome.stdout.clone())).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_described_briefly() {
        assert_eq!(describe_input(b" 30\n"), "30");
        let long = describe_input(&[b'x'; 100]);
        assert!(long.starts_with("100B-"), "{long}");
        assert!(describe_input(b"\x00\x01").starts_with("2B-"));
    }

    #[test]
    fn statuses() {
        assert_eq!(status_for("timeout"), StatusCode::GATEWAY_TIMEOUT);
        assert_eq!(status_for("trap"), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(status_for("exit"), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
