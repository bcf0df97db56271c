//! The ring buffer stays under its ceilings; newest wins; losses are counted.

use lantern::buffer::BufferConfig;

fn buffer_with(config: BufferConfig) -> lantern::Guard {
    lantern::builder().buffer(config).try_init_local()
}

#[test]
fn the_count_ceiling_keeps_the_newest_records() {
    let guard = buffer_with(BufferConfig { max_records: 100, track_open_spans: false, ..Default::default() });
    for i in 0..1000_u64 {
        tracing::info_span!("s", i).in_scope(|| {});
        if i % 64 == 0 {
            guard.buffer().flush();
        }
    }
    let snap = guard.buffer().snapshot();
    let stats = snap.stats();
    assert_eq!(stats.spans, 100);
    assert_eq!(stats.spans_recorded, 1000);
    assert_eq!(stats.spans_evicted + stats.spans_overwritten, 900);
    let newest = snap.spans_named("s", 1).pop().unwrap();
    assert_eq!(newest.attribute("i"), Some(&lantern::record::Value::U64(999)), "newest wins");
}

#[test]
fn the_byte_ceiling_holds_with_large_records() {
    let max_bytes = 256 * 1024;
    let guard = buffer_with(BufferConfig { max_bytes, ..Default::default() });
    let payload = "x".repeat(4096);
    for _ in 0..500 {
        tracing::info_span!("big", payload = payload.as_str()).in_scope(|| tracing::info!(p = payload.as_str(), "log"));
        guard.buffer().flush();
        let stats = guard.buffer().stats();
        assert!(stats.bytes <= max_bytes as u64, "{} > {max_bytes}", stats.bytes);
    }
    let stats = guard.buffer().stats();
    assert!(stats.spans_evicted > 0 && stats.logs_evicted > 0);
    assert!(stats.spans > 0, "the newest spans are kept");
}

#[test]
fn a_full_queue_overwrites_its_oldest_entries_and_counts_them() {
    let guard = buffer_with(BufferConfig { queue_capacity: 16, track_open_spans: false, ..Default::default() });
    // Hold the store so the ingest thread cannot drain while we write.
    let snap = guard.buffer().snapshot();
    for i in 0..100_u64 {
        tracing::info_span!("q", i).in_scope(|| {});
    }
    drop(snap);
    let snap = guard.buffer().snapshot();
    let stats = snap.stats();
    assert_eq!(stats.spans_recorded, 100);
    assert!(stats.spans_overwritten >= 64, "{stats:?}");
    assert_eq!(stats.spans + stats.spans_overwritten, 100);
    let newest = snap.spans_named("q", 1).pop().unwrap();
    assert_eq!(newest.attribute("i"), Some(&lantern::record::Value::U64(99)), "newest wins");
}
