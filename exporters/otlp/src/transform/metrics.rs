//! Metric families to OTLP metrics: counters as monotonic sums, gauges,
//! explicit-bucket histograms, with UCUM units, label attributes and
//! exemplars, cumulative or delta.

use std::time::SystemTime;

use lantern::export::Resource;
use lantern::metrics::{Exemplar, HistogramPoint, MetricFamily, MetricKind, MetricSeries, MetricValue};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{
    AggregationTemporality, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics,
    ScopeMetrics, Sum, exemplar, metric, number_data_point,
};

use super::Temporality;
use super::common;
use super::delta::DeltaState;

/// The instrumentation scope of every metric.
pub(crate) const SCOPE_NAME: &str = "lantern";

/// The label Lantern puts on overflow series; OTLP wants it as a boolean.
const OVERFLOW_LABEL: &str = "otel.metric.overflow";

/// The time window of one export.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window {
    /// Cumulative or delta.
    pub(crate) temporality: Temporality,
    /// Start of the window: when the encoder was made (cumulative) or the
    /// previous export (delta).
    pub(crate) start: SystemTime,
    /// Now.
    pub(crate) now: SystemTime,
}

impl Window {
    fn start_nanos(&self) -> u64 {
        common::unix_nanos(self.start.min(self.now))
    }

    fn now_nanos(&self) -> u64 {
        common::unix_nanos(self.now)
    }

    fn temporality(&self) -> i32 {
        match self.temporality {
            Temporality::Cumulative => AggregationTemporality::Cumulative as i32,
            Temporality::Delta => AggregationTemporality::Delta as i32,
        }
    }

    /// Whether to send an exemplar: in delta mode, only one from this window,
    /// unless the series is new or was reset.
    fn keeps(&self, e: &Exemplar, fresh: bool) -> bool {
        self.temporality == Temporality::Cumulative || fresh || e.time >= self.start
    }
}

/// The label that puts a series under a hosted service's resource (RED
/// metrics of a server layer's `service_name`), as spans and logs are.
const SERVICE_LABEL: &str = "service.name";

/// One `ResourceMetrics` per service, as for spans and logs: series
/// labelled `service.name` go under that service's resource (without the
/// label), the others under the process's; one `ScopeMetrics` named
/// "lantern" in each. `state` is used (and advanced) in delta mode only.
pub(crate) fn metrics_request(
    resource: &Resource,
    families: &[MetricFamily],
    window: Window,
    state: &mut DeltaState,
) -> ExportMetricsServiceRequest {
    let mut by_service: Vec<(&str, Vec<Metric>)> = Vec::new();
    for family in families {
        for (service, part) in by_service_label(family) {
            let metric = metric(&part, window, state);
            match by_service.iter_mut().find(|(s, _)| *s == service) {
                Some((_, metrics)) => metrics.push(metric),
                None => by_service.push((service, vec![metric])),
            }
        }
    }
    if window.temporality == Temporality::Delta {
        state.finish();
    }
    by_service.sort_by_key(|(service, _)| *service);
    let resource_metrics = by_service
        .into_iter()
        .map(|(service, metrics)| ResourceMetrics {
            resource: Some(common::service_resource(resource, service)),
            scope_metrics: vec![ScopeMetrics { scope: Some(common::scope(SCOPE_NAME)), metrics, ..Default::default() }],
            ..Default::default()
        })
        .collect();
    ExportMetricsServiceRequest { resource_metrics }
}

/// The `service.name` label of a series, "" for none.
fn service_of(series: &MetricSeries) -> &str {
    series.labels.iter().find(|(k, _)| k == SERVICE_LABEL).map_or("", |(_, v)| v.as_str())
}

/// `family` split by the `service.name` label of its series ("" for none),
/// in order of first appearance. The common case, no such label, borrows.
fn by_service_label(family: &MetricFamily) -> Vec<(&str, std::borrow::Cow<'_, MetricFamily>)> {
    if family.series.iter().all(|s| service_of(s).is_empty()) {
        return vec![("", std::borrow::Cow::Borrowed(family))];
    }
    let mut parts: Vec<(&str, MetricFamily)> = Vec::new();
    for series in &family.series {
        let service = service_of(series);
        match parts.iter_mut().find(|(s, _)| *s == service) {
            Some((_, part)) => part.series.push(series.clone()),
            None => {
                let mut part = family.clone();
                part.series = vec![series.clone()];
                parts.push((service, part));
            }
        }
    }
    parts.into_iter().map(|(s, f)| (s, std::borrow::Cow::Owned(f))).collect()
}

/// One family: name as recorded, description, UCUM unit and its points.
fn metric(family: &MetricFamily, window: Window, state: &mut DeltaState) -> Metric {
    let data = match family.kind {
        MetricKind::Counter => metric::Data::Sum(Sum {
            data_points: family.series.iter().filter_map(|s| counter_point(&family.name, s, window, state)).collect(),
            aggregation_temporality: window.temporality(),
            is_monotonic: true,
        }),
        MetricKind::Gauge => metric::Data::Gauge(Gauge {
            data_points: family.series.iter().filter_map(|s| gauge_point(s, window)).collect(),
        }),
        MetricKind::Histogram => metric::Data::Histogram(Histogram {
            data_points: family.series.iter().filter_map(|s| histogram_point(&family.name, s, window, state)).collect(),
            aggregation_temporality: window.temporality(),
        }),
    };
    Metric {
        name: family.name.clone(),
        description: family.description.clone().unwrap_or_default(),
        unit: family.unit.map(ucum).unwrap_or_default().to_owned(),
        data: Some(data),
        ..Default::default()
    }
}

/// The UCUM code of a `metrics` unit.
pub(crate) fn ucum(unit: metrics::Unit) -> &'static str {
    use metrics::Unit;
    match unit {
        Unit::Count => "1",
        Unit::Percent => "%",
        Unit::Seconds => "s",
        Unit::Milliseconds => "ms",
        Unit::Microseconds => "us",
        Unit::Nanoseconds => "ns",
        Unit::Tebibytes => "TiBy",
        Unit::Gibibytes => "GiBy",
        Unit::Mebibytes => "MiBy",
        Unit::Kibibytes => "KiBy",
        Unit::Bytes => "By",
        Unit::TerabitsPerSecond => "Tbit/s",
        Unit::GigabitsPerSecond => "Gbit/s",
        Unit::MegabitsPerSecond => "Mbit/s",
        Unit::KilobitsPerSecond => "kbit/s",
        Unit::BitsPerSecond => "bit/s",
        Unit::CountPerSecond => "1/s",
    }
}

/// Series labels as string attributes (the overflow label as a boolean);
/// `service.name` is the resource's, not the point's.
fn labels(labels: &[(String, String)]) -> Vec<KeyValue> {
    labels
        .iter()
        .filter(|(k, _)| k != SERVICE_LABEL)
        .map(|(k, v)| {
            if k == OVERFLOW_LABEL && v == "true" {
                KeyValue {
                    key: k.clone(),
                    value: Some(AnyValue { value: Some(any_value::Value::BoolValue(true)) }),
                    ..Default::default()
                }
            } else {
                common::string_key_value(k.as_str(), v.as_str())
            }
        })
        .collect()
}

fn exemplar(e: &Exemplar) -> opentelemetry_proto::tonic::metrics::v1::Exemplar {
    opentelemetry_proto::tonic::metrics::v1::Exemplar {
        filtered_attributes: Vec::new(),
        time_unix_nano: common::unix_nanos(e.time),
        span_id: common::span_id_bytes(e.span_id),
        trace_id: common::trace_id_bytes(e.trace_id),
        value: Some(exemplar::Value::AsDouble(e.value)),
    }
}

fn counter_point(name: &str, series: &MetricSeries, window: Window, state: &mut DeltaState) -> Option<NumberDataPoint> {
    let MetricValue::Counter { value, exemplar: ex } = &series.value else { return None };
    let (value, fresh) = match window.temporality {
        Temporality::Cumulative => (*value, true),
        Temporality::Delta => {
            let d = state.counter(name, &series.labels, *value);
            (d.value, d.fresh)
        }
    };
    Some(NumberDataPoint {
        attributes: labels(&series.labels),
        start_time_unix_nano: window.start_nanos(),
        time_unix_nano: window.now_nanos(),
        exemplars: ex.iter().filter(|e| window.keeps(e, fresh)).map(exemplar).collect(),
        flags: 0,
        value: Some(number_data_point::Value::AsInt(i64::try_from(value).unwrap_or(i64::MAX))),
    })
}

/// A gauge point: always the current value; no start time (OTLP ignores it
/// for gauges).
fn gauge_point(series: &MetricSeries, window: Window) -> Option<NumberDataPoint> {
    let MetricValue::Gauge(value) = &series.value else { return None };
    Some(NumberDataPoint {
        attributes: labels(&series.labels),
        start_time_unix_nano: 0,
        time_unix_nano: window.now_nanos(),
        exemplars: Vec::new(),
        flags: 0,
        value: Some(number_data_point::Value::AsDouble(*value)),
    })
}

fn histogram_point(
    name: &str,
    series: &MetricSeries,
    window: Window,
    state: &mut DeltaState,
) -> Option<HistogramDataPoint> {
    let MetricValue::Histogram(point) = &series.value else { return None };
    let (count, sum, bucket_counts, min, max, fresh) = match window.temporality {
        Temporality::Cumulative => {
            (point.count, point.sum, point.buckets.iter().map(|b| b.count).collect(), point.min, point.max, true)
        }
        Temporality::Delta => {
            // Lantern keeps lifetime min and max only: they do not describe a window.
            let d = state.histogram(name, &series.labels, point);
            (d.count, d.sum, d.buckets, None, None, d.fresh)
        }
    };
    Some(HistogramDataPoint {
        attributes: labels(&series.labels),
        start_time_unix_nano: window.start_nanos(),
        time_unix_nano: window.now_nanos(),
        count,
        sum: Some(sum),
        bucket_counts,
        explicit_bounds: explicit_bounds(point),
        exemplars: point
            .buckets
            .iter()
            .filter_map(|b| b.exemplar.as_ref())
            .filter(|e| window.keeps(e, fresh))
            .map(exemplar)
            .collect(),
        flags: 0,
        min,
        max,
    })
}

/// Every bucket's upper bound but the last (the +Inf bucket).
fn explicit_bounds(point: &HistogramPoint) -> Vec<f64> {
    let n = point.buckets.len().saturating_sub(1);
    point.buckets[..n].iter().map(|b| b.upper).collect()
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
