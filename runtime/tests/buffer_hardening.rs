//! Limits that hold whatever clients send: no per-trace bookkeeping when
//! nothing is kept per trace, and events of long-open spans bounded by bytes.

use lantern::buffer::BufferConfig;

#[test]
fn a_zero_per_trace_cap_keeps_no_entry_per_trace() {
    let config = BufferConfig { max_spans_per_trace: 0, ..Default::default() };
    let lantern = lantern::builder().buffer(config).try_init_local();
    for _ in 0..1000 {
        tracing::info_span!("request").in_scope(|| {});
    }
    let stats = lantern.buffer().stats();
    assert_eq!(stats.spans_dropped_trace_cap, 1000);
    assert_eq!(stats.traces, 0, "no trace id is remembered: {stats:?}");
    assert_eq!(stats.bytes, 0);
}

#[test]
fn events_of_an_open_span_are_bounded_by_bytes() {
    let config = BufferConfig { max_bytes: 1 << 20, max_events_per_span: 100_000, ..Default::default() };
    let lantern = lantern::builder().buffer(config).try_init_local();
    let span = tracing::info_span!("long job");
    let text = "e".repeat(4000);
    span.in_scope(|| {
        for _ in 0..2000 {
            tracing::info!(text = text.as_str(), "step");
        }
    });
    // 8 MB of events while the span is open: only an eighth of the ceiling
    // waits for it, the rest stays logs only (and is evicted as logs are).
    let stats = lantern.buffer().stats();
    assert!(stats.pending_event_bytes <= (1 << 20) / 8, "{stats:?}");
    assert!(stats.pending_event_bytes > 0);
    assert!(stats.events_dropped > 1500, "{stats:?}");
    drop(span);
    let stats = lantern.buffer().stats();
    assert_eq!(stats.pending_event_bytes, 0, "joined to the span when it closed");
}
