//! What the HTTP and gRPC layers share about how a call ends: which end of
//! the call a span is ([`Role`]), which decides the statuses that make it
//! an error, and how a call that failed without any status is recorded
//! ([`record_failure`]).

use std::fmt;

use tracing::Span;

/// Which end of a call a span is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Server,
    Client,
}

/// The call failed without a status (the inner service failed, or a gRPC
/// body failed or ended too soon): `error.type = _OTHER`, an error status
/// with the error's text as its message.
pub(crate) fn record_failure(span: &Span, error: &dyn fmt::Display) {
    span.record("error.type", "_OTHER");
    span.record("otel.status_code", "ERROR");
    span.record("otel.status_message", error.to_string().as_str());
}
