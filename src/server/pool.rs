//! The guest-call pool: a fixed set of long-lived threads, one per call slot, that run guest
//! code off the async workers. Jobs arrive through an MPMC channel; an idle thread spins
//! briefly before it parks, so under load a call is picked up without a sleep and a wake-up.
//! The threads run under the server's scheduling policy (see [`super::sched`]).

use super::sched::SchedPolicy;
use anyhow::{Context, Result};
use crossbeam_channel::{Receiver, Sender};
use std::panic::AssertUnwindSafe;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// The pool; dropping it lets the threads finish their job and exit.
pub struct CallPool {
    tx: Sender<Job>,
    threads: usize,
}

/// The job ended without a result (it panicked, or the pool is shutting down).
#[derive(Debug)]
pub struct Lost;

impl CallPool {
    /// Start `threads` threads named `name-N`. Created inside a tokio runtime, the threads
    /// enter it: WASI host calls (which `block_on` a runtime handle) then use the server's
    /// runtime instead of starting wasmtime-wasi's fallback runtime (its own threads, epoll and
    /// a `yield_now` in every host call).
    pub fn new(threads: usize, name: &str, policy: SchedPolicy) -> Result<CallPool> {
        let threads = threads.max(1);
        let (tx, rx) = crossbeam_channel::unbounded::<Job>();
        let handle = tokio::runtime::Handle::try_current().ok();
        for i in 0..threads {
            let rx: Receiver<Job> = rx.clone();
            let handle = handle.clone();
            std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || {
                    let _runtime = handle.as_ref().map(tokio::runtime::Handle::enter);
                    policy.apply_to_current_thread();
                    worker(&rx)
                })
                .with_context(|| format!("cannot start call thread {name}-{i}"))?;
        }
        Ok(CallPool { tx, threads })
    }

    /// Number of threads in the pool.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Run `f` on a pool thread and wait for its result without blocking the async worker.
    /// A job whose caller has gone by the time a thread takes it (an HTTP client that gave up
    /// while its call was queued) is dropped unrun: no guest call nobody waits for.
    pub async fn run<T, F>(&self, f: F) -> Result<T, Lost>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            if !tx.is_closed() {
                let _ = tx.send(f());
            }
        });
        self.tx.send(job).map_err(|_| Lost)?;
        rx.await.map_err(|_| Lost)
    }
}

fn worker(rx: &Receiver<Job>) {
    while let Ok(job) = rx.recv() {
        // A panicking job drops its result sender: the caller sees `Lost`, the thread goes on.
        let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .map(|rt| rt.block_on(f))
            .expect("a runtime")
    }

    #[test]
    fn jobs_run_on_pool_threads_and_a_panic_loses_only_its_own_result() {
        let pool = CallPool::new(2, "nebula-call-test", SchedPolicy::Batch).expect("pool");
        assert_eq!(pool.threads(), 2);
        let name = block_on(pool.run(|| std::thread::current().name().map(str::to_string)));
        assert!(
            matches!(&name, Ok(Some(n)) if n.starts_with("nebula-call-test-")),
            "{name:?}"
        );
        let policy = block_on(pool.run(crate::server::sched::current));
        assert_eq!(policy.ok(), Some(Some(SchedPolicy::Batch)));
        let lost = block_on(pool.run(|| -> u32 { panic!("a guest-call bug") }));
        assert!(lost.is_err());
        // Both threads still serve: more jobs than threads, all answered.
        let sums: Vec<u64> = block_on(async {
            let mut out = Vec::new();
            for i in 0..8u64 {
                out.push(pool.run(move || (0..=i).sum::<u64>()).await.unwrap_or(u64::MAX));
            }
            out
        });
        assert_eq!(sums, vec![0, 1, 3, 6, 10, 15, 21, 28]);
    }

    #[test]
    fn a_job_whose_caller_left_while_queued_is_not_run() {
        let pool = CallPool::new(1, "nebula-call-gone", SchedPolicy::Normal).expect("pool");
        let ran = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        block_on(async {
            // The only thread is busy until released; the second job waits in the queue.
            let busy = pool.run(move || hold.recv().is_ok());
            let counted = ran.clone();
            let queued = pool.run(move || counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
            let mut busy = std::pin::pin!(busy);
            // Start both (each sends its job on first poll), then give up on the queued one.
            let _ = futures_poll_once(busy.as_mut()).await;
            let _ = futures_poll_once(std::pin::pin!(queued)).await;
            let _ = release.send(());
            assert_eq!(busy.await.ok(), Some(true));
        });
        // A later job runs, and the abandoned one never did.
        let counted = ran.clone();
        let after =
            block_on(pool.run(move || counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 100));
        assert_eq!(after.ok(), Some(100));
        assert_eq!(ran.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    /// Poll `f` once; `Some` if it completed.
    async fn futures_poll_once<F: std::future::Future + Unpin>(mut f: F) -> Option<F::Output> {
        std::future::poll_fn(|cx| match std::pin::Pin::new(&mut f).poll(cx) {
            std::task::Poll::Ready(v) => std::task::Poll::Ready(Some(v)),
            std::task::Poll::Pending => std::task::Poll::Ready(None),
        })
        .await
    }

    #[test]
    fn threads_started_inside_a_runtime_enter_it() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .expect("a runtime");
        let pool = rt
            .block_on(async { CallPool::new(1, "nebula-call-rt", SchedPolicy::Normal) })
            .expect("pool");
        // WASI host calls find this handle and use it, not wasmtime-wasi's fallback runtime.
        let entered = rt.block_on(pool.run(|| tokio::runtime::Handle::try_current().is_ok()));
        assert_eq!(entered.ok(), Some(true));
        let outside = CallPool::new(1, "nebula-call-plain", SchedPolicy::Normal).expect("pool");
        let entered = block_on(outside.run(|| tokio::runtime::Handle::try_current().is_ok()));
        assert_eq!(entered.ok(), Some(false));
    }
}
