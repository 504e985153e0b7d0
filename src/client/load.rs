//! A keep-alive HTTP/1.1 load generator: one connection per concurrent client, a fixed number
//! of requests (or a time limit), one [`ClientSample`] per request with the server's own figures
//! from its `x-nebula-call` header; a [`Pool`] keeps connections open from run to run so that
//! no measured window times a TCP handshake.

use super::{authority, connect};
use crate::server::invoke::{call_header_pairs, CALL_HEADER};
use anyhow::{anyhow, bail, Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One request as the client saw it.
#[derive(Debug, Clone, Default)]
pub struct ClientSample {
    /// From sending the request to the last byte of the response body.
    pub latency: Duration,
    /// HTTP status; 0 when the request failed below HTTP (connection refused, reset).
    pub status: u16,
    /// `wall-ns` of the `x-nebula-call` header: the call's wall time measured by the server.
    pub server_wall_ns: Option<u64>,
    /// `id`: the `window_id` of the call's row in the server's CSV.
    pub call_id: Option<u64>,
    /// `energy-j` and `energy-label`.
    pub energy_j: Option<f64>,
    /// `energy-label`: `measured`, `estimated` or `unavailable`.
    pub energy_label: Option<String>,
    /// `cpu-user-ns` / `cpu-system-ns`: the call's CPU time on the server.
    pub server_cpu_ns: Option<(u64, u64)>,
    /// `peak-memory-bytes`: the call's peak memory on the server.
    pub server_peak_memory_bytes: Option<u64>,
    /// `output-digest`: SHA-256 of the function's output.
    pub output_digest: Option<String>,
    /// Size of the response body in bytes.
    pub body_bytes: usize,
    /// When the request was sent, from the start of the run.
    pub sent_at: Duration,
    /// Which connection sent it (0-based).
    pub client: usize,
    /// The raw `x-nebula-call` value, kept by [`run_unparsed`] until [`parse_call_headers`]
    /// reads it into the fields above. An owned copy: a `HeaderValue` would share, and so pin,
    /// the connection's whole read buffer.
    pub call_header: Option<Box<[u8]>>,
}

impl ClientSample {
    /// Whether the server answered with a 2xx status (a request that failed below HTTP has status
    /// 0: not ok).
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Fill each sample's server figures from the raw header it kept, and drop the raw header.
pub fn parse_call_headers(samples: &mut [ClientSample]) {
    for s in samples.iter_mut() {
        if let Some(raw) = s.call_header.take() {
            *s = ClientSample {
                latency: s.latency,
                status: s.status,
                body_bytes: s.body_bytes,
                sent_at: s.sent_at,
                client: s.client,
                ..from_call_value(std::str::from_utf8(&raw).ok())
            };
        }
    }
}

/// The server's figures from an `x-nebula-call` value (all absent without one).
fn from_call_value(value: Option<&str>) -> ClientSample {
    let mut s = ClientSample::default();
    let Some(value) = value else {
        return s;
    };
    let (mut user, mut system) = (None, None);
    for (key, v) in call_header_pairs(value) {
        match key {
            "wall-ns" => s.server_wall_ns = v.parse().ok(),
            "id" => s.call_id = v.parse().ok(),
            "energy-j" => s.energy_j = v.parse().ok(),
            "energy-label" => s.energy_label = Some(v.to_string()),
            "cpu-user-ns" => user = v.parse::<u64>().ok(),
            "cpu-system-ns" => system = v.parse::<u64>().ok(),
            "output-digest" => s.output_digest = Some(v.to_string()),
            "peak-memory-bytes" => s.server_peak_memory_bytes = v.parse().ok(),
            _ => {}
        }
    }
    s.server_cpu_ns = user.zip(system);
    s
}

/// The `wall-ns` figure of a raw `x-nebula-call` value.
fn wall_ns(raw: &[u8]) -> Option<u64> {
    let value = std::str::from_utf8(raw).ok()?;
    call_header_pairs(value)
        .find(|(key, _)| *key == "wall-ns")
        .and_then(|(_, v)| v.parse().ok())
}

/// What one run sends.
#[derive(Debug, Clone)]
pub struct Load {
    /// `http://host:port` (no path).
    pub base: String,
    /// The HTTP method of every request (e.g. `POST` for an invocation).
    pub method: Method,
    /// e.g. `/functions/noop/invoke`.
    pub path: String,
    /// The body of every request (for an invocation, the function's stdin).
    pub body: Bytes,
    /// Connections, each with one request in flight at a time.
    pub concurrency: usize,
    /// Total requests across all connections.
    pub requests: usize,
    /// Stop sending after this long, even if fewer requests were sent.
    pub max_duration: Option<Duration>,
    /// What is kept of each response's `x-nebula-call` header.
    pub figures: Figures,
}

/// What a run keeps of the server's figures (the `x-nebula-call` header) of each response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figures {
    /// The whole header, copied as it arrives and read by [`parse_call_headers`] afterwards
    /// (experiments: each call's record is matched to the server's row).
    All,
    /// Only `wall-ns`, read as it arrives, with no copy: a benchmark's load generator does
    /// no allocation for one target that it does not do for the bare handler.
    Wall,
}

/// Invoke `function` with `input` as stdin, `requests` times over `concurrency` keep-alive
/// connections; one sample per request, in completion order.
pub async fn drive(
    url: &str,
    function: &str,
    input: &[u8],
    concurrency: usize,
    requests: usize,
) -> Result<Vec<ClientSample>> {
    run(&Load {
        base: url.trim_end_matches('/').to_string(),
        method: Method::POST,
        path: format!("/functions/{function}/invoke"),
        body: Bytes::copy_from_slice(input),
        concurrency,
        requests,
        max_duration: None,
        figures: Figures::All,
    })
    .await
}

/// Run a [`Load`]: one sample per request, with the server's figures read from its header.
pub async fn run(load: &Load) -> Result<Vec<ClientSample>> {
    let mut samples = run_unparsed(load).await?;
    parse_call_headers(&mut samples);
    Ok(samples)
}

/// Run a [`Load`], keeping each response's `x-nebula-call` header unread: a benchmark reads
/// them with [`parse_call_headers`] after its clock and CPU counters have stopped, so that the
/// bookkeeping is not counted as load-generator cost.
pub async fn run_unparsed(load: &Load) -> Result<Vec<ClientSample>> {
    let mut pool = Pool::default();
    run_pooled(load, &mut pool).await
}

/// Keep-alive connections kept between runs, so that a measured run starts on connections
/// that are already open (see [`Pool::fill`]) instead of timing their TCP handshakes.
#[derive(Default)]
pub struct Pool {
    conns: Vec<SendRequest<Full<Bytes>>>,
}

impl Pool {
    /// Open connections to `base` until `n` are open (closed ones are dropped first).
    pub async fn fill(&mut self, base: &str, n: usize) -> Result<()> {
        let authority = authority(base)?;
        self.conns.retain(|c| !c.is_closed());
        while self.conns.len() < n {
            self.conns.push(connect(&authority).await?);
        }
        Ok(())
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.conns.iter().filter(|c| !c.is_closed()).count()
    }
}

/// Run a [`Load`] on the pool's connections (opening more when it has fewer than the load's
/// concurrency, or when one closes), then give the connections back to the pool; the headers
/// are kept unread, as in [`run_unparsed`].
pub async fn run_pooled(load: &Load, pool: &mut Pool) -> Result<Vec<ClientSample>> {
    if load.concurrency == 0 {
        bail!("concurrency must be at least 1");
    }
    let authority = authority(&load.base)?;
    let next = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let mut tasks = Vec::with_capacity(load.concurrency);
    for client in 0..load.concurrency {
        let (load, authority, next) = (load.clone(), authority.clone(), next.clone());
        let sender = pool.conns.pop();
        tasks.push(tokio::spawn(async move {
            connection_loop(&load, &authority, &next, t0, client, sender).await
        }));
    }
    let mut samples = Vec::with_capacity(load.requests.min(1 << 16));
    for t in tasks {
        let (mine, sender) = t.await.context("a load-generator task failed")??;
        samples.extend(mine);
        pool.conns.extend(sender);
    }
    Ok(samples)
}

async fn connection_loop(
    load: &Load,
    authority: &str,
    next: &AtomicUsize,
    t0: Instant,
    client: usize,
    mut sender: Option<SendRequest<Full<Bytes>>>,
) -> Result<(Vec<ClientSample>, Option<SendRequest<Full<Bytes>>>)> {
    // This connection's share, reserved before the first request: the vector does not grow
    // (and copy itself) while requests are timed. Capped, as a load stopped by
    // `max_duration` may send far fewer than it asks for.
    let share = load.requests.div_ceil(load.concurrency.max(1)).saturating_add(1);
    let mut out = Vec::with_capacity(share.min(1 << 16));
    loop {
        if next.fetch_add(1, Ordering::Relaxed) >= load.requests {
            break;
        }
        if load.max_duration.is_some_and(|d| t0.elapsed() >= d) {
            break;
        }
        let sent_at = t0.elapsed();
        let start = Instant::now();
        let result = async {
            if sender.as_ref().is_none_or(|s| s.is_closed()) {
                sender = Some(connect(authority).await?);
            }
            let s = sender.as_mut().ok_or_else(|| anyhow!("no connection"))?;
            s.ready().await?;
            let req = Request::builder()
                .method(load.method.clone())
                .uri(load.path.as_str())
                .header(hyper::header::HOST, authority)
                .body(Full::new(load.body.clone()))?;
            let resp = s.send_request(req).await?;
            let header = resp.headers().get(CALL_HEADER).map(|v| v.as_bytes());
            let (call_header, server_wall_ns) = match load.figures {
                Figures::All => (header.map(Into::into), None),
                Figures::Wall => (None, header.and_then(wall_ns)),
            };
            let sample = ClientSample {
                status: resp.status().as_u16(),
                call_header,
                server_wall_ns,
                ..ClientSample::default()
            };
            let body = resp.into_body().collect().await?.to_bytes();
            anyhow::Ok(ClientSample {
                body_bytes: body.len(),
                ..sample
            })
        }
        .await;
        // A request that failed below HTTP is a sample with status 0 and nothing from the server.
        let sample = ClientSample {
            latency: start.elapsed(),
            sent_at,
            client,
            ..result.unwrap_or_else(|e| {
                tracing::debug!("request failed: {e:#}");
                sender = None;
                ClientSample::default()
            })
        };
        out.push(sample);
    }
    Ok((out, sender))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_headers_are_read_after_the_run_and_keep_the_client_figures() {
        let raw = "id=7, runtime=wasm, wall-ns=4123, cpu-user-ns=4000, cpu-system-ns=12, peak-memory-bytes=1048576, energy-j=1.5e-5, energy-label=estimated, output-digest=abcd";
        let mut samples = vec![
            ClientSample {
                latency: Duration::from_micros(250),
                status: 200,
                body_bytes: 2,
                client: 3,
                call_header: Some(raw.as_bytes().into()),
                ..ClientSample::default()
            },
            ClientSample {
                status: 404,
                ..ClientSample::default()
            },
        ];
        parse_call_headers(&mut samples);
        let s = &samples[0];
        assert_eq!(
            (s.latency, s.status, s.body_bytes, s.client),
            (Duration::from_micros(250), 200, 2, 3)
        );
        assert_eq!((s.call_id, s.server_wall_ns), (Some(7), Some(4123)));
        assert_eq!(s.server_cpu_ns, Some((4000, 12)));
        assert_eq!(s.server_peak_memory_bytes, Some(1 << 20));
        assert_eq!(s.energy_j, Some(1.5e-5));
        assert_eq!(s.energy_label.as_deref(), Some("estimated"));
        assert_eq!(s.output_digest.as_deref(), Some("abcd"));
        assert!(s.call_header.is_none(), "the raw copy is dropped once read");
        assert_eq!((samples[1].status, samples[1].server_wall_ns), (404, None));
    }

    /// A minimal keep-alive HTTP/1.1 server that counts the connections it accepts.
    async fn counting_server() -> (String, Arc<AtomicUsize>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 1024];
                    while let Ok(n) = stream.read(&mut chunk).await {
                        if n == 0 {
                            break;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            buf.drain(..end + 4);
                            let reply = b"HTTP/1.1 200 OK\r\nx-nebula-call: id=3, runtime=wasm, wall-ns=4123\r\ncontent-length: 2\r\n\r\nok";
                            if stream.write_all(reply).await.is_err() {
                                return;
                            }
                        }
                    }
                });
            }
        });
        (url, accepted)
    }

    /// The counter once it reaches `want` (or after 2 s, whatever it is then).
    async fn counted(counter: &AtomicUsize, want: usize) -> usize {
        for _ in 0..200 {
            if counter.load(Ordering::SeqCst) >= want {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        counter.load(Ordering::SeqCst)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn pooled_runs_start_on_open_connections_and_keep_them() {
        let (url, accepted) = counting_server().await;
        let load = Load {
            base: url.clone(),
            method: Method::GET,
            path: "/".into(),
            body: Bytes::new(),
            concurrency: 2,
            requests: 10,
            max_duration: None,
            figures: Figures::All,
        };
        let mut pool = Pool::default();
        pool.fill(&url, 2).await.unwrap();
        // The kernel completes a handshake before the server's accept loop counts it.
        assert_eq!((pool.open(), counted(&accepted, 2).await), (2, 2));
        for _ in 0..2 {
            let samples = run_pooled(&load, &mut pool).await.unwrap();
            assert_eq!(samples.len(), 10);
            assert!(samples.iter().all(|s| s.status == 200 && s.body_bytes == 2));
        }
        assert_eq!(pool.open(), 2, "the connections come back to the pool");
        assert_eq!(
            accepted.load(Ordering::SeqCst),
            2,
            "no connection opened during the runs"
        );
        // Without a pool, each run opens its own: one per connection task that got a request
        // (a task can find all the requests taken before it starts, and then opens none).
        run_unparsed(&load).await.unwrap();
        let n = accepted.load(Ordering::SeqCst);
        assert!((3..=4).contains(&n), "{n} connections accepted");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_run_keeps_the_whole_header_or_only_the_wall_time_as_asked() {
        let (url, _) = counting_server().await;
        let mut load = Load {
            base: url.clone(),
            method: Method::GET,
            path: "/".into(),
            body: Bytes::new(),
            concurrency: 2,
            requests: 6,
            max_duration: None,
            figures: Figures::All,
        };
        let all = run_unparsed(&load).await.unwrap();
        assert_eq!(all.len(), 6);
        for s in &all {
            assert_eq!(
                s.call_header.as_deref(),
                Some(&b"id=3, runtime=wasm, wall-ns=4123"[..])
            );
            assert_eq!(s.server_wall_ns, None, "read only by parse_call_headers");
        }
        load.figures = Figures::Wall;
        let wall = run_unparsed(&load).await.unwrap();
        assert_eq!(wall.len(), 6);
        for s in &wall {
            assert_eq!((s.status, s.server_wall_ns, s.call_id), (200, Some(4123), None));
            assert!(s.call_header.is_none(), "no copy of the header is kept");
        }
    }

    #[test]
    fn the_wall_time_is_read_from_a_raw_header() {
        assert_eq!(
            wall_ns(b"id=1, runtime=wasm, wall-ns=987, cpu-user-ns=5"),
            Some(987)
        );
        assert_eq!(wall_ns(b"id=1, runtime=wasm"), None);
        assert_eq!(wall_ns(b"wall-ns=x"), None);
        assert_eq!(wall_ns(b"wall-ns=\xff"), None);
    }
}
