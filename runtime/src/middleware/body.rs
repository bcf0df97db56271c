//! The end of a gRPC call: its status, in the response headers or in the
//! trailers after the last message, and the body wrapper that waits for it.
//!
//! A gRPC response is HTTP 200 with the messages in the body and the
//! outcome (`grpc-status`, `grpc-message`) in the trailers. An error before
//! any message is usually *trailers-only*: the status comes in the headers
//! and the body is empty. A response that is not HTTP 200 is an error with
//! a status derived from the HTTP one, as the gRPC specification's
//! "HTTP to gRPC status code mapping" says.

use std::fmt;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll, ready};

use http::{HeaderMap, StatusCode};
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;
use tracing::Span;

use super::outcome::{Role, record_failure};

/// The gRPC status codes by number, as `error.type` spells them.
const CODE_NAMES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// The `grpc-status` of a method the server does not have.
const UNIMPLEMENTED: i32 = 12;

/// Whether a status code makes the span an error. A client fails on any
/// code but OK. A server fails only on the codes that say it failed, not
/// on those that answer a bad request (NOT_FOUND, INVALID_ARGUMENT, ...).
fn is_error(code: i32, role: Role) -> bool {
    match role {
        Role::Client => code != 0,
        // UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS.
        Role::Server => matches!(code, 2 | 4 | 12 | 13 | 14 | 15),
    }
}

/// The status of a response that is not HTTP 200.
fn from_http(status: StatusCode) -> i32 {
    match status.as_u16() {
        400 => 13,
        401 => 16,
        403 => 7,
        404 => 12,
        429 | 502 | 503 | 504 => 14,
        _ => 2,
    }
}

/// `grpc-status` and the percent-decoded `grpc-message`, if there is a status.
fn status_of(headers: &HeaderMap) -> Option<(i32, Option<String>)> {
    let code = headers.get("grpc-status")?.to_str().ok()?.trim().parse().ok()?;
    let message = headers
        .get("grpc-message")
        .and_then(|m| m.to_str().ok())
        .map(|m| percent_encoding::percent_decode_str(m).decode_utf8_lossy().into_owned())
        .filter(|m| !m.is_empty());
    Some((code, message))
}

/// A gRPC call in flight: its span, ended by whichever `finish` comes first.
pub(crate) struct Call {
    pub(crate) span: Span,
    pub(crate) role: Role,
}

impl Call {
    /// Looks at the response head. Returns the call when its status is
    /// still to come, in the trailers.
    pub(crate) fn on_head(self, status: StatusCode, headers: &HeaderMap) -> Option<Call> {
        if let Some((code, message)) = status_of(headers) {
            self.finish(code, message.as_deref());
        } else if status != StatusCode::OK {
            self.finish(from_http(status), Some(&format!("HTTP status {status}")));
        } else {
            return Some(self);
        }
        None
    }

    fn finish(self, code: i32, message: Option<&str>) {
        let span = &self.span;
        span.record("rpc.grpc.status_code", i64::from(code));
        if code == UNIMPLEMENTED && self.role == Role::Server {
            // A method this server does not have: any client can invent
            // those, so they share one name instead of minting series.
            span.record("otel.name", "grpc");
            span.record("rpc.method", "_OTHER");
        }
        if is_error(code, self.role) {
            let name = usize::try_from(code).ok().and_then(|c| CODE_NAMES.get(c)).copied().unwrap_or("_OTHER");
            span.record("error.type", name);
            span.record("otel.status_code", "ERROR");
            if let Some(message) = message {
                span.record("otel.status_message", message);
            }
        }
    }

    /// The call failed without a status: the inner service or the body
    /// failed, or the body ended without trailers.
    pub(crate) fn fail(self, error: &dyn fmt::Display) {
        record_failure(&self.span, error);
    }
}

pin_project! {
    /// The response body of [`GrpcServerService`](super::GrpcServerService)
    /// and [`GrpcClientService`](super::GrpcClientService): the inner body,
    /// frame for frame, holding the call's span until the trailers give its
    /// status (or the body fails, ends, or is dropped).
    ///
    /// ```
    /// fn is_a_body<B: http_body::Body<Data = bytes::Bytes> + Send + 'static>() {}
    /// is_a_body::<lantern::middleware::GrpcResponseBody<http_body_util::Full<bytes::Bytes>>>();
    /// ```
    pub struct GrpcResponseBody<B> {
        #[pin]
        inner: B,
        call: Option<Call>,
    }
}

impl<B> GrpcResponseBody<B> {
    pub(crate) fn new(inner: B, call: Option<Call>) -> Self {
        GrpcResponseBody { inner, call }
    }
}

impl<B: fmt::Debug> fmt::Debug for GrpcResponseBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let span = self.call.as_ref().map(|c| &c.span);
        f.debug_struct("GrpcResponseBody").field("inner", &self.inner).field("span", &span).finish()
    }
}

impl<B: Body> Body for GrpcResponseBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let frame = ready!(this.inner.poll_frame(cx));
        match &frame {
            Some(Ok(frame)) => {
                if let Some(trailers) = frame.trailers_ref() {
                    if let Some(call) = this.call.take() {
                        match status_of(trailers) {
                            Some((code, message)) => call.finish(code, message.as_deref()),
                            None => call.fail(&"trailers without grpc-status"),
                        }
                    }
                }
            }
            Some(Err(_)) => {
                if let Some(call) = this.call.take() {
                    call.fail(&"response body failed");
                }
            }
            None => {
                if let Some(call) = this.call.take() {
                    call.fail(&"response ended without grpc-status");
                }
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        // While the call is open its status is still to come: a body that
        // says it is over would never be polled, and the span never told.
        self.call.is_none() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_by_role() {
        let server: Vec<i32> = (0..17).filter(|&c| is_error(c, Role::Server)).collect();
        assert_eq!(server, [2, 4, 12, 13, 14, 15]);
        let client: Vec<i32> = (0..17).filter(|&c| is_error(c, Role::Client)).collect();
        assert_eq!(client, (1..17).collect::<Vec<_>>());
    }

    #[test]
    fn statuses_from_headers_and_http() {
        let mut headers = HeaderMap::new();
        assert_eq!(status_of(&headers), None);
        headers.insert("grpc-status", "14".parse().unwrap());
        headers.insert("grpc-message", "down%20for%20maintenance".parse().unwrap());
        assert_eq!(status_of(&headers), Some((14, Some("down for maintenance".into()))));
        assert_eq!(from_http(StatusCode::SERVICE_UNAVAILABLE), 14);
        assert_eq!(from_http(StatusCode::NOT_FOUND), 12);
        assert_eq!(from_http(StatusCode::IM_A_TEAPOT), 2);
    }
}
