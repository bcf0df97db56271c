//! The W3C `baggage` header.

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

use super::counters;
use crate::Baggage;
use crate::baggage::{BaggageEntry, MAX_BYTES, MAX_MEMBERS, is_token};

/// Everything outside the W3C `baggage-octet` set, and `%` itself.
const NOT_BAGGAGE_OCTET: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b',').add(b';').add(b'\\').add(b'%').add(0x7f);

pub(crate) fn encode_baggage_value(value: &str) -> String {
    utf8_percent_encode(value, NOT_BAGGAGE_OCTET).to_string()
}

/// Parses one or more `baggage` header values, combined in order.
///
/// Invalid members are skipped, and members past the limits (64 members,
/// 8192 bytes) dropped; both are counted (see [`super::rejected`]). Later
/// members win over earlier ones with the same key.
///
/// ```
/// let b = lantern::propagation::parse_baggage(["customer=ann%20b;ttl=30", "tenant=acme, bad key=1"]);
/// assert_eq!(b.get("customer"), Some("ann b"));
/// assert_eq!(b.entry("customer").unwrap().properties(), Some("ttl=30"));
/// assert_eq!(b.get("tenant"), Some("acme"));
/// assert_eq!(b.len(), 2);
/// ```
pub fn parse_baggage<'a>(values: impl IntoIterator<Item = &'a str>) -> Baggage {
    let mut baggage = Baggage::default();
    let mut bytes = 0;
    for value in values {
        for member in value.split(',') {
            let member = member.trim_matches(|c| c == ' ' || c == '\t');
            if member.is_empty() {
                continue;
            }
            let Some(entry) = parse_member(member) else {
                counters::count(&counters::BAGGAGE_MEMBER_INVALID);
                continue;
            };
            let len = member.len() + usize::from(bytes > 0);
            if baggage.len() >= MAX_MEMBERS || bytes + len > MAX_BYTES {
                counters::count(&counters::BAGGAGE_OVER_LIMIT);
                continue;
            }
            bytes += len;
            baggage.push_parsed(entry);
        }
    }
    baggage
}

fn parse_member(member: &str) -> Option<BaggageEntry> {
    let (pair, properties) = match member.split_once(';') {
        Some((pair, props)) => (pair, Some(props.trim_matches(|c| c == ' ' || c == '\t'))),
        None => (member, None),
    };
    let (key, value) = pair.split_once('=')?;
    let key = key.trim_matches(|c| c == ' ' || c == '\t');
    let value = value.trim_matches(|c| c == ' ' || c == '\t');
    if !is_token(key) || !value.bytes().all(|b| (0x21..=0x7e).contains(&b) && !b",;\\\"".contains(&b)) {
        return None;
    }
    let value = percent_decode_str(value).decode_utf8().ok()?.into_owned();
    let properties = properties.filter(|p| !p.is_empty()).map(str::to_owned);
    Some(BaggageEntry::new(key.to_owned(), value, properties))
}

/// Formats baggage as a `baggage` header value, percent-encoding values.
///
/// ```
/// let mut b = lantern::Baggage::default();
/// b.insert("customer", "zoë, co").unwrap();
/// assert_eq!(lantern::propagation::format_baggage(&b), "customer=zo%C3%AB%2C%20co");
/// ```
pub fn format_baggage(baggage: &Baggage) -> String {
    let mut out = String::new();
    for (i, e) in baggage.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(e.key());
        out.push('=');
        out.push_str(&encode_baggage_value(e.value()));
        if let Some(p) = e.properties() {
            out.push(';');
            out.push_str(p);
        }
    }
    out
}
