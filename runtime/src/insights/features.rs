//! Feature extractors of your own: a small trait, and the emitter through
//! which an extractor hands its numbers to the aggregator.

use crate::tail::listener::CompletedTrace;

/// Numbers one extractor may emit for one trace, at most: past them,
/// [`Features::set`] and [`Features::add`] do nothing and the emitter
/// counts what it turned away.
pub const MAX_FEATURES_PER_TRACE: usize = 16;

/// Reads a completed trace and emits numbers about it (the book's *feature
/// extractor*, ch. 12): added through
/// [`Builder::feature_extractor`](crate::Builder::feature_extractor), run
/// on the analysis thread for every trace that completes in this process,
/// and aggregated by the trace's root operation like the built-in features
/// (see [the module docs](super#trace-features)).
///
/// Keep it quick and bounded: it runs once per trace, on a thread shared
/// with the other analyses. One that panics is switched off (and shown as
/// such in [`FeatureStats::extractors`](super::FeatureStats::extractors)).
///
/// ```
/// use lantern::insights::{FeatureExtractor, Features};
/// use lantern::tail::CompletedTrace;
///
/// /// The SQL queries a trace made.
/// struct SqlQueries;
///
/// impl FeatureExtractor for SqlQueries {
///     fn name(&self) -> &str {
///         "sql queries"
///     }
///     fn extract(&self, trace: &CompletedTrace, out: &mut Features) {
///         let queries = trace.trace.spans.iter().filter(|s| s.name.starts_with("SQL")).count();
///         out.set("sql.queries", queries as f64);
///     }
/// }
///
/// let lantern = lantern::builder().feature_extractor(SqlQueries).try_init_local();
/// assert_eq!(lantern.handle().trace_features().unwrap().extractors[0].name, "sql queries");
/// ```
pub trait FeatureExtractor: Send + Sync + 'static {
    /// What the extractor is called on the insights page and in
    /// [`FeatureStats::extractors`](super::FeatureStats::extractors).
    fn name(&self) -> &str;

    /// Emits this trace's numbers into `out` (nothing, when the trace does
    /// not concern it).
    fn extract(&self, trace: &CompletedTrace, out: &mut Features);
}

/// The numbers an extractor emits for one trace, by name: at most
/// [`MAX_FEATURES_PER_TRACE`], names cut to 256 bytes; values that are not
/// finite are refused. Both refusals are counted.
///
/// ```
/// let mut out = lantern::insights::Features::default();
/// out.set("rides", 1.0);
/// out.add("rides", 2.0);
/// out.set("bad", f64::NAN);
/// assert_eq!(out.get("rides"), Some(3.0));
/// assert_eq!((out.len(), out.refused()), (1, 1));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Features {
    values: Vec<(String, f64)>,
    refused: u64,
}

impl Features {
    /// Sets the feature `name` of this trace to `value`.
    ///
    /// ```
    /// let mut out = lantern::insights::Features::default();
    /// out.set("drivers", 10.0);
    /// out.set("drivers", 7.0);
    /// assert_eq!(out.get("drivers"), Some(7.0));
    /// ```
    pub fn set(&mut self, name: &str, value: f64) {
        if let Some(slot) = self.slot(name, value) {
            *slot = value;
        }
    }

    /// Adds `value` to the feature `name` of this trace (from 0): a count.
    ///
    /// ```
    /// let mut out = lantern::insights::Features::default();
    /// for _ in 0..3 { out.add("retries", 1.0); }
    /// assert_eq!(out.get("retries"), Some(3.0));
    /// ```
    pub fn add(&mut self, name: &str, value: f64) {
        if let Some(slot) = self.slot(name, value) {
            *slot += value;
        }
    }

    /// The value of `name` emitted so far.
    ///
    /// ```
    /// assert_eq!(lantern::insights::Features::default().get("x"), None);
    /// ```
    pub fn get(&self, name: &str) -> Option<f64> {
        let name = crate::text::cut(name, crate::metrics::labels::MAX_LABEL_VALUE_BYTES);
        self.values.iter().find(|(n, _)| n == name).map(|&(_, v)| v)
    }

    /// How many features were emitted.
    ///
    /// ```
    /// assert_eq!(lantern::insights::Features::default().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether nothing was emitted.
    ///
    /// ```
    /// assert!(lantern::insights::Features::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Values turned away: not finite, or a new name past
    /// [`MAX_FEATURES_PER_TRACE`].
    ///
    /// ```
    /// let mut out = lantern::insights::Features::default();
    /// for i in 0..20 { out.set(&format!("f{i}"), 1.0); }
    /// assert_eq!((out.len(), out.refused()), (16, 4));
    /// ```
    pub fn refused(&self) -> u64 {
        self.refused
    }

    /// The features emitted, in the order they were first emitted.
    ///
    /// ```
    /// let mut out = lantern::insights::Features::default();
    /// out.set("a", 1.0);
    /// assert_eq!(out.iter().collect::<Vec<_>>(), [("a", 1.0)]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.values.iter().map(|(n, v)| (n.as_str(), *v))
    }

    fn slot(&mut self, name: &str, value: f64) -> Option<&mut f64> {
        if !value.is_finite() {
            self.refused += 1;
            return None;
        }
        let name = crate::text::cut(name, crate::metrics::labels::MAX_LABEL_VALUE_BYTES);
        match self.values.iter().position(|(n, _)| n == name) {
            Some(i) => Some(&mut self.values[i].1),
            None if self.values.len() < MAX_FEATURES_PER_TRACE => {
                self.values.push((name.to_owned(), 0.0));
                self.values.last_mut().map(|(_, v)| v)
            }
            None => {
                self.refused += 1;
                None
            }
        }
    }
}
