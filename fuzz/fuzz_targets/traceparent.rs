//! `traceparent`: `parse_traceparent` on any string never panics, agrees with
//! an independent reading of the rules it documents, and what it accepts
//! formats back (`format_traceparent`) to a value that parses to the same
//! ids and flags.
#![no_main]

use lantern::context::{SpanContext, TraceFlags, TraceState};
use lantern::propagation::{format_traceparent, parse_traceparent};
use libfuzzer_sys::fuzz_target;

/// The rules of `parse_traceparent`'s documentation, written another way:
/// by fields rather than by offsets.
fn model(value: &str) -> Option<(u128, u64, u8)> {
    let v = value.trim_matches([' ', '\t']);
    if !v.is_ascii() {
        return None;
    }
    let lower_hex = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| u128::from_str_radix(s, 16).unwrap())
    };
    let fields: Vec<&str> = v.splitn(5, '-').collect();
    let version = lower_hex(fields.first()?, 2)?;
    match (version, fields.len()) {
        (0xff, _) => return None,
        (0x00, 4) => {}
        (0x00, _) => return None,
        // A later version: the four fields, then optionally `-` and anything.
        (_, 4 | 5) => {}
        _ => return None,
    }
    let trace = lower_hex(fields[1], 32).filter(|&t| t != 0)?;
    let span = lower_hex(fields[2], 16).filter(|&s| s != 0)?;
    let flags = lower_hex(fields[3], 2)?;
    Some((trace, span as u64, flags as u8 & 0x03))
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    let parsed = parse_traceparent(input);
    let got = parsed.as_ref().ok().map(|(t, s, f)| (t.to_u128(), s.to_u64(), f.to_u8()));
    assert_eq!(got, model(input), "parse_traceparent disagrees with the documented rules on {input:?}");
    match parsed {
        Err(e) => {
            // The error explains itself without panicking.
            let _ = e.to_string();
        }
        Ok((trace, span, flags)) => {
            assert_eq!(flags.to_u8() & !0x03, 0, "an unknown flag was kept");
            for remote in [false, true] {
                let cx = SpanContext::new(trace, span, flags, remote, TraceState::default());
                let formatted = format_traceparent(&cx);
                assert_eq!(formatted.len(), 55, "{formatted:?}");
                assert!(formatted.starts_with("00-"), "{formatted:?}");
                assert!(http::HeaderValue::from_str(&formatted).is_ok(), "{formatted:?} is not a header value");
                let again = parse_traceparent(&formatted).expect("a formatted traceparent parses");
                assert_eq!(again, (trace, span, flags), "{input:?} -> {formatted:?}");
                let cx2 = SpanContext::new(again.0, again.1, again.2, remote, TraceState::default());
                assert_eq!(format_traceparent(&cx2), formatted, "formatting is not stable");
            }
            // A version-00 value with only known flags formats back to itself.
            let trimmed = input.trim_matches([' ', '\t']);
            if trimmed.starts_with("00-")
                && flags == TraceFlags::from_u8(u8::from_str_radix(&trimmed[53..], 16).unwrap())
            {
                let cx = SpanContext::new(trace, span, flags, true, TraceState::default());
                assert_eq!(format_traceparent(&cx), trimmed);
            }
        }
    }
});
