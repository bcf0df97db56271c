//! The completion tracker: which traces are still running in this process,
//! and which have become complete (see [`CompletionConfig`]).
//!
//! Owned by the store and fed by the ingest thread, span by span, so the
//! application pays nothing for it. Each watched trace is one small entry;
//! two queues, in the order deadlines were set, say which to look at next,
//! so finding the complete traces costs nothing per waiting trace. The
//! queues may hold stale entries (a trace that completed by the other
//! rule); they are compacted when they outgrow twice the table.

use std::collections::VecDeque;
use std::time::Duration;

use crate::ids::{IdHasher, TraceId};
use crate::record::SpanRecord;
use crate::sampling::tag::SamplerTag;
use crate::tail::config::{CloseReason, CompletionConfig};
use crate::tail::policy::TailEvaluator;

type HashMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<IdHasher>>;

/// Completed traces remembered, to tell a late span of one from a new trace.
const RECENT: usize = 4096;

struct Watched {
    first_ms: u64,
    last_end_ms: u64,
    root_ended: bool,
    /// In `quiet` now.
    queued: bool,
}

/// What happened to a span's trace, for the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Late {
    /// Not late: its trace is running, or not watched.
    No,
    /// Its trace completed and was not kept.
    Dropped,
    /// Its trace completed and was kept by the tail policies: export it too.
    Kept,
}

/// The counters of tail sampling, read by [`TailStats`](crate::tail::TailStats).
#[derive(Clone, Debug, Default)]
pub(crate) struct TailCounters {
    pub(crate) completed: u64,
    pub(crate) closed_by_max_age: u64,
    pub(crate) tracker_full: u64,
    pub(crate) late_spans: u64,
    pub(crate) kept: [u64; 4],
    pub(crate) over_cap: u64,
    pub(crate) spans_exported: u64,
    /// Traces kept per root operation, at most `MAX_TAIL_OPERATIONS` names
    /// (the rest under `""`).
    pub(crate) kept_ops: std::collections::HashMap<String, u64>,
}

pub(crate) struct Tracker {
    config: CompletionConfig,
    /// Watch head-sampled traces too (for trace listeners), not only the
    /// ones tail policies may keep.
    watch_sampled: bool,
    watched: HashMap<TraceId, Watched>,
    quiet: VecDeque<(TraceId, u64)>,
    age: VecDeque<(TraceId, u64)>,
    recent: HashMap<TraceId, bool>,
    recent_order: VecDeque<TraceId>,
}

/// Tail sampling's state on the ingest thread: the tracker, the policies
/// (if any) and the counters.
pub(crate) struct TailState {
    pub(crate) tracker: Tracker,
    pub(crate) evaluator: Option<TailEvaluator>,
    pub(crate) counters: TailCounters,
    /// Whether trace listeners want completed traces.
    pub(crate) listening: bool,
}

impl TailState {
    pub(crate) fn new(config: CompletionConfig, evaluator: Option<TailEvaluator>, listening: bool) -> Self {
        TailState { tracker: Tracker::new(config, listening), evaluator, counters: TailCounters::default(), listening }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Tracker {
    fn new(config: CompletionConfig, watch_sampled: bool) -> Self {
        Tracker {
            config,
            watch_sampled,
            watched: HashMap::default(),
            quiet: VecDeque::new(),
            age: VecDeque::new(),
            recent: HashMap::default(),
            recent_order: VecDeque::new(),
        }
    }

    pub(crate) fn watching(&self) -> usize {
        self.watched.len()
    }

    /// Notes that `span` ended (seen at `now_ms`).
    pub(crate) fn on_span(&mut self, span: &SpanRecord, now_ms: u64, counters: &mut TailCounters) -> Late {
        let trace_id = span.trace_id;
        if let Some(&kept) = self.recent.get(&trace_id) {
            counters.late_spans += 1;
            return if kept { Late::Kept } else { Late::Dropped };
        }
        if span.is_sampled() && !self.watch_sampled {
            return Late::No;
        }
        let is_root = span.parent_span_id.is_none() || span.parent_is_remote;
        let quiet = millis(self.config.quiet_period);
        let full = self.watched.len() >= self.config.max_traces;
        match self.watched.get_mut(&trace_id) {
            Some(w) => {
                w.last_end_ms = now_ms;
                w.root_ended |= is_root;
                if w.root_ended && !w.queued {
                    w.queued = true;
                    self.quiet.push_back((trace_id, now_ms.saturating_add(quiet)));
                }
            }
            None if full => counters.tracker_full += 1,
            None => {
                self.watched.insert(
                    trace_id,
                    Watched { first_ms: now_ms, last_end_ms: now_ms, root_ended: is_root, queued: is_root },
                );
                self.age.push_back((trace_id, now_ms.saturating_add(millis(self.config.max_age))));
                if is_root {
                    self.quiet.push_back((trace_id, now_ms.saturating_add(quiet)));
                }
            }
        }
        self.compact();
        Late::No
    }

    /// The traces complete at `now_ms`, no longer watched.
    pub(crate) fn take_due(&mut self, now_ms: u64) -> Vec<(TraceId, CloseReason)> {
        let mut due = Vec::new();
        let quiet = millis(self.config.quiet_period);
        while let Some(&(trace_id, at)) = self.quiet.front() {
            if at > now_ms {
                break;
            }
            self.quiet.pop_front();
            let Some(w) = self.watched.get_mut(&trace_id) else { continue };
            let really = w.last_end_ms.saturating_add(quiet);
            if really > now_ms {
                // A span ended since: look again when it has been quiet.
                self.quiet.push_back((trace_id, really));
            } else {
                self.watched.remove(&trace_id);
                due.push((trace_id, CloseReason::Quiet));
            }
        }
        let max_age = millis(self.config.max_age);
        while let Some(&(trace_id, at)) = self.age.front() {
            if at > now_ms {
                break;
            }
            self.age.pop_front();
            match self.watched.get(&trace_id) {
                Some(w) if w.first_ms.saturating_add(max_age) <= now_ms => {
                    self.watched.remove(&trace_id);
                    due.push((trace_id, CloseReason::MaxAge));
                }
                _ => {}
            }
        }
        due
    }

    /// Remembers a completed trace for a while, so that its late spans are
    /// told apart (and exported if it was kept).
    pub(crate) fn remember(&mut self, trace_id: TraceId, kept: bool) {
        if self.recent_order.len() >= RECENT {
            if let Some(old) = self.recent_order.pop_front() {
                self.recent.remove(&old);
            }
        }
        if self.recent.insert(trace_id, kept).is_none() {
            self.recent_order.push_back(trace_id);
        }
    }

    /// Drops stale queue entries once a queue outgrows twice the table.
    fn compact(&mut self) {
        let limit = 2 * self.watched.len().max(1024);
        for queue in [&mut self.quiet, &mut self.age] {
            if queue.len() > limit {
                let watched = &self.watched;
                queue.retain(|(id, _)| watched.contains_key(id));
            }
        }
    }
}

/// Marks a span of a trace the tail policies kept: sampled, with
/// `sampler.type = tail` (and `sampler.param = 1`; its adjusted count is
/// unknown).
pub(crate) fn mark_tail_kept(span: &mut SpanRecord) {
    span.flags = span.flags.with_sampled(true);
    span.sampler = Some(SamplerTag::new("tail", 1.0));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(trace: u128, root: bool) -> SpanRecord {
        let mut s = SpanRecord::new(crate::sampling::test_metadata());
        s.trace_id = TraceId::from_u128(trace).unwrap();
        s.parent_span_id = if root { None } else { Some(crate::ids::SpanId::random()) };
        s
    }

    fn tracker(max_traces: usize) -> Tracker {
        let config = CompletionConfig {
            quiet_period: Duration::from_millis(100),
            max_age: Duration::from_millis(1000),
            max_traces,
        };
        Tracker::new(config, false)
    }

    #[test]
    fn a_trace_completes_a_quiet_period_after_its_last_span_once_its_root_ended() {
        let (mut t, mut c) = (tracker(10), TailCounters::default());
        t.on_span(&span(1, false), 0, &mut c);
        t.on_span(&span(1, true), 10, &mut c);
        t.on_span(&span(1, false), 50, &mut c);
        assert!(t.take_due(109).is_empty());
        assert!(t.take_due(149).is_empty(), "a child ended at 50: quiet until 150");
        assert_eq!(t.take_due(150), [(TraceId::from_u128(1).unwrap(), CloseReason::Quiet)]);
        assert_eq!(t.watching(), 0);
    }

    #[test]
    fn a_trace_without_a_root_closes_at_max_age_and_late_spans_are_told_apart() {
        let (mut t, mut c) = (tracker(10), TailCounters::default());
        t.on_span(&span(2, false), 0, &mut c);
        t.on_span(&span(2, false), 900, &mut c);
        assert!(t.take_due(999).is_empty());
        assert_eq!(t.take_due(1000), [(TraceId::from_u128(2).unwrap(), CloseReason::MaxAge)]);
        t.remember(TraceId::from_u128(2).unwrap(), true);
        assert_eq!(t.on_span(&span(2, false), 1001, &mut c), Late::Kept);
        assert_eq!((c.late_spans, t.watching()), (1, 0));
    }

    #[test]
    fn the_table_is_bounded_and_counts_what_it_gives_up() {
        let (mut t, mut c) = (tracker(3), TailCounters::default());
        for i in 1..=10 {
            t.on_span(&span(i, false), 0, &mut c);
        }
        assert_eq!((t.watching(), c.tracker_full), (3, 7));
        // Queues stay bounded under churn.
        for i in 100..20_000u128 {
            t.on_span(&span(i, true), i as u64, &mut c);
            t.take_due(i as u64);
        }
        assert!(t.quiet.len() <= 2048 && t.age.len() <= 2048, "{} {}", t.quiet.len(), t.age.len());
    }
}
