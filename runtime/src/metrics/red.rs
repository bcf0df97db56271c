//! RED metrics (rate, errors, duration) derived from spans as they close.
//!
//! The layer calls [`RedRecorder::record`] on the application thread when a
//! span that qualifies closes, before any sampling decision matters, so the
//! counts are exact whatever the sampler keeps. In
//! [`RecordingMode::SampledOnly`](crate::sampling::RecordingMode) the roots
//! of unsampled traces (server and consumer spans, usually) still count;
//! spans *inside* an unsampled trace keep no state in that mode, so a
//! `#[traced]` fn there is not counted. Each span name and kind is
//! one series (per allowlisted baggage values), and per service when the
//! span belongs to one hosted by the process (label `service.name`; spans of
//! the process's own service have no such label):
//!
//! - `span.calls` (counter): spans ended;
//! - `span.errors` (counter): of those, spans with error status or an ERROR
//!   event inside them;
//! - `span.duration` (histogram, seconds).
//!
//! Each thread keeps the handles of the last few series it recorded to, so a
//! service's few server spans find theirs without building a key, hashing it
//! or taking the registry's locks.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use metrics::{Key, Label, Unit};

use super::config::RedConfig;
use super::family::MetricKind;
use super::labels::MetricContext;
use super::recorder::{Op, Source};
use super::registry::KeyHandle;
use super::store::Metrics;
use crate::record::SpanKind;
use crate::record::SpanRecord;

pub(crate) const CALLS: &str = "span.calls";
pub(crate) const ERRORS: &str = "span.errors";
pub(crate) const DURATION: &str = "span.duration";

/// The `#[traced]` macro marks its spans with this field.
const TRACED_FIELD: &str = "code.function";

pub(crate) struct RedRecorder {
    /// Unique per recorder: keys the per-thread handle caches.
    id: u64,
    metrics: Metrics,
    config: RedConfig,
}

/// The handles of one series (name, kind, service) of one recorder.
struct Cached {
    recorder: u64,
    name: String,
    kind: SpanKind,
    service: Option<Arc<str>>,
    /// `None` when the registry refused the series (a kind conflict).
    calls: Option<Arc<KeyHandle>>,
    duration: Option<Arc<KeyHandle>>,
    /// Made on the first error, so that a name with none shows no series.
    errors: Option<Arc<KeyHandle>>,
}

/// Series each thread keeps handles for.
const CACHED: usize = 16;

thread_local! {
    /// Most recently used first.
    static HANDLES: RefCell<Vec<Cached>> = const { RefCell::new(Vec::new()) };
}

impl RedRecorder {
    pub(crate) fn new(metrics: Metrics) -> Option<RedRecorder> {
        let config = metrics.config().red.clone();
        if !config.enabled {
            return None;
        }
        let r = &metrics.0;
        r.describe(CALLS, None, "Spans ended, per span name and kind, counted before sampling.");
        r.describe(ERRORS, None, "Spans ended with an error, per span name and kind, counted before sampling.");
        r.describe(DURATION, Some(Unit::Seconds), "Span durations, per span name and kind.");
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Some(RedRecorder { id: NEXT_ID.fetch_add(1, Relaxed), metrics, config })
    }

    /// Whether this span produces RED metrics.
    pub(crate) fn wants(&self, rec: &SpanRecord) -> bool {
        self.config.kinds.contains(&rec.kind)
            || (self.config.traced_fns && rec.attribute(TRACED_FIELD).is_some())
            || self.config.span_names.iter().any(|n| *n == rec.name)
    }

    pub(crate) fn record(&self, rec: &SpanRecord, error: bool, cx: &MetricContext) {
        let error = error || rec.status.is_error();
        let name = crate::text::cut(&rec.name, crate::text::MAX_NAME_BYTES);
        let recorded = HANDLES.try_with(|cache| {
            let Ok(mut cache) = cache.try_borrow_mut() else { return false };
            let found = cache.iter().position(|c| {
                c.recorder == self.id && c.kind == rec.kind && c.name == name && c.service == rec.service
            });
            let pos = match found {
                Some(pos) => pos,
                None => {
                    let cached = self.lookup(rec, name);
                    if cache.len() >= CACHED {
                        cache.pop();
                    }
                    cache.push(cached);
                    cache.len() - 1
                }
            };
            let mut cached = cache.remove(pos);
            if error && cached.errors.is_none() {
                cached.errors = self.handle(ERRORS, rec, name, MetricKind::Counter);
            }
            self.apply(&cached, rec, error, cx);
            cache.insert(0, cached);
            true
        });
        if recorded != Ok(true) {
            // No cache (thread teardown, or re-entered): straight to the
            // registry.
            let mut cached = self.lookup(rec, name);
            if error {
                cached.errors = self.handle(ERRORS, rec, name, MetricKind::Counter);
            }
            self.apply(&cached, rec, error, cx);
        }
    }

    fn apply(&self, cached: &Cached, rec: &SpanRecord, error: bool, cx: &MetricContext) {
        if let Some(calls) = &cached.calls {
            calls.apply(Op::Increment(1), Source::Given(cx));
        }
        if let (true, Some(errors)) = (error, &cached.errors) {
            errors.apply(Op::Increment(1), Source::Given(cx));
        }
        if let Some(duration) = &cached.duration {
            duration.apply(Op::Record(rec.duration().as_secs_f64()), Source::Given(cx));
        }
    }

    /// The handles of `rec`'s series, from the registry.
    fn lookup(&self, rec: &SpanRecord, name: &str) -> Cached {
        Cached {
            recorder: self.id,
            name: name.to_owned(),
            kind: rec.kind,
            service: rec.service.clone(),
            calls: self.handle(CALLS, rec, name, MetricKind::Counter),
            duration: self.handle(DURATION, rec, name, MetricKind::Histogram),
            errors: None,
        }
    }

    fn handle(&self, metric: &'static str, rec: &SpanRecord, name: &str, kind: MetricKind) -> Option<Arc<KeyHandle>> {
        let mut labels = vec![Label::new("span.name", name.to_owned()), Label::new("span.kind", rec.kind.as_str())];
        if let Some(service) = &rec.service {
            labels.push(Label::new("service.name", service.to_string()));
        }
        self.metrics.0.handle(&Key::from_parts(metric, labels), kind, true).ok()
    }
}
