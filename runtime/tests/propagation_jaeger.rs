//! Jaeger's `uber-trace-id` (plain and url-encoded, variable-length ids,
//! the sampled and debug flags) and `uberctx-{key}` baggage; what is
//! written back; malformed input counted and ignored.

mod counters_support;
use counters_support::*;

use std::collections::HashMap;

use lantern::Context;
use lantern::propagation::{Format, Propagators, rejected};

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN: &str = "00f067aa0ba902b7";

fn jaeger() -> Propagators {
    Propagators::new([Format::Jaeger])
}

fn extract(pairs: &[(&str, &str)]) -> Context {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    jaeger().extract(&map)
}

fn ids(value: &str) -> Option<(u128, u64, bool, bool)> {
    let cx = extract(&[("uber-trace-id", value)]);
    let span = cx.span_context()?;
    assert!(span.is_remote());
    Some((span.trace_id().to_u128(), span.span_id().to_u64(), span.is_sampled(), cx.is_debug()))
}

#[test]
fn flags_sampled_and_debug() {
    let t = u128::from_str_radix(TRACE, 16).unwrap();
    let s = u64::from_str_radix(SPAN, 16).unwrap();
    assert_eq!(ids(&format!("{TRACE}:{SPAN}:0:1")), Some((t, s, true, false)));
    assert_eq!(ids(&format!("{TRACE}:{SPAN}:0:0")), Some((t, s, false, false)));
    assert_eq!(ids(&format!("{TRACE}:{SPAN}:0:3")), Some((t, s, true, true)));
    assert_eq!(ids(&format!("{TRACE}:{SPAN}:0:2")), Some((t, s, true, true)), "debug implies sampled");
    assert_eq!(ids(&format!("{TRACE}:{SPAN}:0:01")), Some((t, s, true, false)));
    assert_eq!(ids(&format!("{TRACE}:{SPAN}:0:ff")), Some((t, s, true, true)), "other bits ignored");
    assert_eq!(ids(&format!("{TRACE}:{SPAN}:a0b1c2d3e4f50617:1")), Some((t, s, true, false)), "parent ignored");
}

#[test]
fn variable_length_ids_and_either_case() {
    assert_eq!(ids("abc:def:0:1"), Some((0xabc, 0xdef, true, false)), "left-padded");
    assert_eq!(ids("463ac35c9f6413ad:72485a3953bb6124:0:1").map(|i| i.0), Some(0x463ac35c9f6413ad), "64-bit trace id");
    assert_eq!(
        ids(&format!("{}:{}:0:1", TRACE.to_uppercase(), SPAN.to_uppercase())).map(|i| i.0),
        Some(u128::from_str_radix(TRACE, 16).unwrap())
    );
}

#[test]
fn url_encoded() {
    let plain = ids(&format!("{TRACE}:{SPAN}:0:1"));
    assert_eq!(ids(&format!("{TRACE}%3A{SPAN}%3A0%3A1")), plain);
    assert_eq!(ids(&format!("{TRACE}%3a{SPAN}%3a0%3a1")), plain, "lower-case escapes");
    assert_eq!(ids(&format!("{TRACE}%3A{SPAN}:0%3A1")), plain, "mixed");
}

#[test]
fn malformed_input_is_counted_and_ignored() {
    let _lock = counters();
    let before = rejected().jaeger_invalid;
    let bad = [
        "".to_owned(),
        format!("{TRACE}:{SPAN}:0"),
        format!("{TRACE}:{SPAN}:0:1:0"),
        format!("{TRACE}:{SPAN}::1"),
        format!("{TRACE}:{SPAN}:0:"),
        format!("{TRACE}:{SPAN}:0:100"),
        format!("{TRACE}0:{SPAN}:0:1"),
        format!("{TRACE}:{SPAN}0:0:1"),
        format!("0:{SPAN}:0:1"),
        format!("{TRACE}:0000000000000000:0:1"),
        format!("{TRACE}:{SPAN}:xyz:1"),
        format!("{TRACE}:{SPAN}:0:g"),
        format!("{TRACE}%3G{SPAN}:0:1"),
        format!("{TRACE}:{SPAN}:0:1{}", " ".repeat(1000) + "x"),
        "%FF%FE:1:0:1".into(),
    ];
    for value in &bad {
        assert_eq!(extract(&[("uber-trace-id", value)]), Context::default(), "{value:?}");
    }
    assert_eq!(rejected().jaeger_invalid, before + bad.len() as u64);
}

#[test]
fn uberctx_headers_are_baggage() {
    let _lock = counters();
    let cx = extract(&[("uberctx-customer", "ann%20b%2C%20co"), ("UberCtx-Tenant", "acme"), ("uberctx-", "x")]);
    assert!(cx.span_context().is_none(), "baggage without a trace context");
    assert_eq!(cx.baggage().get("customer"), Some("ann b, co"), "url-decoded");
    assert_eq!(cx.baggage().get("tenant"), Some("acme"), "names in any case, keys in lower case");
    assert_eq!(cx.baggage().len(), 2, "an empty key is no entry");

    // Invalid ones are skipped and counted.
    let before = rejected();
    let cx = extract(&[("uberctx-ok", "1"), ("uberctx-bad", "%FF"), ("uberctx-a b", "1")]);
    assert_eq!(cx.baggage().len(), 1);
    assert_eq!(rejected().baggage_member_invalid, before.baggage_member_invalid + 2);

    // Bounded by the baggage limits.
    let many: Vec<(String, String)> = (0..100).map(|i| (format!("uberctx-k{i}"), "v".to_owned())).collect();
    let pairs: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let before = rejected().baggage_over_limit;
    assert_eq!(extract(&pairs).baggage().len(), 64);
    assert_eq!(rejected().baggage_over_limit, before + 36);
}

#[test]
fn w3c_baggage_comes_first_and_uberctx_adds_to_it() {
    let p = Propagators::new([Format::Baggage, Format::Jaeger]);
    let mut h = http::HeaderMap::new();
    h.insert("baggage", "customer=from-w3c".parse().unwrap());
    h.insert("uberctx-customer", "from-jaeger".parse().unwrap());
    h.insert("uberctx-region", "eu".parse().unwrap());
    let cx = p.extract(&h);
    assert_eq!(cx.baggage().get("customer"), Some("from-w3c"));
    assert_eq!(cx.baggage().get("region"), Some("eu"));
}

#[test]
fn written_back() {
    let cx = extract(&[("uber-trace-id", "abc%3Adef%3A0%3A3"), ("uberctx-customer", "ann%20b")]);
    let mut out: HashMap<String, String> = HashMap::new();
    jaeger().inject(&cx, &mut out);
    assert_eq!(out["uber-trace-id"], "00000000000000000000000000000abc:0000000000000def:0:3");
    assert_eq!(out["uberctx-customer"], "ann%20b");
    assert_eq!(jaeger().extract(&out), cx, "round trip");
    for (value, flags) in [("1", "1"), ("0", "0")] {
        let cx = extract(&[("uber-trace-id", &format!("{TRACE}:{SPAN}:0:{value}"))]);
        let mut out = http::HeaderMap::new();
        jaeger().inject(&cx, &mut out);
        assert_eq!(out["uber-trace-id"], format!("{TRACE}:{SPAN}:0:{flags}"));
    }
    jaeger().inject(&Context::default(), &mut out);
    assert!(!out.contains_key("uber-trace-id"), "no span context: the header goes");
}
