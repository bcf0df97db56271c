//! W3C `tracestate`: key and value grammar, the 32-member limit, combining
//! headers, and the immutable `TraceState` API.

mod counters_support;
use counters_support::*;

use lantern::context::{TraceState, TraceStateError};
use lantern::propagation::{extract, parse_tracestate, rejected};

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn parse(values: &[&str]) -> Result<TraceState, TraceStateError> {
    parse_tracestate(values.iter().copied())
}

fn members(n: usize) -> String {
    (0..n).map(|i| format!("k{i}=v{i}")).collect::<Vec<_>>().join(",")
}

fn extract_with(states: &[&str]) -> TraceState {
    let mut h = http::HeaderMap::new();
    h.insert("traceparent", TRACEPARENT.parse().unwrap());
    for s in states {
        h.append("tracestate", s.parse().unwrap());
    }
    extract(&h).span_context().unwrap().trace_state().clone()
}

#[test]
fn valid_members_parse_in_order() {
    let ts = parse(&["congo=t61rcWkgMzE, rojo=00f067aa0ba902b7"]).unwrap();
    assert_eq!(ts.iter().collect::<Vec<_>>(), [("congo", "t61rcWkgMzE"), ("rojo", "00f067aa0ba902b7")]);
    assert_eq!(ts.len(), 2);
    assert_eq!(ts.get("rojo"), Some("00f067aa0ba902b7"));
    assert_eq!(ts.get("missing"), None);
}

#[test]
fn key_grammar() {
    let max = |n: usize| "k".repeat(n);
    let good = [
        "a".to_owned(),
        "0digit-first".into(),
        "a-b_c*d/e".into(),
        max(256),
        "tenant@system".into(),
        "1tenant@sys-tem_*/".into(),
        // The current grammar: '@' anywhere after the first character.
        format!("{}@s", max(241)),
        format!("t@s{}", max(13)),
        "tenant@1sys".into(),
        "a@b@c".into(),
        "vendor@".into(),
        "a@".into(),
        "0@@".into(),
        format!("{}@", max(255)),
    ];
    for key in good {
        assert!(parse(&[&format!("{key}=v")]).is_ok(), "{key:?} is a valid key");
        assert!(TraceState::default().insert(&key, "v").is_ok(), "{key:?} is a valid key");
    }
    let bad = [
        "Upper".to_owned(),
        "_start".into(),
        "-start".into(),
        "has space".into(),
        "dot.ted".into(),
        max(257),
        format!("{}@", max(256)),
        "tenant@Sys".into(),
        "@system".into(),
        "@".into(),
        "".into(),
        "a@b.c".into(),
    ];
    for key in bad {
        assert!(parse(&[&format!("{key}=v")]).is_err(), "{key:?} is not a valid key");
        let err = TraceState::default().insert(&key, "v").unwrap_err();
        assert!(err.to_string().starts_with("invalid tracestate key"), "{key:?}: {err}");
    }
}

#[test]
fn value_grammar() {
    for value in ["x", " leading space", "a b", "!~\"#$%&'()*+-./:;<>?@[\\]^_`{|}", &"v".repeat(256)] {
        assert_eq!(parse(&[&format!("k={value}")]).unwrap().get("k"), Some(value), "leading spaces are part of it");
        assert_eq!(TraceState::default().insert("k", value).unwrap().get("k"), Some(value));
    }
    for value in ["", "x=y", "tab\there", "é", "\u{7f}", "trailing ", &"v".repeat(257)] {
        let err = TraceState::default().insert("k", value).unwrap_err();
        assert!(err.to_string().starts_with("invalid tracestate value"), "{value:?}: {err}");
    }
    for value in ["k=", "k=x=y", "k=\u{1}", "k=é", &format!("k={}", "v".repeat(257))] {
        assert!(parse(&[value]).is_err(), "{value:?} must be refused");
    }
}

#[test]
fn trailing_space_is_white_space_in_a_header_but_refused_in_a_value() {
    // In a header, a space after the value is OWS around the member.
    assert_eq!(parse(&["k=v \t, j=w  "]).unwrap().header_value(), "k=v,j=w");
    assert!(TraceState::default().insert("k", "v ").is_err());
}

#[test]
fn white_space_and_empty_members_are_skipped() {
    assert_eq!(parse(&[" \t a=1 \t,\t b=2"]).unwrap().header_value(), "a=1,b=2");
    assert_eq!(parse(&["a=1,,, ,b=2,"]).unwrap().header_value(), "a=1,b=2");
    assert!(parse(&["", " , ,", "\t"]).unwrap().is_empty());
    assert!(parse(&[]).unwrap().is_empty());
}

#[test]
fn a_bad_member_drops_the_whole_header() {
    let cases = [("a=1,b", "expected key=value"), ("a=1,UPPER=2", "key"), ("a=1,b=x=y", "value")];
    for (value, reason) in cases {
        let err = parse(&[value]).unwrap_err();
        assert!(err.to_string().contains(reason), "{value:?}: {err}");
    }
}

#[test]
fn a_repeated_key_keeps_its_first_occurrence_and_drops_the_later_ones() {
    let _lock = counters();
    let before = rejected();
    assert_eq!(parse(&["a=1,b=2,a=3"]).unwrap().header_value(), "a=1,b=2");
    assert_eq!(parse(&["a=1, a=1"]).unwrap().header_value(), "a=1");
    assert_eq!(parse(&["a=1", "b=2", "a=2,a=3"]).unwrap().header_value(), "a=1,b=2", "across headers too");
    assert_eq!(extract_with(&["x@v=1,y=2", "x@v=9"]).header_value(), "x@v=1,y=2");
    let after = rejected();
    assert_eq!(after.tracestate_duplicate_dropped, before.tracestate_duplicate_dropped + 5);
    assert_eq!(after.tracestate_invalid, before.tracestate_invalid, "a duplicate does not drop the header");
    // Dropped duplicates do not count towards the 32 members.
    let with_dups = format!("{},k0=again,k1=again", members(32));
    assert_eq!(parse(&[&with_dups]).unwrap().len(), 32);
    // A duplicate that is malformed still fails the whole header.
    assert!(parse(&["a=1,a=x=y"]).is_err());
}

#[test]
fn several_headers_combine_in_order() {
    assert_eq!(parse(&["a=1,b=2", "c=3", "d=4"]).unwrap().header_value(), "a=1,b=2,c=3,d=4");
    assert_eq!(extract_with(&["a=1", "b=2"]).header_value(), "a=1,b=2");
    assert_eq!(extract_with(&["b=2", "a=1"]).header_value(), "b=2,a=1");
}

#[test]
fn at_most_32_members() {
    assert_eq!(parse(&[&members(32)]).unwrap().len(), 32);
    let err = parse(&[&members(33)]).unwrap_err();
    assert_eq!(err.to_string(), "tracestate has more than 32 members");
    // Counted over all headers combined, empty members not counted.
    assert_eq!(parse(&[&members(16), ",,", &members(32)[members(16).len() + 1..]]).unwrap().len(), 32);
    assert!(parse(&[&members(32), "extra=1"]).is_err());
}

#[test]
fn an_invalid_tracestate_keeps_the_traceparent_and_is_counted() {
    let _lock = counters();
    let before = rejected();
    for bad in ["BAD=1", &members(33), "a=1,@a=2"] {
        assert!(extract_with(&[bad]).is_empty(), "{bad:?} is dropped whole");
    }
    let after = rejected();
    assert_eq!(after.tracestate_invalid, before.tracestate_invalid + 3);
    assert_eq!(after.traceparent_invalid, before.traceparent_invalid);
    assert_eq!(extract_with(&["ok=1"]).get("ok"), Some("1"));
    assert_eq!(rejected().tracestate_invalid, after.tracestate_invalid, "a valid one is not counted");
}

#[test]
fn insert_moves_a_member_to_the_front() {
    let ts = parse(&["a=1,b=2,c=3"]).unwrap();
    assert_eq!(ts.insert("c", "9").unwrap().header_value(), "c=9,a=1,b=2");
    assert_eq!(ts.insert("new", "0").unwrap().header_value(), "new=0,a=1,b=2,c=3");
    assert_eq!(ts.header_value(), "a=1,b=2,c=3", "the original is unchanged");
    assert!(ts.insert("k", "bad=value").is_err());
}

#[test]
fn insert_into_a_full_list_drops_the_last_member() {
    let full = parse(&[&members(32)]).unwrap();
    let more = full.insert("new", "1").unwrap();
    assert_eq!(more.len(), 32);
    assert_eq!(more.iter().next(), Some(("new", "1")));
    assert_eq!(more.get("k31"), None, "the last member made room");
    assert_eq!(more.get("k30"), Some("v30"));
    // Updating a present key in a full list drops nothing.
    let updated = full.insert("k31", "x").unwrap();
    assert_eq!((updated.len(), updated.iter().next()), (32, Some(("k31", "x"))));
    assert_eq!(updated.get("k30"), Some("v30"));
}

#[test]
fn remove_len_and_emptiness() {
    let ts = parse(&["a=1,b=2"]).unwrap();
    assert_eq!(ts.remove("a").header_value(), "b=2");
    assert_eq!(ts.remove("missing"), ts);
    let empty = ts.remove("a").remove("b");
    assert!(empty.is_empty());
    assert_eq!(empty.len(), 0);
    assert_eq!(empty, TraceState::default(), "an emptied state equals the default one");
    assert_eq!(empty.header_value(), "");
}
