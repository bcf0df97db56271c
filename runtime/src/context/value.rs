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
    /// The caller asked for a debug trace (B3 `d`, Jaeger flag `0x02`).
    debug: bool,
}

impl Context {
    /// Builds a context.
    ///
    /// ```
    /// let cx = lantern::Context::new(None, lantern::context::Baggage::default());
    /// assert!(cx.span_context().is_none());
    /// ```
    pub fn new(span: Option<SpanContext>, baggage: Baggage) -> Context {
        Context { span, baggage, debug: false }
    }

    /// This context, asking (or not) for a debug trace: what B3's debug
    /// state (`b3: ...-d`, `X-B3-Flags: 1`) and Jaeger's debug flag say,
    /// and what the B3 and Jaeger formats write. See
    /// [`propagation`](crate::propagation) for what a server layer makes of it.
    ///
    /// ```
    /// let cx = lantern::Context::default().with_debug(true);
    /// assert!(cx.is_debug());
    /// ```
    pub fn with_debug(mut self, debug: bool) -> Context {
        self.debug = debug;
        self
    }

    /// Whether the caller asked for a debug trace (see [`with_debug`](Self::with_debug)).
    ///
    /// ```
    /// assert!(!lantern::Context::default().is_debug());
    /// ```
    pub fn is_debug(&self) -> bool {
        self.debug
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
