//! Evidence of a lost trace context: a request that carries no valid
//! `traceparent` but does carry what only tracing instrumentation sends. Its
//! server span then starts a new trace although the caller traces; the
//! server layers mark that span with `lantern.context_lost`, and the
//! tracing-quality analysis counts it
//! ([`Check::ContextLost`](crate::insights::Check::ContextLost)).
//!
//! | evidence | value |
//! |---|---|
//! | a `traceparent` header that was rejected (malformed, or given twice) | `invalid_traceparent` |
//! | a `tracestate` header without a valid `traceparent` | `tracestate_only` |
//! | B3 (`b3`, `x-b3-traceid`) or Jaeger (`uber-trace-id`) headers: the caller traces with another propagator | `other_propagator` |
//! | a `baggage` header alone | `baggage_only` |
//!
//! Headers an edge adds by itself (`x-amzn-trace-id`, `x-cloud-trace-context`,
//! `x-request-id`) are not evidence: a load balancer sends them in front of
//! uninstrumented callers too. Baggage alone is, with one caveat: an edge
//! proxy that adds baggage on purpose (a `lantern-debug` entry, say) shows
//! up here.
//!
//! Cost: nothing when the request has a valid context; otherwise up to five
//! header look-ups, no allocation.

use http::{HeaderMap, HeaderName};

use crate::context::value::Context;

const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
const TRACESTATE: HeaderName = HeaderName::from_static("tracestate");
const BAGGAGE: HeaderName = HeaderName::from_static("baggage");
const OTHER_PROPAGATORS: [HeaderName; 3] =
    [HeaderName::from_static("b3"), HeaderName::from_static("x-b3-traceid"), HeaderName::from_static("uber-trace-id")];

/// Why the server span of a request extracted as `cx` from `headers`
/// counts as having lost its context, if it does (see the module docs).
pub(crate) fn lost_context(cx: &Context, headers: &HeaderMap) -> Option<&'static str> {
    if cx.span_context().is_some() {
        return None;
    }
    if headers.contains_key(TRACEPARENT) {
        Some("invalid_traceparent")
    } else if headers.contains_key(TRACESTATE) {
        Some("tracestate_only")
    } else if OTHER_PROPAGATORS.iter().any(|h| headers.contains_key(h)) {
        Some("other_propagator")
    } else if headers.contains_key(BAGGAGE) {
        Some("baggage_only")
    } else {
        None
    }
}

/// The same for a message whose headers gave `cx`: baggage with no trace
/// context is the only evidence left once the headers are read.
pub(crate) fn lost_message_context(cx: &Context) -> Option<&'static str> {
    (cx.span_context().is_none() && !cx.baggage().is_empty()).then_some("baggage_only")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lost(pairs: &[(&'static str, &'static str)]) -> Option<&'static str> {
        let mut headers = HeaderMap::new();
        for &(k, v) in pairs {
            headers.append(k, v.parse().unwrap());
        }
        lost_context(&crate::propagation::extract(&headers), &headers)
    }

    #[test]
    fn evidence_of_an_instrumented_caller() {
        let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(lost(&[]), None);
        assert_eq!(lost(&[("traceparent", valid), ("baggage", "a=1")]), None);
        assert_eq!(lost(&[("traceparent", "00-nope")]), Some("invalid_traceparent"));
        assert_eq!(lost(&[("traceparent", valid), ("traceparent", valid)]), Some("invalid_traceparent"));
        assert_eq!(lost(&[("tracestate", "a=1")]), Some("tracestate_only"));
        assert_eq!(lost(&[("X-B3-TraceId", "80f198ee56343ba864fe8b2a57d3eff7")]), Some("other_propagator"));
        assert_eq!(lost(&[("uber-trace-id", "1:2:0:1")]), Some("other_propagator"));
        assert_eq!(lost(&[("baggage", "a=1")]), Some("baggage_only"));
        assert_eq!(lost(&[("x-amzn-trace-id", "Root=1-5759e988-bd862e3fe1be46a994272793")]), None);
    }
}
