//! Properties: no header input makes extraction panic, whatever is extracted
//! injects as valid headers that read back the same, and any valid context
//! round-trips through every carrier.

use std::collections::HashMap;

use lantern::context::{Baggage, SpanContext, TraceFlags, TraceState};
use lantern::propagation::{extract, format_baggage, inject, parse_baggage, parse_traceparent, parse_tracestate};
use lantern::{Context, SpanId, TraceId};
use proptest::prelude::*;

/// Strings made mostly of the characters the parsers care about, so that
/// near-valid input is common.
fn header_text(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::string::string_regex(&format!("[-a-z0-9=,;%@*/ \\t_A-F]{{0,{max}}}")).unwrap(),
        proptest::string::string_regex(&format!(".{{0,{max}}}")).unwrap(),
    ]
}

fn injected_headers_are_valid_and_read_back(cx: &Context) -> Result<(), TestCaseError> {
    let mut out = http::HeaderMap::new();
    inject(cx, &mut out);
    let mut map = HashMap::new();
    inject(cx, &mut map);
    prop_assert_eq!(out.len(), map.len(), "no value was refused by HeaderMap");
    prop_assert!(format_baggage(cx.baggage()).len() <= 8192);
    prop_assert_eq!(&extract(&out), cx);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_headers_never_panic(tp in header_text(80), ts in header_text(300), bg in header_text(300)) {
        let map: HashMap<String, String> =
            [("traceparent", tp), ("tracestate", ts), ("baggage", bg)].map(|(k, v)| (k.to_owned(), v)).into();
        let cx = extract(&map);
        injected_headers_are_valid_and_read_back(&cx)?;
    }

    #[test]
    fn arbitrary_bytes_headers_never_panic(tp in proptest::collection::vec(any::<u8>(), 0..80),
                                           ts in proptest::collection::vec(any::<u8>(), 0..300),
                                           bg in proptest::collection::vec(any::<u8>(), 0..300)) {
        let headers: Vec<(String, Vec<u8>)> =
            vec![("traceparent".into(), tp), ("tracestate".into(), ts), ("baggage".into(), bg)];
        let cx = extract(&headers);
        injected_headers_are_valid_and_read_back(&cx)?;
    }

    #[test]
    fn a_valid_traceparent_with_arbitrary_companions_never_panics(
        flags in any::<u8>(), ts in proptest::collection::vec(header_text(120), 0..4),
        bg in proptest::collection::vec(header_text(400), 0..4),
    ) {
        let mut h = http::HeaderMap::new();
        let tp = format!("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-{flags:02x}");
        h.insert("traceparent", tp.parse().unwrap());
        for v in ts.iter().filter_map(|v| http::HeaderValue::from_str(v).ok()) {
            h.append("tracestate", v);
        }
        for v in bg.iter().filter_map(|v| http::HeaderValue::from_str(v).ok()) {
            h.append("baggage", v);
        }
        let cx = extract(&h);
        prop_assert_eq!(cx.span_context().unwrap().flags().to_u8(), flags & 0x03);
        injected_headers_are_valid_and_read_back(&cx)?;
    }

    #[test]
    fn near_valid_traceparents_never_panic(version in "[0-9a-fA-F]{1,3}", trace in "[0-9a-fA-F]{30,34}",
                                           parent in "[0-9a-f]{14,18}", flags in "[0-9a-z]{1,3}",
                                           rest in ".{0,10}") {
        let value = format!("{version}-{trace}-{parent}-{flags}{rest}");
        if let Ok((t, s, _)) = parse_traceparent(&value) {
            prop_assert_eq!(t.to_string(), trace);
            prop_assert_eq!(s.to_string(), parent);
        }
    }

    #[test]
    fn arbitrary_baggage_values_round_trip(values in proptest::collection::vec(any::<String>(), 0..8)) {
        let mut b = Baggage::default();
        for (i, v) in values.iter().enumerate() {
            b.insert(&format!("k{i}"), v).unwrap();
        }
        let header = format_baggage(&b);
        prop_assert!(header.bytes().all(|c| c.is_ascii_graphic()));
        prop_assert_eq!(parse_baggage([header.as_str()]), b);
    }

    #[test]
    fn any_valid_context_round_trips_through_every_carrier(
        trace in 1..=u128::MAX, span in 1..=u64::MAX, flags in 0u8..4,
        state in proptest::collection::vec(("[a-z][a-z0-9_*/-]{0,8}", "[ -+\\--<>-~]{0,10}[!-+\\--<>-~]"), 0..6),
        baggage in proptest::collection::vec(("[a-zA-Z0-9!#$&'*+.^_`|~-]{1,8}", any::<String>()), 0..6),
    ) {
        let mut ts = TraceState::default();
        for (k, v) in &state {
            ts = ts.insert(k, v).unwrap();
        }
        let mut b = Baggage::default();
        for (k, v) in &baggage {
            b.insert(k, v).unwrap();
        }
        let span = SpanContext::new(
            TraceId::from_u128(trace).unwrap(), SpanId::from_u64(span).unwrap(),
            TraceFlags::from_u8(flags), true, ts.clone(),
        );
        let cx = Context::new(Some(span), b);
        let mut map: HashMap<String, String> = HashMap::new();
        inject(&cx, &mut map);
        let mut kafka: Vec<(String, Vec<u8>)> = Vec::new();
        inject(&cx, &mut kafka);
        prop_assert_eq!(&extract(&map), &cx);
        prop_assert_eq!(&extract(&kafka), &cx);
        injected_headers_are_valid_and_read_back(&cx)?;
        prop_assert_eq!(parse_tracestate([ts.header_value().as_str()]).unwrap(), ts);
    }
}
