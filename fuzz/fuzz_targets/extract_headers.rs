//! `extract_headers`: `propagation::extract` on an `http::HeaderMap` of any
//! names and values, and the message-header extractor
//! (`middleware::messaging::extract_message`) on the same pairs as Kafka-style
//! `Vec<(String, Vec<u8>)>` headers and as a `HashMap<String, String>`, never
//! panic. What is extracted injects back (`propagation::inject`) into headers
//! that extract to the same context; and when every name and value is plain
//! header text, the `HeaderMap` and the `Vec` carriers read the same context.
#![no_main]

use std::collections::HashMap;

use arbitrary::Arbitrary;
use lantern::Context;
use lantern::middleware::messaging::extract_message;
use lantern::propagation::{extract, inject};
use libfuzzer_sys::fuzz_target;

/// A header name: mostly the three that matter, in any case, sometimes anything.
#[derive(Arbitrary, Debug)]
enum Name {
    Traceparent(u8),
    Tracestate(u8),
    Baggage(u8),
    Other(String),
}

impl Name {
    fn text(&self) -> String {
        let (name, case) = match self {
            Name::Traceparent(case) => ("traceparent", *case),
            Name::Tracestate(case) => ("tracestate", *case),
            Name::Baggage(case) => ("baggage", *case),
            Name::Other(name) => return name.clone(),
        };
        // Bit i of `case` upper-cases character i (mod 8).
        name.char_indices().map(|(i, c)| if case >> (i % 8) & 1 == 1 { c.to_ascii_uppercase() } else { c }).collect()
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    headers: Vec<(Name, String)>,
}

/// `cx` injected into each carrier and extracted again is `cx` again.
fn check_round_trip(cx: &Context) {
    let mut map = http::HeaderMap::new();
    inject(cx, &mut map);
    assert_eq!(&extract(&map), cx, "HeaderMap round trip: {map:?}");
    let mut pairs: Vec<(String, Vec<u8>)> = Vec::new();
    inject(cx, &mut pairs);
    assert_eq!(&extract_message(&pairs), cx, "Vec round trip");
    let mut strings: HashMap<String, String> = HashMap::new();
    inject(cx, &mut strings);
    assert_eq!(&extract_message(&strings), cx, "HashMap round trip: {strings:?}");
}

fuzz_target!(|input: Input| {
    let pairs: Vec<(String, Vec<u8>)> = input.headers.iter().map(|(n, v)| (n.text(), v.clone().into_bytes())).collect();

    let mut map = http::HeaderMap::new();
    let mut all_plain = true;
    for (name, value) in &pairs {
        match (http::HeaderName::from_bytes(name.as_bytes()), http::HeaderValue::from_bytes(value)) {
            (Ok(n), Ok(v)) => {
                all_plain &= v.to_str().is_ok();
                map.append(n, v);
            }
            _ => all_plain = false,
        }
    }
    let from_map = extract(&map);
    // A remote context extracted from headers is always marked remote.
    if let Some(span) = from_map.span_context() {
        assert!(span.is_remote());
    }
    check_round_trip(&from_map);

    let from_pairs = extract_message(&pairs);
    check_round_trip(&from_pairs);
    if all_plain {
        assert_eq!(from_map, from_pairs, "HeaderMap and Vec carriers disagree on {pairs:?}");
    }

    let strings: HashMap<String, String> =
        pairs.iter().filter_map(|(n, v)| Some((n.clone(), String::from_utf8(v.clone()).ok()?))).collect();
    let from_strings = extract_message(&strings);
    check_round_trip(&from_strings);
});
