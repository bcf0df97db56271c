//! The feature aggregator: each trace's features (built-in and from the
//! user's extractors) kept per root operation, since the start (for the
//! metrics) and in one-minute windows over the last hour (for the page),
//! with the long-term profile of the critical path. Bounded: 200
//! operations, 8 user features and 16 services an operation, 500 profile
//! rows; past them, counted.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use foldhash::fast::FixedState;
use parking_lot::Mutex;

use super::features::{FeatureExtractor, Features};
use super::graph::LATENCY_BUCKETS;
use super::trace_features::{TraceFeatures, measure};
use super::windows::{Buckets, LogHistogram, Ring, Summary, minute_of};
use super::worker::{AnalysedTrace, Analysis};
use crate::metrics::labels::bounded_value;

/// Root operations kept, at most.
pub(crate) const MAX_OPERATIONS: usize = 200;
/// User feature names kept per operation, at most.
pub(crate) const MAX_FEATURES_PER_OPERATION: usize = 8;
/// Services whose spans are counted per operation, at most.
pub(crate) const MAX_SERVICES_PER_OPERATION: usize = 16;
/// (service, operation) rows of the profile, at most.
pub(crate) const MAX_PROFILE_ROWS: usize = 500;

/// Buckets of the span-count histogram.
pub(crate) const SPAN_COUNT_BOUNDS: [f64; 14] =
    [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10_000.0, 100_000.0];
/// Buckets of the services, depth and error-span histograms.
pub(crate) const SMALL_BOUNDS: [f64; 14] =
    [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 15.0, 20.0, 30.0, 50.0, 100.0];
/// Buckets of the user features' histograms.
pub(crate) const FEATURE_BOUNDS: [f64; 15] =
    [0.0, 0.001, 0.01, 0.1, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 1000.0, 10_000.0, 100_000.0, 1_000_000.0];

/// One operation since the start.
pub(crate) struct Totals {
    pub(crate) root: String,
    pub(crate) traces: u64,
    pub(crate) estimated: f64,
    pub(crate) error_traces: f64,
    pub(crate) span_count: Buckets,
    pub(crate) services: Buckets,
    pub(crate) depth: Buckets,
    pub(crate) error_spans: Buckets,
    pub(crate) duration: Buckets,
    pub(crate) critical_path: Buckets,
    pub(crate) features: Vec<(String, Buckets)>,
    /// (service, spans, traces).
    pub(crate) spans_per_service: Vec<(String, u64, u64)>,
}

impl Totals {
    fn new(root: &str) -> Totals {
        Totals {
            root: bounded(root),
            traces: 0,
            estimated: 0.0,
            error_traces: 0.0,
            span_count: Buckets::new(&SPAN_COUNT_BOUNDS),
            services: Buckets::new(&SMALL_BOUNDS),
            depth: Buckets::new(&SMALL_BOUNDS),
            error_spans: Buckets::new(&SMALL_BOUNDS),
            duration: Buckets::new(&LATENCY_BUCKETS),
            critical_path: Buckets::new(&LATENCY_BUCKETS),
            features: Vec::new(),
            spans_per_service: Vec::new(),
        }
    }

    /// The index of feature `name`, added if there is room.
    fn feature(&mut self, name: &str) -> Option<usize> {
        if let Some(i) = self.features.iter().position(|(n, _)| n == name) {
            return Some(i);
        }
        (self.features.len() < MAX_FEATURES_PER_OPERATION).then(|| {
            self.features.push((bounded(name), Buckets::new(&FEATURE_BOUNDS)));
            self.features.len() - 1
        })
    }
}

/// One operation in one minute (or, added up, in the hour).
#[derive(Default)]
pub(crate) struct MinuteOp {
    pub(crate) traces: u64,
    pub(crate) estimated: f64,
    pub(crate) error_traces: f64,
    pub(crate) duration: LogHistogram,
    pub(crate) span_count: Summary,
    pub(crate) services: Summary,
    pub(crate) depth: Summary,
    /// By the index of the feature in the operation's [`Totals`].
    pub(crate) features: Vec<(usize, Summary)>,
}

impl MinuteOp {
    /// Adds `other` (another minute of the same operation).
    pub(crate) fn merge(&mut self, other: &MinuteOp) {
        self.traces += other.traces;
        self.estimated += other.estimated;
        self.error_traces += other.error_traces;
        self.duration.merge(&other.duration);
        self.span_count.merge(&other.span_count);
        self.services.merge(&other.services);
        self.depth.merge(&other.depth);
        for (i, s) in &other.features {
            match self.features.iter_mut().find(|(at, _)| at == i) {
                Some((_, mine)) => mine.merge(s),
                None => self.features.push((*i, *s)),
            }
        }
    }
}

/// One minute: the operations that had traces, and the profile.
#[derive(Default)]
pub(crate) struct MinuteWindow {
    pub(crate) ops: HashMap<usize, MinuteOp, FixedState>,
    /// Critical-path seconds by profile row.
    pub(crate) profile: HashMap<usize, f64, FixedState>,
    pub(crate) profile_overflow: f64,
}

/// Everything, behind one lock.
pub(crate) struct Tables {
    index: HashMap<String, usize, FixedState>,
    pub(crate) ops: Vec<Totals>,
    pub(crate) operations_overflow: u64,
    pub(crate) ring: Ring<MinuteWindow>,
    /// Service -> operation -> profile row: looked up by `&str`, no
    /// allocation for a row that exists.
    profile_index: HashMap<String, HashMap<String, usize, FixedState>, FixedState>,
    /// (service, operation) of each profile row.
    pub(crate) profile_rows: Vec<(String, String)>,
    pub(crate) traces: u64,
    pub(crate) unknown_rate: u64,
    pub(crate) features_refused: u64,
    max_operations: usize,
}

/// The feature analysis: its extractors and its tables.
pub(crate) struct FeatureState {
    /// The resource's service name, for spans with none of their own.
    service: Arc<str>,
    /// Only sampled traces are recorded: each stands for 1/p traces.
    sampled_only: bool,
    extractors: Vec<(Arc<dyn FeatureExtractor>, AtomicBool)>,
    pub(crate) tables: Mutex<Tables>,
}

fn bounded(name: &str) -> String {
    bounded_value(name).0.to_owned()
}

/// A trace as the aggregator takes it.
pub(crate) struct Measured<'a> {
    pub(crate) features: TraceFeatures<'a>,
    /// User features, by name.
    pub(crate) custom: Vec<(String, f64)>,
    /// How many traces it stands for.
    pub(crate) weight: f64,
}

impl FeatureState {
    pub(crate) fn new(service: &str, sampled_only: bool, extractors: Vec<Arc<dyn FeatureExtractor>>) -> FeatureState {
        FeatureState::with_max_operations(service, sampled_only, extractors, MAX_OPERATIONS)
    }

    pub(crate) fn with_max_operations(
        service: &str,
        sampled_only: bool,
        extractors: Vec<Arc<dyn FeatureExtractor>>,
        max_operations: usize,
    ) -> FeatureState {
        let tables = Tables {
            index: HashMap::with_hasher(FixedState::default()),
            ops: Vec::new(),
            operations_overflow: 0,
            ring: Ring::new(),
            profile_index: HashMap::with_hasher(FixedState::default()),
            profile_rows: Vec::new(),
            traces: 0,
            unknown_rate: 0,
            features_refused: 0,
            max_operations,
        };
        FeatureState {
            service: service.into(),
            sampled_only,
            extractors: extractors.into_iter().map(|e| (e, AtomicBool::new(false))).collect(),
            tables: Mutex::new(tables),
        }
    }

    /// The extractors: name, and whether one panicked.
    pub(crate) fn extractors(&self) -> impl Iterator<Item = (&str, bool)> {
        self.extractors.iter().map(|(e, failed)| (e.name(), failed.load(Ordering::Relaxed)))
    }

    /// Runs the user extractors over `trace`; one that panics is switched
    /// off. Returns the features and the values refused.
    fn run_extractors(&self, trace: &AnalysedTrace<'_>) -> (Vec<(String, f64)>, u64) {
        let (mut custom, mut refused) = (Vec::new(), 0);
        for (extractor, failed) in &self.extractors {
            if failed.load(Ordering::Relaxed) {
                continue;
            }
            let mut out = Features::default();
            let run =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| extractor.extract(trace.done, &mut out)));
            if run.is_err() {
                failed.store(true, Ordering::Relaxed);
                continue;
            }
            refused += out.refused();
            custom.extend(out.iter().map(|(n, v)| (n.to_owned(), v)));
        }
        (custom, refused)
    }

    /// Adds one measured trace at `now_ms` (the coarse clock).
    pub(crate) fn add(&self, m: &Measured<'_>, now_ms: u64) {
        let f = &m.features;
        let mut t = self.tables.lock();
        t.traces += 1;
        let t = &mut *t;
        let minute = t.ring.at(minute_of(now_ms));
        add_profile(&mut t.profile_index, &mut t.profile_rows, minute, f, m.weight);
        let root = bounded_value(f.root).0;
        let op = match t.index.get(root) {
            Some(&i) => i,
            None if t.ops.len() < t.max_operations => {
                t.index.insert(root.to_owned(), t.ops.len());
                t.ops.push(Totals::new(root));
                t.ops.len() - 1
            }
            None => {
                t.operations_overflow += 1;
                return;
            }
        };
        let totals = &mut t.ops[op];
        let failed = if f.failed { m.weight } else { 0.0 };
        totals.traces += 1;
        totals.estimated += m.weight;
        totals.error_traces += failed;
        totals.span_count.record(f.span_count as f64);
        totals.services.record(f.services as f64);
        totals.depth.record(f.depth as f64);
        totals.error_spans.record(f.error_spans as f64);
        totals.duration.record(f.duration);
        totals.critical_path.record(f.critical_path);
        for &(service, spans) in &f.spans_per_service {
            let row = match totals.spans_per_service.iter().position(|(s, ..)| s == service) {
                Some(i) => Some(i),
                None if totals.spans_per_service.len() < MAX_SERVICES_PER_OPERATION => {
                    totals.spans_per_service.push((bounded(service), 0, 0));
                    Some(totals.spans_per_service.len() - 1)
                }
                None => None,
            };
            if let Some(i) = row {
                totals.spans_per_service[i].1 += spans;
                totals.spans_per_service[i].2 += 1;
            }
        }
        let w = minute.ops.entry(op).or_default();
        w.traces += 1;
        w.estimated += m.weight;
        w.error_traces += failed;
        w.duration.record(f.duration);
        w.span_count.record(f.span_count as f64);
        w.services.record(f.services as f64);
        w.depth.record(f.depth as f64);
        for (name, value) in &m.custom {
            let Some(i) = totals.feature(name) else {
                t.features_refused += 1;
                continue;
            };
            totals.features[i].1.record(*value);
            match w.features.iter_mut().find(|(at, _)| *at == i) {
                Some((_, s)) => s.record(*value),
                None => {
                    let mut s = Summary::default();
                    s.record(*value);
                    w.features.push((i, s));
                }
            }
        }
    }

    /// How many traces `trace` stands for.
    fn weight(&self, trace: &AnalysedTrace<'_>) -> (f64, bool) {
        if !self.sampled_only {
            return (1.0, true);
        }
        match trace.done.trace.adjusted_count() {
            Some(n) if n.is_finite() && n >= 1.0 => (n, true),
            _ => (1.0, false),
        }
    }
}

/// Adds the trace's critical-path self times to the minute's profile.
fn add_profile(
    index: &mut HashMap<String, HashMap<String, usize, FixedState>, FixedState>,
    rows: &mut Vec<(String, String)>,
    minute: &mut MinuteWindow,
    f: &TraceFeatures<'_>,
    weight: f64,
) {
    for &((service, operation), seconds) in &f.self_times {
        let (service, operation) = (bounded_value(service).0, bounded_value(operation).0);
        let row = match index.get(service).and_then(|ops| ops.get(operation)) {
            Some(&i) => Some(i),
            None if rows.len() < MAX_PROFILE_ROWS => {
                let ops = index.entry(service.to_owned()).or_default();
                ops.insert(operation.to_owned(), rows.len());
                rows.push((service.to_owned(), operation.to_owned()));
                Some(rows.len() - 1)
            }
            None => None,
        };
        match row {
            Some(i) => *minute.profile.entry(i).or_default() += seconds * weight,
            None => minute.profile_overflow += seconds * weight,
        }
    }
}

impl Analysis for FeatureState {
    fn analyse(&self, trace: &AnalysedTrace<'_>) {
        let features = measure(trace, &self.service);
        let (custom, refused) = self.run_extractors(trace);
        let (weight, known) = self.weight(trace);
        self.add(&Measured { features, custom, weight }, crate::clock::coarse_millis());
        let mut t = self.tables.lock();
        t.features_refused += refused;
        t.unknown_rate += u64::from(!known);
    }
}
