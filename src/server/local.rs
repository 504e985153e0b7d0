//! A server running inside this process, on a loopback port of its own: what an HTTP
//! experiment measures when it names no URL, and what `bench-http` measures.

use super::ServerConfig;
use anyhow::{anyhow, bail, Context, Result};
use std::net::SocketAddr;
use std::sync::Arc;

/// A server running in this process on its own tokio runtime (its own worker threads and a
/// blocking pool sized to `max_inflight`), on 127.0.0.1 with an ephemeral port.
pub struct LocalServer {
    /// The loopback address it listens on.
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<()>>>,
}

impl LocalServer {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Graceful shutdown: finish the calls in flight, flush the CSV, join the thread.
    pub fn stop(mut self) -> Result<()> {
        self.finish()
    }

    fn finish(&mut self) -> Result<()> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        match self.thread.take() {
            Some(t) => t.join().map_err(|_| anyhow!("the server thread panicked"))?,
            None => Ok(()),
        }
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        if let Err(e) = self.finish() {
            tracing::warn!("local server: {e:#}");
        }
    }
}

/// Start `nebula serve` in this process on 127.0.0.1:0; returns once it is ready to accept.
pub fn spawn_local_server(config: ServerConfig) -> Result<LocalServer> {
    let std_listener =
        std::net::TcpListener::bind("127.0.0.1:0").context("cannot bind a loopback port for the server")?;
    std_listener.set_nonblocking(true)?;
    let addr = std_listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<()>>();
    let thread = std::thread::Builder::new()
        .name("nebula-serve".into())
        .spawn(move || -> Result<()> {
            let rt = super::sched::server_runtime(config.io_workers, config.max_inflight, config.sched)?;
            rt.block_on(async move {
                let state = match tokio::task::spawn_blocking(move || super::AppState::build(config)).await {
                    Ok(Ok(s)) => Arc::new(s),
                    Ok(Err(e)) => {
                        let msg = format!("{e:#}");
                        let _ = ready_tx.send(Err(e));
                        bail!("{msg}");
                    }
                    Err(e) => bail!("the start-up task failed: {e}"),
                };
                let listener = tokio::net::TcpListener::from_std(std_listener)?;
                let _ = ready_tx.send(Ok(()));
                super::serve_state(state, listener, async move {
                    let _ = stop_rx.await;
                })
                .await
            })
        })
        .context("cannot start the server thread")?;
    match ready_rx.recv() {
        Ok(Ok(())) => Ok(LocalServer {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        }),
        Ok(Err(e)) => {
            let _ = thread.join();
            Err(e.context("the local server did not start"))
        }
        Err(_) => match thread.join() {
            Ok(Err(e)) => Err(e.context("the local server did not start")),
            _ => bail!("the local server did not start"),
        },
    }
}
