//! What the feature aggregator holds, as the application reads it
//! ([`Handle::trace_features`](crate::Handle::trace_features)): per root
//! operation its features since the start and minute by minute over the
//! last hour, and the long-term profile of the critical path.

use super::windows::Summary;

/// The trace features aggregated so far, from
/// [`Handle::trace_features`](crate::Handle::trace_features) (see
/// [the module docs](super#trace-features)).
///
/// ```
/// use std::time::Duration;
/// use lantern::tail::CompletionConfig;
///
/// let quick = CompletionConfig { quiet_period: Duration::from_millis(20), ..Default::default() };
/// let lantern = lantern::builder().insights(true).completion(quick).try_init_local();
/// tracing::info_span!("GET /dispatch").in_scope(|| tracing::info_span!("SQL SELECT").in_scope(|| {}));
/// let deadline = std::time::Instant::now() + Duration::from_secs(10);
/// let stats = loop {
///     let stats = lantern.handle().trace_features().unwrap();
///     if stats.traces > 0 || std::time::Instant::now() > deadline { break stats; }
///     std::thread::sleep(Duration::from_millis(5));
/// };
/// let dispatch = stats.operation("GET /dispatch").unwrap();
/// assert_eq!((dispatch.traces, dispatch.span_count.mean(), dispatch.depth.max), (1, 2.0, 2.0));
/// assert_eq!(dispatch.minutes.len(), 1, "this minute");
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct FeatureStats {
    /// Traces aggregated.
    pub traces: u64,
    /// Per root operation, in the order they were first seen: at most 200.
    pub operations: Vec<OperationFeatures>,
    /// Traces whose root operation found the table full: counted here only.
    pub operations_overflow: u64,
    /// Where the critical paths of the last hour spent their time, per
    /// (service, operation), the most first: at most 500 rows.
    pub profile: Vec<ProfileEntry>,
    /// Critical-path seconds of the last hour spent in (service, operation)
    /// pairs past the profile's cap.
    pub profile_overflow_seconds: f64,
    /// The extractors added with
    /// [`Builder::feature_extractor`](crate::Builder::feature_extractor).
    pub extractors: Vec<ExtractorState>,
    /// Values the extractors emitted that were turned away: not finite,
    /// past [`MAX_FEATURES_PER_TRACE`](super::MAX_FEATURES_PER_TRACE), or
    /// a new feature name past an operation's 8.
    pub features_refused: u64,
    /// Traces whose adjusted count was unknown (a rate-limited sampler,
    /// say) while only sampled traces are recorded: each counted as one.
    pub unknown_rate: u64,
}

impl FeatureStats {
    /// The features of the root operation `root`.
    ///
    /// ```
    /// assert!(lantern::insights::FeatureStats::default().operation("GET /").is_none());
    /// ```
    pub fn operation(&self, root: &str) -> Option<&OperationFeatures> {
        self.operations.iter().find(|o| o.root == root)
    }
}

/// One root operation's features (the name of the trace's entry span: its
/// earliest local root).
///
/// ```
/// let op = lantern::insights::OperationFeatures::default();
/// assert_eq!((op.traces, op.estimated, op.error_ratio()), (0, 0.0, None));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct OperationFeatures {
    /// The root operation, cut to 256 bytes.
    pub root: String,
    /// Its traces aggregated.
    pub traces: u64,
    /// The traces they stand for: each counted by its adjusted count (1/p)
    /// when only sampled traces are recorded, else as one (every trace is
    /// seen then).
    pub estimated: f64,
    /// Of [`OperationFeatures::estimated`], the failed traces: those whose
    /// entry span has an error status. (An error deeper down that was
    /// handled, a retried timeout say, shows in
    /// [`OperationFeatures::error_spans`] only.)
    pub error_traces: f64,
    /// Spans per trace.
    pub span_count: Distribution,
    /// Distinct services per trace.
    pub services: Distribution,
    /// The deepest parent-child chain per trace (a lone span is 1).
    pub depth: Distribution,
    /// Seconds from a trace's first span's start to its last span's end.
    pub duration: Distribution,
    /// Seconds on the critical path: the root's time, accounted for by
    /// the chain of spans that determined it.
    pub critical_path: Distribution,
    /// Spans with an error status per trace.
    pub error_spans: Distribution,
    /// The features user extractors emitted, at most 8 names.
    pub features: Vec<NamedDistribution>,
    /// Spans per service over all its traces, at most 16 services.
    pub spans_per_service: Vec<ServiceSpans>,
    /// The last hour minute by minute, oldest first; minutes without a
    /// trace are left out.
    pub minutes: Vec<Minute>,
    /// The last hour as one window (its `minutes_ago` is 0).
    pub hour: Minute,
}

impl OperationFeatures {
    /// The share of its traces that failed, when it has any.
    ///
    /// ```
    /// assert_eq!(lantern::insights::OperationFeatures::default().error_ratio(), None);
    /// ```
    pub fn error_ratio(&self) -> Option<f64> {
        (self.estimated > 0.0).then(|| self.error_traces / self.estimated)
    }

    /// The distribution of the feature `name`.
    ///
    /// ```
    /// assert!(lantern::insights::OperationFeatures::default().feature("rides").is_none());
    /// ```
    pub fn feature(&self, name: &str) -> Option<&Distribution> {
        self.features.iter().find(|f| f.name == name).map(|f| &f.distribution)
    }
}

/// Count, sum, smallest and largest of a feature's values (all 0 when
/// none).
///
/// ```
/// let d = lantern::insights::Distribution::default();
/// assert_eq!((d.count, d.mean()), (0, 0.0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Distribution {
    /// Values.
    pub count: u64,
    /// Their sum.
    pub sum: f64,
    /// The smallest.
    pub min: f64,
    /// The largest.
    pub max: f64,
}

impl Distribution {
    /// The mean, 0 when empty.
    ///
    /// ```
    /// assert_eq!(lantern::insights::Distribution::default().mean(), 0.0);
    /// ```
    pub fn mean(&self) -> f64 {
        if self.count == 0 { 0.0 } else { self.sum / self.count as f64 }
    }
}

impl From<&Summary> for Distribution {
    fn from(s: &Summary) -> Distribution {
        if s.count == 0 {
            return Distribution::default();
        }
        Distribution { count: s.count, sum: s.sum, min: s.min, max: s.max }
    }
}

/// A feature by name.
///
/// ```
/// let f = lantern::insights::NamedDistribution::default();
/// assert!(f.name.is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct NamedDistribution {
    /// The feature's name, as emitted.
    pub name: String,
    /// Its values.
    pub distribution: Distribution,
}

/// Spans of one service under one root operation.
///
/// ```
/// let s = lantern::insights::ServiceSpans::default();
/// assert_eq!((s.spans, s.traces), (0, 0));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceSpans {
    /// The service.
    pub service: String,
    /// Its spans, over all the operation's traces.
    pub spans: u64,
    /// The traces it had a span in.
    pub traces: u64,
}

/// One minute of one root operation.
///
/// ```
/// let m = lantern::insights::Minute::default();
/// assert_eq!((m.minutes_ago, m.duration_p99), (0, None));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Minute {
    /// How long ago it was: 0 for the minute now.
    pub minutes_ago: u32,
    /// Traces aggregated.
    pub traces: u64,
    /// The traces they stand for (see [`OperationFeatures::estimated`]).
    pub estimated: f64,
    /// Of those, the failed traces (see [`OperationFeatures::error_traces`]).
    pub error_traces: f64,
    /// The median duration in seconds (within about 20%, and never outside
    /// the smallest and largest seen).
    pub duration_p50: Option<f64>,
    /// The 99th percentile of the duration, as the median is.
    pub duration_p99: Option<f64>,
    /// Spans per trace.
    pub span_count: Distribution,
    /// Services per trace.
    pub services: Distribution,
    /// Depth per trace.
    pub depth: Distribution,
    /// The features user extractors emitted.
    pub features: Vec<NamedDistribution>,
}

/// One row of the long-term profile: how much of the critical paths of
/// the last hour a (service, operation) took, as self time.
///
/// ```
/// let e = lantern::insights::ProfileEntry::default();
/// assert_eq!((e.seconds, e.share), (0.0, 0.0));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct ProfileEntry {
    /// The span's service.
    pub service: String,
    /// The span's name.
    pub operation: String,
    /// Self time on the critical path, in seconds, each trace counted by
    /// its weight (see [`OperationFeatures::estimated`]).
    pub seconds: f64,
    /// Its share of all the critical-path time of the hour (0 to 1).
    pub share: f64,
}

/// A user extractor and whether it still runs.
///
/// ```
/// let e = lantern::insights::ExtractorState::default();
/// assert!(!e.failed);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExtractorState {
    /// [`FeatureExtractor::name`](super::FeatureExtractor::name).
    pub name: String,
    /// It panicked and was switched off.
    pub failed: bool,
}
