//! Hex ids as B3 and Jaeger write them: either case, of bounded length;
//! and the remote span context they make.

use crate::ids::{SpanId, TraceId};
use crate::span_context::{SpanContext, TraceFlags};
use crate::trace_state::TraceState;

/// The value of `hex`, 1 to 32 hex digits of either case; `None` for an
/// empty, longer or non-hex input.
pub(super) fn any_case(hex: &str) -> Option<u128> {
    if hex.is_empty() || hex.len() > 32 {
        return None;
    }
    hex.bytes().try_fold(0u128, |acc, c| Some((acc << 4) | u128::from(char::from(c).to_digit(16)? as u8)))
}

/// A trace id of 1 to 32 hex digits (a shorter one left-padded with
/// zeros); `None` when malformed or all zeros.
pub(super) fn trace_id(hex: &str) -> Option<TraceId> {
    TraceId::from_u128(any_case(hex)?)
}

/// A span id of 1 to 16 hex digits; `None` when malformed or all zeros.
pub(super) fn span_id(hex: &str) -> Option<SpanId> {
    if hex.len() > 16 {
        return None;
    }
    // At most 16 digits: always fits in a u64.
    SpanId::from_u64(any_case(hex)? as u64)
}

/// A remote span context as B3 and Jaeger carry it: no `tracestate`, and
/// no random flag (their ids are not promised to be random).
pub(super) fn remote_span(trace: TraceId, span: SpanId, sampled: bool) -> SpanContext {
    SpanContext::new(trace, span, TraceFlags::NONE.with_sampled(sampled), true, TraceState::default())
}
