//! W3C Trace Context `traceparent`: valid and invalid vectors, Level 2 rules.

use lantern::propagation::{extract, format_traceparent, parse_traceparent};

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
    // Undefined flag bits are ignored for version 00.
    let (_, _, f) = parse_traceparent(&format!("00-{TRACE}-{PARENT}-ff")).unwrap();
    assert_eq!(f.to_u8(), 0x03);
}

#[test]
fn invalid_values_are_refused() {
    let cases = [
        String::new(),
        "garbage".into(),
        format!("ff-{TRACE}-{PARENT}-01"),                  // version ff
        format!("00-{TRACE}-{PARENT}-01-extra"),            // 00 must be 55 chars
        format!("00-{}-{PARENT}-01", TRACE.to_uppercase()), // upper-case hex
        format!("00-{TRACE}-{}-01", PARENT.to_uppercase()),
        format!("00-00000000000000000000000000000000-{PARENT}-01"), // zero trace id
        format!("00-{TRACE}-0000000000000000-01"),                  // zero parent id
        format!("00-{TRACE}-{PARENT}-0g"),                          // bad flags
        format!("00-{TRACE}-{PARENT}-1"),                           // short flags
        format!("00_{TRACE}-{PARENT}-01"),                          // separator
        format!("0x-{TRACE}-{PARENT}-01"),                          // bad version
        format!("00-{}-{PARENT}-01", &TRACE[1..]),                  // short trace id
        format!("00-{TRACE}é-{PARENT}-01"),                         // non-ASCII
    ];
    for case in cases {
        assert!(parse_traceparent(&case).is_err(), "{case:?} must be refused");
    }
}

#[test]
fn future_versions_are_parsed_by_their_first_fields() {
    let (t, s, f) = parse_traceparent(&format!("cc-{TRACE}-{PARENT}-01-what-the-future-holds")).unwrap();
    assert_eq!((t.to_string(), s.to_string(), f.is_sampled()), (TRACE.to_owned(), PARENT.to_owned(), true));
    assert!(parse_traceparent(&format!("cc-{TRACE}-{PARENT}-01")).is_ok(), "exactly 55 is fine");
    assert!(parse_traceparent(&format!("cc-{TRACE}-{PARENT}-01x")).is_err(), "must continue with '-'");
}

#[test]
fn an_invalid_traceparent_drops_tracestate_and_is_counted() {
    let before = lantern::propagation::rejected().traceparent_invalid;
    let mut h = http::HeaderMap::new();
    h.insert("traceparent", format!("ff-{TRACE}-{PARENT}-01").parse().unwrap());
    h.insert("tracestate", "vendor=1".parse().unwrap());
    h.insert("baggage", "k=v".parse().unwrap());
    let cx = extract(&h);
    assert!(cx.span_context().is_none(), "a new trace");
    assert_eq!(cx.baggage().get("k"), Some("v"), "baggage is independent of traceparent");
    assert!(lantern::propagation::rejected().traceparent_invalid > before);
}

#[test]
fn two_traceparent_headers_are_invalid() {
    let mut h = http::HeaderMap::new();
    h.append("traceparent", format!("00-{TRACE}-{PARENT}-01").parse().unwrap());
    h.append("traceparent", format!("00-{TRACE}-{PARENT}-00").parse().unwrap());
    assert!(extract(&h).span_context().is_none());
}

#[test]
fn format_round_trips_and_keeps_the_random_flag() {
    let value = format!("00-{TRACE}-{PARENT}-03");
    let mut h = http::HeaderMap::new();
    h.insert("traceparent", value.parse().unwrap());
    let cx = extract(&h);
    let sc = cx.span_context().unwrap();
    assert!(sc.is_remote() && sc.flags().is_random());
    assert_eq!(format_traceparent(sc), value);
}
