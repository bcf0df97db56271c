//! Long traces are capped: spans per trace, events per span, attributes and
//! links per span; the overflow is counted.

use lantern::buffer::BufferConfig;

#[test]
fn a_perpetual_trace_keeps_at_most_the_cap_and_counts_the_rest() {
    let cfg = BufferConfig { max_spans_per_trace: 50, ..Default::default() };
    let guard = lantern::builder().buffer(cfg).try_init_local();
    let root = tracing::info_span!("forever");
    root.in_scope(|| {
        for _ in 0..200 {
            tracing::info_span!("tick").in_scope(|| {});
        }
    });
    let snap = guard.buffer().snapshot();
    let summary = &snap.traces(&Default::default())[0];
    assert_eq!(summary.span_count, 50);
    assert_eq!(summary.dropped_spans, 150);
    assert!(!summary.has_root, "the root is still open");
    assert_eq!(snap.stats().spans_dropped_trace_cap, 150);
    drop(snap);
    drop(root);
}

#[test]
fn events_and_attributes_per_span_are_capped() {
    let cfg = BufferConfig { max_events_per_span: 3, max_attributes: 2, ..Default::default() };
    let guard = lantern::builder().buffer(cfg).try_init_local();
    tracing::info_span!("s", a = 1, b = 2, c = 3, d = 4).in_scope(|| {
        for i in 0..10 {
            tracing::info!(i, "e");
        }
    });
    let snap = guard.buffer().snapshot();
    let s = snap.spans_named("s", 1).pop().unwrap();
    assert_eq!(s.attributes.len(), 2);
    assert_eq!(s.dropped_attributes, 2);
    assert_eq!(s.events.len(), 3);
    assert_eq!(s.dropped_events, 7);
    assert_eq!(snap.logs(&Default::default()).len(), 10, "every event is still a log");
    assert_eq!(snap.stats().events_dropped, 7);
}

#[test]
fn a_zero_cap_keeps_no_span_and_reading_still_works() {
    let cfg = BufferConfig { max_spans_per_trace: 0, max_events_per_span: 0, max_attributes: 0, ..Default::default() };
    let guard = lantern::builder().buffer(cfg).try_init_local();
    tracing::info_span!("s", a = 1).in_scope(|| tracing::info!("e"));
    let snap = guard.buffer().snapshot();
    assert!(snap.traces(&Default::default()).is_empty());
    assert_eq!(snap.stats().spans_dropped_trace_cap, 1);
    assert_eq!(snap.logs(&Default::default()).len(), 1);
}
