//! The tracing-quality aggregator: per service, the tallies of every trace
//! analysed and a few example traces per check, bounded; read by the
//! handle, the pages and the metrics store.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use foldhash::fast::FixedState;
use parking_lot::Mutex;

use super::quality::{Check, CheckStats, MissingAttribute, QualityReport, ServiceQuality};
use super::quality_inspect::{Tally, inspect};
use super::quality_rules::REQUIRED;
use super::worker::{AnalysedTrace, Analysis};
use crate::ids::TraceId;
use crate::metrics::labels::bounded_value;

/// At most this many services.
pub(crate) const MAX_SERVICES: usize = 200;
/// Example traces kept per (service, check), the most recent.
pub(crate) const MAX_EXAMPLES: usize = 5;

#[derive(Default)]
struct Row {
    total: Tally,
    examples: [VecDeque<TraceId>; Check::ALL.len()],
}

impl Row {
    fn add(&mut self, trace_id: TraceId, t: &Tally) {
        let s = &mut self.total;
        s.spans += t.spans;
        s.defective += t.defective;
        s.server_spans += t.server_spans;
        s.entries_without_context += t.entries_without_context;
        s.max_age_traces += t.max_age_traces;
        for (i, &n) in t.checks.iter().enumerate() {
            s.checks[i] += n;
            let examples = &mut self.examples[i];
            if n > 0 && examples.front() != Some(&trace_id) {
                examples.push_front(trace_id);
                examples.truncate(MAX_EXAMPLES);
            }
        }
        for &(key, n) in &t.missing {
            match s.missing.iter_mut().find(|(k, _)| *k == key) {
                Some((_, m)) => *m += n,
                None => s.missing.push((key, n)),
            }
        }
    }

    fn report(&self, service: &str) -> ServiceQuality {
        let t = &self.total;
        let checks = Check::ALL
            .iter()
            .map(|&check| CheckStats {
                check,
                spans: t.checks[check.index()],
                examples: self.examples[check.index()].iter().copied().collect(),
            })
            .collect();
        let missing_attributes = t
            .missing
            .iter()
            .filter_map(|&((row, kind), spans)| {
                let r = REQUIRED.get(row)?;
                Some(MissingAttribute { family: r.family.as_str(), kind: kind.as_str(), attribute: r.attribute, spans })
            })
            .collect();
        ServiceQuality {
            service: service.to_owned(),
            spans: t.spans,
            defective_spans: t.defective,
            score: score(t.spans, t.defective),
            server_spans: t.server_spans,
            entries_without_context: t.entries_without_context,
            max_age_traces: t.max_age_traces,
            checks,
            missing_attributes,
        }
    }
}

/// `100 × (1 − defective / spans)` to a tenth; 100 with no span.
pub(crate) fn score(spans: u64, defective: u64) -> f64 {
    if spans == 0 {
        return 100.0;
    }
    let clean = 1.0 - defective.min(spans) as f64 / spans as f64;
    (clean * 1000.0).round() / 10.0
}

struct Table {
    index: HashMap<String, usize, FixedState>,
    rows: Vec<(String, Row)>,
    traces: u64,
    overflow_spans: u64,
}

/// The tracing-quality analysis: installed by
/// [`Builder::insights`](crate::Builder::insights), read through
/// [`Handle::quality`](crate::Handle::quality) and by the metrics store.
pub(crate) struct QualityState {
    /// The resource's service name, for spans with none of their own.
    service: Arc<str>,
    max_services: usize,
    table: Mutex<Table>,
}

impl QualityState {
    pub(crate) fn new(service: &str) -> QualityState {
        QualityState::with_bound(service, MAX_SERVICES)
    }

    pub(crate) fn with_bound(service: &str, max_services: usize) -> QualityState {
        let table = Table {
            index: HashMap::with_hasher(FixedState::default()),
            rows: Vec::new(),
            traces: 0,
            overflow_spans: 0,
        };
        QualityState { service: service.into(), max_services, table: Mutex::new(table) }
    }

    /// Adds one trace's tallies: one short lock.
    fn add(&self, trace_id: TraceId, tallies: &[(&str, Tally)]) {
        let mut guard = self.table.lock();
        let t = &mut *guard;
        t.traces += 1;
        for (service, tally) in tallies {
            let name = bounded_value(service).0;
            let at = match t.index.get(name) {
                Some(&at) => at,
                None if t.rows.len() < self.max_services => {
                    let at = t.rows.len();
                    t.index.insert(name.to_owned(), at);
                    t.rows.push((name.to_owned(), Row::default()));
                    t.rows.len() - 1
                }
                None => {
                    t.overflow_spans += tally.spans;
                    continue;
                }
            };
            t.rows[at].1.add(trace_id, tally);
        }
    }

    /// The report now.
    pub(crate) fn snapshot(&self) -> QualityReport {
        let t = self.table.lock();
        QualityReport {
            traces: t.traces,
            services: t.rows.iter().map(|(name, row)| row.report(name)).collect(),
            overflow_spans: t.overflow_spans,
        }
    }
}

impl Analysis for QualityState {
    fn analyse(&self, trace: &AnalysedTrace<'_>) {
        let tallies = inspect(trace, &self.service);
        self.add(trace.done.trace.trace_id, &tallies);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(spans: u64, defective: u64, check: Check) -> Tally {
        let mut t = Tally { spans, defective, ..Tally::default() };
        t.checks[check.index()] = defective;
        t
    }

    #[test]
    fn an_orphan_goes_through_the_analysis_into_the_report() {
        use std::sync::Arc;

        use crate::buffer::snapshot::Trace;
        use crate::ids::SpanId;
        use crate::record::SpanRecord;
        use crate::tail::config::CloseReason;
        use crate::tail::listener::CompletedTrace;

        let span = |id: u64, parent: Option<u64>| {
            let mut s = SpanRecord::new(crate::sampling::test_metadata());
            s.span_id = SpanId::from_u64(id).unwrap();
            s.parent_span_id = parent.and_then(SpanId::from_u64);
            Arc::new(s)
        };
        let trace = Trace {
            trace_id: TraceId::from_u128(9).unwrap(),
            spans: vec![span(1, None), span(3, Some(2))],
            dropped_spans: 0,
        };
        let done = CompletedTrace { trace, reason: CloseReason::Quiet, head_sampled: true, tail_kept: None };
        let q = QualityState::new("svc");
        q.analyse(&AnalysedTrace::new(&done));
        let r = q.snapshot();
        let s = r.service("svc").unwrap();
        assert_eq!((s.spans, s.defective_spans, s.score), (2, 1, 50.0));
        assert_eq!(s.check(Check::Orphan).spans, 1);
        assert_eq!(s.check(Check::Orphan).examples, [TraceId::from_u128(9).unwrap()]);
    }

    #[test]
    fn the_score_is_the_share_of_clean_spans() {
        assert_eq!(score(0, 0), 100.0);
        assert_eq!(score(3, 1), 66.7);
        assert_eq!(score(10, 10), 0.0);
        assert_eq!(score(1, 5), 0.0, "never below zero");
    }

    #[test]
    fn services_past_the_cap_are_counted_and_examples_are_the_latest_five() {
        let q = QualityState::with_bound("svc", 2);
        for i in 1..=7u128 {
            q.add(TraceId::from_u128(i).unwrap(), &[("a", tally(2, 1, Check::Orphan))]);
        }
        let long = "x".repeat(1000);
        q.add(
            TraceId::from_u128(8).unwrap(),
            &[(&long, tally(1, 0, Check::Orphan)), ("c", tally(4, 0, Check::Orphan))],
        );
        let r = q.snapshot();
        assert_eq!((r.traces, r.services.len(), r.overflow_spans), (8, 2, 4));
        assert!(r.services[1].service.len() <= crate::metrics::labels::MAX_LABEL_VALUE_BYTES);
        let a = r.service("a").unwrap();
        assert_eq!((a.spans, a.defective_spans, a.score), (14, 7, 50.0));
        let examples: Vec<u128> = a.check(Check::Orphan).examples.iter().map(|t| t.to_u128()).collect();
        assert_eq!(examples, [7, 6, 5, 4, 3]);
        assert!(a.check(Check::ClockSkew).examples.is_empty());
    }
}
