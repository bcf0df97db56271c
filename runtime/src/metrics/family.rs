//! What a reader of the metrics store gets: metric families, their series
//! and values, and the kinds of metric.

use super::series::{Exemplar, HistogramPoint};

/// The label every overflow series carries.
pub(crate) const OVERFLOW_LABEL: &str = "otel.metric.overflow";

/// Families that a part of Lantern adds to its layer's store each time the
/// store is read (`/metrics`, the debug pages, the OTLP metrics export):
/// Lantern's own counters, read from where they are kept rather than
/// copied into series.
pub(crate) trait OwnFamilies: Send + Sync + 'static {
    /// Appends the families, each with at most `max_series` series.
    fn families(&self, max_series: usize, out: &mut Vec<MetricFamily>);
}

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
