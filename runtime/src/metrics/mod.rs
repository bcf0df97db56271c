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
pub(crate) mod family;
pub(crate) mod labels;
pub(crate) mod log_counts;
pub(crate) mod recorder;
pub(crate) mod red;
pub(crate) mod registry;
pub(crate) mod series;
mod store;

pub use config::{HistogramConfig, MetricsConfig, RedConfig};
pub use exposition::{OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE};
pub use family::{MetricFamily, MetricKind, MetricSeries, MetricValue};
pub use recorder::LanternRecorder;
pub use series::{Bucket, Exemplar, HistogramPoint};
pub use store::{Metrics, MetricsStats};
