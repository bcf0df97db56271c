//! The built-in feature extractor: what one completed trace measures (span
//! count, services, depth, duration, critical path, errors, spans per
//! service) and where its critical path spent its time (self time per
//! service and operation, for long-term profiling).
//!
//! Every walk is iterative over the trace's index ([`TraceTree`]), each
//! span visited once: linear in the trace's size, whatever its shape
//! (parent-id cycles, duplicate ids, spans ending before they start).

use std::collections::HashMap;

use foldhash::fast::FixedState;

use super::tree::TraceTree;
use super::worker::AnalysedTrace;
use crate::clock::Timestamp;
use crate::tail::policy::{entry_span, trace_duration};

/// What one trace measures.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct TraceFeatures<'a> {
    /// The entry operation: the name of the earliest local root.
    pub(crate) root: &'a str,
    pub(crate) span_count: u64,
    /// Distinct services among the spans.
    pub(crate) services: u64,
    /// The longest chain of parent and child, a lone span being 1.
    pub(crate) depth: u64,
    /// From the first span's start to the last span's end, in seconds.
    pub(crate) duration: f64,
    /// The self times of the spans on the critical path, added up, in
    /// seconds: the root's own time, all of it accounted for by the chain
    /// of spans that determined it.
    pub(crate) critical_path: f64,
    pub(crate) error_spans: u64,
    /// The entry span failed: the request did (an error deeper down that
    /// was handled, a retried timeout, is only in `error_spans`).
    pub(crate) failed: bool,
    /// Spans per service, in first-seen order.
    pub(crate) spans_per_service: Vec<(&'a str, u64)>,
    /// Critical-path self time (seconds) per (service, operation), in
    /// first-seen order.
    pub(crate) self_times: Vec<((&'a str, &'a str), f64)>,
}

/// Measures `trace`; `default_service` names the spans with no
/// `service.name` of their own.
pub(crate) fn measure<'a>(trace: &AnalysedTrace<'a>, default_service: &'a str) -> TraceFeatures<'a> {
    let spans = &trace.done.trace.spans;
    let tree = &trace.tree;
    let service = |i: usize| tree.spans[i].service.as_deref().unwrap_or(default_service);
    let mut per_service: HashMap<&str, usize, FixedState> = HashMap::with_hasher(FixedState::default());
    let mut spans_per_service: Vec<(&str, u64)> = Vec::new();
    for i in 0..tree.spans.len() {
        let at = *per_service.entry(service(i)).or_insert_with(|| {
            spans_per_service.push((service(i), 0));
            spans_per_service.len() - 1
        });
        spans_per_service[at].1 += 1;
    }
    let self_times = critical_self_times(tree, &trace.critical, &service);
    let entry = entry_span(spans);
    TraceFeatures {
        root: entry.map_or("", |s| &s.name),
        failed: entry.is_some_and(|s| s.is_error()),
        span_count: spans.len() as u64,
        services: spans_per_service.len() as u64,
        depth: depth(tree),
        duration: trace_duration(spans).as_secs_f64(),
        critical_path: self_times.iter().map(|&(_, t)| t).sum(),
        error_spans: spans.iter().filter(|s| s.is_error()).count() as u64,
        spans_per_service,
        self_times,
    }
}

/// The depth of the deepest span, walking down from the spans with no
/// parent in the trace. Spans only reachable through a parent-id cycle are
/// not counted; each span is visited once.
fn depth(tree: &TraceTree<'_>) -> u64 {
    let mut deepest = 0;
    let mut seen = vec![false; tree.spans.len()];
    let mut stack: Vec<(usize, u64)> =
        (0..tree.spans.len()).filter(|&i| tree.parent[i].is_none()).map(|i| (i, 1)).collect();
    while let Some((i, d)) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        deepest = deepest.max(d);
        stack.extend(tree.children(i).iter().map(|&c| (c, d + 1)));
    }
    deepest
}

/// The self time of each span on the critical path, by (service,
/// operation): its time (clamped to its critical parent's, as the
/// critical-path walk sees it) less the time its critical children cover.
fn critical_self_times<'a>(
    tree: &TraceTree<'a>,
    critical: &[bool],
    service: &dyn Fn(usize) -> &'a str,
) -> Vec<((&'a str, &'a str), f64)> {
    let n = tree.spans.len();
    let mut out: Vec<((&str, &str), f64)> = Vec::new();
    let Some(root) = (0..n).find(|&i| critical.get(i) == Some(&true)) else { return out };
    let mut index: HashMap<(&str, &str), usize, FixedState> = HashMap::with_hasher(FixedState::default());
    let mut seen = vec![false; n];
    let own = |i: usize| (tree.spans[i].start, tree.spans[i].end.max(tree.spans[i].start));
    let mut stack = vec![(root, own(root))];
    let mut covered: Vec<(Timestamp, Timestamp)> = Vec::new();
    while let Some((i, (lo, hi))) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        covered.clear();
        for &c in tree.children(i) {
            if critical.get(c) != Some(&true) || seen[c] {
                continue;
            }
            let (start, end) = own(c);
            let window = (start.max(lo), end.min(hi));
            if window.0 <= window.1 {
                covered.push(window);
                stack.push((c, window));
            }
        }
        let self_time = hi.saturating_duration_since(lo).as_secs_f64() - union(&mut covered);
        let key = (service(i), &*tree.spans[i].name);
        let at = *index.entry(key).or_insert_with(|| {
            out.push((key, 0.0));
            out.len() - 1
        });
        out[at].1 += self_time.max(0.0);
    }
    out
}

/// The time the intervals cover together, in seconds.
fn union(intervals: &mut [(Timestamp, Timestamp)]) -> f64 {
    intervals.sort_unstable();
    let mut total = 0.0;
    let mut current: Option<(Timestamp, Timestamp)> = None;
    for &(start, end) in intervals.iter() {
        current = match current {
            Some((s, e)) if start <= e => Some((s, e.max(end))),
            Some((s, e)) => {
                total += e.saturating_duration_since(s).as_secs_f64();
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    if let Some((s, e)) = current {
        total += e.saturating_duration_since(s).as_secs_f64();
    }
    total
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::buffer::snapshot::Trace;
    use crate::ids::{SpanId, TraceId};
    use crate::record::{SpanRecord, Status};
    use crate::tail::config::CloseReason;
    use crate::tail::listener::CompletedTrace;

    /// A span `name` of `service` from `start` to `end` ms after `t0`.
    fn span(t0: Timestamp, id: u64, parent: Option<u64>, name: &'static str, ms: (u64, u64)) -> SpanRecord {
        let mut s = SpanRecord::new(crate::sampling::test_metadata());
        s.trace_id = TraceId::from_u128(7).unwrap();
        s.span_id = SpanId::from_u64(id).unwrap();
        s.parent_span_id = parent.and_then(SpanId::from_u64);
        s.name = name.into();
        s.start = t0.later(Duration::from_millis(ms.0));
        s.end = t0.later(Duration::from_millis(ms.1));
        s
    }

    fn completed(spans: Vec<SpanRecord>) -> CompletedTrace {
        let mut spans: Vec<Arc<SpanRecord>> = spans.into_iter().map(Arc::new).collect();
        spans.sort_by_key(|s| s.start);
        let trace = Trace { trace_id: TraceId::from_u128(7).unwrap(), spans, dropped_spans: 0 };
        CompletedTrace { trace, reason: CloseReason::Quiet, head_sampled: true, tail_kept: None }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn a_trace_measured_by_hand() {
        let t0 = Timestamp::now();
        // root 0..100 ms over a 10..40 and b 20..90 (service "db", an
        // error), c 50..60 under b; an orphan whose parent is not held.
        let mut b = span(t0, 3, Some(1), "b", (20, 90));
        b.service = Some("db".into());
        b.status = Status::Error(None);
        let done = completed(vec![
            span(t0, 1, None, "GET /", (0, 100)),
            span(t0, 2, Some(1), "a", (10, 40)),
            b,
            span(t0, 4, Some(3), "c", (50, 60)),
            span(t0, 5, Some(99), "orphan", (95, 120)),
        ]);
        let analysed = AnalysedTrace::new(&done);
        let f = measure(&analysed, "svc");
        assert_eq!(f.root, "GET /");
        assert_eq!((f.span_count, f.services, f.depth, f.error_spans), (5, 2, 3, 1));
        assert!(!f.failed, "the error is b's, not the root's");
        assert!(close(f.duration, 0.120), "{}", f.duration);
        assert_eq!(f.spans_per_service, [("svc", 4), ("db", 1)]);
        // The critical path: root 0..20 and 90..100 (self 30 ms), then b
        // 20..50 and 60..90 (60 ms) and c (10 ms); a ends after b starts,
        // so it is off the path.
        let times: HashMap<_, _> = f.self_times.iter().copied().collect();
        assert!(close(times[&("svc", "GET /")], 0.030), "{times:?}");
        assert!(!times.contains_key(&("svc", "a")), "{times:?}");
        assert!(close(times[&("db", "b")], 0.060), "{times:?}");
        assert!(close(times[&("svc", "c")], 0.010), "{times:?}");
        assert!(close(f.critical_path, 0.100), "the root's time: {}", f.critical_path);
    }

    #[test]
    fn malformed_traces_are_measured_without_looping() {
        let t0 = Timestamp::now();
        // A parent cycle (1 <-> 2) with no root, a duplicate id, a span
        // ending before it starts.
        let done = completed(vec![
            span(t0, 1, Some(2), "x", (0, 10)),
            span(t0, 2, Some(1), "y", (1, 5)),
            span(t0, 2, Some(1), "dup", (2, 3)),
            span(t0, 3, Some(1), "backwards", (8, 4)),
        ]);
        let f = measure(&AnalysedTrace::new(&done), "svc");
        assert_eq!(f.span_count, 4);
        assert_eq!(f.depth, 0, "no span has a parent outside the cycle");
        assert!(f.critical_path >= 0.0 && f.critical_path.is_finite());
        let empty = completed(Vec::new());
        assert_eq!(measure(&AnalysedTrace::new(&empty), "svc"), TraceFeatures::default());
    }

    #[test]
    fn a_trace_of_100_000_spans_is_measured() {
        let t0 = Timestamp::now();
        let mut spans = vec![span(t0, 1, None, "root", (0, 100_000))];
        spans.extend((2..=100_000u64).map(|i| {
            let mut s = span(t0, i, Some(1), "child", (i - 1, i));
            s.service = Some(if i % 2 == 0 { "even" } else { "odd" }.into());
            s
        }));
        let done = completed(spans);
        let started = std::time::Instant::now();
        let f = measure(&AnalysedTrace::new(&done), "svc");
        assert_eq!((f.span_count, f.services, f.depth), (100_000, 3, 2));
        assert!(close(f.critical_path, 100.0), "{}", f.critical_path);
        assert!(started.elapsed() < Duration::from_secs(20), "linear: {:?}", started.elapsed());
    }

    #[test]
    fn a_deep_chain_is_measured_iteratively() {
        let t0 = Timestamp::now();
        let spans = (1..=20_000u64)
            .map(|i| span(t0, i, if i == 1 { None } else { Some(i - 1) }, "s", (i, 40_000 - i)))
            .collect();
        let done = completed(spans);
        let f = measure(&AnalysedTrace::new(&done), "svc");
        assert_eq!((f.depth, f.self_times.len()), (20_000, 1));
        assert!(close(f.critical_path, 39.998), "{}", f.critical_path);
    }
}
