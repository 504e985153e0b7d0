//! Request bodies read under the server's read deadline (`--read-timeout`): a client that
//! sends its body slowly, or stops half-way, gets 408 instead of holding a connection and a
//! buffer for as long as it likes. The size cap (`--max-body`, 413) applies as before.

use super::error::AppError;
use super::SharedState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use std::convert::Infallible;
use std::future::Future;
use std::task::Poll;

/// The whole body, or the error to answer with. Extraction never fails by itself, so that the
/// handler checks the name and the function first and reports the first problem.
pub struct TimedBody(pub Result<Bytes, AppError>);

impl FromRequest<SharedState> for TimedBody {
    type Rejection = Infallible;

    async fn from_request(req: Request, state: &SharedState) -> Result<TimedBody, Infallible> {
        let limit = state.config.read_timeout;
        let mut read = std::pin::pin!(Bytes::from_request(req, state));
        // A small body usually arrived with the headers: the first poll completes it, and no
        // timer is armed (arming one is a visible part of a small call's server time).
        let first = std::future::poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await;
        let timed = match first {
            Poll::Ready(done) => Ok(done),
            Poll::Pending => tokio::time::timeout(limit, read).await,
        };
        let body = match timed {
            Ok(read) => read.map_err(AppError::from),
            Err(_) => Err(AppError::new(
                StatusCode::REQUEST_TIMEOUT,
                "request-timeout",
                format!(
                    "the request body did not arrive within {} (--read-timeout): send it whole, or raise --read-timeout",
                    crate::units::human_duration(limit)
                ),
            )),
        };
        Ok(TimedBody(body))
    }
}
