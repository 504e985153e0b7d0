//! The accept loop: HTTP/1.1 connections served by hyper with a deadline for each request's
//! headers (a client that sends them a byte at a time is cut off; the deadline also covers the
//! wait for a keep-alive connection's next request, so it is the idle timeout too), and a
//! graceful stop: on the shutdown signal, stop accepting, let each connection finish the
//! request its handler is serving, then return. A connection with no request in a handler (a
//! client still sending its headers) is closed after [`stop_grace`] instead of holding the
//! stop for the whole header deadline. (`axum::serve` sets no header deadline; this is the same
//! loop with one.)

use axum::Router;
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::time::Instant;

/// How long, after the stop, a connection or a body read that has not reached a handler's work
/// is given before it is cut: long enough for a client that was sending a request in one piece,
/// at most the read deadline.
pub fn stop_grace(read_timeout: Duration) -> Duration {
    read_timeout.min(Duration::from_secs(1))
}

/// Serve `router` on `listener` until `shutdown` resolves and every connection has closed.
/// `stopping` is set to `true` when the loop stops accepting.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    header_timeout: Duration,
    stopping: &watch::Sender<bool>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    // `open_tx.closed()` resolves once every connection task (each holds an `open_rx`) has ended.
    let (open_tx, open_rx) = watch::channel(());
    let grace = stop_grace(header_timeout);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors and the like: wait a little rather than spin.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let busy = Arc::new(AtomicUsize::new(0));
        let service = Counted {
            inner: TowerToHyperService::new(router.clone()),
            busy: busy.clone(),
        };
        let mut stop = stopping.subscribe();
        let stopped = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        let open_rx = open_rx.clone();
        tokio::spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new()).header_read_timeout(header_timeout);
            let conn = http.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            let result = tokio::select! {
                result = conn.as_mut() => result,
                () = stopped => {
                    // Finish the request a handler is serving (no keep-alive after it).
                    conn.as_mut().graceful_shutdown();
                    finish_or_cut(conn.as_mut(), &busy, grace).await
                }
            };
            if let Err(e) = result {
                tracing::debug!("connection from {peer}: {e}");
            }
            drop(open_rx);
        });
    }
    drop(listener);
    stopping.send_replace(true);
    drop(open_rx);
    open_tx.closed().await;
}

/// After the stop: wait for `conn` to end while a handler serves one of its requests; once
/// none does (the connection is idle, still receiving headers, or writing a reply the client
/// does not read), give it `grace`, then give up on it (the caller drops it, which closes it).
async fn finish_or_cut<F>(mut conn: Pin<&mut F>, busy: &AtomicUsize, grace: Duration) -> F::Output
where
    F: Future<Output = Result<(), hyper::Error>>,
{
    const RECHECK: Duration = Duration::from_millis(20);
    let mut cut_at = Instant::now() + grace;
    loop {
        tokio::select! {
            result = conn.as_mut() => return result,
            () = tokio::time::sleep_until(cut_at) => {
                if busy.load(Ordering::SeqCst) == 0 {
                    return Ok(());
                }
                cut_at = Instant::now() + RECHECK;
            }
        }
    }
}

/// The connection's service, counting the requests its handlers are serving.
#[derive(Clone)]
struct Counted {
    inner: TowerToHyperService<Router>,
    busy: Arc<AtomicUsize>,
}

/// One request in a handler; leaves the count when its response is ready (or it is dropped).
struct InHandler(Arc<AtomicUsize>);

impl Drop for InHandler {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl hyper::service::Service<Request<Incoming>> for Counted {
    type Response = <TowerToHyperService<Router> as hyper::service::Service<Request<Incoming>>>::Response;
    type Error = <TowerToHyperService<Router> as hyper::service::Service<Request<Incoming>>>::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        self.busy.fetch_add(1, Ordering::SeqCst);
        let guard = InHandler(self.busy.clone());
        let fut = self.inner.call(req);
        Box::pin(async move {
            let response = fut.await;
            drop(guard);
            response
        })
    }
}
