//! The exporter's own counters as metrics in Lantern's store, next to the
//! application's, so they show on `/metrics`, the debug pages and in the
//! metrics export:
//!
//! | metric | labels | what |
//! |---|---|---|
//! | `otlp.exported` | `signal` | items the collector accepted |
//! | `otlp.dropped` | `signal`, `reason` | items lost: `queue_full`, `rejected`, `permanent_error`, `retries_exhausted`, `shutdown` |
//! | `otlp.retries` | `signal` | attempts that failed and were retried |
//! | `otlp.failed_requests` | `signal` | requests that finally failed |
//! | `otlp.queue.length` | `signal` | items waiting in the queue (a gauge) |
//!
//! Items are spans, log records or metric data points, by `signal`. The
//! handles are registered once, when the exporter starts, with a
//! description and a unit, and moved where the events happen (see
//! [`Counters`](super::stats::Counters)): nothing copies them on a
//! schedule, so they never go stale while the exporter thread waits.

use lantern::Handle;
use metrics::{Counter, Gauge, Key, KeyName, Label, Metadata, Recorder, Unit};

use super::{Inner, index};
use crate::transport::Signal;

/// The counters of one signal, in the order [`Counters`](super::stats::Counters)
/// keeps them: the metric, and the `reason` of a drop.
pub(crate) const COUNTERS: [(&str, Option<&str>); 8] = [
    ("otlp.exported", None),
    ("otlp.dropped", Some("queue_full")),
    ("otlp.dropped", Some("rejected")),
    ("otlp.dropped", Some("permanent_error")),
    ("otlp.dropped", Some("retries_exhausted")),
    ("otlp.dropped", Some("shutdown")),
    ("otlp.retries", None),
    ("otlp.failed_requests", None),
];

const QUEUE_LENGTH: &str = "otlp.queue.length";

/// What each metric is, as `describe_*!` gives it.
const DESCRIPTIONS: [(&str, &str); 5] = [
    ("otlp.exported", "Items (spans, log records, metric data points) the OTLP collector accepted."),
    (
        "otlp.dropped",
        "Items the OTLP exporter lost, by reason: queue_full, rejected (partial success), permanent_error, \
         retries_exhausted, shutdown.",
    ),
    ("otlp.retries", "OTLP export attempts that failed and were retried."),
    ("otlp.failed_requests", "OTLP export requests that finally failed (their items are dropped)."),
    (QUEUE_LENGTH, "Items waiting in the OTLP exporter's queue."),
];

/// The metric handles of one signal.
pub(crate) struct Published {
    /// In the order of [`COUNTERS`].
    pub(crate) counters: [Counter; COUNTERS.len()],
    pub(crate) queue_length: Gauge,
}

fn signal_name(signal: Signal) -> &'static str {
    match signal {
        Signal::Traces => "traces",
        Signal::Metrics => "metrics",
        Signal::Logs => "logs",
    }
}

/// Describes the `otlp.*` metrics in `handle`'s store and hands each
/// enabled signal's counters their handles.
pub(crate) fn publish(inner: &Inner, handle: &Handle) {
    let recorder = handle.metrics().recorder();
    for (name, description) in DESCRIPTIONS {
        let key = KeyName::from_const_str(name);
        if name == QUEUE_LENGTH {
            recorder.describe_gauge(key, Some(Unit::Count), description.into());
        } else {
            recorder.describe_counter(key, Some(Unit::Count), description.into());
        }
    }
    let meta = Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));
    for signal in [Signal::Traces, Signal::Metrics, Signal::Logs] {
        if inner.transports[index(signal)].is_none() {
            continue;
        }
        let key = |metric: &'static str, reason: Option<&'static str>| {
            let mut labels = vec![Label::new("signal", signal_name(signal))];
            labels.extend(reason.map(|r| Label::new("reason", r)));
            Key::from_parts(metric, labels)
        };
        let published = Published {
            counters: COUNTERS.map(|(metric, reason)| recorder.register_counter(&key(metric, reason), &meta)),
            queue_length: recorder.register_gauge(&key(QUEUE_LENGTH, None), &meta),
        };
        inner.counters(signal).publish(published, inner.queued(signal));
    }
}
