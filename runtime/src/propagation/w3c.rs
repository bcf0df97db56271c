//! The W3C headers as parts of the composite propagator: the span context
//! of `traceparent` and `tracestate`, and the `baggage` header.

use super::baggage_header::{format_baggage, parse_baggage};
use super::carrier::{Extractor, Injector};
use super::counters;
use super::traceparent::{format_traceparent, parse_traceparent};
use crate::baggage::Baggage;
use crate::span_context::SpanContext;
use crate::trace_state::{TraceState, TraceStateError};

pub(super) const TRACEPARENT: &str = "traceparent";
pub(super) const TRACESTATE: &str = "tracestate";
pub(super) const BAGGAGE: &str = "baggage";

/// The remote span context of `traceparent` and `tracestate`: `None` when
/// there is no `traceparent`, or an invalid one (counted), or several.
pub(super) fn extract_span_context(carrier: &(impl Extractor + ?Sized)) -> Option<SpanContext> {
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
        parse_tracestate(states).unwrap_or_else(|_| {
            counters::count(&counters::TRACESTATE_INVALID);
            TraceState::default()
        })
    };
    Some(SpanContext::new(trace_id, span_id, flags, true, trace_state))
}

/// The `baggage` headers of `carrier`, parsed as one list.
pub(super) fn extract_baggage(carrier: &(impl Extractor + ?Sized)) -> Baggage {
    let values = carrier.get_all(BAGGAGE);
    if values.is_empty() { Baggage::default() } else { parse_baggage(values) }
}

/// Parses one or more received `tracestate` header values as one list, in
/// order; any broken rule fails the whole list (see [`TraceState`]), but a
/// key given twice keeps its first occurrence, the later ones dropped and
/// counted in
/// [`RejectedCounts::tracestate_duplicate_dropped`](super::RejectedCounts::tracestate_duplicate_dropped).
///
/// ```
/// use lantern::propagation::parse_tracestate;
/// let ts = parse_tracestate(["rojo=00f067aa0ba902b7", " congo=t61rcWkgMzE ,,"]).unwrap();
/// assert_eq!(ts.header_value(), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
/// assert_eq!(parse_tracestate(["a=1,b@vendor=2,a=3"]).unwrap().header_value(), "a=1,b@vendor=2");
/// let err = parse_tracestate(["a=1,Upper=2"]).unwrap_err();
/// assert!(err.to_string().starts_with("invalid tracestate key"));
/// ```
pub fn parse_tracestate<'a>(values: impl IntoIterator<Item = &'a str>) -> Result<TraceState, TraceStateError> {
    let (state, duplicates) = TraceState::parse_headers(values.into_iter())?;
    if duplicates > 0 {
        counters::add(&counters::TRACESTATE_DUPLICATE_DROPPED, duplicates as u64);
    }
    Ok(state)
}

/// Writes `traceparent` (version `00`) and `tracestate` when not empty, or
/// removes them.
pub(super) fn inject_span_context(span: Option<&SpanContext>, carrier: &mut (impl Injector + ?Sized)) {
    match span {
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
}

/// Writes `baggage` when not empty, or removes it.
pub(super) fn inject_baggage(baggage: &Baggage, carrier: &mut (impl Injector + ?Sized)) {
    if baggage.is_empty() {
        carrier.unset(BAGGAGE);
    } else {
        carrier.set(BAGGAGE, format_baggage(baggage));
    }
}
