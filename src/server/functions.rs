//! The registry of served functions and its API: `GET /functions`, `GET/PUT/DELETE
//! /functions/{name}`. Each name maps to an `Arc<Entry>` swapped atomically: a call holds the
//! entry it started with, an upload is validated, linked and precompiled on the blocking pool
//! before it replaces the old entry, and a rejected module leaves the old one serving.

use super::body::TimedBody;
use super::error::AppError;
use super::SharedState;
use crate::runtime::{NativeFunction, WasmFunction, WasmHost};
use crate::suite::{Build, FunctionSpec, Suite};
use anyhow::Result;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// One served function.
pub struct Entry {
    /// The name it is served under.
    pub name: String,
    /// The module, precompiled and ready to call.
    pub wasm: Arc<WasmFunction>,
    /// Suite functions whose host build exists; uploads are wasm-only.
    pub native: Option<Arc<NativeFunction>>,
    /// A function of one's own: where its input goes (arguments, stdin), its environment and
    /// directories; `None` for the suite's and uploads, which read the request body on stdin.
    pub spec: Option<FunctionSpec>,
    /// What `GET /functions` shows of it.
    pub info: EntryInfo,
}

/// What `GET /functions` shows of an entry.
#[derive(Debug, Clone, Serialize)]
pub struct EntryInfo {
    /// The name it is served under.
    pub name: String,
    /// Size of the .wasm module in bytes.
    pub size: u64,
    /// Hex SHA-256 of the module.
    pub sha256: String,
    /// What the input (stdin) means.
    pub input: String,
    /// A typical input.
    pub example: String,
    /// What the function computes (`uploaded module` for uploads).
    pub description: String,
    /// `suite` or `upload`.
    pub origin: &'static str,
    /// The runtimes it can be called on: `wasm`, and `native` where a host build exists.
    pub runtimes: Vec<&'static str>,
    /// When it was registered (start-up for suite functions).
    pub uploaded_at: DateTime<Utc>,
}

/// The served functions by name, each entry swapped whole by an upload or a delete.
#[derive(Default)]
pub struct Registry {
    map: RwLock<HashMap<String, Arc<Entry>>>,
}

impl Registry {
    /// The entry served under `name`, if any.
    pub fn get(&self, name: &str) -> Option<Arc<Entry>> {
        self.map
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
    }

    /// Serves `entry` under its name; returns the entry it replaces.
    pub fn insert(&self, entry: Entry) -> Option<Arc<Entry>> {
        self.map
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(entry.name.clone(), Arc::new(entry))
    }

    /// Stops serving `name`; returns its entry (calls holding it finish on it).
    pub fn remove(&self, name: &str) -> Option<Arc<Entry>> {
        self.map.write().unwrap_or_else(|p| p.into_inner()).remove(name)
    }

    /// Number of functions served.
    pub fn len(&self) -> usize {
        self.map.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// No function is served.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every entry's description, sorted by name.
    pub fn infos(&self) -> Vec<EntryInfo> {
        let mut v: Vec<EntryInfo> = self
            .map
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(|e| e.info.clone())
            .collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    /// Register the suite's functions whose wasm build exists (and their native build, if any),
    /// those of one's own included. A function that fails to load is skipped with a warning.
    pub fn load_suite(&self, host: &Arc<WasmHost>, suite: &Suite) -> Result<usize> {
        let mut n = 0;
        for spec in &suite.functions {
            let (wasm_path, fix) = match (&spec.wasm, spec.is_own()) {
                (Some(p), true) => (p.clone(), "build the module, or fix `wasm` in the suite file"),
                (None, true) => {
                    tracing::warn!(
                        "{}: no wasm build; not served (the server serves wasm builds)",
                        spec.name
                    );
                    continue;
                }
                _ => (suite.wasm_path(&spec.name), "run scripts/build-functions.sh"),
            };
            let bytes = match std::fs::read(&wasm_path) {
                Ok(b) => b,
                Err(_) => {
                    tracing::warn!(
                        "{}: no wasm build at {}; not served ({fix})",
                        spec.name,
                        wasm_path.display()
                    );
                    continue;
                }
            };
            let wasm = match WasmFunction::from_bytes(host.clone(), &spec.name, &bytes) {
                Ok(w) => w,
                Err(e) => {
                    tracing::warn!("{}: not served: {e:#}", spec.name);
                    continue;
                }
            };
            let native = suite
                .has_build(&spec.name, Build::Native)
                .then(|| suite.build_for(&spec.name, Build::Native).ok())
                .flatten()
                .and_then(|p| NativeFunction::new(&p, host.limits).ok())
                .map(Arc::new);
            let mut runtimes = vec!["wasm"];
            if native.is_some() {
                runtimes.push("native");
            }
            let info = EntryInfo {
                name: spec.name.clone(),
                size: bytes.len() as u64,
                sha256: wasm.sha256.clone(),
                input: spec.input.clone(),
                example: spec.example.clone(),
                description: spec.description.clone(),
                origin: "suite",
                runtimes,
                uploaded_at: Utc::now(),
            };
            self.insert(Entry {
                name: spec.name.clone(),
                wasm: Arc::new(wasm),
                native,
                spec: spec.is_own().then(|| spec.clone()),
                info,
            });
            n += 1;
        }
        Ok(n)
    }
}

/// A function name: 1 to 64 of `[A-Za-z0-9_.-]`, starting with a letter or digit (so no paths,
/// no `..`, nothing to escape in URLs, labels or HTML).
pub fn check_name(name: &str) -> Result<(), AppError> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    let starts_ok = name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if name.len() <= 64 && ok_chars && starts_ok && !name.contains("..") {
        Ok(())
    } else {
        Err(AppError::bad_request(
            "bad-name",
            format!(
                "invalid function name {name:?}: use 1 to 64 letters, digits, '_', '-' or '.', starting with a letter or digit"
            ),
        ))
    }
}

/// The `{name}` segment of a route; a name that is not UTF-8 is 400 `bad-name` in the JSON
/// error shape (axum's own rejection is plain text).
pub struct FnName(pub String);

impl<S: Send + Sync> FromRequestParts<S> for FnName {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<FnName, AppError> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(name)| FnName(name))
            .map_err(|e| {
                AppError::bad_request(
                    "bad-name",
                    format!(
                        "invalid function name in the path ({}): use 1 to 64 letters, digits, '_', '-' or '.'",
                        e.body_text()
                    ),
                )
            })
    }
}

/// Check the bearer token when one is configured (constant-time comparison).
pub fn authorize(state: &SharedState, headers: &HeaderMap) -> Result<(), AppError> {
    let Some(token) = &state.config.token else {
        return Ok(());
    };
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match given {
        Some(g) if constant_time_eq(g.as_bytes(), token.as_bytes()) => Ok(()),
        Some(_) => Err(AppError::unauthorized("the bearer token is wrong")),
        None => Err(AppError::unauthorized(
            "uploads and deletes need `Authorization: Bearer TOKEN` (the server's --token or NEBULA_TOKEN)",
        )),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `GET /functions`: every served function, sorted by name.
pub async fn list(State(state): State<SharedState>) -> Json<Vec<EntryInfo>> {
    Json(state.registry.infos())
}

/// `GET /functions/{name}`: one function's description.
pub async fn get_one(
    State(state): State<SharedState>,
    FnName(name): FnName,
) -> Result<Json<EntryInfo>, AppError> {
    check_name(&name)?;
    state
        .registry
        .get(&name)
        .map(|e| Json(e.info.clone()))
        .ok_or_else(|| unknown(&name))
}

/// 404 for a function that is not served.
pub fn unknown(name: &str) -> AppError {
    AppError::not_found(format!(
        "unknown function '{name}': GET /functions lists the served ones"
    ))
}

/// `PUT /functions/{name}`: body = a .wasm module.
pub async fn upload(
    State(state): State<SharedState>,
    FnName(name): FnName,
    headers: HeaderMap,
    body: TimedBody,
) -> Result<Response, AppError> {
    let result = do_upload(&state, &name, &headers, body).await;
    let outcome = match &result {
        Ok(_) => "ok",
        Err(e) if e.status == StatusCode::UNAUTHORIZED => "unauthorized",
        Err(e) if e.kind == "invalid-module" => "invalid",
        Err(_) => "refused",
    };
    state.metrics.upload(outcome);
    result
}

async fn do_upload(
    state: &SharedState,
    name: &str,
    headers: &HeaderMap,
    body: TimedBody,
) -> Result<Response, AppError> {
    authorize(state, headers)?;
    check_name(name)?;
    let bytes = body.read(state).await?;
    if bytes.is_empty() {
        return Err(AppError::bad_request(
            "invalid-module",
            "the body is empty: send the .wasm module as the request body",
        ));
    }
    let host = state.host.clone();
    let owned = name.to_string();
    let body = bytes.clone();
    let compiled = tokio::task::spawn_blocking(move || WasmFunction::from_bytes(host, &owned, &body))
        .await
        .map_err(|e| AppError::internal(format!("the compile task failed: {e}")))?;
    let wasm = compiled.map_err(|e| AppError::bad_request("invalid-module", format!("{e:#}")))?;
    // A `_start` that is not a `() -> ()` function would fail every call as a `load` error (500):
    // refuse it here, as a missing one.
    let start_ok = match wasm.module().get_export("_start") {
        Some(wasmtime::ExternType::Func(f)) => f.params().len() == 0 && f.results().len() == 0,
        _ => false,
    };
    if !start_ok {
        return Err(AppError::bad_request(
            "invalid-module",
            "the module has no `_start` function export taking and returning nothing: Nebula runs WASI command modules (a Rust `main` built for wasm32-wasip1)",
        ));
    }
    let info = EntryInfo {
        name: name.to_string(),
        size: bytes.len() as u64,
        sha256: wasm.sha256.clone(),
        input: "stdin of the module".into(),
        example: String::new(),
        description: "uploaded module".into(),
        origin: "upload",
        runtimes: vec!["wasm"],
        uploaded_at: Utc::now(),
    };
    let old = state.registry.insert(Entry {
        name: name.to_string(),
        wasm: Arc::new(wasm),
        native: None,
        spec: None,
        info: info.clone(),
    });
    tracing::info!(function = name, sha256 = %info.sha256, size = info.size, replaced = old.is_some(), "upload");
    let status = if old.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(info)).into_response())
}

/// `DELETE /functions/{name}`: calls already running finish on the entry they hold.
pub async fn delete(
    State(state): State<SharedState>,
    FnName(name): FnName,
    headers: HeaderMap,
) -> Result<StatusCode, AppError> {
    authorize(&state, &headers)?;
    check_name(&name)?;
    match state.registry.remove(&name) {
        Some(_) => {
            tracing::info!(function = %name, "delete");
            Ok(StatusCode::NO_CONTENT)
        }
        None => Err(unknown(&name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        for ok in ["noop", "fib-2", "a.b_c", "X9"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "../etc",
            "a/b",
            ".hidden",
            "a..b",
            "a b",
            "é",
            &"x".repeat(65),
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn token_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
