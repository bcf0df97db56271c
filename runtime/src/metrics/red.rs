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

use metrics::{Key, Label, Unit};

use super::config::RedConfig;
use super::family::MetricKind;
use super::labels::MetricContext;
use super::recorder::{Op, Source};
use super::store::Metrics;
use crate::record::SpanRecord;

pub(crate) const CALLS: &str = "span.calls";
pub(crate) const ERRORS: &str = "span.errors";
pub(crate) const DURATION: &str = "span.duration";

/// The `#[traced]` macro marks its spans with this field.
const TRACED_FIELD: &str = "code.function";

pub(crate) struct RedRecorder {
    metrics: Metrics,
    config: RedConfig,
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
        Some(RedRecorder { metrics, config })
    }

    /// Whether this span produces RED metrics.
    pub(crate) fn wants(&self, rec: &SpanRecord) -> bool {
        self.config.kinds.contains(&rec.kind)
            || (self.config.traced_fns && rec.attribute(TRACED_FIELD).is_some())
            || self.config.span_names.iter().any(|n| *n == rec.name)
    }

    pub(crate) fn record(&self, rec: &SpanRecord, error: bool, cx: &MetricContext) {
        let labels = || {
            let mut labels = vec![
                Label::new("span.name", crate::text::cut(&rec.name, crate::text::MAX_NAME_BYTES).to_owned()),
                Label::new("span.kind", rec.kind.as_str()),
            ];
            if let Some(service) = &rec.service {
                labels.push(Label::new("service.name", service.to_string()));
            }
            labels
        };
        let registry = &self.metrics.0;
        let source = || Source::Given(cx);
        if let Ok(h) = registry.handle(&Key::from_parts(CALLS, labels()), MetricKind::Counter, true) {
            h.apply(Op::Increment(1), source());
        }
        if error || rec.status.is_error() {
            if let Ok(h) = registry.handle(&Key::from_parts(ERRORS, labels()), MetricKind::Counter, true) {
                h.apply(Op::Increment(1), source());
            }
        }
        if let Ok(h) = registry.handle(&Key::from_parts(DURATION, labels()), MetricKind::Histogram, true) {
            h.apply(Op::Record(rec.duration().as_secs_f64()), source());
        }
    }
}
