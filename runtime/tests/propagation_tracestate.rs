//! W3C `tracestate`: key and value grammar, limits, combining headers.

use lantern::TraceState;

fn parse(values: &[&str]) -> Result<TraceState, lantern::TraceStateError> {
    TraceState::parse_headers(values.iter().copied())
}

#[test]
fn valid_members_parse_in_order() {
    let ts = parse(&["congo=t61rcWkgMzE, rojo=00f067aa0ba902b7"]).unwrap();
    assert_eq!(ts.iter().collect::<Vec<_>>(), [("congo", "t61rcWkgMzE"), ("rojo", "00f067aa0ba902b7")]);
    assert!(parse(&["a-b_c*d/e=1", "0digit=ok", "tenant@system=x", "1tenant@sys-tem_*/=y"]).is_ok());
    assert!(parse(&["k=value with spaces inside"]).is_ok());
    assert_eq!(parse(&["", " , ,"]).unwrap().len(), 0, "empty members are skipped");
}

#[test]
fn several_headers_combine_in_order() {
    let ts = parse(&["a=1,b=2", "c=3"]).unwrap();
    assert_eq!(ts.header_value(), "a=1,b=2,c=3");
    let mut h = http::HeaderMap::new();
    h.append("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
    h.append("tracestate", "a=1".parse().unwrap());
    h.append("tracestate", "b=2".parse().unwrap());
    let cx = lantern::propagation::extract(&h);
    assert_eq!(cx.span_context().unwrap().trace_state().header_value(), "a=1,b=2");
}

#[test]
fn a_bad_member_drops_the_whole_header() {
    let bad = [
        "UPPER=1",                  // upper-case key
        "_start=1",                 // key must start with a letter or digit
        "k=",                       // empty value
        "k=a,b",                    // the b has no '='
        "k=a\u{1}b",                // control character in the value
        "k=x=y",                    // '=' in value
        "tenant@Sys=1",             // system must be lower-case
        "tenant@1sys=1",            // system must start with a letter
        "tenant@systemtoolong12=1", // system at most 14
        "a=1,a=2",                  // duplicate key
    ];
    for value in bad {
        assert!(parse(&[value]).is_err(), "{value:?} must be refused");
    }
    assert!(parse(&[&format!("k={}", "v".repeat(257))]).is_err(), "value at most 256");
    assert!(parse(&[&format!("{}=1", "k".repeat(257))]).is_err(), "key at most 256");
    assert!(parse(&[&format!("k={}", "v".repeat(256))]).is_ok());
}

#[test]
fn at_most_32_members() {
    let members = |n: usize| (0..n).map(|i| format!("k{i}=v")).collect::<Vec<_>>().join(",");
    assert_eq!(parse(&[&members(32)]).unwrap().len(), 32);
    assert!(parse(&[&members(33)]).is_err());
    // Inserting into a full list moves the new member first and drops the last.
    let full = parse(&[&members(32)]).unwrap();
    let more = full.insert("new", "1").unwrap();
    assert_eq!(more.len(), 32);
    assert_eq!(more.iter().next(), Some(("new", "1")));
    assert_eq!(more.get("k31"), None);
}

#[test]
fn an_invalid_tracestate_keeps_the_traceparent_and_is_counted() {
    let before = lantern::propagation::rejected().tracestate_invalid;
    let mut h = http::HeaderMap::new();
    h.insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
    h.insert("tracestate", "BAD=1".parse().unwrap());
    let cx = lantern::propagation::extract(&h);
    assert!(cx.span_context().unwrap().trace_state().is_empty());
    assert!(lantern::propagation::rejected().tracestate_invalid > before);
}
