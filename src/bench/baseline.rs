//! The baseline of `nebula bench-http`: a stock axum server, on its own tokio runtime with
//! tokio's defaults (one worker per core, the default scheduling policy, no read deadline),
//! whose one route `/bare` returns a constant and runs no wasm. It shares nothing with Nebula's
//! server, so no setting of Nebula's (`--io-workers`, `--sched`, its accept loop) can flatter or
//! handicap the figure the functions are compared with.

use anyhow::{anyhow, Context, Result};
use axum::routing::any;
use axum::Router;
use std::net::SocketAddr;

/// What `/bare` answers.
pub const BARE_BODY: &str = "bare\n";

/// The baseline's worker threads' name (their CPU is counted as `server-io`).
pub const THREAD_NAME: &str = "nebula-bare";

/// A running baseline server; dropping it stops it.
pub struct StockBare {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl StockBare {
    /// Start it on 127.0.0.1 with an ephemeral port.
    pub fn start() -> Result<StockBare> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .context("cannot bind a loopback port for the baseline server")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name(THREAD_NAME)
            .build()
            .context("cannot start the baseline server's runtime")?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready) = std::sync::mpsc::channel::<Result<()>>();
        let thread = std::thread::Builder::new()
            .name(THREAD_NAME.into())
            .spawn(move || {
                rt.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e.into()));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    let app = Router::new().route("/bare", any(|| async { BARE_BODY }));
                    let _ = axum::serve(listener, app)
                        .with_graceful_shutdown(async move {
                            let _ = stopped.await;
                        })
                        .await;
                });
            })
            .context("cannot start the baseline server's thread")?;
        ready
            .recv()
            .map_err(|_| anyhow!("the baseline server did not start"))??;
        Ok(StockBare {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT` of the baseline server (its route is `/bare`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for StockBare {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_baseline_answers_bare_on_its_own_named_threads_and_stops() {
        let bare = StockBare::start().expect("baseline");
        let url = bare.url();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let (status, body) = rt.block_on(crate::client::get(&url, "/bare")).expect("GET /bare");
        assert_eq!((status, &body[..]), (200, BARE_BODY.as_bytes()));
        let (status, _) = rt
            .block_on(crate::client::get(&url, "/functions"))
            .expect("GET /functions");
        assert_eq!(status, 404, "nothing but /bare");
        let names: Vec<String> = std::fs::read_dir("/proc/self/task")
            .expect("/proc/self/task")
            .flatten()
            .filter_map(|t| std::fs::read_to_string(t.path().join("comm")).ok())
            .collect();
        assert!(names.iter().any(|n| n.starts_with(THREAD_NAME)), "{names:?}");
        assert_eq!(crate::bench::threads::role(THREAD_NAME), "server-io");
        drop(bare);
        let after = rt.block_on(crate::client::get(&url, "/bare"));
        assert!(after.is_err(), "stopped: {after:?}");
    }
}
