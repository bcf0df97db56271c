//! The context of the event being dispatched, left by the capture layer for
//! the console's formatters (`crate::fmt`) that run after it.
//!
//! A formatter in a `tracing_subscriber::fmt` layer with a per-layer filter
//! sees only the spans its filter enabled: with `RUST_LOG=warn`, the INFO
//! span a WARN event happens in is invisible to it, and so would be the
//! event's trace id. The capture layer sees every span; in
//! `registry().with(lantern).with(fmt)` it handles each event first, and
//! leaves the ids and baggage it found here, keyed by the event's address
//! and callsite. The formatter takes them when the key matches, and
//! otherwise looks the span up itself. The capture layer leaves an entry
//! for every event it handles (with or without ids), so a key can only be
//! stale for an event it never saw.
//!
//! Nothing is stashed until a formatter has been made ([`wanted`]): without
//! a console, events pay one relaxed load.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use crate::baggage::Baggage;
use crate::ids::{SpanId, TraceId};
use crate::span_context::TraceFlags;

static WANTED: AtomicBool = AtomicBool::new(false);

/// The ids of the span an event happened in.
#[derive(Clone, Copy)]
#[cfg_attr(not(feature = "console"), allow(dead_code))]
pub(crate) struct EventContext {
    pub(crate) trace_id: TraceId,
    pub(crate) span_id: SpanId,
    pub(crate) flags: TraceFlags,
}

/// What the capture layer left: (event address, callsite), the ids (none
/// outside a span or in a non-recording one), the baggage.
type Entry = ((usize, usize), Option<EventContext>, Baggage);

thread_local! {
    static LAST: RefCell<Option<Entry>> = const { RefCell::new(None) };
}

fn key(event: &tracing::Event<'_>) -> (usize, usize) {
    (event as *const _ as usize, event.metadata() as *const _ as usize)
}

/// A formatter exists: the capture layer stashes from now on.
#[cfg_attr(not(feature = "console"), allow(dead_code))]
pub(crate) fn wanted() {
    WANTED.store(true, Relaxed);
}

/// Whether the capture layer should stash.
pub(crate) fn is_wanted() -> bool {
    WANTED.load(Relaxed)
}

/// Leaves `event`'s context for the formatters.
pub(crate) fn put(event: &tracing::Event<'_>, ids: Option<EventContext>, baggage: &Baggage) {
    let _ = LAST.try_with(|last| {
        if let Ok(mut last) = last.try_borrow_mut() {
            *last = Some((key(event), ids, baggage.clone()));
        }
    });
}

/// Forgets what was left (an event the capture layer has no ids for).
pub(crate) fn clear() {
    let _ = LAST.try_with(|last| last.try_borrow_mut().map(|mut l| *l = None));
}

/// The stashed part of `ids`.
pub(crate) fn context(ids: &super::state::EventIds) -> EventContext {
    EventContext { trace_id: ids.trace_id, span_id: ids.span_id, flags: ids.flags }
}

/// What the capture layer left for `event`, if it handled it: `Some(None)`
/// for an event outside any span it records.
#[cfg_attr(not(feature = "console"), allow(dead_code))]
pub(crate) fn take(event: &tracing::Event<'_>) -> Option<(Option<EventContext>, Baggage)> {
    LAST.try_with(|last| {
        let mut last = last.try_borrow_mut().ok()?;
        match last.take() {
            Some((k, ids, baggage)) if k == key(event) => Some((ids, baggage)),
            other => {
                *last = other;
                None
            }
        }
    })
    .ok()
    .flatten()
}
