//! The trace features on `/metrics`, `/debug/metrics` and the OTLP metrics
//! export: per root operation (label `root`), since the start. Names are
//! recorded with dots, as Lantern's own families are (`/metrics` shows
//! `_` for `.`, counters end in `_total`, seconds get `_seconds`).
//!
//! | metric | on `/metrics` | kind | labels |
//! |---|---|---|---|
//! | `lantern.trace.completed` | `lantern_trace_completed_total` | counter: traces aggregated | `root` |
//! | `lantern.trace.estimated` | `lantern_trace_estimated_total` | counter: the traces they stand for (adjusted counts, rounded) | `root` |
//! | `lantern.trace.errors` | `lantern_trace_errors_total` | counter: of those, failed (entry span in error; rounded) | `root` |
//! | `lantern.trace.span_count` | `lantern_trace_span_count` | histogram | `root` |
//! | `lantern.trace.services` | `lantern_trace_services` | histogram | `root` |
//! | `lantern.trace.depth` | `lantern_trace_depth` | histogram | `root` |
//! | `lantern.trace.error_spans` | `lantern_trace_error_spans` | histogram | `root` |
//! | `lantern.trace.duration` | `lantern_trace_duration_seconds` | histogram | `root` |
//! | `lantern.trace.critical_path` | `lantern_trace_critical_path_seconds` | histogram | `root` |
//! | `lantern.trace.feature` | `lantern_trace_feature` | histogram | `root`, `feature` |
//!
//! The histograms count the traces aggregated, one each: their shape is
//! the traces', unbiased as long as the traces of one root are sampled with
//! one probability. Past the store's `max_series_per_metric`, the
//! operations that came later are added up in one series labelled
//! `otel.metric.overflow="true"`; so are, in `lantern.trace.completed`,
//! the traces the aggregator's own cap turned away.

use std::sync::Arc;

use metrics::Unit;

use super::feature_state::{FeatureState, Totals};
use super::windows::Buckets;
use crate::metrics::family::{MetricFamily, MetricKind, MetricSeries, MetricValue, OVERFLOW_LABEL, OwnFamilies};
use crate::metrics::series::{Bucket, HistogramPoint};

/// The features' families, read from the aggregator.
pub(crate) struct FeatureFamilies(pub(crate) Arc<FeatureState>);

type Labels = Vec<(String, String)>;

/// A histogram family: name, where its values are, unit, description.
type HistogramFamily = (&'static str, fn(&Totals) -> &Buckets, Option<Unit>, &'static str);

fn root(t: &Totals) -> Labels {
    vec![("root".to_owned(), t.root.clone())]
}

fn overflow() -> Labels {
    vec![(OVERFLOW_LABEL.to_owned(), "true".to_owned())]
}

impl OwnFamilies for FeatureFamilies {
    fn families(&self, max_series: usize, out: &mut Vec<MetricFamily>) {
        let t = self.0.tables.lock();
        let max = max_series.max(1);
        let counter = |value: u64| MetricValue::Counter { value, exemplar: None };
        let counters = |get: &dyn Fn(&Totals) -> u64, extra: u64| -> Vec<MetricSeries> {
            let (kept, rest) = t.ops.split_at(if t.ops.len() <= max { t.ops.len() } else { max - 1 });
            let mut series: Vec<MetricSeries> =
                kept.iter().map(|o| MetricSeries { labels: root(o), value: counter(get(o)) }).collect();
            if !rest.is_empty() || extra > 0 {
                let total = rest.iter().map(get).sum::<u64>() + extra;
                series.push(MetricSeries { labels: overflow(), value: counter(total) });
            }
            series
        };
        let family = |name: &str, kind, unit, description: &str, series| MetricFamily {
            name: name.to_owned(),
            kind,
            unit,
            description: Some(description.to_owned()),
            series,
        };
        let count = Some(Unit::Count);
        out.push(family(
            "lantern.trace.completed",
            MetricKind::Counter,
            count,
            "Completed traces aggregated, by root operation.",
            counters(&|o| o.traces, t.operations_overflow),
        ));
        out.push(family(
            "lantern.trace.estimated",
            MetricKind::Counter,
            count,
            "The traces the aggregated ones stand for, by their adjusted counts (1/p), by root operation.",
            counters(&|o| o.estimated.round() as u64, 0),
        ));
        out.push(family(
            "lantern.trace.errors",
            MetricKind::Counter,
            count,
            "Of the traces estimated, those whose entry span failed, by root operation.",
            counters(&|o| o.error_traces.round() as u64, 0),
        ));
        let histograms: [HistogramFamily; 6] = [
            ("lantern.trace.span_count", |o| &o.span_count, None, "Spans per completed trace, by root operation."),
            ("lantern.trace.services", |o| &o.services, None, "Services per completed trace, by root operation."),
            ("lantern.trace.depth", |o| &o.depth, None, "The deepest parent-child chain per trace, by root operation."),
            ("lantern.trace.error_spans", |o| &o.error_spans, None, "Error spans per trace, by root operation."),
            ("lantern.trace.duration", |o| &o.duration, Some(Unit::Seconds), "Trace duration, by root operation."),
            (
                "lantern.trace.critical_path",
                |o| &o.critical_path,
                Some(Unit::Seconds),
                "Time on the critical path per trace, by root operation.",
            ),
        ];
        for (name, get, unit, description) in histograms {
            let series = capped(t.ops.iter().map(|o| (root(o), get(o))), max);
            out.push(family(name, MetricKind::Histogram, unit, description, series));
        }
        let features = t.ops.iter().flat_map(|o| {
            o.features.iter().map(move |(name, b)| {
                let mut labels = root(o);
                labels.push(("feature".to_owned(), name.clone()));
                (labels, b)
            })
        });
        out.push(family(
            "lantern.trace.feature",
            MetricKind::Histogram,
            None,
            "Features user extractors emitted per trace, by root operation and feature.",
            capped(features, max),
        ));
    }
}

/// The series, the ones past `max - 1` added up in an overflow series when
/// there are more than `max`.
fn capped<'a>(all: impl Iterator<Item = (Labels, &'a Buckets)>, max: usize) -> Vec<MetricSeries> {
    let mut series = Vec::new();
    let mut rest: Option<Buckets> = None;
    let all: Vec<(Labels, &Buckets)> = all.collect();
    let fits = all.len() <= max;
    for (i, (labels, b)) in all.into_iter().enumerate() {
        if fits || i < max - 1 {
            series.push(MetricSeries { labels, value: histogram(b) });
        } else {
            rest.get_or_insert_with(|| Buckets::new(b.bounds)).merge(b);
        }
    }
    if let Some(b) = rest {
        series.push(MetricSeries { labels: overflow(), value: histogram(&b) });
    }
    series
}

fn histogram(b: &Buckets) -> MetricValue {
    let buckets = b
        .counts
        .iter()
        .enumerate()
        .map(|(i, &count)| Bucket { upper: b.bounds.get(i).copied().unwrap_or(f64::INFINITY), count, exemplar: None })
        .collect();
    let s = &b.summary;
    MetricValue::Histogram(HistogramPoint {
        count: s.count,
        sum: s.sum,
        min: (s.count > 0).then_some(s.min),
        max: (s.count > 0).then_some(s.max),
        buckets,
        quantiles: Vec::new(),
        clamped: 0,
    })
}
