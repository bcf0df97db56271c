//! Label planning for context-aware metrics: which baggage keys and span
//! fields become labels, and what one measurement knows of where it was
//! made (the label values and the exemplar's ids).
//!
//! The layer fills a [`MetricContext`] from the current span following a
//! [`LabelPlan`]; the recorder and the RED recorder only read it.

use smallvec::SmallVec;

use crate::ids::{SpanId, TraceId};

/// Label values from the context, in the order of [`LabelPlan::names`];
/// `None` where the context has no value.
pub(crate) type ContextValues = SmallVec<[Option<String>; 4]>;

/// The allowlists: which baggage keys and span fields become labels.
#[derive(Debug, Default)]
pub(crate) struct LabelPlan {
    pub(crate) baggage: Vec<String>,
    pub(crate) fields: Vec<String>,
}

impl LabelPlan {
    pub(crate) fn is_empty(&self) -> bool {
        self.baggage.is_empty() && self.fields.is_empty()
    }

    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.baggage.iter().chain(&self.fields).map(String::as_str)
    }
}

/// Bytes kept of a label value taken from the context: a longer baggage
/// value or span field is cut there (at a character boundary), and the
/// measurement is counted in `MetricsStats::label_values_truncated`.
pub(crate) const MAX_LABEL_VALUE_BYTES: usize = 256;

/// A label value from outside Lantern (the context, a root span name) cut to
/// [`MAX_LABEL_VALUE_BYTES`] at a character boundary, and whether it was cut.
pub(crate) fn bounded_value(value: &str) -> (&str, bool) {
    let kept = crate::text::cut(value, MAX_LABEL_VALUE_BYTES);
    (kept, kept.len() < value.len())
}

/// What a measurement knows of where it was made.
#[derive(Debug, Default)]
pub(crate) struct MetricContext {
    pub(crate) values: ContextValues,
    /// Whether a value was cut to [`MAX_LABEL_VALUE_BYTES`].
    pub(crate) truncated: bool,
    /// The ids of the current span, when it is sampled and recorded.
    pub(crate) exemplar: Option<(TraceId, SpanId)>,
}
