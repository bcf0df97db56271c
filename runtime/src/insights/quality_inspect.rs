//! The tracing-quality checks over one completed trace: what each span of
//! it gets wrong, added up per service (see the [module
//! docs](super#tracing-quality)). One pass over the trace's tree: linear in
//! its size, no walk up or down it, so malformed traces (cycles, duplicate
//! ids, spans ending before they start) cost the same as any other.

use std::collections::HashMap;
use std::time::Duration;

use foldhash::fast::FixedState;

use super::extract::virtual_node;
use super::quality::Check;
use super::quality_rules::{CONTEXT_LOST, missing};
use super::worker::AnalysedTrace;
use crate::record::{SpanKind, SpanRecord};
use crate::tail::config::CloseReason;

/// How much earlier than a remote parent a child may start, or later end,
/// before it counts as skewed: the parent's clock is another's.
pub(crate) const REMOTE_TOLERANCE: Duration = Duration::from_millis(1);

/// What one trace says about one service.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub(crate) spans: u64,
    pub(crate) defective: u64,
    pub(crate) server_spans: u64,
    pub(crate) entries_without_context: u64,
    pub(crate) max_age_traces: u64,
    /// Spans per check, by [`Check::index`].
    pub(crate) checks: [u64; Check::ALL.len()],
    /// Spans missing each (row of the table, span kind).
    pub(crate) missing: Vec<((usize, SpanKind), u64)>,
}

/// The tallies of one trace, per service, in first-seen order.
pub(crate) fn inspect<'a>(trace: &AnalysedTrace<'a>, default_service: &'a str) -> Vec<(&'a str, Tally)> {
    let tree = &trace.tree;
    let max_age = trace.done.reason == CloseReason::MaxAge;
    // A missing parent may have been dropped by the per-trace cap.
    let whole = trace.done.trace.dropped_spans == 0;
    let mut index: HashMap<&'a str, usize, FixedState> = HashMap::with_hasher(FixedState::default());
    let mut out: Vec<(&'a str, Tally)> = Vec::new();
    for (i, &s) in tree.spans.iter().enumerate() {
        let service: &'a str = s.service.as_deref().unwrap_or(default_service);
        let at = *index.entry(service).or_insert_with(|| {
            out.push((service, Tally::default()));
            out.len() - 1
        });
        let t = &mut out[at].1;
        if i == 0 && max_age {
            t.max_age_traces += 1;
        }
        t.spans += 1;
        let mut found = [false; Check::ALL.len()];
        match s.kind {
            SpanKind::Server | SpanKind::Consumer => {
                t.server_spans += 1;
                t.entries_without_context += u64::from(s.parent_span_id.is_none());
                found[Check::ContextLost.index()] = s.attribute(CONTEXT_LOST).is_some();
            }
            SpanKind::Client | SpanKind::Producer => {
                let answered = tree
                    .children(i)
                    .iter()
                    .any(|&c| matches!(tree.spans[c].kind, SpanKind::Server | SpanKind::Consumer));
                found[Check::UnpairedClient.index()] = !answered && virtual_node(s).is_none();
            }
            SpanKind::Internal => {}
        }
        match (s.parent_span_id, tree.parent[i]) {
            (Some(_), Some(p)) => found[Check::ClockSkew.index()] |= outside(s, tree.spans[p]),
            (Some(_), None) if !s.parent_is_remote => {
                if max_age {
                    found[Check::Unended.index()] = true;
                } else {
                    found[Check::Orphan.index()] = whole;
                }
            }
            _ => {}
        }
        found[Check::ClockSkew.index()] |= s.end < s.start;
        missing(s, |row| {
            found[Check::MissingAttributes.index()] = true;
            let key = (row, s.kind);
            match t.missing.iter_mut().find(|(k, _)| *k == key) {
                Some((_, n)) => *n += 1,
                None => t.missing.push((key, 1)),
            }
        });
        for (count, hit) in t.checks.iter_mut().zip(found) {
            *count += u64::from(hit);
        }
        t.defective += u64::from(found.contains(&true));
    }
    out
}

/// Whether `child` lies outside `parent`: starts before it or ends after
/// it, by more than [`REMOTE_TOLERANCE`] when the parent is remote. A
/// consumer may outlive its producer (a queue is asynchronous), so only its
/// start counts.
fn outside(child: &SpanRecord, parent: &SpanRecord) -> bool {
    let tolerance = if child.parent_is_remote { REMOTE_TOLERANCE } else { Duration::ZERO };
    let early = parent.start.saturating_duration_since(child.start) > tolerance;
    let asynchronous = child.kind == SpanKind::Consumer || parent.kind == SpanKind::Producer;
    let late = !asynchronous && child.end.saturating_duration_since(parent.end) > tolerance;
    early || late
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::buffer::snapshot::Trace;
    use crate::clock::Timestamp;
    use crate::ids::{SpanId, TraceId};
    use crate::record::KeyValue;
    use crate::tail::listener::CompletedTrace;

    /// A span `id` under `parent`, from `start` to `end` ms after `base`.
    fn span(base: Timestamp, id: u64, parent: Option<u64>, kind: SpanKind, ms: (u64, u64)) -> SpanRecord {
        let mut s = SpanRecord::new(crate::sampling::test_metadata());
        s.span_id = SpanId::from_u64(id).unwrap();
        s.parent_span_id = parent.and_then(SpanId::from_u64);
        s.kind = kind;
        s.start = base.later(Duration::from_millis(ms.0));
        s.end = base.later(Duration::from_millis(ms.1));
        s
    }

    fn done(spans: Vec<SpanRecord>, reason: CloseReason) -> CompletedTrace {
        let spans = spans.into_iter().map(Arc::new).collect();
        let trace = Trace { trace_id: TraceId::from_u128(7).unwrap(), spans, dropped_spans: 0 };
        CompletedTrace { trace, reason, head_sampled: true, tail_kept: None }
    }

    fn checks(done: &CompletedTrace) -> [u64; 6] {
        let t = inspect(&AnalysedTrace::new(done), "svc");
        assert_eq!(t.len(), 1);
        t[0].1.checks
    }

    #[test]
    fn a_child_starting_before_its_remote_parent_is_skewed_past_the_tolerance() {
        let base = Timestamp::now();
        let mut within = span(base, 2, Some(1), SpanKind::Server, (0, 5));
        within.parent_is_remote = true;
        let mut skewed = span(base, 3, Some(1), SpanKind::Server, (0, 5));
        skewed.parent_is_remote = true;
        let trace = done(
            vec![
                span(base, 1, None, SpanKind::Client, (1, 10)),
                within,
                span(base, 9, None, SpanKind::Internal, (0, 1)),
            ],
            CloseReason::Quiet,
        );
        assert_eq!(checks(&trace)[Check::ClockSkew.index()], 0, "1 ms early, within the tolerance");
        let trace = done(vec![span(base, 1, None, SpanKind::Client, (3, 10)), skewed], CloseReason::Quiet);
        assert_eq!(checks(&trace)[Check::ClockSkew.index()], 1, "3 ms early");
    }

    #[test]
    fn local_children_outside_their_parent_and_negative_spans_are_skewed() {
        let base = Timestamp::now();
        let mut negative = span(base, 4, Some(1), SpanKind::Internal, (2, 2));
        negative.end = base;
        let trace = done(
            vec![
                span(base, 1, None, SpanKind::Internal, (1, 10)),
                span(base, 2, Some(1), SpanKind::Internal, (2, 11)),
                span(base, 3, Some(1), SpanKind::Internal, (2, 9)),
                negative,
            ],
            CloseReason::Quiet,
        );
        assert_eq!(checks(&trace)[Check::ClockSkew.index()], 2);
    }

    #[test]
    fn a_consumer_may_outlive_its_producer() {
        let base = Timestamp::now();
        let mut consumer = span(base, 2, Some(1), SpanKind::Consumer, (5, 50));
        consumer.parent_is_remote = true;
        consumer.attributes.push(KeyValue::new("messaging.system", "kafka"));
        let mut producer = span(base, 1, None, SpanKind::Producer, (0, 2));
        producer.attributes.push(KeyValue::new("messaging.system", "kafka"));
        assert_eq!(checks(&done(vec![producer, consumer], CloseReason::Quiet)), [0; 6]);
    }

    #[test]
    fn a_missing_local_parent_is_an_orphan_or_unended_by_how_the_trace_closed() {
        let base = Timestamp::now();
        let spans = || vec![span(base, 2, Some(1), SpanKind::Internal, (0, 1))];
        let quiet = done(spans(), CloseReason::Quiet);
        assert_eq!(checks(&quiet)[Check::Orphan.index()], 1);
        let old = done(spans(), CloseReason::MaxAge);
        let c = checks(&old);
        assert_eq!((c[Check::Orphan.index()], c[Check::Unended.index()]), (0, 1));
        let t = inspect(&AnalysedTrace::new(&old), "svc");
        assert_eq!(t[0].1.max_age_traces, 1);
        let mut capped = done(spans(), CloseReason::Quiet);
        capped.trace.dropped_spans = 3;
        assert_eq!(checks(&capped)[Check::Orphan.index()], 0, "the parent may have been capped");
    }

    #[test]
    fn malformed_and_huge_traces_are_inspected_in_one_pass() {
        let base = Timestamp::now();
        // A parent cycle and a duplicated id.
        let cycle = done(
            vec![
                span(base, 1, Some(2), SpanKind::Client, (0, 1)),
                span(base, 2, Some(1), SpanKind::Server, (0, 1)),
                span(base, 2, Some(1), SpanKind::Server, (0, 1)),
            ],
            CloseReason::Quiet,
        );
        let t = inspect(&AnalysedTrace::new(&cycle), "svc");
        assert_eq!(t[0].1.spans, 3);
        // 100 000 spans in a chain, each starting 1 ms later than its parent
        // ends: every child is outside its parent.
        let chain: Vec<SpanRecord> =
            (1..=100_000u64).map(|i| span(base, i, (i > 1).then(|| i - 1), SpanKind::Internal, (i, i))).collect();
        let huge = done(chain, CloseReason::Quiet);
        let started = std::time::Instant::now();
        let t = inspect(&AnalysedTrace::new(&huge), "svc");
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!((t[0].1.spans, t[0].1.checks[Check::ClockSkew.index()]), (100_000, 99_999));
    }

    #[test]
    fn tallies_are_per_service_and_a_span_is_defective_once() {
        let base = Timestamp::now();
        let mut server = span(base, 1, None, SpanKind::Server, (0, 10));
        server.attributes.push(KeyValue::new("http.request.method", "GET"));
        server.attributes.push(KeyValue::new(CONTEXT_LOST, "baggage_only"));
        let mut client = span(base, 2, Some(1), SpanKind::Client, (1, 2));
        client.service = Some("other".into());
        let trace = done(vec![server, client], CloseReason::Quiet);
        let t = inspect(&AnalysedTrace::new(&trace), "svc");
        let (svc, other) = (&t[0].1, &t[1].1);
        assert_eq!((t[0].0, t[1].0), ("svc", "other"));
        assert_eq!((svc.spans, svc.defective, svc.server_spans, svc.entries_without_context), (1, 1, 1, 1));
        assert_eq!(svc.checks[Check::ContextLost.index()], 1);
        assert_eq!(svc.checks[Check::MissingAttributes.index()], 1);
        assert_eq!(svc.missing, [((1, SpanKind::Server), 1)]);
        assert_eq!((other.spans, other.checks[Check::UnpairedClient.index()]), (1, 1));
    }
}
