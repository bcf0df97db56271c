//! Process-wide counts of rejected propagation input.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

pub(crate) static TRACEPARENT_INVALID: AtomicU64 = AtomicU64::new(0);
pub(crate) static TRACESTATE_INVALID: AtomicU64 = AtomicU64::new(0);
pub(crate) static TRACESTATE_DUPLICATE_DROPPED: AtomicU64 = AtomicU64::new(0);
pub(crate) static TRACESTATE_THRESHOLD_INVALID: AtomicU64 = AtomicU64::new(0);
pub(crate) static B3_INVALID: AtomicU64 = AtomicU64::new(0);
pub(crate) static JAEGER_INVALID: AtomicU64 = AtomicU64::new(0);
pub(crate) static BAGGAGE_MEMBER_INVALID: AtomicU64 = AtomicU64::new(0);
pub(crate) static BAGGAGE_OVER_LIMIT: AtomicU64 = AtomicU64::new(0);

/// Counters only ever grow and are read as independent statistics, so
/// `Relaxed` is enough.
pub(crate) fn count(counter: &AtomicU64) {
    counter.fetch_add(1, Relaxed);
}

/// Adds `n` to `counter`.
pub(crate) fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Relaxed);
}

/// How much received propagation input was ignored, and why.
///
/// The counts are **process-wide**: one set of counters shared by every
/// subscriber, layer and thread, counting since the process started. They
/// never reset; compare two snapshots to see what happened in between.
///
/// ```
/// let before = lantern::propagation::rejected();
/// let mut h = http::HeaderMap::new();
/// h.insert("traceparent", "nonsense".parse().unwrap());
/// lantern::propagation::extract(&h);
/// assert!(lantern::propagation::rejected().traceparent_invalid > before.traceparent_invalid);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RejectedCounts {
    /// `traceparent` headers ignored, so that a new trace was started: a
    /// malformed value, or more than one `traceparent` header.
    pub traceparent_invalid: u64,
    /// `tracestate` headers dropped whole (beside a valid `traceparent`).
    pub tracestate_invalid: u64,
    /// `tracestate` members dropped because their key came earlier in the
    /// list: the first occurrence is kept, the header is not dropped.
    pub tracestate_duplicate_dropped: u64,
    /// OpenTelemetry sampling thresholds (`ot=th:...` in `tracestate`) that
    /// do not parse, at the roots of traces continued here: ignored, so the
    /// trace's adjusted count is not read from them.
    pub tracestate_threshold_invalid: u64,
    /// B3 contexts ignored: a malformed `b3` header or set of `X-B3-*`
    /// headers, or one of them given twice (when B3 is configured).
    pub b3_invalid: u64,
    /// Jaeger `uber-trace-id` headers ignored: malformed, or given twice
    /// (when Jaeger is configured).
    pub jaeger_invalid: u64,
    /// Baggage members skipped as malformed (W3C `baggage` members and
    /// Jaeger `uberctx-` headers).
    pub baggage_member_invalid: u64,
    /// Baggage members dropped by the 64-member or 8192-byte limit.
    pub baggage_over_limit: u64,
}

/// A snapshot of the process-wide [`RejectedCounts`].
///
/// ```
/// let before = lantern::propagation::rejected().baggage_member_invalid;
/// lantern::propagation::parse_baggage(["no equals sign"]);
/// assert!(lantern::propagation::rejected().baggage_member_invalid > before);
/// ```
pub fn rejected() -> RejectedCounts {
    RejectedCounts {
        traceparent_invalid: TRACEPARENT_INVALID.load(Relaxed),
        tracestate_invalid: TRACESTATE_INVALID.load(Relaxed),
        tracestate_duplicate_dropped: TRACESTATE_DUPLICATE_DROPPED.load(Relaxed),
        tracestate_threshold_invalid: TRACESTATE_THRESHOLD_INVALID.load(Relaxed),
        b3_invalid: B3_INVALID.load(Relaxed),
        jaeger_invalid: JAEGER_INVALID.load(Relaxed),
        baggage_member_invalid: BAGGAGE_MEMBER_INVALID.load(Relaxed),
        baggage_over_limit: BAGGAGE_OVER_LIMIT.load(Relaxed),
    }
}
