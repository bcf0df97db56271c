//! Process-wide counts of rejected propagation input.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

pub(crate) static TRACEPARENT_INVALID: AtomicU64 = AtomicU64::new(0);
pub(crate) static TRACESTATE_INVALID: AtomicU64 = AtomicU64::new(0);
pub(crate) static BAGGAGE_MEMBER_INVALID: AtomicU64 = AtomicU64::new(0);
pub(crate) static BAGGAGE_OVER_LIMIT: AtomicU64 = AtomicU64::new(0);

pub(crate) fn count(counter: &AtomicU64) {
    counter.fetch_add(1, Relaxed);
}

/// How much propagation input was ignored, and why, since the process
/// started (process-wide, across every subscriber).
///
/// ```
/// let before = lantern::propagation::rejected().traceparent_invalid;
/// let mut h = http::HeaderMap::new();
/// h.insert("traceparent", "nonsense".parse().unwrap());
/// lantern::propagation::extract(&h);
/// assert!(lantern::propagation::rejected().traceparent_invalid > before);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RejectedCounts {
    /// `traceparent` headers ignored (a new trace was started).
    pub traceparent_invalid: u64,
    /// `tracestate` headers dropped whole.
    pub tracestate_invalid: u64,
    /// Baggage members skipped as malformed.
    pub baggage_member_invalid: u64,
    /// Baggage members dropped by the 64-member or 8192-byte limit.
    pub baggage_over_limit: u64,
}

/// The counts so far.
///
/// ```
/// let counts = lantern::propagation::rejected();
/// # let _ = counts.baggage_over_limit;
/// ```
pub fn rejected() -> RejectedCounts {
    RejectedCounts {
        traceparent_invalid: TRACEPARENT_INVALID.load(Relaxed),
        tracestate_invalid: TRACESTATE_INVALID.load(Relaxed),
        baggage_member_invalid: BAGGAGE_MEMBER_INVALID.load(Relaxed),
        baggage_over_limit: BAGGAGE_OVER_LIMIT.load(Relaxed),
    }
}
