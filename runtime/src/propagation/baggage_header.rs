//! The W3C `baggage` header: `key=value;prop;prop=v,key2=value2`.

use percent_encoding::{percent_decode_str, utf8_percent_encode};

use super::counters;
use crate::baggage::{
    Baggage, BaggageEntry, MAX_BYTES, MAX_MEMBERS, NOT_BAGGAGE_OCTET, is_baggage_octet, is_token, trim_ows,
    valid_properties,
};

/// Parses one or more received `baggage` header values as one list, in order.
///
/// Lenient by design, since baggage is best effort: a malformed member is
/// skipped (and counted as `baggage_member_invalid` in
/// [`rejected`](super::rejected)), not the whole header. A member is
/// malformed when its key is not an RFC 7230 token, its value has a
/// character outside the `baggage-octet` set or does not percent-decode to
/// UTF-8, or its properties are not `;`-separated tokens or `token=value`.
/// Spaces and tabs around members, keys, values and properties are allowed,
/// and empty members (`a=1,,b=2`) are skipped.
///
/// Members that would take the result past 64 members or 8192 bytes (as
/// [`format_baggage`] writes it) are dropped and counted as
/// `baggage_over_limit`; later, smaller members may still fit. A key given
/// twice keeps its last value.
///
/// ```
/// let b = lantern::propagation::parse_baggage(["customer=ann%20b;ttl=30", "tenant=acme, bad key=1"]);
/// assert_eq!(b.get("customer"), Some("ann b"));
/// assert_eq!(b.entry("customer").unwrap().properties(), Some("ttl=30"));
/// assert_eq!(b.get("tenant"), Some("acme"));
/// assert_eq!(b.len(), 2); // "bad key" is not a token
/// ```
pub fn parse_baggage<'a>(values: impl IntoIterator<Item = &'a str>) -> Baggage {
    let mut members: Vec<BaggageEntry> = Vec::new();
    // The length of `members` serialised: each member and the ',' between.
    let mut bytes = 0;
    for value in values {
        for member in value.split(',') {
            let member = trim_ows(member);
            if member.is_empty() {
                continue;
            }
            let Some(entry) = parse_member(member) else {
                counters::count(&counters::BAGGAGE_MEMBER_INVALID);
                continue;
            };
            let len = entry.encoded_len();
            let existing = members.iter().position(|e| e.key() == entry.key());
            let (count, total) = match existing {
                Some(i) => (members.len(), bytes - members[i].encoded_len() + len),
                None => (members.len() + 1, bytes + len + usize::from(!members.is_empty())),
            };
            if count > MAX_MEMBERS || total > MAX_BYTES {
                counters::count(&counters::BAGGAGE_OVER_LIMIT);
                continue;
            }
            if let Some(i) = existing {
                members.remove(i);
            }
            members.push(entry);
            bytes = total;
        }
    }
    Baggage::from_members(members)
}

/// `key OWS "=" OWS value *( OWS ";" OWS property )`.
fn parse_member(member: &str) -> Option<BaggageEntry> {
    let (pair, properties) = match member.split_once(';') {
        Some((pair, props)) => (pair, Some(trim_ows(props))),
        None => (member, None),
    };
    let (key, value) = pair.split_once('=')?;
    let (key, value) = (trim_ows(key), trim_ows(value));
    if !is_token(key) || !value.bytes().all(is_baggage_octet) {
        return None;
    }
    // A lone trailing ';' is taken as no properties.
    let properties = properties.filter(|p| !p.is_empty());
    if properties.is_some_and(|p| !valid_properties(p)) {
        return None;
    }
    let value = percent_decode_str(value).decode_utf8().ok()?.into_owned();
    Some(BaggageEntry::new(key.to_owned(), value, properties.map(str::to_owned)))
}

/// Formats baggage as a `baggage` header value: members joined by `,`,
/// values percent-encoded outside the `baggage-octet` set (and `%` itself),
/// properties as they were given. [`Baggage`]'s limits keep the result
/// within 8192 bytes.
///
/// ```
/// let mut b = lantern::context::Baggage::default();
/// b.insert("customer", "zoë, co").unwrap();
/// b.insert_with_properties("tenant", "acme", Some("ttl=30")).unwrap();
/// assert_eq!(lantern::propagation::format_baggage(&b), "customer=zo%C3%AB%2C%20co,tenant=acme;ttl=30");
/// ```
pub fn format_baggage(baggage: &Baggage) -> String {
    let mut out = String::with_capacity(baggage.iter().map(|e| e.encoded_len() + 1).sum());
    for (i, e) in baggage.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(e.key());
        out.push('=');
        out.extend(utf8_percent_encode(e.value(), NOT_BAGGAGE_OCTET));
        if let Some(p) = e.properties() {
            out.push(';');
            out.push_str(p);
        }
    }
    out
}
