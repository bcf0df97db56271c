//! The current trace context and baggage, and remote parents done right.
//!
//! # Reading the current context
//!
//! [`current()`] returns the [`Context`] of the span the caller is in: its
//! [`SpanContext`] (trace id, span id, sampled flag, tracestate) and its
//! [`Baggage`]. Outside any span, or without a Lantern layer in the current
//! subscriber, the context is empty.
//!
//! # Baggage
//!
//! [`set_baggage`] sets an entry on the current span. Spans created inside it
//! afterwards inherit it, in this thread, across `.await` and in spawned
//! instrumented tasks; the propagators carry it to other processes.
//!
//! # Remote parents: an API that cannot be used in the wrong order
//!
//! A server span must be the child of the caller's span. With an API like
//! `span.set_parent(cx)` the parent can be set *after* the span was entered
//! or after its children were created, and the trace silently splits. Here
//! the extracted context makes the span:
//!
//! ```
//! use tracing_subscriber::layer::SubscriberExt;
//! let layer = lantern::layer();
//! let buffer = layer.buffer();
//! let _default = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
//!
//! let mut headers = http::HeaderMap::new();
//! headers.insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
//!
//! let remote = lantern::propagation::extract(&headers);
//! let span = remote.child_span(|| tracing::info_span!("GET /users"));
//! span.in_scope(|| tracing::info!("handled"));
//! drop(span);
//!
//! let snap = buffer.snapshot();
//! let trace = snap.trace("4bf92f3577b34da6a3ce929d0e0e4736".parse().unwrap()).unwrap();
//! assert_eq!(trace.spans[0].parent_span_id.unwrap().to_string(), "00f067aa0ba902b7");
//! assert!(trace.spans[0].parent_is_remote);
//! ```
//!
//! Every span created inside the closure without an explicit parent becomes a
//! child of the remote context, even when the caller is inside another span
//! (a connection span, say): the remote caller is the parent that matters.
//!
//! # Links, in the same spirit
//!
//! A span has one parent but may link to many spans, of this trace or of
//! others: the producers of the messages a batch consumer handles, say.
//! [`linked_span`] gives the links at creation, where the sampler sees them;
//! [`add_link`] adds one to a running span. Both take extracted
//! [`Context`]s or [`SpanContext`]s (see [`Linkable`]).
//!
//! ```
//! let lantern = lantern::builder().try_init_local();
//! let producers: Vec<lantern::Context> = (0..3)
//!     .map(|_| tracing::info_span!("send").in_scope(lantern::context::current))
//!     .collect();
//! let batch = lantern::context::linked_span(&producers, || tracing::info_span!("process"));
//! drop(batch);
//! let span = lantern.buffer().snapshot().spans_named("process", 1).remove(0);
//! assert_eq!(span.links.len(), 3);
//! ```

pub(crate) mod links;
pub(crate) mod value;

pub use links::{Linkable, linked_span};

pub use crate::baggage::{Baggage, BaggageEntry, BaggageError};
pub use crate::span_context::{SpanContext, TraceFlags};
pub use crate::trace_state::{TraceState, TraceStateError};

use tracing::{Dispatch, Span};

use crate::metrics::labels::{LabelPlan, MetricContext};
use value::Context;

/// The context of the current span.
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
/// let subscriber = tracing_subscriber::registry().with(lantern::layer());
/// tracing::subscriber::with_default(subscriber, || {
///     let span = tracing::info_span!("work");
///     let _in = span.enter();
///     let cx = lantern::context::current();
///     assert!(cx.span_context().unwrap().is_sampled());
/// });
/// ```
pub fn current() -> Context {
    tracing::dispatcher::get_default(|dispatch| {
        Hooks::of(dispatch)
            .and_then(|hooks| (hooks.current_context)(dispatch))
            .map(|(span, baggage)| Context::new(Some(span), baggage))
            .unwrap_or_default()
    })
}

/// Sets a baggage entry on the current span; spans created in it afterwards
/// inherit it. Fails when there is no current span, or when the entry would
/// break the W3C limits (64 members, 8192 bytes) or grammar.
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
/// let subscriber = tracing_subscriber::registry().with(lantern::layer());
/// tracing::subscriber::with_default(subscriber, || {
///     assert!(lantern::context::set_baggage("customer", "123").is_err()); // no span
///     tracing::info_span!("request").in_scope(|| {
///         lantern::context::set_baggage("customer", "123").unwrap();
///         tracing::info_span!("child").in_scope(|| {
///             assert_eq!(lantern::context::current().baggage().get("customer"), Some("123"));
///         });
///     });
/// });
/// ```
pub fn set_baggage(key: &str, value: &str) -> Result<(), BaggageError> {
    set_baggage_with_properties(key, value, None)
}

/// Like [`set_baggage`], with W3C member properties (`ttl=30;private`).
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
/// let subscriber = tracing_subscriber::registry().with(lantern::layer());
/// tracing::subscriber::with_default(subscriber, || {
///     tracing::info_span!("request").in_scope(|| {
///         lantern::context::set_baggage_with_properties("tenant", "acme", Some("ttl=30")).unwrap();
///         let cx = lantern::context::current();
///         assert_eq!(cx.baggage().entry("tenant").unwrap().properties(), Some("ttl=30"));
///     });
/// });
/// ```
pub fn set_baggage_with_properties(key: &str, value: &str, properties: Option<&str>) -> Result<(), BaggageError> {
    let mut result = Err(BaggageError::no_current_span());
    tracing::dispatcher::get_default(|dispatch| {
        if let Some(hooks) = Hooks::of(dispatch) {
            (hooks.with_current_baggage)(dispatch, &mut |baggage| {
                result = baggage.insert_with_properties(key, value, properties)
            });
        }
    });
    result
}

/// Adds a link from `span`, already created, to `to`. Returns whether it
/// was recorded: not when `to` has no span context, when `span` is not
/// recorded by a Lantern layer (disabled, or in a trace that is not
/// recorded), or when the span has its
/// [`max_links_per_span`](crate::buffer::BufferConfig::max_links_per_span)
/// already (the link is then counted in `dropped_links`). Prefer
/// [`linked_span`] for links known when the span starts: only those reach
/// the sampler.
///
/// ```
/// let lantern = lantern::builder().try_init_local();
/// let mut headers = std::collections::HashMap::new();
/// headers.insert("traceparent".to_owned(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned());
/// let producer = lantern::middleware::messaging::extract_message(&headers);
///
/// let span = tracing::info_span!("poll");
/// assert!(lantern::context::add_link(&span, &producer));
/// assert!(!lantern::context::add_link(&span, &lantern::Context::default()));
/// drop(span);
/// assert_eq!(lantern.buffer().snapshot().spans_named("poll", 1)[0].links.len(), 1);
/// ```
pub fn add_link(span: &Span, to: &impl Linkable) -> bool {
    let Some(to) = to.link_context() else { return false };
    span.with_subscriber(|(id, dispatch)| Hooks::of(dispatch).is_some_and(|h| (h.add_link)(dispatch, id, to)))
        .unwrap_or(false)
}

pub(crate) type CurrentContextFn = fn(&Dispatch) -> Option<(SpanContext, Baggage)>;
pub(crate) type WithBaggageFn = fn(&Dispatch, &mut dyn FnMut(&mut Baggage));
pub(crate) type MetricContextFn = fn(&Dispatch, &LabelPlan) -> Option<MetricContext>;
pub(crate) type AddLinkFn = fn(&Dispatch, &tracing::span::Id, &SpanContext) -> bool;

/// Function pointers into the layer, monomorphised for the subscriber it
/// was added to (see `layer/hooks.rs`): how code outside the layer reaches
/// the current span's state without knowing the subscriber's type.
pub(crate) struct Hooks {
    pub(crate) current_context: CurrentContextFn,
    pub(crate) with_current_baggage: WithBaggageFn,
    pub(crate) metric_context: MetricContextFn,
    pub(crate) add_link: AddLinkFn,
}

impl Hooks {
    pub(crate) fn of(dispatch: &Dispatch) -> Option<&Hooks> {
        dispatch.downcast_ref::<Hooks>()
    }
}
