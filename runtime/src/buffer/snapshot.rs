//! The read API over the ring buffer. The debug pages, `/metrics` and tail
//! sampling read only through it.

use std::cell::OnceCell;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, SystemTime};

use parking_lot::{Mutex, MutexGuard};

use super::entry::Counters;
use super::entry::OpenSpan;
use super::local::LocalBatch;
use super::stats::BufferStats;
use super::store::{Store, TraceEntry};
use super::tracez::{TracezRow, TracezSample, TracezSamples};
use crate::ids::{SpanId, TraceId};
use crate::record::{LogRecord, Severity, SpanRecord, Value};
use crate::sampling::debug::DEBUG_ID_ATTRIBUTE;
use crate::tail::policy::has_key_value;

/// Which traces [`Snapshot::traces`] returns.
///
/// ```
/// let q = lantern::buffer::TraceQuery { errors_only: true, ..Default::default() };
/// assert_eq!(q.limit, 50);
/// ```
#[derive(Clone, Debug)]
pub struct TraceQuery {
    /// At most this many (default 50).
    pub limit: usize,
    /// Skip this many of the newest first (paging).
    pub offset: usize,
    /// Only traces with a span of this name.
    pub span_name: Option<String>,
    /// Only traces at least this long.
    pub min_duration: Option<Duration>,
    /// Only traces with an error.
    pub errors_only: bool,
    /// Only traces with a span whose attribute, or baggage entry, `key`
    /// has this value (compared as text: `7`, `true` and `"7"` all match
    /// `7` as they would print).
    ///
    /// ```
    /// let lantern = lantern::builder().try_init_local();
    /// tracing::info_span!("checkout", customer = "ann").in_scope(|| {});
    /// tracing::info_span!("checkout", customer = "bob").in_scope(|| {});
    /// let q = lantern::buffer::TraceQuery { attribute: Some(("customer".into(), "bob".into())), ..Default::default() };
    /// assert_eq!(lantern.buffer().snapshot().traces(&q).len(), 1);
    /// ```
    ///
    /// The sampler's tag of a root counts as its attributes: `sampler.type`
    /// = `debug` finds the forced traces.
    pub attribute: Option<(String, String)>,
    /// Only traces with a span whose debug id
    /// ([`DEBUG_ID_ATTRIBUTE`](crate::sampling::DEBUG_ID_ATTRIBUTE), from
    /// the debug header or baggage) is this.
    ///
    /// ```
    /// let lantern = lantern::builder().try_init_local();
    /// tracing::info_span!("checkout", lantern.debug = true, lantern.debug_id = "ticket-7").in_scope(|| {});
    /// tracing::info_span!("checkout").in_scope(|| {});
    /// let q = lantern::buffer::TraceQuery { debug_id: Some("ticket-7".into()), ..Default::default() };
    /// assert_eq!(lantern.buffer().snapshot().traces(&q).len(), 1);
    /// ```
    pub debug_id: Option<String>,
}

impl Default for TraceQuery {
    fn default() -> Self {
        TraceQuery {
            limit: 50,
            offset: 0,
            span_name: None,
            min_duration: None,
            errors_only: false,
            attribute: None,
            debug_id: None,
        }
    }
}

/// Whether `span` carries the debug id `id`.
fn has_debug_id(span: &SpanRecord, id: &str) -> bool {
    span.attribute(DEBUG_ID_ATTRIBUTE).and_then(Value::as_str) == Some(id)
}

/// Which logs [`Snapshot::logs`] returns.
///
/// ```
/// let q = lantern::buffer::LogQuery { min_severity: Some(lantern::record::Severity::Warn), ..Default::default() };
/// assert_eq!(q.limit, 100);
/// ```
#[derive(Clone, Debug)]
pub struct LogQuery {
    /// At most this many (default 100).
    pub limit: usize,
    /// Only at least this severe.
    pub min_severity: Option<Severity>,
    /// Only from this trace.
    pub trace_id: Option<TraceId>,
    /// Only from targets starting with this.
    pub target_prefix: Option<String>,
}

impl Default for LogQuery {
    fn default() -> Self {
        LogQuery { limit: 100, min_severity: None, trace_id: None, target_prefix: None }
    }
}

/// One line of the recent-traces list.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TraceSummary {
    /// The trace.
    pub trace_id: TraceId,
    /// The root span's name (or the earliest span's, when the root is absent).
    pub root_name: String,
    /// The root's service when not the process's own (see
    /// [`SpanRecord::service`]).
    pub service: Option<Arc<str>>,
    /// Whether the root span (no parent, or a remote one) is in the buffer.
    pub has_root: bool,
    /// Start of the earliest span.
    pub start: SystemTime,
    /// The root's duration, or the whole extent of the spans held.
    pub duration: Duration,
    /// Spans held.
    pub span_count: usize,
    /// Spans dropped by the per-trace cap.
    pub dropped_spans: u64,
    /// Whether a span has error status.
    pub error: bool,
}

/// One whole trace, spans ordered by start.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Trace {
    /// The trace.
    pub trace_id: TraceId,
    /// Its spans, earliest start first.
    pub spans: Vec<Arc<SpanRecord>>,
    /// Spans dropped by the per-trace cap.
    pub dropped_spans: u64,
}

impl Trace {
    /// The root span: no parent, or a remote parent; the earliest if several.
    pub fn root(&self) -> Option<&SpanRecord> {
        self.spans.iter().find(|s| is_root(s)).map(|s| &**s)
    }

    /// The direct children of `span_id`, earliest first: a child whose
    /// parent is remote too, when that parent is in this trace (a service
    /// called another hosted by the same process, or a consumer continued
    /// a producer's trace).
    pub fn children(&self, span_id: SpanId) -> impl Iterator<Item = &SpanRecord> {
        self.spans.iter().filter(move |s| s.parent_span_id == Some(span_id)).map(|s| &**s)
    }

    /// The span with this id.
    pub fn span(&self, span_id: SpanId) -> Option<&SpanRecord> {
        self.spans.iter().find(|s| s.span_id == span_id).map(|s| &**s)
    }

    /// How many traces this sampled one stands for: the root's
    /// [`SpanRecord::adjusted_count`] (its `tracestate` threshold, else its
    /// sampler's tag), or, when the root is not held, the earliest span's.
    /// `None` when unsampled or when the rate is unknown (a rate limiter, a
    /// lower bound, an upstream decision without a threshold).
    ///
    /// ```
    /// use lantern::sampling::TraceIdRatio;
    /// let lantern = lantern::builder().sampler(TraceIdRatio::new(0.5)).try_init_local();
    /// for _ in 0..20 {
    ///     tracing::info_span!("job").in_scope(|| {});
    /// }
    /// let snap = lantern.buffer().snapshot();
    /// let sampled = snap.spans_named("job", 20).into_iter().find(|s| s.is_sampled()).unwrap();
    /// assert_eq!(snap.trace(sampled.trace_id).unwrap().adjusted_count(), Some(2.0));
    /// ```
    pub fn adjusted_count(&self) -> Option<f64> {
        self.root().or(self.spans.first().map(|s| &**s))?.adjusted_count()
    }
}

fn is_root(span: &SpanRecord) -> bool {
    span.parent_span_id.is_none() || span.parent_is_remote
}

/// A read view of the ring buffer, from [`crate::buffer::Buffer::snapshot`].
///
/// Results are owned (`Arc`-shared records), so they outlive the snapshot.
/// The ingest thread waits while a snapshot is alive; the application never
/// does.
pub struct Snapshot<'a> {
    store: MutexGuard<'a, Store>,
    counters: &'a Counters,
    /// Every thread's open-span table.
    tables: &'a Mutex<Vec<Arc<LocalBatch>>>,
    /// The open spans, copied from the tables on first use.
    open: OnceCell<Vec<OpenSpan>>,
}

impl<'a> Snapshot<'a> {
    pub(crate) fn new(
        store: MutexGuard<'a, Store>,
        counters: &'a Counters,
        tables: &'a Mutex<Vec<Arc<LocalBatch>>>,
    ) -> Self {
        Snapshot { store, counters, tables, open: OnceCell::new() }
    }

    /// The open spans, unordered: each thread's table copied in turn (each
    /// locked only while it is copied), at most `max_open_spans` in all.
    fn open(&self) -> &[OpenSpan] {
        self.open.get_or_init(|| {
            let max = self.store.config().max_open_spans;
            let tables = self.tables.lock().clone();
            let mut open = Vec::new();
            for table in tables {
                let table = table.open.lock();
                open.extend(table.iter().take(max.saturating_sub(open.len())).cloned());
            }
            open
        })
    }

    /// Recent traces, newest (latest start) first.
    pub fn traces(&self, query: &TraceQuery) -> Vec<TraceSummary> {
        let mut all: Vec<TraceSummary> = self
            .store
            .traces
            .iter()
            .filter(|(_, e)| query.span_name.as_ref().is_none_or(|n| e.spans.iter().any(|s| s.name == *n)))
            .filter(|(_, e)| {
                query.attribute.as_ref().is_none_or(|(k, v)| e.spans.iter().any(|s| has_key_value(s, k, v)))
            })
            .filter(|(_, e)| query.debug_id.as_ref().is_none_or(|id| e.spans.iter().any(|s| has_debug_id(s, id))))
            .filter_map(|(id, e)| summarize(*id, e))
            .filter(|t| !query.errors_only || t.error)
            .filter(|t| query.min_duration.is_none_or(|d| t.duration >= d))
            .collect();
        all.sort_by(|a, b| b.start.cmp(&a.start).then(b.trace_id.cmp(&a.trace_id)));
        all.into_iter().skip(query.offset).take(query.limit).collect()
    }

    /// One whole trace.
    pub fn trace(&self, trace_id: TraceId) -> Option<Trace> {
        let entry = self.store.traces.get(&trace_id)?;
        let mut spans: Vec<_> = entry.spans.iter().cloned().collect();
        spans.sort_by_key(|s| (s.start, s.span_id));
        Some(Trace { trace_id, spans, dropped_spans: entry.dropped_spans })
    }

    /// Whether the buffer holds spans of this trace; cheaper than
    /// [`Snapshot::trace`], which copies them.
    ///
    /// ```
    /// let lantern = lantern::builder().try_init_local();
    /// tracing::info_span!("work").in_scope(|| {});
    /// let snap = lantern.buffer().snapshot();
    /// let id = snap.traces(&Default::default())[0].trace_id;
    /// assert!(snap.holds_trace(id));
    /// assert!(!snap.holds_trace(lantern::TraceId::random()));
    /// ```
    pub fn holds_trace(&self, trace_id: TraceId) -> bool {
        self.store.traces.contains_key(&trace_id)
    }

    /// Recent logs, newest first.
    pub fn logs(&self, query: &LogQuery) -> Vec<Arc<LogRecord>> {
        self.store
            .logs
            .iter()
            .rev()
            .filter(|l| query.min_severity.is_none_or(|s| l.severity >= s))
            .filter(|l| query.trace_id.is_none_or(|t| l.trace_id == Some(t)))
            .filter(|l| query.target_prefix.as_ref().is_none_or(|p| l.target.starts_with(p.as_str())))
            .take(query.limit)
            .cloned()
            .collect()
    }

    /// Recent finished spans with this name, newest first.
    pub fn spans_named(&self, name: &str, limit: usize) -> Vec<Arc<SpanRecord>> {
        let mut spans: Vec<_> =
            self.store.traces.values().flat_map(|e| e.spans.iter()).filter(|s| s.name == name).cloned().collect();
        spans.sort_by_key(|s| std::cmp::Reverse(s.end));
        spans.truncate(limit);
        spans
    }

    /// Open spans, oldest first.
    pub fn open_spans(&self) -> Vec<OpenSpan> {
        let mut open = self.open().to_vec();
        open.sort_by_key(|o| o.start);
        open
    }

    /// Open spans counted per name, by name.
    pub fn open_span_counts(&self) -> Vec<(&str, usize)> {
        let mut counts = std::collections::BTreeMap::new();
        for o in self.open() {
            *counts.entry(&*o.name).or_insert(0) += 1;
        }
        counts.into_iter().collect()
    }

    /// Tracez: per span name, by name, the open spans and the finished spans
    /// since start by latency bucket, and the errors. Counts outlive the
    /// records: eviction does not lower them.
    ///
    /// ```
    /// let lantern = lantern::builder().try_init_local();
    /// let _open = tracing::info_span!("poll");
    /// tracing::info_span!("charge", error = "declined").in_scope(|| {});
    /// let rows = lantern.buffer().snapshot().tracez();
    /// assert_eq!((rows[0].name.as_str(), rows[0].errors, rows[0].finished()), ("charge", 1, 1));
    /// assert_eq!((rows[1].name.as_str(), rows[1].running, rows[1].finished()), ("poll", 1, 0));
    /// ```
    pub fn tracez(&self) -> Vec<TracezRow> {
        let mut rows = std::collections::BTreeMap::new();
        for (name, stats) in self.store.tracez.names() {
            let mut row = TracezRow::new(name.to_owned());
            row.buckets = stats.buckets;
            row.errors = stats.errors;
            rows.insert(name, row);
        }
        use super::tracez::MAX_NAMES;
        use crate::text::{MAX_NAME_BYTES, cut};
        for o in self.open() {
            // Open spans go by the same cut names, under the same cap.
            let name = cut(&o.name, MAX_NAME_BYTES);
            if let Some(row) = rows.get_mut(name) {
                row.running += 1;
            } else if rows.len() < MAX_NAMES {
                rows.entry(name).or_insert_with(|| TracezRow::new(name.to_owned())).running += 1;
            }
        }
        rows.into_values().collect()
    }

    /// The sample spans kept for one name's latency bucket (0 to 8) or its
    /// errors, newest first: at most 5, at most one new per second. Empty
    /// for an unknown name or bucket.
    ///
    /// ```
    /// use lantern::buffer::TracezSamples;
    /// let lantern = lantern::builder().try_init_local();
    /// tracing::info_span!("charge", error = "declined").in_scope(|| {});
    /// let samples = lantern.buffer().snapshot().tracez_samples("charge", TracezSamples::Errors);
    /// assert_eq!(samples[0].status, lantern::record::Status::Error(Some("declined".into())));
    /// ```
    pub fn tracez_samples(&self, name: &str, which: TracezSamples) -> Vec<TracezSample> {
        self.store.tracez.samples(name, which)
    }

    /// Finished spans left out of [`Self::tracez`] because 1000 span names
    /// were tracked already.
    ///
    /// ```
    /// assert_eq!(lantern::layer().buffer().snapshot().tracez_spans_untracked(), 0);
    /// ```
    pub fn tracez_spans_untracked(&self) -> u64 {
        self.store.tracez.spans_untracked
    }

    /// The counters and fill.
    pub fn stats(&self) -> BufferStats {
        let s = &self.store;
        let c = &s.counters;
        BufferStats {
            spans_recorded: c.spans_ingested + self.counters.overwritten_spans.load(Relaxed),
            logs_recorded: c.logs_ingested + self.counters.overwritten_logs.load(Relaxed),
            spans_overwritten: self.counters.overwritten_spans.load(Relaxed),
            logs_overwritten: self.counters.overwritten_logs.load(Relaxed),
            spans_sampled: c.spans_sampled,
            records_exported: c.records_exported,
            spans_evicted: c.spans_evicted,
            logs_evicted: c.logs_evicted,
            spans_dropped_trace_cap: c.spans_dropped_trace_cap,
            events_dropped: c.events_dropped,
            values_truncated: self.counters.values_truncated.load(Relaxed),
            pending_event_bytes: s.pending_bytes as u64,
            open_spans_untracked: self.counters.open_untracked.load(Relaxed),
            spans: s.span_count as u64,
            logs: s.logs.len() as u64,
            traces: s.traces.len() as u64,
            bytes: s.bytes as u64,
            max_bytes: s.max_bytes() as u64,
        }
    }
}

/// `None` for a trace whose every span was dropped by the per-trace cap.
fn summarize(trace_id: TraceId, entry: &TraceEntry) -> Option<TraceSummary> {
    let spans = &entry.spans;
    let root = spans.iter().filter(|s| is_root(s)).min_by_key(|s| s.start);
    let first = spans.iter().min_by_key(|s| s.start)?;
    let last_end = spans.iter().map(|s| s.end).max().unwrap_or(first.end);
    let (name, duration, service) = match root {
        Some(r) => (r.name.to_string(), r.duration(), r.service.clone()),
        None => (first.name.to_string(), last_end.saturating_duration_since(first.start), first.service.clone()),
    };
    Some(TraceSummary {
        trace_id,
        root_name: name,
        service,
        has_root: root.is_some(),
        start: first.start_time(),
        duration,
        span_count: spans.len(),
        dropped_spans: entry.dropped_spans,
        error: spans.iter().any(|s| s.is_error()),
    })
}
