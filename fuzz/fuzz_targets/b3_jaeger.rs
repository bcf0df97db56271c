//! `b3_jaeger`: the B3 (single and multi) and Jaeger propagators, alone and
//! composed with W3C, on any headers (mostly their own names, in any case,
//! with any values) never panic. What each one extracts is a remote context
//! that it injects back into headers that extract to the same span context
//! and debug request; and a composite takes the context of its first
//! format that has one.
#![no_main]

use arbitrary::Arbitrary;
use lantern::Context;
use lantern::propagation::{Format, Propagators};
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 9] = [
    "b3",
    "x-b3-traceid",
    "x-b3-spanid",
    "x-b3-parentspanid",
    "x-b3-sampled",
    "x-b3-flags",
    "uber-trace-id",
    "uberctx-customer",
    "traceparent",
];

#[derive(Arbitrary, Debug)]
enum Name {
    Known(u8, u8),
    Other(String),
}

impl Name {
    fn text(&self) -> String {
        match self {
            Name::Known(i, case) => NAMES[*i as usize % NAMES.len()]
                .char_indices()
                .map(|(j, c)| if case >> (j % 8) & 1 == 1 { c.to_ascii_uppercase() } else { c })
                .collect(),
            Name::Other(name) => name.clone(),
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    headers: Vec<(Name, String)>,
}

fn span_and_debug(cx: &Context) -> (Option<lantern::context::SpanContext>, bool) {
    (cx.span_context().cloned(), cx.is_debug())
}

fuzz_target!(|input: Input| {
    let mut map = http::HeaderMap::new();
    for (name, value) in &input.headers {
        if let (Ok(n), Ok(v)) =
            (http::HeaderName::from_bytes(name.text().as_bytes()), http::HeaderValue::from_str(value))
        {
            map.append(n, v);
        }
    }
    let pairs: Vec<(String, Vec<u8>)> = input.headers.iter().map(|(n, v)| (n.text(), v.clone().into_bytes())).collect();

    let mut first: Option<(Format, Context)> = None;
    for format in [Format::B3, Format::B3Multi, Format::Jaeger, Format::TraceContext] {
        let p = Propagators::new([format]);
        let _ = p.extract(&pairs);
        let cx = p.extract(&map);
        if let Some(span) = cx.span_context() {
            assert!(span.is_remote());
            if format != Format::TraceContext {
                assert!(!cx.is_debug() || span.is_sampled(), "debug implies sampled");
            }
            first.get_or_insert((format, cx.clone()));
        }
        let mut out = http::HeaderMap::new();
        p.inject(&cx, &mut out);
        let again = p.extract(&out);
        let expected_debug = cx.is_debug() && (format != Format::TraceContext) && cx.span_context().is_some();
        assert_eq!(again.span_context(), cx.span_context(), "{format:?} round trip: {out:?}");
        if cx.span_context().is_some() {
            assert_eq!(again.is_debug(), expected_debug, "{format:?} debug round trip: {out:?}");
        }
    }

    // The composite in that order takes the first format's context.
    let all = Propagators::new([Format::B3, Format::B3Multi, Format::Jaeger, Format::TraceContext, Format::Baggage]);
    let cx = all.extract(&map);
    match &first {
        Some((_, expected)) => assert_eq!(span_and_debug(&cx), span_and_debug(expected)),
        None => assert!(cx.span_context().is_none()),
    }
    let mut out = Vec::<(String, Vec<u8>)>::new();
    all.inject(&cx, &mut out);
    assert_eq!(all.extract(&out).span_context(), cx.span_context());
});
