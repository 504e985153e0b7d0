//! HTTP clients of `nebula serve`: a keep-alive load generator that experiments and
//! `bench-http` drive at each concurrency level (`load.rs`), and a one-shot request for
//! health checks, uploads and tests (`oneshot.rs`). Both speak HTTP/1.1 through hyper's
//! connection API; the server they talk to is `crate::server`, started in this process by
//! `server::spawn_local_server` or running elsewhere.

pub mod load;
pub mod oneshot;

pub use load::{drive, parse_call_headers, run, run_pooled, run_unparsed, ClientSample, Figures, Load, Pool};
pub use oneshot::{get, send, Reply};

use anyhow::{anyhow, bail, Context, Result};
use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::http1::SendRequest;
use hyper::Uri;
use hyper_util::rt::TokioIo;

/// `host:port` of a base URL (`http://host[:port]`), port 80 when it names none.
pub(crate) fn authority(base: &str) -> Result<String> {
    let uri: Uri = base
        .parse()
        .with_context(|| format!("'{base}' is not a URL: write e.g. http://127.0.0.1:8080"))?;
    if uri.scheme_str() != Some("http") {
        bail!("'{base}': only http:// URLs are supported");
    }
    let a = uri
        .authority()
        .ok_or_else(|| anyhow!("'{base}' has no host:port"))?;
    Ok(match a.port_u16() {
        Some(_) => a.to_string(),
        None => format!("{}:80", a.host()),
    })
}

/// A fresh HTTP/1.1 connection to `authority` (no Nagle delay).
pub(crate) async fn connect(authority: &str) -> Result<SendRequest<Full<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(authority)
        .await
        .with_context(|| format!("cannot connect to {authority}"))?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}
