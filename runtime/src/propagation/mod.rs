//! W3C Trace Context and W3C Baggage across process boundaries.
//!
//! A trace that stops at the edge of a process is half a trace. When a
//! service calls another, the caller writes its trace context into the
//! request's headers (*inject*), and the callee reads it back (*extract*) and
//! makes its server span a child of the caller's span. This module does both,
//! with the headers of the W3C recommendations, so Lantern interoperates with
//! OpenTelemetry and every other tracer that speaks them:
//!
//! | header        | carries                                        | specification                |
//! |---------------|------------------------------------------------|------------------------------|
//! | `traceparent` | version, trace id, parent span id, trace flags | W3C Trace Context Level 2    |
//! | `tracestate`  | vendor-specific data, up to 32 members         | W3C Trace Context Level 2    |
//! | `baggage`     | application key-value pairs                    | W3C Baggage                  |
//!
//! # Extract and inject
//!
//! [`extract`] reads all three headers from a carrier into a [`Context`];
//! [`inject`] (or [`inject_current`], for the current span) writes one back.
//! A carrier is anything implementing [`Extractor`] / [`Injector`]; both are
//! provided for `http::HeaderMap` (HTTP, and gRPC metadata over HTTP/2),
//! `HashMap<String, String>` (message headers) and `Vec<(String, Vec<u8>)>`
//! (Kafka-style byte headers).
//!
//! ```
//! let mut headers = http::HeaderMap::new();
//! headers.insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
//! headers.insert("tracestate", "congo=t61rcWkgMzE".parse().unwrap());
//! headers.insert("baggage", "customer=ann%20b".parse().unwrap());
//!
//! let cx = lantern::propagation::extract(&headers);
//! let remote = cx.span_context().unwrap();
//! assert!(remote.is_remote() && remote.is_sampled());
//! assert_eq!(remote.trace_state().get("congo"), Some("t61rcWkgMzE"));
//! assert_eq!(cx.baggage().get("customer"), Some("ann b"));
//!
//! let mut out = std::collections::HashMap::new();
//! lantern::propagation::inject(&cx, &mut out);
//! assert_eq!(out["traceparent"], "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
//! assert_eq!(out["baggage"], "customer=ann%20b");
//! ```
//!
//! On the server side, make the span *from* the extracted context with
//! [`Context::child_span`]; see [`crate::context`] for why it is a closure.
//! [`inject`] makes the carrier carry exactly the given context: a header
//! the context has nothing for is removed ([`Injector::unset`]), so a reused
//! or forwarded carrier never pairs a new `traceparent` with a stale
//! `tracestate`.
//!
//! # The rules enforced
//!
//! **`traceparent`** ([`parse_traceparent`]): version `00` is exactly 55
//! characters, `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`;
//! version `ff` is invalid; a later version is read by its first four
//! fields, and must be at least 55 characters with a `-` after the flags if
//! longer. Hex is lower-case; all-zero ids are invalid. Only the flags this
//! implementation knows are kept, sampled (`0x01`) and random (`0x02`): the
//! specification reserves the others and asks that they be zero when
//! propagated, and we always propagate version `00`. Two `traceparent`
//! headers are invalid too, as there is no telling which is right.
//!
//! **`tracestate`** ([`parse_tracestate`], and [`TraceState`]): at most 32
//! members; keys `[a-z0-9][_0-9a-z\-*/]{0,255}` or `tenant@system`; values 1
//! to 256 printable ASCII characters without `,` or `=`, not ending in a
//! space; white space around members and empty members allowed; several
//! headers form one list, in order. One bad member, a key given twice or a
//! 33rd member drops the whole header. A `tracestate` is only read beside a
//! valid `traceparent`: without one there is no trace to attach it to.
//!
//! **`baggage`** ([`parse_baggage`], [`format_baggage`], and [`Baggage`]):
//! members `key=value;property;property=value` joined by `,`; keys are RFC
//! 7230 tokens; values are percent-decoded on extract and percent-encoded on
//! inject (everything outside the `baggage-octet` set, and `%`); properties
//! are kept raw. At most 64 members and 8192 bytes. Baggage is independent
//! of the trace context: it is extracted even when `traceparent` is not.
//!
//! # Never a panic, always a reason
//!
//! Headers are untrusted input, so nothing here panics on any of them, and
//! nothing fails a request either: a malformed `traceparent` means a new
//! trace (and its `tracestate` goes with it, as the specification asks); a
//! malformed `tracestate` is dropped whole and the trace continues; a
//! malformed baggage member is skipped, and members past the limits are
//! dropped, keeping the rest. Each of these is counted in the process-wide
//! [`rejected()`] counters, so a misbehaving peer shows up in metrics rather
//! than as silently broken traces.

mod baggage_header;
mod carrier;
pub(crate) mod counters;
mod error;
mod traceparent;

pub use baggage_header::{format_baggage, parse_baggage};
pub use carrier::{Extractor, Injector};
pub use counters::{RejectedCounts, rejected};
pub use error::PropagationError;
pub use traceparent::{format_traceparent, parse_traceparent};

use crate::baggage::Baggage;
use crate::context::value::Context;
use crate::span_context::SpanContext;
use crate::trace_state::{TraceState, TraceStateError};

const TRACEPARENT: &str = "traceparent";
const TRACESTATE: &str = "tracestate";
const BAGGAGE: &str = "baggage";

/// Reads the trace context and baggage from `carrier`.
///
/// The span context, when `traceparent` is valid, is remote
/// ([`SpanContext::is_remote`]) and carries the `tracestate`. Invalid input
/// is ignored and counted (see the [module docs](self)); this never panics.
///
/// ```
/// let mut headers = std::collections::HashMap::new();
/// headers.insert("traceparent".to_owned(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00".to_owned());
/// let cx = lantern::propagation::extract(&headers);
/// assert!(!cx.span_context().unwrap().is_sampled());
/// assert!(lantern::propagation::extract(&http::HeaderMap::new()).span_context().is_none());
/// ```
pub fn extract(carrier: &(impl Extractor + ?Sized)) -> Context {
    let span = extract_span_context(carrier);
    let baggage_values = carrier.get_all(BAGGAGE);
    let baggage = if baggage_values.is_empty() { Baggage::default() } else { parse_baggage(baggage_values) };
    Context::new(span, baggage)
}

fn extract_span_context(carrier: &(impl Extractor + ?Sized)) -> Option<SpanContext> {
    let parsed = match carrier.get_all(TRACEPARENT).as_slice() {
        [] => return None,
        [one] => parse_traceparent(one).ok(),
        [_, _, ..] => None,
    };
    let Some((trace_id, span_id, flags)) = parsed else {
        counters::count(&counters::TRACEPARENT_INVALID);
        return None;
    };
    let states = carrier.get_all(TRACESTATE);
    let trace_state = if states.is_empty() {
        TraceState::default()
    } else {
        TraceState::parse_headers(states.into_iter()).unwrap_or_else(|_| {
            counters::count(&counters::TRACESTATE_INVALID);
            TraceState::default()
        })
    };
    Some(SpanContext::new(trace_id, span_id, flags, true, trace_state))
}

/// Parses one or more received `tracestate` header values as one list, in
/// order; any broken rule fails the whole list (see [`TraceState`]).
///
/// ```
/// use lantern::propagation::parse_tracestate;
/// let ts = parse_tracestate(["rojo=00f067aa0ba902b7", " congo=t61rcWkgMzE ,,"]).unwrap();
/// assert_eq!(ts.header_value(), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
/// let err = parse_tracestate(["a=1,a=2"]).unwrap_err();
/// assert_eq!(err.to_string(), "tracestate key given twice");
/// ```
pub fn parse_tracestate<'a>(values: impl IntoIterator<Item = &'a str>) -> Result<TraceState, TraceStateError> {
    TraceState::parse_headers(values.into_iter())
}

/// Writes `context` into `carrier`: `traceparent` (version `00`) when there
/// is a span context, `tracestate` and `baggage` when not empty. Headers
/// the context has nothing for are removed from the carrier.
///
/// ```
/// use lantern::*;
/// use lantern::context::*;
/// let span = SpanContext::new(TraceId::from_u128(1).unwrap(), SpanId::from_u64(2).unwrap(),
///     TraceFlags::SAMPLED, false, TraceState::default().insert("v", "1").unwrap());
/// let mut headers = http::HeaderMap::new();
/// lantern::propagation::inject(&Context::new(Some(span), Baggage::default()), &mut headers);
/// assert_eq!(headers["traceparent"], "00-00000000000000000000000000000001-0000000000000002-01");
/// assert_eq!(headers["tracestate"], "v=1");
/// assert!(headers.get("baggage").is_none());
/// ```
pub fn inject(context: &Context, carrier: &mut (impl Injector + ?Sized)) {
    match context.span_context() {
        Some(span) => {
            carrier.set(TRACEPARENT, format_traceparent(span));
            match span.trace_state() {
                ts if ts.is_empty() => carrier.unset(TRACESTATE),
                ts => carrier.set(TRACESTATE, ts.header_value()),
            }
        }
        None => {
            carrier.unset(TRACEPARENT);
            carrier.unset(TRACESTATE);
        }
    }
    match context.baggage() {
        b if b.is_empty() => carrier.unset(BAGGAGE),
        b => carrier.set(BAGGAGE, format_baggage(b)),
    }
}

/// Writes the current span's context and baggage into `carrier`: the same as
/// `inject(&lantern::context::current(), carrier)`.
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
/// let subscriber = tracing_subscriber::registry().with(lantern::layer());
/// tracing::subscriber::with_default(subscriber, || {
///     let mut out = std::collections::HashMap::new();
///     lantern::propagation::inject_current(&mut out); // no span: nothing written
///     assert!(out.is_empty());
///     tracing::info_span!("client").in_scope(|| lantern::propagation::inject_current(&mut out));
///     assert!(out.contains_key("traceparent"));
/// });
/// ```
pub fn inject_current(carrier: &mut (impl Injector + ?Sized)) {
    inject(&crate::context::current(), carrier);
}
