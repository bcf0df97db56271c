//! Trace patterns across traces: each completed trace's findings counted by
//! its root operation and kind, with a few example traces, bounded; read
//! by [`Handle::trace_patterns`](crate::Handle::trace_patterns) and, as
//! `lantern.trace.patterns` (`lantern_trace_patterns_total` on `/metrics`),
//! by the metrics store.

use std::collections::{HashMap, VecDeque};

use foldhash::fast::FixedState;
use metrics::Unit;
use parking_lot::Mutex;

use super::patterns::{Finding, PatternConfig, PatternKind};
use super::patterns_find::find_in_tree;
use super::worker::{AnalysedTrace, Analysis};
use crate::ids::TraceId;
use crate::metrics::family::{MetricFamily, MetricKind, MetricSeries, MetricValue, OVERFLOW_LABEL, OwnFamilies};
use crate::metrics::labels::bounded_value;

/// Root operations counted one by one, at most; the traces of the others
/// are counted together.
pub(crate) const MAX_OPERATIONS: usize = 200;
/// Example traces kept per operation and kind: the latest.
pub(crate) const MAX_EXAMPLES: usize = 5;

const KINDS: usize = PatternKind::ALL.len();

/// The findings of one kind in the traces of one root operation.
///
/// ```
/// let lantern = lantern::builder().insights(true).try_init_local();
/// let stats = lantern.handle().trace_patterns().unwrap();
/// assert!(stats.operations.iter().all(|o| o.patterns.iter().all(|(_, c)| c.findings >= c.traces)));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PatternCount {
    /// Findings (a trace may have several of one kind).
    pub findings: u64,
    /// Traces with at least one.
    pub traces: u64,
    /// The latest traces with one, newest last (at most 5); they stay in
    /// the ring buffer for a while, so `/debug/traces/{id}` shows them.
    pub examples: Vec<TraceId>,
}

/// The patterns found in the traces of one root operation.
///
/// ```
/// use lantern::insights::PatternKind;
/// let lantern = lantern::builder().insights(true).try_init_local();
/// let stats = lantern.handle().trace_patterns().unwrap();
/// for op in &stats.operations {
///     println!("{}: {} staircases in {} traces", op.root, op.count(PatternKind::Staircase).findings, op.traces);
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OperationPatterns {
    /// The name of the traces' root span (cut to 256 bytes).
    pub root: String,
    /// Traces analysed.
    pub traces: u64,
    /// Per kind, in the order of [`PatternKind::ALL`].
    pub patterns: Vec<(PatternKind, PatternCount)>,
}

impl OperationPatterns {
    /// The count of `kind` (zero when none was found).
    ///
    /// ```
    /// use lantern::insights::PatternKind;
    /// let lantern = lantern::builder().insights(true).try_init_local();
    /// let stats = lantern.handle().trace_patterns().unwrap();
    /// assert!(stats.operation("GET /").is_none_or(|o| o.count(PatternKind::Staircase).findings < u64::MAX));
    /// ```
    pub fn count(&self, kind: PatternKind) -> PatternCount {
        self.patterns.iter().find(|(k, _)| *k == kind).map(|(_, c)| c.clone()).unwrap_or_default()
    }
}

/// The trace patterns found so far, from
/// [`Handle::trace_patterns`](crate::Handle::trace_patterns).
///
/// ```
/// let lantern = lantern::builder().insights(true).try_init_local();
/// let stats = lantern.handle().trace_patterns().unwrap();
/// assert_eq!((stats.traces, stats.operations.len()), (0, 0));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PatternStats {
    /// Traces analysed.
    pub traces: u64,
    /// Per root operation, in first-seen order (at most 200).
    pub operations: Vec<OperationPatterns>,
    /// Traces of operations past the cap, counted together.
    pub overflow_traces: u64,
    /// Their findings, per kind in the order of [`PatternKind::ALL`].
    pub overflow_findings: Vec<(PatternKind, u64)>,
}

impl PatternStats {
    /// The patterns of the traces whose root span is named `root`.
    ///
    /// ```
    /// let lantern = lantern::builder().insights(true).try_init_local();
    /// assert!(lantern.handle().trace_patterns().unwrap().operation("GET /dispatch").is_none());
    /// ```
    pub fn operation(&self, root: &str) -> Option<&OperationPatterns> {
        self.operations.iter().find(|o| o.root == root)
    }
}

#[derive(Default)]
struct Kind {
    findings: u64,
    traces: u64,
    examples: VecDeque<TraceId>,
}

struct Operation {
    root: String,
    traces: u64,
    kinds: [Kind; KINDS],
}

struct Table {
    index: HashMap<String, usize, FixedState>,
    operations: Vec<Operation>,
    traces: u64,
    overflow_traces: u64,
    overflow_findings: [u64; KINDS],
}

/// The patterns analysis: finds each completed trace's patterns and counts
/// them ([`Builder::insights`](crate::Builder::insights)).
pub(crate) struct PatternState {
    config: PatternConfig,
    max_operations: usize,
    table: Mutex<Table>,
}

impl PatternState {
    pub(crate) fn new(max_operations: usize) -> PatternState {
        let table = Table {
            index: HashMap::with_hasher(FixedState::default()),
            operations: Vec::new(),
            traces: 0,
            overflow_traces: 0,
            overflow_findings: [0; KINDS],
        };
        PatternState { config: PatternConfig::default(), max_operations, table: Mutex::new(table) }
    }

    /// Counts the findings of one trace of root operation `root`.
    pub(crate) fn add(&self, root: &str, trace_id: TraceId, findings: &[Finding]) {
        let mut per_kind = [0u64; KINDS];
        findings.iter().for_each(|f| per_kind[f.kind.index()] += 1);
        let root = bounded_value(root).0;
        let mut guard = self.table.lock();
        let t = &mut *guard;
        t.traces += 1;
        let i = match t.index.get(root) {
            Some(&i) => i,
            None if t.operations.len() < self.max_operations => {
                t.index.insert(root.to_owned(), t.operations.len());
                let kinds = std::array::from_fn(|_| Kind::default());
                t.operations.push(Operation { root: root.to_owned(), traces: 0, kinds });
                t.operations.len() - 1
            }
            None => {
                t.overflow_traces += 1;
                t.overflow_findings.iter_mut().zip(per_kind).for_each(|(sum, n)| *sum += n);
                return;
            }
        };
        let op = &mut t.operations[i];
        op.traces += 1;
        for (kind, n) in op.kinds.iter_mut().zip(per_kind).filter(|(_, n)| *n > 0) {
            kind.findings += n;
            kind.traces += 1;
            if kind.examples.len() >= MAX_EXAMPLES {
                kind.examples.pop_front();
            }
            kind.examples.push_back(trace_id);
        }
    }

    /// A copy of the counts now.
    pub(crate) fn snapshot(&self) -> PatternStats {
        let t = self.table.lock();
        let operations = t
            .operations
            .iter()
            .map(|o| OperationPatterns {
                root: o.root.clone(),
                traces: o.traces,
                patterns: PatternKind::ALL
                    .iter()
                    .zip(&o.kinds)
                    .map(|(&k, c)| {
                        let examples = c.examples.iter().copied().collect();
                        (k, PatternCount { findings: c.findings, traces: c.traces, examples })
                    })
                    .collect(),
            })
            .collect();
        PatternStats {
            traces: t.traces,
            operations,
            overflow_traces: t.overflow_traces,
            overflow_findings: PatternKind::ALL.iter().copied().zip(t.overflow_findings).collect(),
        }
    }
}

impl Analysis for PatternState {
    fn analyse(&self, trace: &AnalysedTrace<'_>) {
        let findings = find_in_tree(&trace.tree, &trace.critical, &self.config);
        let done = &trace.done.trace;
        // The root, else (none held) the earliest span.
        let root = done.root().map(|r| &*r.name).or(trace.tree.spans.first().map(|s| &*s.name)).unwrap_or("");
        self.add(root, done.trace_id, &findings);
    }
}

/// `lantern.trace.patterns{root, pattern}`: findings by root operation and
/// kind, five series an operation (zeros included, so each only grows).
/// Within the store's `max_series_per_metric`, the operations that came
/// first have series of their own; the others, and those past the
/// analysis's own cap, are added up by `pattern` in series labelled
/// `otel.metric.overflow="true"`.
pub(crate) struct PatternFamilies(pub(crate) std::sync::Arc<PatternState>);

impl OwnFamilies for PatternFamilies {
    fn families(&self, max_series: usize, out: &mut Vec<MetricFamily>) {
        let stats = self.0.snapshot();
        let ops = &stats.operations;
        let own = if ops.len() * KINDS <= max_series { ops.len() } else { max_series.saturating_sub(KINDS) / KINDS };
        let counter = |labels: Vec<(String, String)>, value| MetricSeries {
            labels,
            value: MetricValue::Counter { value, exemplar: None },
        };
        let mut series = Vec::with_capacity((own + 1) * KINDS);
        let mut folded: Vec<u64> = stats.overflow_findings.iter().map(|(_, n)| *n).collect();
        for (i, op) in ops.iter().enumerate() {
            for (k, (kind, count)) in op.patterns.iter().enumerate() {
                if i < own {
                    let labels = vec![("root".to_owned(), op.root.clone()), ("pattern".to_owned(), kind.to_string())];
                    series.push(counter(labels, count.findings));
                } else {
                    folded[k] += count.findings;
                }
            }
        }
        if own < ops.len() || stats.overflow_traces > 0 {
            for (kind, value) in PatternKind::ALL.iter().zip(folded) {
                let labels =
                    vec![(OVERFLOW_LABEL.to_owned(), "true".to_owned()), ("pattern".to_owned(), kind.to_string())];
                series.push(counter(labels, value));
            }
        }
        out.push(MetricFamily {
            name: "lantern.trace.patterns".to_owned(),
            kind: MetricKind::Counter,
            unit: Some(Unit::Count),
            description: Some("Trace patterns found in completed traces, by root span name and pattern.".to_owned()),
            series,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::SpanId;
    use std::time::Duration;

    fn finding(kind: PatternKind) -> Finding {
        Finding { kind, spans: vec![SpanId::from_u64(1).unwrap()], message: String::new(), time: Duration::ZERO }
    }

    fn id(n: u128) -> TraceId {
        TraceId::from_u128(n).unwrap()
    }

    #[test]
    fn counts_by_operation_and_kind_with_the_latest_examples() {
        let s = PatternState::new(2);
        for n in 1..=7 {
            s.add("GET /dispatch", id(n), &[finding(PatternKind::Staircase), finding(PatternKind::Staircase)]);
        }
        s.add("GET /dispatch", id(8), &[]);
        s.add("GET /customer", id(9), &[finding(PatternKind::ErrorSource)]);
        s.add("GET /route", id(10), &[finding(PatternKind::ErrorSource), finding(PatternKind::Staircase)]);
        let stats = s.snapshot();
        assert_eq!(stats.traces, 10);
        let dispatch = stats.operation("GET /dispatch").unwrap();
        assert_eq!(dispatch.traces, 8);
        let stairs = dispatch.count(PatternKind::Staircase);
        assert_eq!((stairs.findings, stairs.traces), (14, 7));
        assert_eq!(stairs.examples, [id(3), id(4), id(5), id(6), id(7)]);
        assert_eq!(dispatch.count(PatternKind::ErrorSource), PatternCount::default());
        // Past the cap of two operations.
        assert!(stats.operation("GET /route").is_none());
        assert_eq!(stats.overflow_traces, 1);
        assert_eq!(stats.overflow_findings[PatternKind::Staircase.index()], (PatternKind::Staircase, 1));
    }

    #[test]
    fn long_roots_are_cut_and_series_are_bounded() {
        let s = std::sync::Arc::new(PatternState::new(100));
        for n in 0..20 {
            s.add(&format!("{n}{}", "x".repeat(1000)), id(n + 1), &[finding(PatternKind::MissingDetails)]);
        }
        assert!(s.snapshot().operations.iter().all(|o| o.root.len() <= crate::metrics::labels::MAX_LABEL_VALUE_BYTES));
        let mut out = Vec::new();
        PatternFamilies(s).families(23, &mut out);
        let series = &out[0].series;
        assert!(series.len() <= 23, "{}", series.len());
        let total: u64 = series
            .iter()
            .map(|s| match s.value {
                MetricValue::Counter { value, .. } => value,
                _ => 0,
            })
            .sum();
        assert_eq!(total, 20, "every finding is counted, own series or overflow");
    }
}
