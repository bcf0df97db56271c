//! Per-span state kept in the registry's span extensions.

use std::sync::Arc;

use tracing::span;
use tracing_subscriber::registry::{LookupSpan, SpanRef};

use crate::baggage::Baggage;
use crate::buffer::OpenSlot;
use crate::ids::{SpanId, TraceId};
use crate::metrics::labels::{ContextValues, LabelPlan, MetricContext, bounded_value};
use crate::record::SpanRecord;
use crate::span_context::{SpanContext, TraceFlags};
use crate::trace_state::TraceState;

/// What Lantern keeps for one open span. `record` is moved out whole, into the
/// thread's batch, when the span closes.
pub(crate) struct SpanData {
    pub(crate) record: SpanRecord,
    pub(crate) baggage: Baggage,
    /// False for an unsampled trace in `RecordingMode::SampledOnly`: only the
    /// ids are kept (for propagation), nothing is recorded.
    pub(crate) recording: bool,
    /// An ERROR event happened inside the span (for RED error counts; the
    /// record's status follows on the ingest thread).
    pub(crate) error_event: bool,
    /// Its place among the running spans, freed when dropped.
    pub(crate) open: Option<OpenSlot>,
}

impl SpanData {
    /// The record, to update it.
    pub(crate) fn record_mut(&mut self) -> &mut SpanRecord {
        &mut self.record
    }

    /// Minimal non-recording state for a span in an unsampled trace.
    pub(crate) fn stateless(cx: &SpanContext, meta: &'static tracing::Metadata<'static>, baggage: Baggage) -> Self {
        let mut record = SpanRecord::new(meta);
        record.trace_id = cx.trace_id();
        record.span_id = cx.span_id();
        record.flags = cx.flags();
        record.trace_state = cx.trace_state().clone();
        SpanData { record, baggage, recording: false, error_event: false, open: None }
    }

    pub(crate) fn span_context(&self) -> SpanContext {
        let r = &self.record;
        SpanContext::new(r.trace_id, r.span_id, r.flags, false, r.trace_state.clone())
    }
}

/// Adds `link` to `record` unless it has `max` links already; then counts
/// it as dropped. Returns whether it was added.
pub(crate) fn push_link(record: &mut SpanRecord, link: SpanContext, max: usize) -> bool {
    if record.links.len() < max {
        record.links.push(link);
        true
    } else {
        record.dropped_links = record.dropped_links.saturating_add(1);
        false
    }
}

/// The context a new span inherits.
#[derive(Clone)]
pub(crate) struct Inherited {
    pub(crate) trace_id: TraceId,
    pub(crate) parent_span_id: SpanId,
    pub(crate) flags: TraceFlags,
    pub(crate) trace_state: TraceState,
    pub(crate) baggage: Baggage,
    pub(crate) service: Option<Arc<str>>,
}

/// Where a span's context comes from.
pub(crate) enum Parent {
    /// No local parent with Lantern state: a root in this process.
    None,
    /// A local span with state.
    Local(Inherited),
    /// Inside an unsampled, non-recording trace: the span keeps no state.
    Stateless,
}

/// A span id for a span that keeps no state (an unsampled span in
/// `SampledOnly` mode): derived from the registry's id, stable for the span.
pub(crate) fn derived_span_id(id: &span::Id, trace_id: TraceId) -> SpanId {
    let x = id.into_u64() ^ (trace_id.to_u128() as u64);
    // splitmix64 finaliser: a bijection, so distinct inputs give distinct ids.
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    SpanId::from_u64(z ^ (z >> 31)).unwrap_or(SpanId::from_u64(1).expect("1 is non-zero"))
}

/// The context to inherit from `span` (the would-be parent) or its nearest
/// ancestor with state.
pub(crate) fn inherit<'a, R: LookupSpan<'a>>(span: SpanRef<'a, R>) -> Parent {
    if let Some(found) = inherit_from(&span) {
        return found;
    }
    // Rare: no state on the parent (a span created before Lantern was
    // installed, or in a non-recording trace): look further up.
    span.scope().skip(1).find_map(|s| inherit_from(&s)).unwrap_or(Parent::None)
}

fn inherit_from<'a, R: LookupSpan<'a>>(span: &SpanRef<'a, R>) -> Option<Parent> {
    let ext = span.extensions();
    let data = ext.get::<SpanData>()?;
    if !data.recording {
        return Some(Parent::Stateless);
    }
    let r = &data.record;
    Some(Parent::Local(Inherited {
        trace_id: r.trace_id,
        parent_span_id: r.span_id,
        flags: r.flags,
        trace_state: r.trace_state.clone(),
        baggage: data.baggage.clone(),
        service: r.service.clone(),
    }))
}

/// The span context and baggage of `span`, looking up ancestors for spans
/// that keep no state.
pub(crate) fn context_of<'a, R: LookupSpan<'a>>(span: SpanRef<'a, R>) -> Option<(SpanContext, Baggage)> {
    let id = span.id();
    for s in span.scope() {
        let ext = s.extensions();
        if let Some(data) = ext.get::<SpanData>() {
            let mut cx = data.span_context();
            if s.id() != id {
                cx = SpanContext::new(
                    cx.trace_id(),
                    derived_span_id(&id, cx.trace_id()),
                    cx.flags(),
                    false,
                    cx.trace_state().clone(),
                );
            }
            return Some((cx, data.baggage.clone()));
        }
    }
    None
}

/// Notes an ERROR event inside `span`, for its RED error count.
pub(crate) fn mark_error_event<'a, R: LookupSpan<'a>>(span: &SpanRef<'a, R>) {
    if let Some(data) = span.extensions_mut().get_mut::<SpanData>() {
        data.error_event = true;
    }
}

/// Ids for a log record made inside `span`: `None` when the span is in a
/// non-recording trace (or has no Lantern state at all).
pub(crate) fn event_ids<'a, R: LookupSpan<'a>>(span: SpanRef<'a, R>) -> Option<EventIds> {
    let ext = span.extensions();
    match ext.get::<SpanData>() {
        Some(data) if data.recording => Some(EventIds {
            trace_id: data.record.trace_id,
            span_id: data.record.span_id,
            flags: data.record.flags,
            service: data.record.service.clone(),
            baggage: data.baggage.clone(),
        }),
        _ => None,
    }
}

/// What an event takes from the span it happens in.
pub(crate) struct EventIds {
    pub(crate) trace_id: TraceId,
    pub(crate) span_id: SpanId,
    pub(crate) flags: TraceFlags,
    pub(crate) service: Option<Arc<str>>,
    /// The span's baggage: its allowlisted entries become attributes.
    pub(crate) baggage: Baggage,
}

/// The context labels of a measurement made in `span`: the allowlisted
/// baggage of the nearest span with state, the allowlisted fields of the
/// nearest span that has each, and the span's ids when it is sampled.
pub(crate) fn metric_context<'a, R: LookupSpan<'a>>(span: &SpanRef<'a, R>, plan: &LabelPlan) -> MetricContext {
    let current = span.id();
    let n_baggage = plan.baggage.len();
    let mut values: ContextValues = smallvec::smallvec![None; n_baggage + plan.fields.len()];
    let mut exemplar = None;
    let mut found_state = false;
    let mut missing_fields = plan.fields.len();
    let mut truncated = false;
    for s in span.scope() {
        let ext = s.extensions();
        let Some(data) = ext.get::<SpanData>() else { continue };
        if !found_state {
            found_state = true;
            for (slot, key) in values.iter_mut().zip(&plan.baggage) {
                *slot = data.baggage.get(key).map(|v| label_value(v, &mut truncated));
            }
            if s.id() == current && data.recording && data.record.flags.is_sampled() {
                exemplar = Some((data.record.trace_id, data.record.span_id));
            }
        }
        if missing_fields > 0 && data.recording {
            for (slot, key) in values[n_baggage..].iter_mut().zip(&plan.fields) {
                if slot.is_none() {
                    if let Some(v) = data.record.attribute(key) {
                        *slot = Some(label_value(&v.to_string(), &mut truncated));
                        missing_fields -= 1;
                    }
                }
            }
        }
        if found_state && missing_fields == 0 {
            break;
        }
    }
    MetricContext { values, exemplar, truncated }
}

/// A label value from the context, cut to 256 bytes (`MAX_LABEL_VALUE_BYTES`).
fn label_value(value: &str, truncated: &mut bool) -> String {
    let (kept, cut) = bounded_value(value);
    *truncated |= cut;
    kept.to_owned()
}
