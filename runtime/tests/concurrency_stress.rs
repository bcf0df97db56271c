//! The hand-over from the application's threads to the ingest thread under
//! contention: many writers, a small queue that overflows, readers draining
//! at the same time, threads that end. Nothing may be lost without being
//! counted, and no record may be filed twice.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use lantern::buffer::{BufferConfig, TraceQuery};
use lantern::record::Value;
use tracing_subscriber::layer::SubscriberExt;

const THREADS: u64 = 4;
const SPANS: u64 = 10_000;

fn id_of(value: Option<&Value>) -> u64 {
    match value {
        Some(Value::U64(v)) => *v,
        other => panic!("an id, not {other:?}"),
    }
}

fn run(queue_capacity: usize) -> lantern::buffer::BufferStats {
    let config = BufferConfig { queue_capacity, max_bytes: 512 << 20, max_records: 10_000_000, ..Default::default() };
    let layer = lantern::builder().buffer(config).layer();
    let buffer = layer.buffer();
    let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));
    let stop = Arc::new(AtomicBool::new(false));
    // A reader that drains and reads while the writers write.
    let reader = {
        let (buffer, stop) = (buffer.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut reads = 0;
            while !stop.load(Ordering::Relaxed) {
                let _ = buffer.snapshot().stats();
                reads += 1;
                std::thread::yield_now();
            }
            reads
        })
    };
    let writers: Vec<_> = (0..THREADS)
        .map(|t| {
            let dispatch = dispatch.clone();
            std::thread::spawn(move || {
                tracing::dispatcher::with_default(&dispatch, || {
                    for i in 0..SPANS {
                        let id = t * SPANS + i;
                        tracing::info_span!("work", id).in_scope(|| tracing::info!(id, "step"));
                    }
                })
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    assert!(reader.join().unwrap() > 0, "the reader ran alongside");

    let snap = buffer.snapshot();
    let stats = snap.stats();
    let total = THREADS * SPANS;
    assert_eq!(stats.spans_recorded, total, "{stats:?}");
    assert_eq!(stats.logs_recorded, total, "{stats:?}");
    assert_eq!((stats.spans_evicted, stats.logs_evicted), (0, 0), "the ceilings are out of reach here");
    assert_eq!(stats.spans + stats.spans_overwritten, total, "every span is held or counted as lost: {stats:?}");
    assert_eq!(stats.logs + stats.logs_overwritten, total, "every log is held or counted as lost: {stats:?}");

    let mut seen = HashSet::new();
    let all = TraceQuery { limit: usize::MAX, ..Default::default() };
    for summary in snap.traces(&all) {
        let trace = snap.trace(summary.trace_id).unwrap();
        for span in &trace.spans {
            assert!(seen.insert(id_of(span.attribute("id"))), "span filed twice");
            // An event is joined to its span exactly once, when both arrived.
            assert!(span.events.len() <= 1, "{:?}", span.events.len());
        }
    }
    assert_eq!(seen.len() as u64, stats.spans);
    let mut logs = HashSet::new();
    let every_log = lantern::buffer::LogQuery { limit: usize::MAX, ..Default::default() };
    for log in snap.logs(&every_log) {
        assert!(logs.insert(id_of(log.attribute("id"))), "log filed twice");
    }
    assert_eq!(logs.len() as u64, stats.logs);
    stats
}

#[test]
fn a_roomy_queue_loses_nothing_under_contention() {
    let stats = run(1 << 20);
    assert_eq!((stats.spans_overwritten, stats.logs_overwritten), (0, 0), "{stats:?}");
}

#[test]
fn an_overflowing_queue_counts_every_loss_and_files_nothing_twice() {
    let stats = run(512);
    // Whether the queue overflowed depends on the scheduler; what must hold
    // either way is checked in `run`.
    println!("overwritten: {} spans, {} logs", stats.spans_overwritten, stats.logs_overwritten);
}
