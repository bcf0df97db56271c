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

use std::cell::RefCell;

use tracing::Span;

use crate::{Baggage, BaggageError, SpanContext};

/// A span context and baggage: what [`current()`] returns and what the
/// propagators extract and inject.
///
/// ```
/// let cx = lantern::Context::default();
/// assert!(cx.span_context().is_none() && cx.baggage().is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    span: Option<SpanContext>,
    baggage: Baggage,
}

impl Context {
    /// Builds a context.
    ///
    /// ```
    /// let cx = lantern::Context::new(None, lantern::Baggage::default());
    /// assert!(cx.span_context().is_none());
    /// ```
    pub fn new(span: Option<SpanContext>, baggage: Baggage) -> Context {
        Context { span, baggage }
    }

    /// The span context, if any.
    ///
    /// ```
    /// assert!(lantern::context::current().span_context().is_none());
    /// ```
    pub fn span_context(&self) -> Option<&SpanContext> {
        self.span.as_ref()
    }

    /// The baggage.
    ///
    /// ```
    /// assert!(lantern::context::current().baggage().is_empty());
    /// ```
    pub fn baggage(&self) -> &Baggage {
        &self.baggage
    }

    /// Creates the span that `make` returns as a child of this context: its
    /// trace id and parent come from here, and it inherits this baggage.
    /// See the [module docs](self) for why this is a closure.
    ///
    /// ```
    /// let remote = lantern::Context::default();
    /// let span = remote.child_span(|| tracing::info_span!("consume"));
    /// # drop(span);
    /// ```
    pub fn child_span(&self, make: impl FnOnce() -> Span) -> Span {
        let previous = PENDING_PARENT.with(|p| p.borrow_mut().replace(self.clone()));
        let span = make();
        PENDING_PARENT.with(|p| *p.borrow_mut() = previous);
        span
    }
}

thread_local! {
    static PENDING_PARENT: RefCell<Option<Context>> = const { RefCell::new(None) };
}

/// The remote parent set by an enclosing [`Context::child_span`], if any.
#[inline]
pub(crate) fn pending_parent() -> Option<Context> {
    PENDING_PARENT.with(|p| p.try_borrow().ok().and_then(|p| p.clone()))
}

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
        crate::layer::Hooks::of(dispatch)
            .and_then(|hooks| (hooks.current_context)(dispatch))
            .map(|(span, baggage)| Context { span: Some(span), baggage })
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
        if let Some(hooks) = crate::layer::Hooks::of(dispatch) {
            (hooks.with_current_baggage)(dispatch, &mut |baggage| {
                result = baggage.insert_with_properties(key, value, properties)
            });
        }
    });
    result
}
