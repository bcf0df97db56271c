//! W3C Trace Context and W3C Baggage across process boundaries.
//!
//! [`extract`] reads `traceparent`, `tracestate` and `baggage` from a carrier
//! into a [`Context`]; [`inject`] (or [`inject_current`]) writes them. A
//! carrier is anything implementing [`Extractor`] / [`Injector`]: provided
//! for `http::HeaderMap` (HTTP and gRPC metadata over HTTP/2),
//! `HashMap<String, String>` (message headers) and `Vec<(String, Vec<u8>)>`
//! (Kafka-style byte headers).
//!
//! On the server side, make the span *from* the extracted context with
//! [`Context::child_span`]; see [`crate::context`] for why.
//!
//! ```
//! let mut headers = http::HeaderMap::new();
//! headers.insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
//! headers.insert("baggage", "customer=ann".parse().unwrap());
//! let cx = lantern::propagation::extract(&headers);
//! assert!(cx.span_context().unwrap().is_remote());
//! assert_eq!(cx.baggage().get("customer"), Some("ann"));
//!
//! let mut out = std::collections::HashMap::new();
//! lantern::propagation::inject(&cx, &mut out);
//! assert_eq!(out["traceparent"], "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
//! ```
//!
//! # Never a panic, always a reason
//!
//! Headers are untrusted input. A malformed `traceparent` means a new trace
//! (and its `tracestate` is dropped with it, as the specification asks); a
//! malformed `tracestate` is dropped whole; a malformed baggage member is
//! skipped. Each is counted in [`rejected()`].

mod baggage_header;
mod carrier;
mod counters;
mod traceparent;

pub(crate) use baggage_header::encode_baggage_value;
pub use baggage_header::{format_baggage, parse_baggage};
pub use carrier::{Extractor, Injector};
pub use counters::{RejectedCounts, rejected};
pub use traceparent::{TraceparentError, format_traceparent, parse_traceparent};

use crate::{Context, SpanContext, TraceState};

const TRACEPARENT: &str = "traceparent";
const TRACESTATE: &str = "tracestate";
const BAGGAGE: &str = "baggage";

/// Reads the trace context and baggage from `carrier`.
///
/// ```
/// let cx = lantern::propagation::extract(&http::HeaderMap::new());
/// assert!(cx.span_context().is_none());
/// ```
pub fn extract(carrier: &impl Extractor) -> Context {
    let span = extract_span_context(carrier);
    let baggage_values = carrier.get_all(BAGGAGE);
    let baggage = if baggage_values.is_empty() { Default::default() } else { parse_baggage(baggage_values) };
    Context::new(span, baggage)
}

fn extract_span_context(carrier: &impl Extractor) -> Option<SpanContext> {
    let values = carrier.get_all(TRACEPARENT);
    let first = values.first()?;
    if values.len() > 1 {
        counters::count(&counters::TRACEPARENT_INVALID);
        return None;
    }
    let (trace_id, span_id, flags) = match parse_traceparent(first) {
        Ok(parsed) => parsed,
        Err(_) => {
            counters::count(&counters::TRACEPARENT_INVALID);
            return None;
        }
    };
    let states = carrier.get_all(TRACESTATE);
    let trace_state = if states.is_empty() {
        TraceState::default()
    } else {
        TraceState::parse_headers(states).unwrap_or_else(|_| {
            counters::count(&counters::TRACESTATE_INVALID);
            TraceState::default()
        })
    };
    Some(SpanContext::new(trace_id, span_id, flags, true, trace_state))
}

/// Writes `context` into `carrier`: `traceparent` (when there is a span
/// context), `tracestate` and `baggage` (when not empty).
///
/// ```
/// let mut out = http::HeaderMap::new();
/// lantern::propagation::inject(&lantern::Context::default(), &mut out);
/// assert!(out.is_empty());
/// ```
pub fn inject(context: &Context, carrier: &mut impl Injector) {
    if let Some(span) = context.span_context() {
        carrier.set(TRACEPARENT, format_traceparent(span));
        if !span.trace_state().is_empty() {
            carrier.set(TRACESTATE, span.trace_state().header_value());
        }
    }
    if !context.baggage().is_empty() {
        carrier.set(BAGGAGE, format_baggage(context.baggage()));
    }
}

/// Writes the current span's context and baggage into `carrier`.
///
/// ```
/// let mut out = std::collections::HashMap::new();
/// lantern::propagation::inject_current(&mut out); // no span: nothing written
/// assert!(out.is_empty());
/// ```
pub fn inject_current(carrier: &mut impl Injector) {
    inject(&crate::context::current(), carrier);
}
