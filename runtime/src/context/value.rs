//! [`Context`]: a span context and baggage, as extracted from a carrier or
//! read from the current span, and the remote-parent hand-off
//! ([`Context::child_span`]) that the layer reads at span creation.

use std::cell::RefCell;

use tracing::Span;

use crate::baggage::Baggage;
use crate::span_context::SpanContext;

/// A span context and baggage: what [`current()`](crate::context::current) returns and what the
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
    /// let cx = lantern::Context::new(None, lantern::context::Baggage::default());
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
    /// See the [`context` module docs](crate::context) for why this is a closure.
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
