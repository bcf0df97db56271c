//! What the metrics store is told: label allowlists, cardinality and
//! histogram settings, and which spans produce RED metrics.

use std::collections::HashMap;

use crate::record::SpanKind;

/// Settings of Lantern's metrics: context labels, limits, histograms, RED.
///
/// ```
/// let cfg = lantern::metrics::MetricsConfig {
///     baggage_labels: vec!["customer".into(), "tenant".into()],
///     max_series_per_metric: 500,
///     ..Default::default()
/// };
/// let _lantern = lantern::builder().metrics(cfg).try_init_local();
/// ```
#[derive(Clone, Debug)]
pub struct MetricsConfig {
    /// Baggage keys whose values, taken from the current span's baggage,
    /// become labels of every metric recorded inside it (default none).
    /// A key absent from the baggage gives no label.
    pub baggage_labels: Vec<String>,
    /// Span fields whose values, taken from the current span or its nearest
    /// ancestor that has them, become labels the same way (default none).
    pub span_field_labels: Vec<String>,
    /// Series kept per metric name (default 2000). Past it, records go to one
    /// series labelled `otel.metric.overflow="true"` and are counted.
    pub max_series_per_metric: usize,
    /// Bytes of series kept per metric name (default 2 MiB): the label
    /// names and values of every series, and its cell (a histogram's
    /// hdrhistogram is charged 16 KiB). Past it, new series go to the
    /// overflow series, as past `max_series_per_metric`, and are counted: so
    /// neither the store's memory nor a scrape's size grows with what
    /// clients send. Label values taken from baggage or span fields are also
    /// cut to 256 bytes each (counted in
    /// [`MetricsStats::label_values_truncated`](super::MetricsStats::label_values_truncated)).
    pub max_series_bytes_per_metric: usize,
    /// Bytes of series kept over every metric of the store, counted the same
    /// way (default 32 MiB). Past it, new series of any metric go to their
    /// overflow series.
    pub max_series_bytes: usize,
    /// Metric names kept (default 1000). Records of further names are
    /// dropped and counted.
    pub max_metrics: usize,
    /// Histogram precision, range and export buckets.
    pub histograms: HistogramConfig,
    /// Which spans produce RED metrics.
    pub red: RedConfig,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            baggage_labels: Vec::new(),
            span_field_labels: Vec::new(),
            max_series_per_metric: 2000,
            max_series_bytes_per_metric: 2 << 20,
            max_series_bytes: 32 << 20,
            max_metrics: 1000,
            histograms: HistogramConfig::default(),
            red: RedConfig::default(),
        }
    }
}

/// Histogram settings. Values go into an [`hdrhistogram`] for percentiles
/// and into exact explicit buckets for export.
///
/// hdrhistogram counts integers: a value is stored as `value / resolution`,
/// so the default `resolution` of 1e-6 keeps microseconds of a value in
/// seconds. Its memory grows with the range actually seen, about 18 KiB for
/// six decades at two significant figures.
///
/// ```
/// let mut h = lantern::metrics::HistogramConfig::default();
/// h.buckets_for("payload_bytes", vec![1024.0, 65536.0, 1048576.0]);
/// assert_eq!(h.boundaries("payload_bytes"), &[1024.0, 65536.0, 1048576.0]);
/// assert_eq!(h.boundaries("latency_seconds").len(), 11);
/// ```
#[derive(Clone, Debug)]
pub struct HistogramConfig {
    /// Significant decimal figures kept by hdrhistogram, 1 to 5 (default 2:
    /// percentiles within 1%).
    pub significant_figures: u8,
    /// The smallest difference told apart (default 1e-6).
    pub resolution: f64,
    /// Values above this are clamped to it for percentiles and counted
    /// (default 1e9). Sum, min, max and buckets keep the true value.
    pub max_value: f64,
    /// Export bucket upper bounds for histograms without their own (default
    /// Prometheus's: 0.005 to 10, for seconds).
    pub default_boundaries: Vec<f64>,
    per_metric: HashMap<String, Vec<f64>>,
}

impl Default for HistogramConfig {
    fn default() -> Self {
        HistogramConfig {
            significant_figures: 2,
            resolution: 1e-6,
            max_value: 1e9,
            default_boundaries: vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0],
            per_metric: HashMap::new(),
        }
    }
}

impl HistogramConfig {
    /// Sets the export bucket bounds of the histogram named `name` (as given
    /// to `histogram!`). Bounds are sorted; NaN and duplicates are dropped.
    pub fn buckets_for(&mut self, name: impl Into<String>, boundaries: Vec<f64>) -> &mut Self {
        self.per_metric.insert(name.into(), clean_boundaries(boundaries));
        self
    }

    /// The export bucket bounds of the histogram named `name`.
    pub fn boundaries(&self, name: &str) -> &[f64] {
        self.per_metric.get(name).map_or(&self.default_boundaries, |b| b)
    }
}

pub(crate) fn clean_boundaries(mut b: Vec<f64>) -> Vec<f64> {
    b.retain(|v| v.is_finite());
    b.sort_by(f64::total_cmp);
    b.dedup();
    b
}

/// Which spans produce RED metrics (`span.calls`, `span.errors`,
/// `span.duration`), counted for every span before sampling.
///
/// ```
/// use lantern::record::SpanKind;
/// let red = lantern::metrics::RedConfig { kinds: vec![SpanKind::Server], ..Default::default() };
/// assert!(red.traced_fns);
/// ```
#[derive(Clone, Debug)]
pub struct RedConfig {
    /// Whether RED metrics are produced at all (default true).
    pub enabled: bool,
    /// Span kinds that produce them (default server and consumer).
    pub kinds: Vec<SpanKind>,
    /// Whether `#[traced]` functions produce them too (default true).
    pub traced_fns: bool,
    /// Further span names that produce them, whatever their kind.
    pub span_names: Vec<String>,
}

impl Default for RedConfig {
    fn default() -> Self {
        RedConfig {
            enabled: true,
            kinds: vec![SpanKind::Server, SpanKind::Consumer],
            traced_fns: true,
            span_names: Vec::new(),
        }
    }
}
