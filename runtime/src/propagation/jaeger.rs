//! Jaeger's own propagation format: the `uber-trace-id` header and
//! `uberctx-{key}` baggage headers.
//!
//! `uber-trace-id: {trace-id}:{span-id}:{parent-span-id}:{flags}`, each id
//! 1 to 32 (trace) or 1 to 16 (span, parent) hex digits of either case,
//! shorter ones left-padded with zeros; the parent is deprecated and
//! ignored (`0` is what clients send now); the flags are one byte in hex,
//! bit 1 sampled and bit 2 debug (debug implies sampled). Proxies and some
//! clients url-encode the value (`%3A` for `:`), so it is percent-decoded
//! first. Every `uberctx-{key}` header is a baggage entry `key`, its value
//! url-decoded.

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

use super::carrier::{Extractor, Injector};
use super::counters;
use super::hex;
use crate::baggage::Baggage;
use crate::span_context::SpanContext;

pub(super) const HEADER: &str = "uber-trace-id";
pub(super) const BAGGAGE_PREFIX: &str = "uberctx-";

/// The longest valid value, url-encoded: 32 + 16 + 16 + 2 digits and three
/// `%3A`. Anything longer is refused before it is decoded.
const MAX_ENCODED: usize = 32 + 16 + 16 + 2 + 3 * 3;

const SAMPLED: u8 = 0x01;
const DEBUG: u8 = 0x02;

/// What a valid `uber-trace-id` says: the remote span context, and whether
/// the debug flag is set.
pub(super) fn parse(value: &str) -> Option<(SpanContext, bool)> {
    let value = value.trim_matches([' ', '\t']);
    if value.len() > MAX_ENCODED {
        return None;
    }
    let decoded = percent_decode_str(value).decode_utf8().ok()?;
    let mut fields = decoded.split(':');
    let (trace, span, parent, flags) = (fields.next()?, fields.next()?, fields.next()?, fields.next()?);
    if fields.next().is_some() {
        return None;
    }
    let trace = hex::trace_id(trace)?;
    let span = hex::span_id(span)?;
    // Deprecated, and `0` in current clients: only checked to be hex.
    if parent.is_empty() || parent.len() > 16 || hex::any_case(parent).is_none() {
        return None;
    }
    if flags.len() > 2 {
        return None;
    }
    let flags = hex::any_case(flags)? as u8;
    let debug = flags & DEBUG != 0;
    let sampled = flags & SAMPLED != 0 || debug;
    Some((hex::remote_span(trace, span, sampled), debug))
}

/// Adds the `uberctx-{key}` headers of `carrier` to `baggage`, url-decoded,
/// for keys it does not have yet. A key that is not a baggage token, a
/// value that does not decode to UTF-8, and entries past the baggage limits
/// are skipped and counted.
pub(super) fn extract_baggage(carrier: &(impl Extractor + ?Sized), baggage: &mut Baggage) {
    for name in carrier.keys() {
        let Some(key) = strip_prefix_ignore_case(name, BAGGAGE_PREFIX) else { continue };
        let key = key.to_ascii_lowercase();
        if baggage.get(&key).is_some() {
            continue;
        }
        let Some(raw) = carrier.get_all(name).into_iter().next() else { continue };
        let Ok(value) = percent_decode_str(raw.trim_matches([' ', '\t'])).decode_utf8() else {
            counters::count(&counters::BAGGAGE_MEMBER_INVALID);
            continue;
        };
        if let Err(e) = baggage.insert(&key, &value) {
            counters::count(if e.is_over_limit() {
                &counters::BAGGAGE_OVER_LIMIT
            } else {
                &counters::BAGGAGE_MEMBER_INVALID
            });
        }
    }
}

fn strip_prefix_ignore_case<'a>(name: &'a str, prefix: &str) -> Option<&'a str> {
    let head = name.get(..prefix.len())?;
    (head.eq_ignore_ascii_case(prefix) && name.len() > prefix.len()).then(|| &name[prefix.len()..])
}

/// Writes `uber-trace-id` (128-bit trace id, parent `0`), or removes it when
/// there is no span context.
pub(super) fn inject(span: Option<&SpanContext>, debug: bool, carrier: &mut (impl Injector + ?Sized)) {
    match span {
        Some(span) => {
            let flags = if debug { SAMPLED | DEBUG } else { u8::from(span.is_sampled()) };
            carrier.set(HEADER, format!("{}:{}:0:{flags:x}", span.trace_id(), span.span_id()));
        }
        None => carrier.unset(HEADER),
    }
}

/// What is url-encoded in a `uberctx-` value: controls, non-ASCII, and the
/// characters that are not plain header text or would be misread.
const VALUE: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'%').add(b',').add(b';').add(b'\\').add(b'+');

/// Writes each baggage entry as `uberctx-{key}`, its value url-encoded.
/// Headers of entries no longer in the baggage cannot be found to remove:
/// an [`Injector`] lists no keys.
pub(super) fn inject_baggage(baggage: &Baggage, carrier: &mut (impl Injector + ?Sized)) {
    for entry in baggage.iter() {
        let name = format!("{BAGGAGE_PREFIX}{}", entry.key().to_ascii_lowercase());
        carrier.set(&name, utf8_percent_encode(entry.value(), VALUE).to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let (span, debug) = parse("4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1").unwrap();
        assert!(span.is_sampled() && !debug);
        let (span, debug) = parse("abc%3Adef%3a0%3A3").unwrap();
        assert_eq!((span.trace_id().to_u128(), span.span_id().to_u64()), (0xabc, 0xdef));
        assert!(debug && span.is_sampled());
        assert!(!parse("1:2:0:0").unwrap().0.is_sampled());
        assert!(parse("1:2:0:2").unwrap().0.is_sampled(), "debug implies sampled");
        for bad in ["", "1:2:0", "1:2:0:1:5", "0:2:0:1", "1:0:0:1", "1:2::1", "1:2:0:100", "x:2:0:1", &"1".repeat(100)]
        {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
