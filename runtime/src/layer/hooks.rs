//! Reaching span state from outside the layer (`context::current`,
//! `context::set_baggage`, `context::add_link`) without knowing the subscriber's type.
//!
//! The layer is generic over its subscriber `S` only inside the `Layer`
//! methods. When it is added to a subscriber (`on_layer`), it records
//! monomorphised function pointers that downcast the `Dispatch` back to `S`
//! (built here); the free functions in [`crate::context`] and the metrics
//! recorder find them through `Dispatch::downcast_ref::<Hooks>`.

use tracing::span::Id;
use tracing::{Dispatch, Subscriber};
use tracing_subscriber::registry::LookupSpan;

use super::state::{self, SpanData};
use crate::baggage::Baggage;
use crate::buffer::Buffer;
use crate::context::Hooks;
use crate::metrics::labels::{LabelPlan, MetricContext};
use crate::span_context::SpanContext;

/// The hooks for a subscriber of type `S`.
pub(crate) fn hooks<S>() -> Hooks
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    Hooks {
        current_context: current_context::<S>,
        with_current_baggage: with_current_baggage::<S>,
        metric_context: metric_context::<S>,
        add_link: add_link::<S>,
    }
}

/// Adds a link to the span `id`, within the buffer's cap of links a span.
fn add_link<S>(dispatch: &Dispatch, id: &Id, link: &SpanContext) -> bool
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let (Some(subscriber), Some(buffer)) = (dispatch.downcast_ref::<S>(), dispatch.downcast_ref::<Buffer>()) else {
        return false;
    };
    let Some(span) = subscriber.span(id) else { return false };
    let mut ext = span.extensions_mut();
    match ext.get_mut::<SpanData>().filter(|d| d.recording) {
        Some(data) => state::push_link(data.record_mut(), link.clone(), buffer.config().max_links_per_span),
        None => false,
    }
}

fn current_context<S>(dispatch: &Dispatch) -> Option<(SpanContext, Baggage)>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let subscriber = dispatch.downcast_ref::<S>()?;
    let current = dispatch.current_span();
    let span = subscriber.span(current.id()?)?;
    state::context_of(span)
}

/// Context labels and exemplar ids for a measurement made now.
fn metric_context<S>(dispatch: &Dispatch, plan: &LabelPlan) -> Option<MetricContext>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let subscriber = dispatch.downcast_ref::<S>()?;
    let current = dispatch.current_span();
    let span = subscriber.span(current.id()?)?;
    Some(state::metric_context(&span, plan))
}

/// Runs `f` on the current span's baggage. A span that keeps no state (in a
/// non-recording trace) is given a minimal one first, so baggage set on it
/// still reaches its children.
fn with_current_baggage<S>(dispatch: &Dispatch, f: &mut dyn FnMut(&mut Baggage))
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let Some(subscriber) = dispatch.downcast_ref::<S>() else { return };
    let current = dispatch.current_span();
    let Some(id) = current.id() else { return };
    let Some(span) = subscriber.span(id) else { return };
    if span.extensions().get::<SpanData>().is_none() {
        let Some((cx, baggage)) = subscriber.span(id).and_then(state::context_of) else { return };
        let data = SpanData::stateless(&cx, span.metadata(), baggage);
        span.extensions_mut().insert(data);
    }
    if let Some(data) = span.extensions_mut().get_mut::<SpanData>() {
        f(&mut data.baggage);
    }
    // Children created from now on must see the new baggage.
    super::cache::invalidate();
}
