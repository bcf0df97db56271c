//! W3C Trace Context `traceparent`: valid and invalid vectors, the Level 2
//! rules, and inject/extract through every provided carrier.

mod counters_support;
use counters_support::*;

use std::collections::HashMap;

use lantern::context::{Baggage, SpanContext, TraceFlags, TraceState};
use lantern::propagation::{Extractor, Injector, extract, format_traceparent, inject, parse_traceparent, rejected};
use lantern::{Context, SpanId, TraceId};

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT: &str = "00f067aa0ba902b7";

#[test]
fn valid_version_00_values_parse() {
    for (flags, sampled, random) in [("00", false, false), ("01", true, false), ("02", false, true), ("03", true, true)]
    {
        let (t, s, f) = parse_traceparent(&format!("00-{TRACE}-{PARENT}-{flags}")).unwrap();
        assert_eq!((t.to_string(), s.to_string()), (TRACE.to_owned(), PARENT.to_owned()));
        assert_eq!((f.is_sampled(), f.is_random()), (sampled, random), "flags {flags}");
    }
    // The smallest valid ids.
    let (t, s, _) = parse_traceparent("00-00000000000000000000000000000001-0000000000000001-00").unwrap();
    assert_eq!((t.to_u128(), s.to_u64()), (1, 1));
    // Surrounding OWS, which HTTP strips anyway, is tolerated.
    assert!(parse_traceparent(&format!(" \t00-{TRACE}-{PARENT}-01 ")).is_ok());
}

#[test]
fn reserved_flag_bits_are_dropped() {
    let (_, _, f) = parse_traceparent(&format!("00-{TRACE}-{PARENT}-ff")).unwrap();
    assert_eq!(f.to_u8(), 0x03);
    let (_, _, f) = parse_traceparent(&format!("00-{TRACE}-{PARENT}-fc")).unwrap();
    assert_eq!(f.to_u8(), 0x00);
    let (_, _, f) = parse_traceparent(&format!("01-{TRACE}-{PARENT}-09-x")).unwrap();
    assert_eq!(f.to_u8(), 0x01, "later versions too: we propagate as version 00");
    // Locally built flags with reserved bits are not propagated either.
    let cx = SpanContext::new(
        TraceId::from_hex(TRACE).unwrap(),
        SpanId::from_hex(PARENT).unwrap(),
        TraceFlags::from_u8(0xf6),
        false,
        TraceState::default(),
    );
    assert_eq!(format_traceparent(&cx), format!("00-{TRACE}-{PARENT}-02"));
}

#[test]
fn invalid_values_are_refused_with_a_reason() {
    let cases = [
        (String::new(), "shorter than 55"),
        ("garbage".into(), "shorter than 55"),
        (format!("00-{TRACE}-{PARENT}-0"), "shorter than 55"),
        (format!("ff-{TRACE}-{PARENT}-01"), "version ff"),
        (format!("00-{TRACE}-{PARENT}-01-extra"), "exactly 55"),
        (format!("00-{TRACE}-{PARENT}-010"), "exactly 55"),
        (format!("0F-{TRACE}-{PARENT}-01"), "version is not"),
        (format!("0x-{TRACE}-{PARENT}-01"), "version is not"),
        (format!("00-{}-{PARENT}-01", TRACE.to_uppercase()), "trace id is not"),
        (format!("00-{TRACE}-{}-01", PARENT.to_uppercase()), "parent id is not"),
        (format!("00-{}-{PARENT}-01", "0".repeat(32)), "trace id is all zeros"),
        (format!("00-{TRACE}-{}-01", "0".repeat(16)), "parent id is all zeros"),
        (format!("00-{TRACE}-{PARENT}-0g"), "flags are not"),
        (format!("00-{TRACE}-{PARENT}-0A"), "flags are not"),
        (format!("00-{TRACE}-{PARENT}--1"), "flags are not"),
        (format!("00_{TRACE}-{PARENT}-01"), "separated by '-'"),
        (format!("00-{TRACE}_{PARENT}-01"), "separated by '-'"),
        (format!("00-{}-{PARENT}-001", &TRACE[1..]), "separated by '-'"),
        (format!("00-{TRACE}-{PARENT}-é"), "not ASCII"),
    ];
    for (case, reason) in cases {
        let err = parse_traceparent(&case).expect_err(&case);
        let text = err.to_string();
        assert!(text.starts_with("invalid traceparent: ") && text.contains(reason), "{case:?}: {text}");
    }
}

#[test]
fn future_versions_are_parsed_by_their_first_fields() {
    let (t, s, f) = parse_traceparent(&format!("cc-{TRACE}-{PARENT}-01-what-the-future-holds")).unwrap();
    assert_eq!((t.to_string(), s.to_string(), f.is_sampled()), (TRACE.to_owned(), PARENT.to_owned(), true));
    assert!(parse_traceparent(&format!("01-{TRACE}-{PARENT}-01")).is_ok(), "exactly 55 is fine");
    assert!(parse_traceparent(&format!("fe-{TRACE}-{PARENT}-00-")).is_ok(), "a bare '-' continues");
    let err = parse_traceparent(&format!("01-{TRACE}-{PARENT}-01x")).unwrap_err();
    assert!(err.to_string().contains("continue with '-'"), "{err}");
    // The first four fields still follow every version 00 rule.
    assert!(parse_traceparent(&format!("01-{}-{PARENT}-01-x", "0".repeat(32))).is_err());
    assert!(parse_traceparent(&format!("01-{TRACE}-{PARENT}-0G-x")).is_err());
}

#[test]
fn an_invalid_traceparent_drops_tracestate_keeps_baggage_and_is_counted() {
    let _lock = counters();
    let before = rejected();
    let cx = extract(&headers(&[
        ("traceparent", &format!("ff-{TRACE}-{PARENT}-01")),
        ("tracestate", "vendor=1"),
        ("baggage", "k=v"),
    ]));
    assert!(cx.span_context().is_none(), "a new trace, and no tracestate to go with it");
    assert_eq!(cx.baggage().get("k"), Some("v"), "baggage is independent of traceparent");
    let after = rejected();
    assert_eq!(after.traceparent_invalid, before.traceparent_invalid + 1);
    assert_eq!(after.tracestate_invalid, before.tracestate_invalid, "tracestate is not even read");
}

#[test]
fn two_traceparent_headers_are_invalid() {
    let _lock = counters();
    let before = rejected().traceparent_invalid;
    let value = format!("00-{TRACE}-{PARENT}-01");
    let cx = extract(&headers(&[("traceparent", &value), ("traceparent", &value)]));
    assert!(cx.span_context().is_none());
    assert_eq!(rejected().traceparent_invalid, before + 1);
    // No traceparent at all is not a rejection.
    assert!(extract(&http::HeaderMap::new()).span_context().is_none());
    assert_eq!(rejected().traceparent_invalid, before + 1);
}

#[test]
fn extracted_contexts_are_remote_and_format_back_the_same() {
    let value = format!("00-{TRACE}-{PARENT}-03");
    let cx = extract(&headers(&[("traceparent", &value)]));
    let sc = cx.span_context().unwrap();
    assert!(sc.is_remote() && sc.is_sampled() && sc.flags().is_random());
    assert!(sc.trace_state().is_empty() && cx.baggage().is_empty());
    assert_eq!(format_traceparent(sc), value);
}

fn full_context() -> Context {
    let mut baggage = Baggage::default();
    baggage.insert("customer", "ann b").unwrap();
    baggage.insert_with_properties("tenant", "acme", Some("ttl=30")).unwrap();
    let state = TraceState::default().insert("rojo", "00f067aa0ba902b7").unwrap().insert("congo", "t61").unwrap();
    let span = SpanContext::new(
        TraceId::from_hex(TRACE).unwrap(),
        SpanId::from_hex(PARENT).unwrap(),
        TraceFlags::SAMPLED,
        true,
        state,
    );
    Context::new(Some(span), baggage)
}

#[test]
fn inject_writes_the_three_headers() {
    let mut h = http::HeaderMap::new();
    inject(&full_context(), &mut h);
    assert_eq!(h.len(), 3);
    assert_eq!(h["traceparent"], format!("00-{TRACE}-{PARENT}-01").as_str());
    assert_eq!(h["tracestate"], "congo=t61,rojo=00f067aa0ba902b7");
    assert_eq!(h["baggage"], "customer=ann%20b,tenant=acme;ttl=30");
}

#[test]
fn round_trips_through_every_carrier() {
    let cx = full_context();
    let mut map: HashMap<String, String> = HashMap::new();
    inject(&cx, &mut map);
    let mut kafka: Vec<(String, Vec<u8>)> = Vec::new();
    inject(&cx, &mut kafka);
    let mut h = http::HeaderMap::new();
    inject(&cx, &mut h);
    assert_eq!(extract(&map), cx);
    assert_eq!(extract(&kafka), cx);
    assert_eq!(extract(&h), cx);
    // Through a trait object too.
    let dynamic: &dyn Extractor = &map;
    assert_eq!(extract(dynamic), cx);
}

#[test]
fn carrier_names_match_in_any_case() {
    let value = format!("00-{TRACE}-{PARENT}-01");
    let map = HashMap::from([("TraceParent".to_owned(), value.clone())]);
    assert!(extract(&map).span_context().is_some());
    let kafka = vec![("TRACEPARENT".to_owned(), value.clone().into_bytes())];
    assert!(extract(&kafka).span_context().is_some());
    let h = headers(&[("Traceparent", &value)]);
    assert!(extract(&h).span_context().is_some());
}

#[test]
fn injecting_replaces_and_removes_stale_headers() {
    let mut kafka: Vec<(String, Vec<u8>)> = vec![
        ("Traceparent".into(), b"stale".to_vec()),
        ("tracestate".into(), b"old=1".to_vec()),
        ("baggage".into(), b"old=1".to_vec()),
        ("other".into(), b"kept".to_vec()),
    ];
    let cx = extract(&headers(&[("traceparent", &format!("00-{TRACE}-{PARENT}-01"))]));
    inject(&cx, &mut kafka);
    let names: Vec<&str> = kafka.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["other", "traceparent"], "stale tracestate and baggage removed");

    let mut map = HashMap::from([("baggage".to_owned(), "old=1".to_owned()), ("x".to_owned(), "y".to_owned())]);
    inject(&Context::default(), &mut map);
    assert_eq!(map.len(), 1, "an empty context leaves no propagation header: {map:?}");
}

#[test]
fn non_text_values_are_ignored_by_carriers() {
    let kafka: Vec<(String, Vec<u8>)> =
        vec![("baggage".into(), vec![0xff, 0xfe]), ("baggage".into(), b"ok=1".to_vec())];
    assert_eq!(kafka.get_all("baggage"), ["ok=1"]);
    let mut h = http::HeaderMap::new();
    h.append("baggage", http::HeaderValue::from_bytes(b"caf\xc3\xa9=1").unwrap());
    h.append("baggage", "ok=1".parse().unwrap());
    assert_eq!(Extractor::get_all(&h, "baggage"), ["ok=1"]);
    assert_eq!(extract(&h).baggage().len(), 1);
}

#[test]
fn custom_carriers_need_only_the_required_methods() {
    struct Recorder(Vec<String>);
    impl Injector for Recorder {
        fn set(&mut self, key: &str, value: String) {
            self.0.push(format!("{key}: {value}"));
        }
    }
    let mut r = Recorder(Vec::new());
    inject(&full_context(), &mut r);
    assert_eq!(r.0.len(), 3);
    assert!(r.0[0].starts_with("traceparent: 00-"));
}
