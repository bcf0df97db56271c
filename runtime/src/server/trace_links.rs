//! A span's links on the trace page and in its JSON twin.
//!
//! On the page, a span with links has a mark in its summary (`<span
//! class="mark-links">⇢ 2 links</span>`) and, in its details, one `<div
//! class="link">` per link naming `trace_id/span_id`: an `<a>` to
//! `/debug/traces/{trace_id}#span-{span_id}` when the buffer holds that
//! trace (the page's rows are anchored `span-{span_id}`), plain text with
//! "not in the buffer" otherwise; at most [`MAX_SHOWN`] a span, the rest
//! counted ("and 96 more, in the JSON"); then the number of links dropped
//! by the per-span cap, if any. In the JSON, each span has `links` (`trace_id`,
//! `span_id`, `sampled`, `remote`, `trace_state`, `in_buffer`) and
//! `dropped_links`.

use std::collections::HashSet;

use maud::{Markup, html};
use serde_json::{Value as Json, json};

use super::waterfall::WaterfallRow;
use crate::buffer::Buffer;
use crate::ids::TraceId;
use crate::record::SpanRecord;
use crate::span_context::SpanContext;

/// Links listed on the page per span; the JSON has them all.
pub(crate) const MAX_SHOWN: usize = 32;

/// The traces that the links of `rows` point to and the buffer holds: one
/// short snapshot, taken after the trace was analysed.
pub(crate) fn held_traces(buffer: &Buffer, rows: &[WaterfallRow]) -> HashSet<TraceId> {
    let wanted: HashSet<TraceId> = rows.iter().flat_map(|r| r.span.links.iter().map(SpanContext::trace_id)).collect();
    if wanted.is_empty() {
        return wanted;
    }
    let snap = buffer.snapshot();
    wanted.into_iter().filter(|id| snap.holds_trace(*id)).collect()
}

/// The summary's mark for a span with links; nothing for one without.
pub(crate) fn mark(s: &SpanRecord) -> Markup {
    let n = s.links.len();
    html! {
        @if n > 0 {
            " " span.mark-links.muted title="links to other spans" {
                "⇢ " (n) @if n == 1 { " link" } @else { " links" }
            }
        }
    }
}

/// The links of `s` in its details, each to its trace when `held` has it.
pub(crate) fn list(s: &SpanRecord, held: &HashSet<TraceId>) -> Markup {
    html! {
        @for l in s.links.iter().take(MAX_SHOWN) {
            div.link {
                span.muted { "link" } " "
                @if held.contains(&l.trace_id()) {
                    a href={ "/debug/traces/" (l.trace_id()) "#span-" (l.span_id()) } {
                        code { (l.trace_id()) "/" (l.span_id()) }
                    }
                } @else {
                    code { (l.trace_id()) "/" (l.span_id()) } " " span.muted { "(not in the buffer)" }
                }
            }
        }
        @if s.links.len() > MAX_SHOWN {
            div.muted { "and " (s.links.len() - MAX_SHOWN) " more, in the JSON" }
        }
        @if s.dropped_links > 0 {
            div.muted { (s.dropped_links) " more links dropped (per-span cap)" }
        }
    }
}

/// The links of `s` for the JSON twin.
pub(crate) fn json(s: &SpanRecord, held: &HashSet<TraceId>) -> Json {
    s.links
        .iter()
        .map(|l| {
            json!({
                "trace_id": l.trace_id().to_string(), "span_id": l.span_id().to_string(),
                "sampled": l.is_sampled(), "remote": l.is_remote(),
                "trace_state": l.trace_state().header_value(),
                "in_buffer": held.contains(&l.trace_id()),
            })
        })
        .collect()
}
