//! The W3C `traceparent` header.

use crate::{SpanContext, SpanId, TraceFlags, TraceId};

/// Why a `traceparent` was refused.
///
/// ```
/// let err = lantern::propagation::parse_traceparent("garbage").unwrap_err();
/// assert!(err.to_string().contains("traceparent"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceparentError {
    reason: &'static str,
}

impl std::fmt::Display for TraceparentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid traceparent: {}", self.reason)
    }
}

impl std::error::Error for TraceparentError {}

fn fail(reason: &'static str) -> TraceparentError {
    TraceparentError { reason }
}

fn hex_byte(s: &str) -> Option<u8> {
    let b = s.as_bytes();
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    (b.len() == 2).then_some(())?;
    Some(digit(b[0])? << 4 | digit(b[1])?)
}

/// Parses a `traceparent` value, W3C Trace Context Level 2.
///
/// Version `00` must be exactly 55 characters. Version `ff` is invalid.
/// Later versions are parsed by their first four fields, and must be at least
/// 55 characters with a `-` after the flags if longer. Upper-case hex and
/// all-zero ids are invalid. For version `00` only the defined flags are kept
/// (sampled `0x01` and random `0x02`); later versions keep the byte as sent.
///
/// ```
/// use lantern::propagation::parse_traceparent;
/// let (trace, span, flags) = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03").unwrap();
/// assert_eq!(span.to_string(), "00f067aa0ba902b7");
/// assert!(flags.is_sampled() && flags.is_random());
/// # let _ = trace;
/// assert!(parse_traceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").is_err());
/// ```
pub fn parse_traceparent(value: &str) -> Result<(TraceId, SpanId, TraceFlags), TraceparentError> {
    let value = value.trim_matches(|c| c == ' ' || c == '\t');
    if !value.is_ascii() {
        return Err(fail("not ASCII"));
    }
    if value.len() < 55 {
        return Err(fail("too short"));
    }
    let version = hex_byte(&value[0..2]).ok_or(fail("bad version"))?;
    if version == 0xff {
        return Err(fail("version ff is invalid"));
    }
    if version == 0 && value.len() != 55 {
        return Err(fail("version 00 must be 55 characters"));
    }
    if value.len() > 55 && value.as_bytes()[55] != b'-' {
        return Err(fail("a future version must continue with '-'"));
    }
    let b = value.as_bytes();
    if b[2] != b'-' || b[35] != b'-' || b[52] != b'-' {
        return Err(fail("bad separators"));
    }
    let trace_id = TraceId::from_hex(&value[3..35]).ok_or(fail("bad or zero trace id"))?;
    let span_id = SpanId::from_hex(&value[36..52]).ok_or(fail("bad or zero parent id"))?;
    let flags = hex_byte(&value[53..55]).ok_or(fail("bad flags"))?;
    let flags = if version == 0 { flags & 0x03 } else { flags };
    Ok((trace_id, span_id, TraceFlags::from_u8(flags)))
}

/// Formats a span context as a version `00` `traceparent`.
///
/// ```
/// use lantern::*;
/// let cx = SpanContext::new(TraceId::from_u128(1).unwrap(), SpanId::from_u64(2).unwrap(),
///     TraceFlags::SAMPLED, false, TraceState::default());
/// assert_eq!(lantern::propagation::format_traceparent(&cx),
///     "00-00000000000000000000000000000001-0000000000000002-01");
/// ```
pub fn format_traceparent(cx: &SpanContext) -> String {
    format!("00-{}-{}-{:02x}", cx.trace_id(), cx.span_id(), cx.flags().to_u8() & 0x03)
}
