//! The store behind the ring buffer: traces by id, logs, and events
//! waiting for their span to close.
//!
//! Only the ingest thread and readers touch it, under one mutex. Records are
//! kept in arrival order in `order`; eviction pops from its front, so the
//! oldest record goes first whatever its kind, and a trace's spans leave in
//! the order they came (each trace's deque front is always the oldest).

use std::collections::hash_map::Entry as MapEntry;
use std::collections::{HashMap as StdHashMap, VecDeque};
use std::hash::BuildHasherDefault;

use crate::ids::IdHasher;
use std::sync::Arc;

use super::config::BufferConfig;
use super::entry::{Entry, ExportFn, ExportRecord};
use super::tracez::Tracez;
use super::tracker::{Late, TailState, mark_tail_kept};
use crate::ids::{SpanId, TraceId};
use crate::record::{LogRecord, Severity, SpanRecord, Status};

pub(crate) type HashMap<K, V> = StdHashMap<K, V, BuildHasherDefault<IdHasher>>;

#[derive(Default)]
struct PendingEvents {
    events: Vec<Arc<LogRecord>>,
    /// Accounted bytes of `events`.
    bytes: usize,
    dropped: u32,
}

/// The share of `max_bytes` that events waiting for their span to close may
/// hold: they can outlive their log record's eviction, so they are bounded
/// by bytes of their own (one eighth of the ceiling).
const PENDING_SHARE: usize = 8;

/// Bytes the indexes spend per record (arrival slot, trace deque slot,
/// allocator headers), and per trace (map entry, its deque).
const RECORD_OVERHEAD: usize = 64;
const TRACE_OVERHEAD: usize = 192;

/// Evicted records kept to hold the next ones (no free, no allocation), at
/// most this many of each kind, and only records of at most
/// `RECYCLE_MAX_BYTES` (so the pool holds at most ~2 MiB a kind).
const RECYCLE: usize = 2048;
const RECYCLE_MAX_BYTES: usize = 1024;

/// `value` in an `Arc`: one from `pool` when there is one.
fn into_arc<T>(pool: &mut Vec<Arc<T>>, value: T) -> Arc<T> {
    match pool.pop() {
        Some(mut arc) => match Arc::get_mut(&mut arc) {
            Some(slot) => {
                *slot = value;
                arc
            }
            None => Arc::new(value),
        },
        None => Arc::new(value),
    }
}

/// Keeps `arc` for reuse when it is small and nothing else holds it; else
/// hands it to `evicted`, to be freed.
fn recycle<T>(
    pool: &mut Vec<Arc<T>>,
    mut arc: Arc<T>,
    bytes: usize,
    evicted: &mut Vec<ExportRecord>,
    wrap: fn(Arc<T>) -> ExportRecord,
) {
    if pool.len() < RECYCLE && bytes <= RECYCLE_MAX_BYTES && Arc::get_mut(&mut arc).is_some() {
        pool.push(arc);
    } else {
        evicted.push(wrap(arc));
    }
}

/// One record in arrival order: what it is and what it was accounted.
struct Slot {
    trace: Option<TraceId>,
    bytes: usize,
}

pub(crate) struct TraceEntry {
    pub(crate) spans: VecDeque<Arc<SpanRecord>>,
    /// Spans ever admitted, for the per-trace cap.
    pub(crate) admitted: usize,
    pub(crate) dropped_spans: u64,
}

#[derive(Default)]
pub(crate) struct StoreCounters {
    pub(crate) spans_ingested: u64,
    pub(crate) spans_sampled: u64,
    pub(crate) records_exported: u64,
    pub(crate) logs_ingested: u64,
    pub(crate) spans_evicted: u64,
    pub(crate) logs_evicted: u64,
    pub(crate) spans_dropped_trace_cap: u64,
    pub(crate) events_dropped: u64,
}

pub(crate) struct Store {
    config: BufferConfig,
    order: VecDeque<Slot>,
    pub(crate) traces: HashMap<TraceId, TraceEntry>,
    pub(crate) logs: VecDeque<Arc<LogRecord>>,
    /// Events of spans that have not closed yet, joined when they do.
    pending_events: HashMap<SpanId, PendingEvents>,
    pending_count: usize,
    pub(crate) pending_bytes: usize,
    pub(crate) bytes: usize,
    pub(crate) span_count: usize,
    pub(crate) counters: StoreCounters,
    /// Records evicted during this drain, to be freed once the store's lock
    /// is released.
    pub(crate) evicted: Vec<ExportRecord>,
    /// Where sampled spans and all logs go as they are filed.
    pub(crate) exporter: Option<ExportFn>,
    /// Counts and samples of every finished span, per name.
    pub(crate) tracez: Tracez,
    /// Evicted records whose memory holds the next records.
    spare_spans: Vec<Arc<SpanRecord>>,
    spare_logs: Vec<Arc<LogRecord>>,
    /// Emptied trace deques (of small capacity), for the next traces.
    spare_deques: Vec<VecDeque<Arc<SpanRecord>>>,
    /// Trace completion and tail sampling, when set up.
    pub(crate) tail: Option<Box<TailState>>,
    /// The coarse clock at the start of this drain.
    now_ms: u64,
}

impl Store {
    pub(crate) fn new(config: BufferConfig) -> Store {
        Store {
            config,
            order: VecDeque::new(),
            traces: HashMap::default(),
            logs: VecDeque::new(),
            pending_events: HashMap::default(),
            pending_count: 0,
            pending_bytes: 0,
            bytes: 0,
            span_count: 0,
            counters: StoreCounters::default(),
            evicted: Vec::new(),
            exporter: None,
            tracez: Tracez::default(),
            spare_spans: Vec::new(),
            spare_logs: Vec::new(),
            spare_deques: Vec::new(),
            tail: None,
            now_ms: 0,
        }
    }

    pub(crate) fn config(&self) -> &BufferConfig {
        &self.config
    }

    pub(crate) fn max_bytes(&self) -> usize {
        self.config.max_bytes
    }

    /// Ingests the batches of one drain. Batches come from different threads
    /// in no particular order, so logs go first, then finished spans: a
    /// span's events are in place before its end.
    /// The batches are left empty, with their capacity, for reuse.
    pub(crate) fn ingest_all(&mut self, batches: &mut [Vec<Entry>]) {
        self.now_ms = crate::clock::coarse_millis();
        let mut logs = Vec::new();
        let mut spans = Vec::new();
        for entry in batches.iter_mut().flat_map(|b| b.drain(..)) {
            match entry {
                // The store's `Arc`s are made here, on the ingest thread,
                // which also frees them when they are evicted.
                // The time is read here, while the record is in cache: the
                // sort below then reads no record.
                Entry::Log(log) => logs.push((log.time, into_arc(&mut self.spare_logs, log))),
                Entry::Span(span) => spans.push(into_arc(&mut self.spare_spans, span)),
            }
        }
        // Threads hand over their batches in no particular order.
        logs.sort_by_key(|(time, _)| *time);
        logs.into_iter().for_each(|(_, log)| self.ingest_log(log));
        spans.into_iter().for_each(|span| self.ingest_span(span));
        self.evict();
    }

    fn ingest_log(&mut self, log: Arc<LogRecord>) {
        self.counters.logs_ingested += 1;
        if let Some(exporter) = &self.exporter {
            self.counters.records_exported += 1;
            exporter(ExportRecord::Log(Arc::clone(&log)));
        }
        let bytes = log.accounted_size() + RECORD_OVERHEAD;
        if let Some(span_id) = log.span_id {
            // Events beyond the per-span cap, or beyond the table's total in
            // count or bytes, stay logs only; the span counts them as
            // dropped events.
            let room = self.pending_count < self.config.max_open_spans
                && self.pending_bytes + bytes <= self.config.max_bytes / PENDING_SHARE;
            let cap = self.config.max_events_per_span;
            let kept = match self.pending_events.get_mut(&span_id) {
                Some(p) if room && p.events.len() < cap => {
                    p.events.push(Arc::clone(&log));
                    p.bytes += bytes;
                    true
                }
                Some(p) => {
                    p.dropped = p.dropped.saturating_add(1);
                    false
                }
                None if room && cap > 0 => {
                    // Room for a few: most spans with events have several.
                    let mut events = Vec::with_capacity(4);
                    events.push(Arc::clone(&log));
                    self.pending_events.insert(span_id, PendingEvents { events, bytes, dropped: 0 });
                    true
                }
                None => false,
            };
            if kept {
                self.pending_count += 1;
                self.pending_bytes += bytes;
            } else {
                self.counters.events_dropped += 1;
            }
        }
        self.logs.push_back(log);
        self.order.push_back(Slot { trace: None, bytes });
        self.bytes += bytes;
    }

    fn ingest_span(&mut self, mut arc: Arc<SpanRecord>) {
        // Just made by `into_arc`: nothing else holds it.
        let Some(span) = Arc::get_mut(&mut arc) else { return };
        self.counters.spans_ingested += 1;
        if let Some(PendingEvents { events, bytes, dropped }) = self.pending_events.remove(&span.span_id) {
            self.pending_count -= events.len();
            self.pending_bytes -= bytes;
            span.dropped_events = span.dropped_events.saturating_add(dropped);
            if span.status == Status::Unset {
                if let Some(err) = events.iter().find(|e| e.severity == Severity::Error) {
                    span.status = Status::Error(Some(err.body.to_string().into()));
                }
            }
            span.events = events;
        }
        self.tracez.record(span, self.now_ms);
        if let Some(tail) = self.tail.as_deref_mut() {
            if tail.tracker.on_span(span, self.now_ms, &mut tail.counters) == Late::Kept {
                // A late span of a trace the tail policies kept goes too.
                mark_tail_kept(span);
                tail.counters.spans_exported += 1;
            }
        }
        let (trace_id, size, sampled) = (span.trace_id, span.accounted_size(), span.flags.is_sampled());
        self.counters.spans_sampled += u64::from(sampled);
        if let (true, Some(exporter)) = (sampled, &self.exporter) {
            self.counters.records_exported += 1;
            exporter(ExportRecord::Span(Arc::clone(&arc)));
        }
        let cap = self.config.max_spans_per_trace;
        if cap == 0 {
            // Nothing is kept per trace: no entry is made for the trace id.
            self.counters.spans_dropped_trace_cap += 1;
            self.recycle_span(arc, size);
            return;
        }
        let spare_deques = &mut self.spare_deques;
        let (entry, new_trace) = match self.traces.entry(trace_id) {
            MapEntry::Occupied(found) => (found.into_mut(), false),
            MapEntry::Vacant(slot) => {
                // A trace's deque comes from one that emptied, when there is
                // one: most traces are short, and come and go constantly.
                let spans = spare_deques.pop().unwrap_or_default();
                (slot.insert(TraceEntry { spans, admitted: 0, dropped_spans: 0 }), true)
            }
        };
        if entry.admitted >= cap {
            entry.dropped_spans += 1;
            self.counters.spans_dropped_trace_cap += 1;
            self.recycle_span(arc, size);
            return;
        }
        entry.admitted += 1;
        // A trace's first span carries the trace's own overhead.
        let bytes = size + RECORD_OVERHEAD + if new_trace { TRACE_OVERHEAD } else { 0 };
        entry.spans.push_back(arc);
        self.order.push_back(Slot { trace: Some(trace_id), bytes });
        self.bytes += bytes;
        self.span_count += 1;
    }

    /// Recycles an evicted span, and the events it held last (log records
    /// evicted before it, kept alive by it).
    fn recycle_span(&mut self, mut span: Arc<SpanRecord>, mut bytes: usize) {
        if let Some(record) = Arc::get_mut(&mut span) {
            if !record.events.is_empty() {
                for log in std::mem::take(&mut record.events) {
                    let size = log.accounted_size();
                    recycle(&mut self.spare_logs, log, size, &mut self.evicted, ExportRecord::Log);
                }
                bytes = record.accounted_size();
            }
        }
        recycle(&mut self.spare_spans, span, bytes, &mut self.evicted, ExportRecord::Span);
    }

    fn evict(&mut self) {
        while self.bytes > self.config.max_bytes || self.order.len() > self.config.max_records {
            let Some(slot) = self.order.pop_front() else { break };
            self.bytes -= slot.bytes;
            match slot.trace {
                None => {
                    if let Some(log) = self.logs.pop_front() {
                        recycle(&mut self.spare_logs, log, slot.bytes, &mut self.evicted, ExportRecord::Log);
                    }
                    self.counters.logs_evicted += 1;
                }
                Some(trace_id) => {
                    self.span_count -= 1;
                    self.counters.spans_evicted += 1;
                    let mut evicted = None;
                    let mut emptied = false;
                    if let Some(entry) = self.traces.get_mut(&trace_id) {
                        evicted = entry.spans.pop_front();
                        emptied = entry.spans.is_empty();
                    }
                    if emptied {
                        if let Some(gone) = self.traces.remove(&trace_id) {
                            if self.spare_deques.len() < RECYCLE && gone.spans.capacity() <= 16 {
                                self.spare_deques.push(gone.spans);
                            }
                        }
                    }
                    if let Some(span) = evicted {
                        self.recycle_span(span, slot.bytes);
                    }
                }
            }
        }
    }
}
