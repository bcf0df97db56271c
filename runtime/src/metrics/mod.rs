//! # Metrics, labelled from the trace context
//!
//! Lantern is a [`metrics::Recorder`], so `counter!`, `gauge!` and
//! `histogram!` in the application and in its libraries land in Lantern's
//! series store, next to the traces and logs:
//!
//! ```
//! let lantern = lantern::builder()
//!     .metrics(lantern::metrics::MetricsConfig {
//!         baggage_labels: vec!["customer".into()],
//!         ..Default::default()
//!     })
//!     .try_init_local();
//! let recorder = lantern.metrics().recorder();
//! metrics::with_local_recorder(&recorder, || {
//!     tracing::info_span!("request").in_scope(|| {
//!         lantern::context::set_baggage("customer", "acme").unwrap();
//!         tracing::info_span!("db").in_scope(|| metrics::counter!("db.queries").increment(1));
//!     });
//! });
//! assert!(lantern.metrics().prometheus_text().contains(r#"db_queries_total{customer="acme"} 1"#));
//! ```
//!
//! ## Context-aware labels
//!
//! A measurement made inside a span gets, as labels, the values of the
//! baggage keys in [`MetricsConfig::baggage_labels`] (baggage set on the
//! span, inherited from a parent, or extracted from another process's
//! headers) and of the span fields in [`MetricsConfig::span_field_labels`].
//! So "requests per customer" needs no code in the libraries that count
//! requests.
//!
//! ## Bounded
//!
//! Every metric name keeps at most [`MetricsConfig::max_series_per_metric`]
//! series. Past that, measurements go to one series labelled
//! `otel.metric.overflow="true"` and are counted in [`MetricsStats`]. A
//! metric registered again with another kind (a counter named like a
//! histogram) records nothing and is counted too.
//!
//! ## RED metrics and exemplars
//!
//! Server and consumer spans and `#[traced]` functions produce
//! `span.calls`, `span.errors` and `span.duration` (seconds) per span name
//! and kind, counted for every span before sampling. Counters and histogram
//! buckets keep an [`Exemplar`]: the trace and span id of a recent
//! measurement made inside a sampled span, a trace the ring buffer holds.
//! `log.records` counts log records by severity.
//!
//! ## Reading
//!
//! [`Metrics::snapshot`] for code, [`Metrics::prometheus_text`] and
//! [`Metrics::openmetrics_text`] for scrapers (the `/metrics` endpoint of
//! the embedded server picks one from the `Accept` header).

mod config;
mod exposition;
pub(crate) mod recorder;
pub(crate) mod red;
pub(crate) mod registry;
mod series;

pub use config::{HistogramConfig, MetricsConfig, RedConfig};
pub use exposition::{OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE};
pub use recorder::LanternRecorder;
pub use series::{Bucket, Exemplar, HistogramPoint};

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use registry::{Cell, Registry};

/// The label every overflow series carries.
pub(crate) const OVERFLOW_LABEL: &str = "otel.metric.overflow";

/// What a metric is.
///
/// ```
/// assert_ne!(lantern::metrics::MetricKind::Counter, lantern::metrics::MetricKind::Gauge);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MetricKind {
    /// A monotonic count.
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// A distribution.
    Histogram,
}

/// Lantern's metrics store: a cheap handle, shared by the recorder, the
/// layer (for RED metrics and log counts) and the readers.
///
/// ```
/// let metrics = lantern::metrics::Metrics::new(Default::default());
/// metrics::with_local_recorder(&metrics.recorder(), || metrics::gauge!("queue.depth").set(3.0));
/// assert!(metrics.prometheus_text().contains("queue_depth 3"));
/// ```
#[derive(Clone)]
pub struct Metrics(pub(crate) Arc<Registry>);

impl Metrics {
    /// A store of its own. Usually you take the one of the layer instead
    /// ([`crate::LanternLayer::metrics`], [`crate::Guard::metrics`]), so that
    /// measurements get context labels and RED metrics land next to them.
    pub fn new(config: MetricsConfig) -> Metrics {
        Metrics(Arc::new(Registry::new(config)))
    }

    /// A recorder writing into this store.
    ///
    /// ```
    /// let recorder = lantern::metrics::Metrics::new(Default::default()).recorder();
    /// # drop(recorder);
    /// ```
    pub fn recorder(&self) -> LanternRecorder {
        LanternRecorder { metrics: self.clone() }
    }

    /// The settings this store was made with.
    pub fn config(&self) -> &MetricsConfig {
        &self.0.config
    }

    /// Every metric and its series now, sorted by name.
    ///
    /// ```
    /// let metrics = lantern::metrics::Metrics::new(Default::default());
    /// metrics::with_local_recorder(&metrics.recorder(), || metrics::counter!("hits").increment(1));
    /// let families = metrics.snapshot();
    /// assert_eq!(families[0].name, "hits");
    /// assert!(matches!(families[0].series[0].value, lantern::metrics::MetricValue::Counter { value: 1, .. }));
    /// ```
    pub fn snapshot(&self) -> Vec<MetricFamily> {
        self.snapshot_where(|_| true)
    }

    /// Like [`Metrics::snapshot`], for the metrics whose name `keep` accepts:
    /// the others' series are not read at all.
    pub(crate) fn snapshot_where(&self, keep: impl Fn(&str) -> bool) -> Vec<MetricFamily> {
        let descriptions = self.0.descriptions.read().clone();
        self.0
            .families()
            .into_iter()
            .filter(|f| keep(&f.name))
            .map(|f| {
                let (unit, description) =
                    descriptions.get(&f.name).cloned().map_or((None, None), |(u, d)| (u, Some(d)));
                let mut series: Vec<MetricSeries> = f.series.read().iter().map(|s| point(s)).collect();
                series.extend(f.overflow_series().map(|s| point(s)));
                MetricFamily { name: f.name.clone(), kind: f.kind, unit, description, series }
            })
            .collect()
    }

    /// The value at quantile `q` of the histogram `name` with exactly these
    /// labels, within the configured precision.
    ///
    /// ```
    /// let metrics = lantern::metrics::Metrics::new(Default::default());
    /// metrics::with_local_recorder(&metrics.recorder(), || {
    ///     for ms in 1..=100 { metrics::histogram!("latency").record(ms as f64 / 1000.0); }
    /// });
    /// let p99 = metrics.quantile("latency", &[], 0.99).unwrap();
    /// assert!((p99 - 0.099).abs() < 0.002);
    /// ```
    pub fn quantile(&self, name: &str, labels: &[(&str, &str)], q: f64) -> Option<f64> {
        let family = self.0.families().into_iter().find(|f| f.name == name)?;
        let series = family.series.read();
        let s = series.iter().find(|s| {
            s.labels.len() == labels.len() && labels.iter().all(|(k, v)| s.labels.iter().any(|(a, b)| a == k && b == v))
        })?;
        match &s.cell {
            Cell::Histogram(h) => h.quantile(q),
            _ => None,
        }
    }

    /// Counters of what the store refused or redirected.
    ///
    /// ```
    /// let stats = lantern::metrics::Metrics::new(Default::default()).stats();
    /// assert_eq!(stats.overflowed, 0);
    /// ```
    pub fn stats(&self) -> MetricsStats {
        let families = self.0.families();
        MetricsStats {
            metrics: families.len(),
            series: families.iter().map(|f| f.series.read().len()).sum(),
            overflowed: families.iter().map(|f| f.overflowed.load(Relaxed)).sum(),
            dropped_metrics: self.0.dropped_metrics.load(Relaxed),
            kind_conflicts: self.0.kind_conflicts.load(Relaxed),
        }
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").field("stats", &self.stats()).finish()
    }
}

fn point(s: &registry::Series) -> MetricSeries {
    let value = match &s.cell {
        Cell::Counter(c) => {
            let (value, exemplar) = c.get();
            MetricValue::Counter { value, exemplar }
        }
        Cell::Gauge(g) => MetricValue::Gauge(g.get()),
        Cell::Histogram(h) => MetricValue::Histogram(h.point()),
    };
    MetricSeries { labels: s.labels.clone(), value }
}

/// One metric name and all its series.
///
/// ```
/// # use lantern::metrics::MetricFamily;
/// fn series_count(f: &MetricFamily) -> usize { f.series.len() }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct MetricFamily {
    /// The name as recorded (`http.requests`), before any exposition rules.
    pub name: String,
    /// What it is.
    pub kind: MetricKind,
    /// The unit given with `describe_*!`, if any.
    pub unit: Option<metrics::Unit>,
    /// The description given with `describe_*!`, if any.
    pub description: Option<String>,
    /// Its series.
    pub series: Vec<MetricSeries>,
}

/// One series: its labels and its value now.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricSeries {
    /// Static labels first, then context labels.
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: MetricValue,
}

/// The value of one series.
#[derive(Clone, Debug, PartialEq)]
pub enum MetricValue {
    /// A monotonic count, with its latest exemplar.
    Counter {
        /// The count.
        value: u64,
        /// A recent increment made inside a sampled span.
        exemplar: Option<Exemplar>,
    },
    /// The last value set.
    Gauge(f64),
    /// A distribution.
    Histogram(HistogramPoint),
}

/// What the metrics store refused or redirected, since it was made.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetricsStats {
    /// Metric names held.
    pub metrics: usize,
    /// Series held, overflow series not included.
    pub series: usize,
    /// Measurements that went to an overflow series.
    pub overflowed: u64,
    /// Registrations refused because `max_metrics` names were held.
    pub dropped_metrics: u64,
    /// Registrations refused because the name has another kind.
    pub kind_conflicts: u64,
}
