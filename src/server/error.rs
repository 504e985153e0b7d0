//! Errors as HTTP responses: a status, a stable `error` kind and a message people can act on,
//! sent as `{"error": kind, "message": ...}` (plus extra fields and headers where useful).

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// An error answered as `{"error": kind, "message": ...}` with its HTTP status.
#[derive(Debug)]
pub struct AppError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable kebab-case error kind (the body's `error`), e.g. `not-found`.
    pub kind: String,
    /// What went wrong and how to fix it (the body's `message`).
    pub message: String,
    more: Option<Box<More>>,
}

/// Extra body fields and headers, boxed to keep `Result<_, AppError>` small.
#[derive(Debug, Default)]
struct More {
    /// Merged into the JSON body (e.g. the call's record).
    fields: serde_json::Map<String, serde_json::Value>,
    headers: HeaderMap,
}

impl AppError {
    /// An error of `status` and `kind`, without extra fields or headers.
    pub fn new(status: StatusCode, kind: &str, message: impl Into<String>) -> AppError {
        AppError {
            status,
            kind: kind.to_string(),
            message: message.into(),
            more: None,
        }
    }

    fn more(&mut self) -> &mut More {
        self.more.get_or_insert_with(Box::default)
    }

    /// 404 `not-found`.
    pub fn not_found(message: impl Into<String>) -> AppError {
        Self::new(StatusCode::NOT_FOUND, "not-found", message)
    }

    /// 400 of `kind`.
    pub fn bad_request(kind: &str, message: impl Into<String>) -> AppError {
        Self::new(StatusCode::BAD_REQUEST, kind, message)
    }

    /// 500 `internal`.
    pub fn internal(message: impl Into<String>) -> AppError {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// 413: the body is over `--max-body`.
    pub fn too_large() -> AppError {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body-too-large",
            "the request body is larger than the server's cap (--max-body)",
        )
    }

    /// 401 `unauthorized` with `WWW-Authenticate: Bearer`.
    pub fn unauthorized(message: impl Into<String>) -> AppError {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message).with_header(
            axum::http::header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer"),
        )
    }

    /// 503 with `Retry-After: 1`.
    pub fn saturated(message: impl Into<String>) -> AppError {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "saturated", message)
            .with_header(axum::http::header::RETRY_AFTER, HeaderValue::from_static("1"))
    }

    /// 503 for a request cut off by the server's stop; `Connection: close` as the connection ends.
    pub fn stopping(message: impl Into<String>) -> AppError {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "stopping", message)
            .with_header(axum::http::header::CONNECTION, HeaderValue::from_static("close"))
    }

    /// Adds a response header (replacing one of the same name).
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> AppError {
        self.more().headers.insert(name, value);
        self
    }

    /// Adds response headers.
    pub fn with_headers(mut self, headers: HeaderMap) -> AppError {
        self.more().headers.extend(headers);
        self
    }

    /// Adds a field to the JSON body.
    pub fn with_field(mut self, key: &str, value: serde_json::Value) -> AppError {
        self.more().fields.insert(key.to_string(), value);
        self
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.status, self.kind, self.message)
    }
}

/// A body that could not be read: too large (413) or broken (400).
impl From<axum::extract::rejection::BytesRejection> for AppError {
    fn from(r: axum::extract::rejection::BytesRejection) -> AppError {
        let status = r.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            return AppError::too_large();
        }
        AppError::new(
            status,
            "bad-body",
            format!("cannot read the request body: {}", r.body_text()),
        )
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut body = serde_json::Map::new();
        body.insert("error".into(), self.kind.into());
        body.insert("message".into(), self.message.into());
        let more = self.more.map(|m| *m).unwrap_or_default();
        body.extend(more.fields);
        let mut resp = (self.status, Json(serde_json::Value::Object(body))).into_response();
        resp.headers_mut().extend(more.headers);
        resp
    }
}
