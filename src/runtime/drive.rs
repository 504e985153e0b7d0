//! Runs one wasm call's future (instantiation and `_start` on wasmtime's async API, with the
//! async WASI host) to completion on the calling thread, or drops it at the call's deadline.
//!
//! Epoch interruption stops a guest that is running wasm, but not one held inside a host call:
//! a WASI `poll_oneoff` sleep waits on a tokio timer. On the async API that wait is a
//! suspended future, and dropping it unwinds the guest. Most calls never wait (their stdio is
//! in memory), so the future is first polled once with a no-op waker: a call that completes
//! there costs no timer and no runtime machinery. A call that waits is handed to the tokio
//! runtime the thread is in (the server's call threads enter the server's runtime), or to a
//! single-threaded runtime of the thread's own, made once, with a timer at the deadline.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;
use wasmtime::Trap;

/// `f` with a deadline: its output, or a `Trap::Interrupt` error (a timeout) when `at` comes
/// first. The timer is armed only once `f` has had to wait.
struct Bounded<'a, F> {
    f: Pin<&'a mut F>,
    at: Instant,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<T, F: Future<Output = wasmtime::Result<T>>> Future for Bounded<'_, F> {
    type Output = wasmtime::Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if let Poll::Ready(v) = this.f.as_mut().poll(cx) {
            return Poll::Ready(v);
        }
        let at = tokio::time::Instant::from_std(this.at);
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(at)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Trap::Interrupt.into())),
            Poll::Pending => Poll::Pending,
        }
    }
}

thread_local! {
    /// The runtime of a thread that is in none (made on its first waiting call).
    static LOCAL: Option<tokio::runtime::Runtime> = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok();
}

/// Runs `f` on this thread until it completes or `at` passes (then `Trap::Interrupt`). `f`
/// is dropped, which unwinds a guest still inside it, before this returns.
pub fn drive<T, F: Future<Output = wasmtime::Result<T>>>(at: Instant, f: F) -> wasmtime::Result<T> {
    let f = std::pin::pin!(f);
    let mut bounded = Bounded { f, at, timer: None };
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        return first_poll(&mut bounded).unwrap_or_else(|| handle.block_on(&mut bounded));
    }
    LOCAL.with(|rt| {
        let Some(rt) = rt else {
            return Err(wasmtime::format_err!(
                "cannot start a tokio runtime for the WASI host on this thread (out of threads or file descriptors?)"
            ));
        };
        // The WASI host's futures create timers and blocking tasks: they need a runtime
        // context even on the first poll.
        let _entered = rt.enter();
        first_poll(&mut bounded).unwrap_or_else(|| rt.block_on(&mut bounded))
    })
}

/// One poll with a no-op waker: the output if `f` is already done.
fn first_poll<F: Future + Unpin>(f: &mut F) -> Option<F::Output> {
    let mut cx = Context::from_waker(Waker::noop());
    match Pin::new(f).poll(&mut cx) {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    }
}
