//! The Lantern context of the span an event happens in, read from the span
//! extensions where [`LanternLayer`](crate::LanternLayer) keeps it.

use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::{FmtContext, FormatFields};
use tracing_subscriber::registry::{LookupSpan, SpanRef};

use crate::baggage::Baggage;
use crate::ids::{SpanId, TraceId};
use crate::layer::stash;
use crate::layer::state::{SpanData, derived_span_id};
use crate::span_context::TraceFlags;

/// The ids a console line carries.
#[derive(Clone, Copy)]
pub(crate) struct LineIds {
    pub(crate) trace_id: TraceId,
    pub(crate) span_id: SpanId,
    pub(crate) flags: TraceFlags,
}

/// The ids of the span `event` happened in, and its baggage handed to
/// `baggage`: what the capture layer left for the event (see
/// `layer::stash`: it sees the spans a per-layer filter hides from the
/// formatter), else looked up from the event's span.
pub(crate) fn event_ids<S, N>(
    ctx: &FmtContext<'_, S, N>,
    event: &Event<'_>,
    baggage: impl FnOnce(&Baggage),
) -> Option<LineIds>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    if let Some((ids, stashed)) = stash::take(event) {
        let ids = ids?;
        baggage(&stashed);
        return Some(LineIds { trace_id: ids.trace_id, span_id: ids.span_id, flags: ids.flags });
    }
    line_ids(&ctx.parent_span()?, baggage)
}

/// The ids of `span`, and its baggage handed to `baggage`: from the span's
/// own Lantern state, or, for a span that keeps none (an unsampled span in
/// `RecordingMode::SampledOnly`), from its nearest ancestor with state and
/// the span id propagation derives for it. `None` outside Lantern's view
/// (no `LanternLayer` in the subscriber, or a span made before it).
fn line_ids<'a, R: LookupSpan<'a>>(span: &SpanRef<'a, R>, baggage: impl FnOnce(&Baggage)) -> Option<LineIds> {
    let id = span.id();
    for s in span.scope() {
        let ext = s.extensions();
        let Some(data) = ext.get::<SpanData>() else { continue };
        let r = &data.record;
        let span_id = if s.id() == id { r.span_id } else { derived_span_id(&id, r.trace_id) };
        baggage(&data.baggage);
        return Some(LineIds { trace_id: r.trace_id, span_id, flags: r.flags });
    }
    None
}
