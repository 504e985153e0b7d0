//! One request on a fresh connection, read whole: health checks, uploads, the server's pages,
//! and the tests.

use super::{authority, connect};
use crate::server::invoke::{parse_call_header, CALL_HEADER};
use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request};

/// A whole response.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The HTTP status code.
    pub status: u16,
    /// The response headers.
    pub headers: hyper::HeaderMap,
    /// The whole response body.
    pub body: Bytes,
}

impl Reply {
    /// The value of header `name`; `None` when absent or not visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// One figure of the `x-nebula-call` header, e.g. `wall-ns`.
    pub fn measure(&self, key: &str) -> Option<&str> {
        parse_call_header(self.header(CALL_HEADER)?).get(key).copied()
    }

    /// The body as text (invalid UTF-8 replaced by U+FFFD).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON; an error quoting the body when it is not JSON.
    pub fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_slice(&self.body).with_context(|| format!("not JSON: {}", self.text()))
    }
}

/// One request on a fresh connection.
pub async fn send(
    base: &str,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Result<Reply> {
    let authority = authority(base)?;
    let mut s = connect(&authority).await?;
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(hyper::header::HOST, authority.as_str());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = s.send_request(req.body(Full::new(body.into()))?).await?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await?.to_bytes();
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// `GET base+path` on a fresh connection: status and body.
pub async fn get(base: &str, path: &str) -> Result<(u16, Bytes)> {
    let r = send(base, Method::GET, path, &[], Bytes::new()).await?;
    Ok((r.status, r.body))
}
