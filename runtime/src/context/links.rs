//! Links to other spans, local or remote: given at a span's creation
//! ([`linked_span`], where the sampler sees them) or added while it runs
//! ([`add_link`](super::add_link)).
//!
//! A span has one parent but may have many links. A link says "this work
//! is related to that span" without making it part of that span's trace:
//! a batch consumer handling messages from several producers, a retry
//! linked to the first attempt, a scheduled job linked to the request that
//! scheduled it. Links are capped per span
//! ([`BufferConfig::max_links_per_span`](crate::buffer::BufferConfig::max_links_per_span),
//! `OTEL_SPAN_LINK_COUNT_LIMIT`); the links past the cap are counted in the
//! record's `dropped_links`. A [`Context`] without a span context (nothing
//! was extracted) is no link and is skipped.

use std::cell::RefCell;

use tracing::Span;

use super::value::Context;
use crate::span_context::SpanContext;

/// What a span can be linked to: a [`SpanContext`], or a [`Context`] (as
/// [`propagation::extract`](crate::propagation::extract) returns), which
/// links to its span context when it has one.
///
/// ```
/// use lantern::context::Linkable;
/// assert!(lantern::Context::default().link_context().is_none());
/// ```
pub trait Linkable {
    /// The span context to link to; `None` is no link.
    ///
    /// ```
    /// use lantern::context::Linkable;
    /// let cx = lantern::propagation::extract(&http::HeaderMap::new());
    /// assert!(cx.link_context().is_none());
    /// ```
    fn link_context(&self) -> Option<&SpanContext>;
}

impl Linkable for SpanContext {
    fn link_context(&self) -> Option<&SpanContext> {
        Some(self)
    }
}

impl Linkable for Context {
    fn link_context(&self) -> Option<&SpanContext> {
        self.span_context()
    }
}

impl<T: Linkable + ?Sized> Linkable for &T {
    fn link_context(&self) -> Option<&SpanContext> {
        (**self).link_context()
    }
}

impl<T: Linkable> Linkable for Option<T> {
    fn link_context(&self) -> Option<&SpanContext> {
        self.as_ref().and_then(Linkable::link_context)
    }
}

thread_local! {
    static PENDING_LINKS: RefCell<Vec<SpanContext>> = const { RefCell::new(Vec::new()) };
}

/// Creates the span that `make` returns with links to `links`, known at its
/// creation: the sampler sees them (in
/// [`SamplingParams::links`](crate::sampling::SamplingParams::links)) when
/// the span starts a trace, as the OpenTelemetry specification asks. The
/// span's parent is whatever it would be without the links (the current
/// span, an explicit parent, or a remote one from an enclosing
/// [`Context::child_span`]); with none, it starts a new trace. Only the
/// first span created inside `make` takes the links; contexts without a
/// span context are skipped. Like [`Context::child_span`], this is a
/// closure so that the links cannot come too late.
///
/// ```
/// use lantern::propagation::extract;
/// let lantern = lantern::builder().try_init_local();
/// let mut a = http::HeaderMap::new();
/// a.insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
/// let producers = [extract(&a), extract(&http::HeaderMap::new())]; // the second has no context
///
/// let span = lantern::context::linked_span(&producers, || tracing::info_span!("process batch"));
/// drop(span);
///
/// let span = lantern.buffer().snapshot().spans_named("process batch", 1).remove(0);
/// assert_eq!(span.links.len(), 1);
/// assert_eq!(span.links[0].span_id().to_string(), "00f067aa0ba902b7");
/// assert_ne!(span.trace_id, span.links[0].trace_id(), "a trace of its own");
/// ```
pub fn linked_span<L: Linkable>(links: &[L], make: impl FnOnce() -> Span) -> Span {
    let links: Vec<SpanContext> = links.iter().filter_map(|l| l.link_context().cloned()).collect();
    let previous = PENDING_LINKS.with(|p| p.try_borrow_mut().map(|mut p| std::mem::replace(&mut *p, links)).ok());
    // Put back on the way out, even if `make` panics: the next span of
    // this thread must not take these links.
    let _restore = Restore(previous);
    make()
}

/// What [`linked_span`] found pending, put back when it returns.
struct Restore(Option<Vec<SpanContext>>);

impl Drop for Restore {
    fn drop(&mut self) {
        if let Some(previous) = self.0.take() {
            let _ = PENDING_LINKS.try_with(|p| {
                if let Ok(mut p) = p.try_borrow_mut() {
                    *p = previous;
                }
            });
        }
    }
}

/// The links set by an enclosing [`linked_span`], taken: only the first
/// span created there gets them. Empty (no allocation) otherwise.
#[inline]
pub(crate) fn take_pending_links() -> Vec<SpanContext> {
    PENDING_LINKS.with(|p| p.try_borrow_mut().map(|mut p| std::mem::take(&mut *p)).unwrap_or_default())
}
