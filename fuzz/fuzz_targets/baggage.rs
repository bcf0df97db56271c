//! `baggage`: `parse_baggage` on any list of header values (the input split
//! on NUL, so that values may hold `\n` and `\r`, as message headers can)
//! never panics. The result keeps the W3C limits (at most 64 members, at most
//! 8192 bytes as `format_baggage` writes it); the formatted header is valid
//! header text that parses back to the same baggage (keys, values,
//! properties, order); and the same members inserted one by one with
//! `Baggage::insert_with_properties` build the same baggage.
#![no_main]

use lantern::context::Baggage;
use lantern::propagation::{format_baggage, parse_baggage};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    let baggage = parse_baggage(input.split('\0'));
    assert!(baggage.len() <= 64, "{} members", baggage.len());
    let header = format_baggage(&baggage);
    assert!(header.len() <= 8192, "{} bytes", header.len());
    assert_eq!(header.is_empty(), baggage.is_empty());
    if !header.is_empty() {
        assert!(http::HeaderValue::from_str(&header).is_ok(), "{header:?} is not a header value");
    }

    let again = parse_baggage([header.as_str()]);
    // Equality compares keys, values and properties, in order.
    assert_eq!(again, baggage, "{input:?} -> {header:?}");
    assert_eq!(format_baggage(&again), header, "formatting is not stable");

    let mut built = Baggage::default();
    for e in baggage.iter() {
        built
            .insert_with_properties(e.key(), e.value(), e.properties())
            .unwrap_or_else(|err| panic!("insert {:?}: {err}", e.key()));
        assert_eq!(baggage.get(e.key()), Some(e.value()));
    }
    assert_eq!(built, baggage);
});
