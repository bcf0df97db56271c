//! B3, single and multi header: 64- and 128-bit ids, the sampling states
//! (accept, deny, deferred, debug, and alone), what is written back, and
//! malformed input counted and ignored.

mod counters_support;
use counters_support::*;

use lantern::Context;
use lantern::propagation::{Format, Propagators, rejected};

const TRACE: &str = "80f198ee56343ba864fe8b2a57d3eff7";
const SPAN: &str = "e457b5a2e4d86bd1";
const PARENT: &str = "05e3ac9a4f6e3b90";

fn single(value: &str) -> Context {
    Propagators::new([Format::B3]).extract(&headers(&[("b3", value)]))
}

fn multi(pairs: &[(&str, &str)]) -> Context {
    Propagators::new([Format::B3Multi]).extract(&headers(pairs))
}

/// Trace id, span id, sampled, debug.
fn parts(cx: &Context) -> Option<(String, String, bool, bool)> {
    let span = cx.span_context()?;
    assert!(span.is_remote());
    assert!(span.trace_state().is_empty());
    Some((span.trace_id().to_string(), span.span_id().to_string(), span.is_sampled(), cx.is_debug()))
}

fn expect(trace: &str, sampled: bool, debug: bool) -> Option<(String, String, bool, bool)> {
    Some((trace.to_owned(), SPAN.to_owned(), sampled, debug))
}

#[test]
fn single_header_sampling_states() {
    assert_eq!(parts(&single(&format!("{TRACE}-{SPAN}-1"))), expect(TRACE, true, false));
    assert_eq!(parts(&single(&format!("{TRACE}-{SPAN}-0"))), expect(TRACE, false, false));
    assert_eq!(parts(&single(&format!("{TRACE}-{SPAN}-d"))), expect(TRACE, true, true), "debug implies accept");
    assert_eq!(parts(&single(&format!("{TRACE}-{SPAN}-1-{PARENT}"))), expect(TRACE, true, false));
    assert_eq!(
        parts(&single(&format!("{TRACE}-{SPAN}"))),
        expect(TRACE, false, false),
        "deferred reads as not sampled"
    );
    assert_eq!(parts(&single(&format!(" {TRACE}-{SPAN}-1 "))), expect(TRACE, true, false), "white space around");
}

#[test]
fn ids_of_64_and_128_bits_and_either_case() {
    let short = &TRACE[16..];
    let padded = format!("0000000000000000{short}");
    assert_eq!(parts(&single(&format!("{short}-{SPAN}-1"))), expect(&padded, true, false));
    assert_eq!(
        parts(&multi(&[("X-B3-TraceId", short), ("X-B3-SpanId", SPAN), ("X-B3-Sampled", "1")])),
        expect(&padded, true, false)
    );
    let upper = format!("{}-{}-1", TRACE.to_uppercase(), SPAN.to_uppercase());
    assert_eq!(parts(&single(&upper)), expect(TRACE, true, false), "read in either case, written in lower");
}

#[test]
fn the_sampling_state_alone() {
    for (value, debug) in [("0", false), ("1", false), ("d", true)] {
        let cx = single(value);
        assert!(cx.span_context().is_none(), "{value:?} carries no trace to continue");
        assert_eq!(cx.is_debug(), debug, "{value:?}");
    }
    let cx = multi(&[("X-B3-Flags", "1")]);
    assert!(cx.span_context().is_none() && cx.is_debug());
    assert!(multi(&[("X-B3-Sampled", "0")]).span_context().is_none());
}

#[test]
fn multi_header_sampling_states() {
    let ids = [("X-B3-TraceId", TRACE), ("X-B3-SpanId", SPAN), ("X-B3-ParentSpanId", PARENT)];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut pairs = ids.to_vec();
        pairs.extend_from_slice(extra);
        parts(&multi(&pairs))
    };
    assert_eq!(with(&[("X-B3-Sampled", "1")]), expect(TRACE, true, false));
    assert_eq!(with(&[("X-B3-Sampled", "true")]), expect(TRACE, true, false), "the legacy spelling");
    assert_eq!(with(&[("X-B3-Sampled", "0")]), expect(TRACE, false, false));
    assert_eq!(with(&[("X-B3-Sampled", "false")]), expect(TRACE, false, false));
    assert_eq!(with(&[]), expect(TRACE, false, false), "deferred");
    assert_eq!(with(&[("X-B3-Flags", "1")]), expect(TRACE, true, true));
    assert_eq!(with(&[("X-B3-Flags", "1"), ("X-B3-Sampled", "0")]), expect(TRACE, true, true), "debug wins");
}

#[test]
fn malformed_input_is_counted_and_ignored() {
    let _lock = counters();
    let before = rejected().b3_invalid;
    let bad_single = [
        "".to_owned(),
        "x".into(),
        "true".into(),
        TRACE.to_owned(),
        format!("{TRACE}-{SPAN}-2"),
        format!("{TRACE}-{SPAN}-1-"),
        format!("{TRACE}-{SPAN}-1-{PARENT}-x"),
        format!("{}-{SPAN}-1", &TRACE[1..]),
        format!("{TRACE}0-{SPAN}-1"),
        format!("{TRACE}-{}-1", &SPAN[1..]),
        format!("{TRACE}-0000000000000000-1"),
        format!("00000000000000000000000000000000-{SPAN}-1"),
        format!("{TRACE}-{SPAN}-1-{}", &PARENT[2..]),
        format!("{TRACE}-{SPAN}-1-{PARENT}{}", "0".repeat(1000)),
        format!("{}-{SPAN}-1", "g".repeat(32)),
    ];
    for value in &bad_single {
        assert_eq!(single(value), Context::default(), "{value:?}");
    }
    let bad_multi: [&[(&str, &str)]; 7] = [
        &[("X-B3-TraceId", TRACE)],
        &[("X-B3-SpanId", SPAN), ("X-B3-Sampled", "1")],
        &[("X-B3-TraceId", TRACE), ("X-B3-SpanId", SPAN), ("X-B3-Sampled", "yes")],
        &[("X-B3-TraceId", TRACE), ("X-B3-SpanId", SPAN), ("X-B3-Flags", "2")],
        &[("X-B3-TraceId", TRACE), ("X-B3-SpanId", SPAN), ("X-B3-ParentSpanId", "zz")],
        &[("X-B3-TraceId", TRACE), ("X-B3-TraceId", TRACE), ("X-B3-SpanId", SPAN)],
        &[("X-B3-TraceId", "123"), ("X-B3-SpanId", SPAN)],
    ];
    for pairs in bad_multi {
        assert_eq!(multi(pairs), Context::default(), "{pairs:?}");
    }
    // Two `b3` headers: no telling which is right.
    let two = headers(&[("b3", &format!("{TRACE}-{SPAN}-1")), ("b3", &format!("{TRACE}-{SPAN}-0"))]);
    assert!(Propagators::new([Format::B3]).extract(&two).span_context().is_none());
    assert_eq!(rejected().b3_invalid, before + bad_single.len() as u64 + 7 + 1);
}

#[test]
fn written_back_in_both_forms() {
    let p = Propagators::new([Format::B3, Format::B3Multi]);
    for (state, sampled, flags) in [("1", Some("1"), None), ("0", Some("0"), None), ("d", None, Some("1"))] {
        let cx = single(&format!("{TRACE}-{SPAN}-{state}-{PARENT}"));
        // A reused carrier: stale values are replaced or removed.
        let mut out = headers(&[("x-b3-parentspanid", PARENT), ("x-b3-sampled", "1"), ("x-b3-flags", "1")]);
        p.inject(&cx, &mut out);
        assert_eq!(out["b3"], format!("{TRACE}-{SPAN}-{state}"));
        assert_eq!(out["x-b3-traceid"], TRACE);
        assert_eq!(out["x-b3-spanid"], SPAN);
        assert_eq!(out.get("x-b3-sampled").map(|v| v.to_str().unwrap()), sampled, "{state}");
        assert_eq!(out.get("x-b3-flags").map(|v| v.to_str().unwrap()), flags, "{state}");
        assert!(out.get("x-b3-parentspanid").is_none(), "the caller's parent is not ours");
        assert_eq!(p.extract(&out), cx, "round trip");
    }
    // A 64-bit id is written as 128 bits.
    let mut out = http::HeaderMap::new();
    p.inject(&single(&format!("{}-{SPAN}-1", &TRACE[16..])), &mut out);
    assert_eq!(out["x-b3-traceid"], format!("0000000000000000{}", &TRACE[16..]));
    // No span context: the headers go.
    p.inject(&Context::default(), &mut out);
    assert!(out.is_empty(), "{out:?}");
}
