//! `log.records`: log records counted by severity, with an exemplar pointing
//! at a recent one made inside a sampled span.

use std::sync::Arc;

use metrics::{Key, Label};

use super::labels::MetricContext;
use super::recorder::{Op, Source};
use super::registry::KeyHandle;
use super::store::Metrics;
use crate::ids::{SpanId, TraceId};
use crate::record::Severity;
use crate::span_context::TraceFlags;

pub(crate) const LOG_RECORDS: &str = "log.records";

const SEVERITIES: [Severity; 5] = [Severity::Trace, Severity::Debug, Severity::Info, Severity::Warn, Severity::Error];

/// One counter handle per severity, registered once.
pub(crate) struct LogCounts(Vec<Option<Arc<KeyHandle>>>);

impl LogCounts {
    pub(crate) fn new(metrics: &Metrics) -> LogCounts {
        let registry = &metrics.0;
        registry.describe(LOG_RECORDS, None, "Log records (tracing events and log crate records) by severity.");
        LogCounts(
            SEVERITIES
                .iter()
                .map(|sev| {
                    let key = Key::from_parts(LOG_RECORDS, vec![Label::new("severity", sev.as_str())]);
                    registry.handle(&key, super::family::MetricKind::Counter, false).ok()
                })
                .collect(),
        )
    }

    #[inline]
    pub(crate) fn count(&self, level: &tracing::Level, ids: Option<(TraceId, SpanId, TraceFlags)>) {
        let i = match *level {
            tracing::Level::TRACE => 0,
            tracing::Level::DEBUG => 1,
            tracing::Level::INFO => 2,
            tracing::Level::WARN => 3,
            _ => 4,
        };
        if let Some(Some(h)) = self.0.get(i) {
            let exemplar = ids.filter(|i| i.2.is_sampled()).map(|i| (i.0, i.1));
            let cx = MetricContext { values: Default::default(), exemplar, truncated: false };
            h.apply(Op::Increment(1), Source::Given(&cx));
        }
    }
}
