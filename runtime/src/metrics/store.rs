//! [`Metrics`], the store's handle: snapshots, quantiles and counters over
//! the series registry. Exposition is in `exposition.rs`, the recorder in
//! `recorder.rs`.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use super::config::MetricsConfig;
use super::family::{MetricFamily, MetricKind, MetricSeries, MetricValue, OwnFamilies};
use super::registry::{self, Cell, Registry};

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
    /// ([`crate::Handle::metrics`], [`crate::LanternLayer::metrics`],
    /// [`crate::Guard::metrics`]), so that measurements get context labels
    /// and RED metrics land next to them.
    pub fn new(config: MetricsConfig) -> Metrics {
        Metrics(Arc::new(Registry::new(config)))
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
        let mut families: Vec<MetricFamily> = self
            .0
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
            .collect();
        let mut own = Vec::new();
        if self.0.process_counters.load(Relaxed) {
            own.push(propagation_rejected());
        }
        for source in self.0.own.read().iter() {
            source.families(self.0.config.max_series_per_metric, &mut own);
        }
        for family in own.into_iter().filter(|f| keep(&f.name)) {
            let at = families.partition_point(|f| f.name < family.name);
            families.insert(at, family);
        }
        families
    }

    /// Adds the process-wide counters (`propagation.rejected`) to what this
    /// store shows: done for the store of a Lantern layer.
    pub(crate) fn with_process_counters(self) -> Metrics {
        self.0.process_counters.store(true, Relaxed);
        self
    }

    /// Adds a layer's own families to what this store shows (sampling's
    /// counters, the service graph), after those added before.
    pub(crate) fn add_own_families(&self, source: impl OwnFamilies) {
        self.0.own.write().push(Box::new(source));
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
            label_values_truncated: families.iter().map(|f| f.label_values_truncated.load(Relaxed)).sum(),
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

/// The name of the family of rejected propagation input.
const PROPAGATION_REJECTED: &str = "propagation.rejected";

/// Received trace context and baggage ignored, by reason: the process-wide
/// counts of [`crate::propagation::rejected`], so that a misbehaving peer
/// shows up on `/metrics` and over OTLP.
fn propagation_rejected() -> MetricFamily {
    let r = crate::propagation::rejected();
    let series = [
        ("traceparent_invalid", r.traceparent_invalid),
        ("tracestate_invalid", r.tracestate_invalid),
        ("tracestate_duplicate_dropped", r.tracestate_duplicate_dropped),
        ("tracestate_threshold_invalid", r.tracestate_threshold_invalid),
        ("b3_invalid", r.b3_invalid),
        ("jaeger_invalid", r.jaeger_invalid),
        ("baggage_member_invalid", r.baggage_member_invalid),
        ("baggage_over_limit", r.baggage_over_limit),
    ]
    .into_iter()
    .map(|(reason, value)| MetricSeries {
        labels: vec![("reason".to_owned(), reason.to_owned())],
        value: MetricValue::Counter { value, exemplar: None },
    })
    .collect();
    MetricFamily {
        name: PROPAGATION_REJECTED.to_owned(),
        kind: MetricKind::Counter,
        unit: None,
        description: Some("Received trace context and baggage ignored (process-wide), by reason.".to_owned()),
        series,
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
    /// Measurements whose label values from the context were cut to 256
    /// bytes.
    pub label_values_truncated: u64,
    /// Registrations refused because `max_metrics` names were held.
    pub dropped_metrics: u64,
    /// Registrations refused because the name has another kind.
    pub kind_conflicts: u64,
}
