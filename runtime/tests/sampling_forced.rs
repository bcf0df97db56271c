//! Forced (debug) sampling: a root that asks to be sampled
//! (`lantern.debug = true`, what the middleware's debug header sets, or a
//! `lantern-debug` baggage entry where the process honours it) is, whatever
//! the sampler and the attribute cap say, within a cap per second; its
//! debug id finds it again.

use lantern::buffer::{BufferConfig, TraceQuery};
use lantern::sampling::{AlwaysOff, DEBUG_ID_ATTRIBUTE, ParentBased, SamplerTag};

#[test]
fn forcing_holds_when_the_attribute_cap_keeps_no_attribute() {
    let config = BufferConfig { max_attributes: 0, ..Default::default() };
    let lantern = lantern::builder().buffer(config).sampler(ParentBased::new(AlwaysOff)).try_init_local();
    tracing::info_span!("checkout", lantern.debug = true).in_scope(|| {
        tracing::info_span!("charge").in_scope(|| {});
    });
    tracing::info_span!("browse").in_scope(|| {});
    let snap = lantern.buffer().snapshot();
    let checkout = &snap.spans_named("checkout", 1)[0];
    assert!(checkout.is_sampled(), "forced, though the field itself was not kept");
    assert!(checkout.attributes.is_empty());
    assert!(snap.spans_named("charge", 1)[0].is_sampled(), "children follow");
    assert!(!snap.spans_named("browse", 1)[0].is_sampled());
    let sampling = lantern.handle().sampling();
    assert_eq!((sampling.forced(), sampling.forced_over_cap()), (1, 0));
}

#[test]
fn forced_traces_are_capped_and_the_rest_go_to_the_sampler() {
    // One forced trace, then none for 100 s.
    let lantern = lantern::builder().sampler(ParentBased::new(AlwaysOff)).max_forced_per_second(0.01).try_init_local();
    for _ in 0..5 {
        tracing::info_span!("debug me", lantern.debug = true).in_scope(|| {});
    }
    tracing::info_span!("debug me", lantern.debug = false).in_scope(|| {});
    let snap = lantern.buffer().snapshot();
    let spans = snap.spans_named("debug me", 10);
    assert_eq!(spans.len(), 6);
    assert_eq!(spans.iter().filter(|s| s.is_sampled()).count(), 1, "the cap lets one through");
    let sampling = lantern.handle().sampling();
    assert_eq!((sampling.forced(), sampling.forced_over_cap()), (1, 4), "false does not ask");
    let root = sampling.roots().into_iter().find(|r| r.name == "debug me").unwrap();
    assert_eq!((root.seen, root.sampled), (5, 0), "the refused and the unforced were the sampler's to decide");
}

/// An unsampled upstream, in a trace of its own, whose baggage has
/// `lantern-debug = value`.
fn upstream(value: &str) -> lantern::Context {
    let mut headers = http::HeaderMap::new();
    let traceparent = format!("00-{}-00f067aa0ba902b7-00", lantern::TraceId::random());
    headers.insert("traceparent", traceparent.parse().unwrap());
    let cx = lantern::propagation::extract(&headers);
    let mut baggage = cx.baggage().clone();
    baggage.insert("customer", "ann").unwrap();
    baggage.insert(lantern::sampling::DEBUG_BAGGAGE_KEY, value).unwrap();
    lantern::Context::new(cx.span_context().cloned(), baggage)
}

#[test]
fn a_debug_baggage_entry_forces_where_the_process_honours_it() {
    let cases = [
        (true, "1", true),
        (true, "TRUE", true),
        (true, "ticket-9", true),
        (true, "0", false),
        (true, "false", false),
        (false, "1", false),
    ];
    for (honour, value, forced) in cases {
        let lantern = lantern::builder().sampler(ParentBased::new(AlwaysOff)).debug_baggage(honour).try_init_local();
        upstream(value)
            .child_span(|| tracing::info_span!("serve"))
            .in_scope(|| tracing::info_span!("work").in_scope(|| {}));
        let snap = lantern.buffer().snapshot();
        let serve = snap.spans_named("serve", 1).remove(0);
        assert_eq!(serve.is_sampled(), forced, "{value:?}, honoured: {honour}");
        assert_eq!(snap.spans_named("work", 1)[0].is_sampled(), forced, "children follow");
        assert_eq!(serve.sampler_tag(), forced.then(SamplerTag::debug));
        assert_eq!(lantern.handle().sampling().forced(), u64::from(forced));
        let id = serve.attribute(DEBUG_ID_ATTRIBUTE).and_then(|v| v.as_str());
        assert_eq!(id, (value == "ticket-9").then_some("ticket-9"));
    }
}

#[test]
fn forcing_by_baggage_counts_against_the_same_cap() {
    let lantern = lantern::builder()
        .sampler(ParentBased::new(AlwaysOff))
        .debug_baggage(true)
        .max_forced_per_second(2.0)
        .try_init_local();
    for _ in 0..10 {
        upstream("load-test").child_span(|| tracing::info_span!("serve")).in_scope(|| {});
    }
    // And the span field, through the same bucket.
    tracing::info_span!("serve", lantern.debug = true).in_scope(|| {});
    let snap = lantern.buffer().snapshot();
    let spans = snap.spans_named("serve", 20);
    assert_eq!(spans.iter().filter(|s| s.is_sampled()).count(), 2, "the cap lets two through");
    let sampling = lantern.handle().sampling();
    assert_eq!((sampling.forced(), sampling.forced_over_cap()), (2, 9));
    // The refused ones were the sampler's to decide, and still carry their
    // id in the buffer (recorded, unsampled), so the page finds them all.
    let q = TraceQuery { debug_id: Some("load-test".into()), limit: 100, ..Default::default() };
    assert_eq!(snap.traces(&q).len(), 10);
}

#[test]
fn debug_ids_are_cut_cleaned_and_searchable() {
    let lantern = lantern::builder().sampler(AlwaysOff).debug_baggage(true).try_init_local();
    let long = format!("ticket \u{e9}\n{}", "x".repeat(100));
    upstream(&long).child_span(|| tracing::info_span!("long")).in_scope(|| {});
    // The root's own field wins over the baggage's id.
    upstream("from-baggage")
        .child_span(|| tracing::info_span!("own", lantern.debug = true, lantern.debug_id = "from-field"))
        .in_scope(|| {});
    upstream("ticket-1").child_span(|| tracing::info_span!("plain")).in_scope(|| {});
    let snap = lantern.buffer().snapshot();
    let id = |name: &str| {
        snap.spans_named(name, 1)[0].attribute(DEBUG_ID_ATTRIBUTE).and_then(|v| v.as_str().map(String::from))
    };
    let cleaned = format!("ticket __{}", "x".repeat(55));
    assert_eq!(id("long"), Some(cleaned.clone()), "64 bytes of printable ASCII");
    assert_eq!(id("own").as_deref(), Some("from-field"));
    let find = |q: TraceQuery| snap.traces(&q).into_iter().map(|t| t.root_name).collect::<Vec<_>>();
    assert_eq!(find(TraceQuery { debug_id: Some("ticket-1".into()), ..Default::default() }), ["plain"]);
    assert_eq!(find(TraceQuery { debug_id: Some(cleaned), ..Default::default() }), ["long"]);
    let by_attribute = Some((DEBUG_ID_ATTRIBUTE.to_owned(), "from-field".to_owned()));
    assert_eq!(find(TraceQuery { attribute: by_attribute, ..Default::default() }), ["own"]);
}
