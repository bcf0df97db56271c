//! Text values are bounded as they are recorded: span attributes, log bodies
//! and log fields, and event fields joined to their spans. An oversized
//! value from a hostile client costs the limit, not its own size, and cannot
//! evict the real traces from the ring buffer.

use lantern::buffer::BufferConfig;
use lantern::record::Value;

fn text(value: Option<&Value>) -> &str {
    value.and_then(Value::as_str).expect("a text value")
}

#[test]
fn a_long_attribute_is_cut_at_the_limit_and_counted() {
    let config = BufferConfig { max_attribute_value_bytes: 64, ..Default::default() };
    let lantern = lantern::builder().buffer(config).try_init_local();
    let agent = "A".repeat(300 * 1024);
    tracing::info_span!("GET /", user_agent.original = agent.as_str(), short = "ok").in_scope(|| {});
    let snap = lantern.buffer().snapshot();
    let trace = snap.trace(snap.traces(&Default::default())[0].trace_id).unwrap();
    let span = &trace.spans[0];
    assert_eq!(text(span.attribute("user_agent.original")), "A".repeat(64));
    assert_eq!(text(span.attribute("short")), "ok");
    assert_eq!(snap.stats().values_truncated, 1);
}

#[test]
fn a_cut_never_splits_a_character() {
    let config = BufferConfig { max_attribute_value_bytes: 5, ..Default::default() };
    let lantern = lantern::builder().buffer(config).try_init_local();
    tracing::info_span!("s", name = "ééé").in_scope(|| {}); // 6 bytes
    let snap = lantern.buffer().snapshot();
    let trace = snap.trace(snap.traces(&Default::default())[0].trace_id).unwrap();
    assert_eq!(text(trace.spans[0].attribute("name")), "éé");
}

/// A value whose `Debug` output is endless unless the writer stops it.
struct Endless;

impl std::fmt::Debug for Endless {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        loop {
            f.write_str("0123456789")?;
        }
    }
}

#[test]
fn debug_values_stop_formatting_at_the_limit() {
    let config = BufferConfig { max_attribute_value_bytes: 25, ..Default::default() };
    let lantern = lantern::builder().buffer(config).try_init_local();
    tracing::info_span!("s", payload = ?Endless).in_scope(|| {
        tracing::info!(dump = ?Endless, "{:?}", Endless);
    });
    let snap = lantern.buffer().snapshot();
    let trace = snap.trace(snap.traces(&Default::default())[0].trace_id).unwrap();
    let span = &trace.spans[0];
    assert_eq!(text(span.attribute("payload")), "0123456789012345678901234");
    let log = &snap.logs(&Default::default())[0];
    assert_eq!(log.body, "0123456789012345678901234", "the message is bounded too");
    assert_eq!(text(log.attribute("dump")), "0123456789012345678901234");
    let event = &span.events[0];
    assert_eq!(text(event.attribute("dump")), "0123456789012345678901234", "as a span event too");
    assert_eq!(snap.stats().values_truncated, 3);
}

#[test]
fn recorded_later_and_error_values_are_bounded() {
    let config = BufferConfig { max_attribute_value_bytes: 8, ..Default::default() };
    let lantern = lantern::builder().buffer(config).try_init_local();
    let span = tracing::info_span!("s", late = tracing::field::Empty);
    span.record("late", "x".repeat(100).as_str());
    let err = std::io::Error::other("y".repeat(100));
    span.in_scope(|| tracing::warn!(error = &err as &dyn std::error::Error, "failed"));
    drop(span);
    let snap = lantern.buffer().snapshot();
    let trace = snap.trace(snap.traces(&Default::default())[0].trace_id).unwrap();
    assert_eq!(text(trace.spans[0].attribute("late")), "xxxxxxxx");
    assert_eq!(text(snap.logs(&Default::default())[0].attribute("error")), "yyyyyyyy");
    assert_eq!(snap.stats().values_truncated, 2);
}

#[test]
fn oversized_requests_do_not_evict_the_real_traces() {
    // 250 requests with a 300 KB User-Agent are 75 MB of text: without the
    // limit they evict everything from a 16 MiB buffer.
    let config = BufferConfig { max_bytes: 16 << 20, ..Default::default() };
    let lantern = lantern::builder().buffer(config).try_init_local();
    tracing::info_span!("checkout").in_scope(|| tracing::info!("paid"));
    let agent = "B".repeat(300 * 1024);
    for _ in 0..250 {
        tracing::info_span!("GET /", user_agent.original = agent.as_str()).in_scope(|| {});
    }
    let snap = lantern.buffer().snapshot();
    let stats = snap.stats();
    assert_eq!(stats.spans_evicted, 0, "{stats:?}");
    assert_eq!(stats.values_truncated, 250);
    let all = lantern::buffer::TraceQuery { limit: 1000, ..Default::default() };
    assert!(snap.traces(&all).iter().any(|t| t.root_name == "checkout"));
}
