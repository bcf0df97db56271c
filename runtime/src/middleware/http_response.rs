//! The response side of the HTTP layers: [`HttpResponseFuture`] polls the
//! inner future inside the span, records the status (or the failure), ends
//! the span, and on a server that asks for it writes the W3C
//! `traceresponse` header.
//!
//! # `traceresponse`
//!
//! W3C Trace Context Level 2 defines a response header,
//! [`traceresponse`](https://w3c.github.io/trace-context/#traceresponse-header),
//! that tells the caller where the server's work went:
//! `00-{trace-id}-{child-id}-{trace-flags}`, the ids being those of the
//! server span and the flags its sampling decision. A caller that sent no
//! `traceparent` (a browser, `curl`) learns the trace id to look up; one
//! that did learns whether the server sampled it. Off by default, since it
//! tells any client the ids and the sampling decision: turn it on with
//! [`HttpServerLayer::traceresponse`](super::HttpServerLayer::traceresponse).
//! The value is made when the server span is, so it costs nothing per
//! poll, and it replaces a `traceresponse` the inner service set.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll, ready};

use http::{HeaderName, HeaderValue, Response, StatusCode, Version};
use pin_project_lite::pin_project;
use tracing::Span;

use super::attributes as attr;
use super::outcome::{Role, record_failure};

/// The W3C `traceresponse` response header.
const TRACERESPONSE: HeaderName = HeaderName::from_static("traceresponse");

/// The `traceresponse` value for the server span `span`: its trace id,
/// span id and flags; `None` when no Lantern layer keeps a context for it.
pub(crate) fn traceresponse(span: &Span) -> Option<HeaderValue> {
    let cx = span.in_scope(crate::context::current);
    let value = crate::propagation::format_traceparent(cx.span_context()?);
    HeaderValue::from_str(&value).ok()
}

pin_project! {
    /// The response future of [`HttpServerService`](super::HttpServerService) and
    /// [`HttpClientService`](super::HttpClientService): polls the inner future inside the span, and
    /// records the response status (or the failure) and ends the span when
    /// it completes.
    ///
    /// ```
    /// use tower::{Layer, Service};
    /// let app = tower::service_fn(|_: http::Request<()>| async {
    ///     Ok::<_, std::convert::Infallible>(http::Response::new(()))
    /// });
    /// let mut app = lantern::middleware::HttpServerLayer::new().layer(app);
    /// let future: lantern::middleware::HttpResponseFuture<_> = app.call(http::Request::new(()));
    /// # drop(future);
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct HttpResponseFuture<F> {
        #[pin]
        inner: F,
        span: Option<Span>,
        role: Role,
        traceresponse: Option<HeaderValue>,
    }
}

impl<F> HttpResponseFuture<F> {
    /// The future of a call in `span`, which writes `traceresponse` (see the
    /// module docs) into the response when given.
    pub(crate) fn new(inner: F, span: Span, role: Role, traceresponse: Option<HeaderValue>) -> Self {
        HttpResponseFuture { inner, span: Some(span), role, traceresponse }
    }
}

impl<F: fmt::Debug> fmt::Debug for HttpResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponseFuture").field("inner", &self.inner).field("span", &self.span).finish()
    }
}

impl<F, ResB, E> Future for HttpResponseFuture<F>
where
    F: Future<Output = Result<Response<ResB>, E>>,
    E: fmt::Display,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Some(span) = this.span.as_ref() else { return this.inner.poll(cx) };
        let mut result = ready!(span.in_scope(|| this.inner.poll(cx)));
        // Taken, so the span ends here, before the response goes anywhere.
        let span = this.span.take().unwrap_or_else(Span::none);
        match &mut result {
            Ok(response) => {
                record_response(&span, response.status(), response.version(), *this.role);
                if let Some(value) = this.traceresponse.take() {
                    response.headers_mut().insert(TRACERESPONSE, value);
                }
            }
            Err(error) => record_failure(&span, error),
        }
        Poll::Ready(result)
    }
}

fn record_response(span: &Span, status: StatusCode, version: Version, role: Role) {
    span.record("http.response.status_code", i64::from(status.as_u16()));
    if role == Role::Client {
        if let Some(version) = attr::protocol_version(version) {
            span.record("network.protocol.version", version);
        }
    }
    let failed = match role {
        Role::Server => status.is_server_error(),
        Role::Client => status.is_client_error() || status.is_server_error(),
    };
    if failed {
        span.record("error.type", status.as_str());
        span.record("otel.status_code", "ERROR");
    }
}
