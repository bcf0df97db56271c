//! A field's `Debug` runs while Lantern writes the record it belongs to.
//! Whatever that code does — panic, flush the buffer, close a span — the
//! application is not hurt: no deadlock, no panic of Lantern's own, no
//! half-written record, and anything lost is counted.

use std::fmt;

use lantern::buffer::Buffer;
use tracing_subscriber::layer::SubscriberExt;

fn lantern() -> (tracing::Dispatch, Buffer) {
    let layer = lantern::layer();
    let buffer = layer.buffer();
    (tracing::Dispatch::new(tracing_subscriber::registry().with(layer)), buffer)
}

struct Panics;
impl fmt::Debug for Panics {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("a Debug impl that panics")
    }
}

#[test]
fn a_panicking_debug_files_no_half_record_and_loses_nothing_else() {
    let (dispatch, buffer) = lantern();
    tracing::dispatcher::with_default(&dispatch, || {
        // More than a batch first, so a full batch waits to be handed over.
        for i in 0..300 {
            tracing::info!(i, "before");
        }
        let caught = std::panic::catch_unwind(|| tracing::info!(value = ?Panics, "boom"));
        assert!(caught.is_err(), "the user's panic reaches the user");
        tracing::info!("after");
    });
    buffer.flush();
    let snap = buffer.snapshot();
    let logs = snap.logs(&lantern::buffer::LogQuery { limit: 1000, ..Default::default() });
    assert_eq!(logs.len(), 301, "every record but the one that panicked");
    assert!(logs.iter().all(|l| l.body != "boom"), "no half-written record");
    let stats = snap.stats();
    assert_eq!((stats.logs_recorded, stats.logs_overwritten), (301, 0), "{stats:?}");
}

struct Flushes;
impl fmt::Debug for Flushes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(buffer) = Buffer::current() {
            buffer.flush();
            let _ = buffer.snapshot().stats();
        }
        f.write_str("flushed")
    }
}

#[test]
fn a_debug_that_flushes_the_buffer_neither_deadlocks_nor_panics() {
    let (dispatch, buffer) = lantern();
    tracing::dispatcher::with_default(&dispatch, || {
        tracing::info_span!("outer").in_scope(|| {
            tracing::info!("first");
            tracing::info!(value = ?Flushes, "second");
        });
    });
    buffer.flush();
    let logs = buffer.snapshot().logs(&Default::default());
    let second = logs.iter().find(|l| l.body == "second").expect("the record is filed");
    assert_eq!(second.attribute("value").and_then(|v| v.as_str()), Some("flushed"));
    assert!(logs.iter().any(|l| l.body == "first"));
}

struct ClosesASpan(std::sync::Mutex<Option<tracing::Span>>);
impl fmt::Debug for ClosesASpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        drop(self.0.lock().unwrap().take());
        f.write_str("closed")
    }
}

#[test]
fn a_span_closed_while_a_record_is_written_is_counted_as_lost() {
    let (dispatch, buffer) = lantern();
    tracing::dispatcher::with_default(&dispatch, || {
        let inner = ClosesASpan(std::sync::Mutex::new(Some(tracing::info_span!("closed inside Debug"))));
        tracing::info!(value = ?inner, "writing");
    });
    buffer.flush();
    let stats = buffer.stats();
    assert_eq!(stats.logs_recorded, 1, "{stats:?}");
    assert_eq!(stats.spans + stats.spans_overwritten, 1, "the span is filed or counted as lost: {stats:?}");
}
