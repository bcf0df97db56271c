//! The W3C `traceparent` header: `version-traceid-parentid-flags`.

use super::error::{ErrorKind, PropagationError};
use crate::ids::{SpanId, TraceId};
use crate::span_context::{SpanContext, TraceFlags};

/// The flag bits this implementation knows: sampled (0x01) and random (0x02).
const KNOWN_FLAGS: u8 = 0x03;
/// The length of a version `00` value, and the least of any version.
const LEN_00: usize = 55;

/// The value of `hex` if it is all lower-case hex digits (at most 32).
fn lower_hex(hex: &[u8]) -> Option<u128> {
    hex.iter().try_fold(0u128, |acc, &c| {
        let digit = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => return None,
        };
        Some((acc << 4) | u128::from(digit))
    })
}

/// Parses a `traceparent` value by the rules of W3C Trace Context Level 2.
///
/// - Version `00` is exactly 55 characters:
///   `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`.
/// - Version `ff` is invalid.
/// - A later version (`01` to `fe`) is parsed by its first four fields: it
///   must be at least 55 characters, and if longer, continue with `-` right
///   after the flags (whatever follows is that version's business).
/// - Hex is lower-case only; an all-zero trace id or parent id is invalid.
/// - Of the flags, only the bits this implementation knows are kept, sampled
///   (`0x01`) and random (`0x02`): the others are reserved, and the
///   specification asks that they be zero when we propagate. Spaces and tabs
///   around the value are ignored.
///
/// ```
/// use lantern::propagation::parse_traceparent;
/// let (trace, span, flags) = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03").unwrap();
/// assert_eq!(trace.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// assert_eq!(span.to_string(), "00f067aa0ba902b7");
/// assert!(flags.is_sampled() && flags.is_random());
/// assert!(parse_traceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").is_err());
/// assert!(parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-more").is_ok());
/// ```
pub fn parse_traceparent(value: &str) -> Result<(TraceId, SpanId, TraceFlags), PropagationError> {
    let fail = |kind| Err(PropagationError::new(kind));
    let b = value.trim_matches([' ', '\t']).as_bytes();
    if !b.is_ascii() {
        return fail(ErrorKind::NotAscii);
    }
    if b.len() < LEN_00 {
        return fail(ErrorKind::TooShort);
    }
    let Some(version) = lower_hex(&b[0..2]) else {
        return fail(ErrorKind::Version);
    };
    match version {
        0xff => return fail(ErrorKind::VersionFf),
        0x00 if b.len() != LEN_00 => return fail(ErrorKind::Version00Length),
        _ if b.len() > LEN_00 && b[LEN_00] != b'-' => return fail(ErrorKind::FutureVersionSeparator),
        _ => {}
    }
    if b[2] != b'-' || b[35] != b'-' || b[52] != b'-' {
        return fail(ErrorKind::Separator);
    }
    let trace_id = match lower_hex(&b[3..35]) {
        None => return fail(ErrorKind::TraceId),
        Some(raw) => match TraceId::from_u128(raw) {
            None => return fail(ErrorKind::ZeroTraceId),
            Some(id) => id,
        },
    };
    let span_id = match lower_hex(&b[36..52]) {
        None => return fail(ErrorKind::ParentId),
        // 16 hex digits always fit in a u64.
        Some(raw) => match SpanId::from_u64(raw as u64) {
            None => return fail(ErrorKind::ZeroParentId),
            Some(id) => id,
        },
    };
    let Some(flags) = lower_hex(&b[53..55]) else {
        return fail(ErrorKind::Flags);
    };
    Ok((trace_id, span_id, TraceFlags::from_u8(flags as u8 & KNOWN_FLAGS)))
}

/// Formats a span context as a version `00` `traceparent`, keeping only the
/// sampled and random flags.
///
/// ```
/// use lantern::*;
/// use lantern::context::*;
/// let cx = SpanContext::new(TraceId::from_u128(1).unwrap(), SpanId::from_u64(2).unwrap(),
///     TraceFlags::SAMPLED, false, TraceState::default());
/// assert_eq!(lantern::propagation::format_traceparent(&cx),
///     "00-00000000000000000000000000000001-0000000000000002-01");
/// ```
pub fn format_traceparent(cx: &SpanContext) -> String {
    format!("00-{}-{}-{:02x}", cx.trace_id(), cx.span_id(), cx.flags().to_u8() & KNOWN_FLAGS)
}
