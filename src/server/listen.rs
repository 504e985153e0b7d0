//! The accept loop: HTTP/1.1 connections served by hyper with a deadline for each request's
//! headers (a client that sends them a byte at a time is cut off; the deadline also covers the
//! wait for a keep-alive connection's next request, so it is the idle timeout too), and a
//! graceful stop: on the shutdown signal, stop accepting, let each connection finish the
//! request it is serving, then return. (`axum::serve` sets no header deadline; this is the
//! same loop with one.)

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Serve `router` on `listener` until `shutdown` resolves and every connection has closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    // Dropping `stop_tx` tells the connections to finish; `open_tx.closed()` resolves once every
    // connection task (each holds an `open_rx`) has ended.
    let (stop_tx, stop_rx) = watch::channel(());
    let (open_tx, open_rx) = watch::channel(());
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
        let service = TowerToHyperService::new(router.clone());
        let mut stop_rx = stop_rx.clone();
        let open_rx = open_rx.clone();
        tokio::spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new()).header_read_timeout(header_timeout);
            let conn = http.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            let result = tokio::select! {
                result = conn.as_mut() => result,
                // The sender is dropped at shutdown: finish the request in flight, then close.
                _ = stop_rx.changed() => {
                    conn.as_mut().graceful_shutdown();
                    conn.as_mut().await
                }
            };
            if let Err(e) = result {
                tracing::debug!("connection from {peer}: {e}");
            }
            drop(open_rx);
        });
    }
    drop(listener);
    drop(stop_rx);
    drop(stop_tx);
    drop(open_rx);
    open_tx.closed().await;
}
