//! The ingest thread's completion step: takes the traces the tracker found
//! complete, lets the tail policies judge those the head sampler dropped,
//! exports the kept ones whole, and hands every completed trace to the
//! trace listeners.
//!
//! Judging and exporting run under the store's lock (the spans are marked
//! where they lie, so the pages show them kept); listeners are called after
//! it is released (see [`run_listeners`]).

use std::sync::Arc;

use super::snapshot::Trace;
use super::store::Store;
use super::tracker::mark_tail_kept;
use crate::record::SpanRecord;
use crate::tail::config::CloseReason;
use crate::tail::listener::{CompletedTrace, TraceListener, reason_index};
use crate::tail::policy::{MAX_TAIL_OPERATIONS, Verdict, entry_span};

/// Finds the traces complete at `now_ms` and judges them. Returns what the
/// listeners are to see (nothing when none listens).
pub(crate) fn complete_due(store: &mut Store, now_ms: u64) -> Vec<CompletedTrace> {
    let Some(tail) = store.tail.as_deref_mut() else { return Vec::new() };
    let due = tail.tracker.take_due(now_ms);
    let mut done = Vec::new();
    for (trace_id, reason) in due {
        tail.counters.completed += 1;
        tail.counters.closed_by_max_age += u64::from(reason == CloseReason::MaxAge);
        let Some(entry) = store.traces.get_mut(&trace_id) else {
            // Evicted before it completed: nothing to judge.
            tail.tracker.remember(trace_id, false);
            continue;
        };
        let spans: Vec<Arc<SpanRecord>> = entry.spans.iter().cloned().collect();
        let head_sampled = spans.iter().any(|s| s.is_sampled());
        let verdict = match (&mut tail.evaluator, head_sampled) {
            (Some(evaluator), false) => evaluator.evaluate(&spans),
            _ => Verdict::Pass,
        };
        let root_name = entry_span(&spans).map(|s| s.name.clone());
        drop(spans);
        let tail_kept = match verdict {
            Verdict::Pass => None,
            Verdict::OverCap(_) => {
                tail.counters.over_cap += 1;
                None
            }
            Verdict::Keep(why) => {
                tail.counters.kept[reason_index(why)] += 1;
                let ops = &mut tail.counters.kept_ops;
                let name = root_name.as_deref().unwrap_or("");
                let key = if ops.contains_key(name) || ops.len() < MAX_TAIL_OPERATIONS { name } else { "" };
                *ops.entry(key.to_owned()).or_default() += 1;
                // Marked in place (nothing else holds an unsampled span,
                // so no copy), then exported whole.
                for span in entry.spans.iter_mut() {
                    mark_tail_kept(Arc::make_mut(span));
                    if let Some(exporter) = &store.exporter {
                        exporter(super::entry::ExportRecord::Span(Arc::clone(span)));
                        store.counters.records_exported += 1;
                    }
                    tail.counters.spans_exported += 1;
                }
                Some(why)
            }
        };
        tail.tracker.remember(trace_id, tail_kept.is_some());
        if tail.listening {
            let mut spans: Vec<_> = entry.spans.iter().cloned().collect();
            spans.sort_by_key(|s| (s.start, s.span_id));
            let trace = Trace { trace_id, spans, dropped_spans: entry.dropped_spans };
            done.push(CompletedTrace { trace, reason, head_sampled, tail_kept });
        }
    }
    done
}

/// Calls each listener with each completed trace, outside every lock. A
/// listener that panics is taken out (`listeners[i]` set to `None`) and not
/// called again.
pub(crate) fn run_listeners(listeners: &mut [Option<Arc<dyn TraceListener>>], done: &[CompletedTrace]) {
    for slot in listeners.iter_mut() {
        let Some(listener) = slot else { continue };
        let all = std::panic::AssertUnwindSafe(|| done.iter().for_each(|trace| listener.on_trace(trace)));
        if std::panic::catch_unwind(all).is_err() {
            *slot = None;
        }
    }
}
