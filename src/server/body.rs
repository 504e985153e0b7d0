//! Request bodies read under the server's read deadline (`--read-timeout`): a client that
//! sends its body slowly, or stops half-way, gets 408 instead of holding a connection and a
//! buffer for as long as it likes. The size cap (`--max-body`, 413) applies as before. When
//! the server stops, a body still arriving gets a short grace, then 503 `stopping`: only
//! requests whose work has begun hold the stop up.

use super::error::AppError;
use super::SharedState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_LENGTH;
use axum::http::StatusCode;
use std::convert::Infallible;
use std::future::Future;
use std::task::Poll;

/// A request's body, not yet read: the handler checks the token, the name, the function and
/// admission first, so that a request refused for any of those never has its body buffered,
/// then calls [`TimedBody::read`].
pub struct TimedBody(Request);

impl FromRequest<SharedState> for TimedBody {
    type Rejection = Infallible;

    async fn from_request(req: Request, _state: &SharedState) -> Result<TimedBody, Infallible> {
        Ok(TimedBody(req))
    }
}

impl TimedBody {
    /// The whole body, or the error to answer with: 413 at once when the declared
    /// `Content-Length` is over `--max-body` (or as soon as the bytes read pass it), 408 when
    /// the body does not arrive within `--read-timeout`, 503 when the server stops while it is
    /// still arriving (after [`super::listen::stop_grace`]).
    pub async fn read(self, state: &SharedState) -> Result<Bytes, AppError> {
        let declared = self
            .0
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > state.config.max_body as u64) {
            return Err(AppError::too_large());
        }
        let limit = state.config.read_timeout;
        let mut read = std::pin::pin!(Bytes::from_request(self.0, state));
        // A small body usually arrived with the headers: the first poll completes it, and no
        // timer is armed (arming one is a visible part of a small call's server time).
        let first = std::future::poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await;
        let timed = match first {
            Poll::Ready(done) => Ok(done),
            Poll::Pending => {
                let mut stopping = state.stopping.subscribe();
                let cut = async {
                    let _ = stopping.wait_for(|s| *s).await;
                    tokio::time::sleep(super::listen::stop_grace(limit)).await;
                };
                tokio::select! {
                    timed = tokio::time::timeout(limit, read) => timed,
                    () = cut => return Err(AppError::stopping(
                        "the server is stopping and the request body had not arrived: send the request again once the server is back",
                    )),
                }
            }
        };
        match timed {
            Ok(read) => read.map_err(AppError::from),
            Err(_) => Err(AppError::new(
                StatusCode::REQUEST_TIMEOUT,
                "request-timeout",
                format!(
                    "the request body did not arrive within {} (--read-timeout): send it whole, or raise --read-timeout",
                    crate::units::human_duration(limit)
                ),
            )),
        }
    }
}
