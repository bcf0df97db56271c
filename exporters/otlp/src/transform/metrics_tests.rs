//! Tests of the metric mapping, through `MetricsEncoder` and real snapshots.

use std::time::{Duration, UNIX_EPOCH};

use lantern::metrics::{Bucket, Metrics, MetricsConfig};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_proto::tonic::metrics::v1::{HistogramDataPoint, NumberDataPoint};
use prost::Message;

use super::super::MetricsEncoder;
use super::*;

fn store() -> Metrics {
    let mut config = MetricsConfig::default();
    config.histograms.buckets_for("h", vec![1.0, 2.0, 5.0]);
    Metrics::new(config)
}

fn find<'a>(req: &'a ExportMetricsServiceRequest, name: &str) -> &'a Metric {
    req.resource_metrics[0].scope_metrics[0].metrics.iter().find(|m| m.name == name).unwrap()
}

fn sum(m: &Metric) -> &Sum {
    match m.data.as_ref().unwrap() {
        metric::Data::Sum(s) => s,
        other => panic!("not a sum: {other:?}"),
    }
}

fn histogram(m: &Metric) -> &HistogramDataPoint {
    match m.data.as_ref().unwrap() {
        metric::Data::Histogram(h) => &h.data_points[0],
        other => panic!("not a histogram: {other:?}"),
    }
}

fn as_int(p: &NumberDataPoint) -> i64 {
    match p.value {
        Some(number_data_point::Value::AsInt(v)) => v,
        other => panic!("not an int: {other:?}"),
    }
}

fn label<'a>(p: &'a NumberDataPoint, key: &str) -> Option<&'a any_value::Value> {
    p.attributes.iter().find(|kv| kv.key == key).and_then(|kv| kv.value.as_ref()?.value.as_ref())
}

fn record(m: &Metrics, f: impl FnOnce()) {
    metrics::with_local_recorder(&m.recorder(), f);
}

#[test]
fn cumulative_counters_gauges_and_histograms() {
    let m = store();
    let mut encoder = MetricsEncoder::new(Temporality::Cumulative);
    let created = common::unix_nanos(encoder.created);
    record(&m, || {
        metrics::describe_counter!("http.requests", metrics::Unit::Count, "Requests served");
        metrics::describe_histogram!("h", metrics::Unit::Seconds, "Latency");
        metrics::counter!("http.requests", "route" => "/a").increment(3);
        metrics::counter!("http.requests", "route" => "/b").increment(1);
        metrics::gauge!("queue.depth").set(2.5);
        for v in [0.5, 1.5, 1.7, 3.0, 9.0] {
            metrics::histogram!("h").record(v);
        }
    });
    let resource = lantern::export::Resource::default();
    let req = encoder.encode(&resource, &m.snapshot());
    assert_eq!(req.resource_metrics.len(), 1);
    let rm = &req.resource_metrics[0];
    assert!(rm.resource.as_ref().unwrap().attributes.iter().any(|kv| kv.key == "service.name"));
    assert_eq!(rm.scope_metrics.len(), 1);
    assert_eq!(rm.scope_metrics[0].scope.as_ref().unwrap().name, "lantern");

    let requests = find(&req, "http.requests");
    assert_eq!((requests.unit.as_str(), requests.description.as_str()), ("1", "Requests served"));
    let s = sum(requests);
    assert!(s.is_monotonic);
    assert_eq!(s.aggregation_temporality, AggregationTemporality::Cumulative as i32);
    assert_eq!(s.data_points.len(), 2);
    let a = s
        .data_points
        .iter()
        .find(|p| label(p, "route").is_some_and(|v| *v == any_value::Value::StringValue("/a".into())));
    let a = a.unwrap();
    assert_eq!(as_int(a), 3);
    assert_eq!(a.start_time_unix_nano, created);
    assert!(a.time_unix_nano >= created);

    let depth = find(&req, "queue.depth");
    assert_eq!(depth.unit, "");
    match depth.data.as_ref().unwrap() {
        metric::Data::Gauge(g) => assert_eq!(g.data_points[0].value, Some(number_data_point::Value::AsDouble(2.5))),
        other => panic!("not a gauge: {other:?}"),
    }

    let h = find(&req, "h");
    assert_eq!(h.unit, "s");
    match h.data.as_ref().unwrap() {
        metric::Data::Histogram(h) => assert_eq!(h.aggregation_temporality, AggregationTemporality::Cumulative as i32),
        _ => unreachable!(),
    }
    let p = histogram(h);
    assert_eq!(p.explicit_bounds, [1.0, 2.0, 5.0]);
    assert_eq!(p.bucket_counts, [1, 2, 1, 1]);
    assert_eq!(p.count, 5);
    assert_eq!(p.sum, Some(15.7));
    assert_eq!((p.min, p.max), (Some(0.5), Some(9.0)));
    assert_eq!(p.start_time_unix_nano, created);

    // Cumulative: the second export repeats totals, same start.
    record(&m, || metrics::counter!("http.requests", "route" => "/a").increment(2));
    let again = encoder.encode(&resource, &m.snapshot());
    let s = sum(find(&again, "http.requests"));
    assert_eq!(s.data_points.iter().map(as_int).sum::<i64>(), 6);
    assert_eq!(s.data_points[0].start_time_unix_nano, created);

    assert!(req.encoded_len() > 0);
    let decoded = ExportMetricsServiceRequest::decode(req.encode_to_vec().as_slice()).unwrap();
    assert_eq!(decoded, req);
}

#[test]
fn delta_sends_differences_and_forgets_old_series() {
    let m = store();
    let mut encoder = MetricsEncoder::new(Temporality::Delta);
    let resource = lantern::export::Resource::default();
    record(&m, || {
        metrics::counter!("c").increment(5);
        metrics::gauge!("g").set(1.0);
        metrics::histogram!("h").record(0.5);
        metrics::histogram!("h").record(3.0);
    });
    let first = encoder.encode(&resource, &m.snapshot());
    let c = sum(find(&first, "c"));
    assert_eq!(c.aggregation_temporality, AggregationTemporality::Delta as i32);
    assert_eq!(as_int(&c.data_points[0]), 5);
    assert_eq!(c.data_points[0].start_time_unix_nano, common::unix_nanos(encoder.created));
    let first_time = c.data_points[0].time_unix_nano;
    let h = histogram(find(&first, "h"));
    assert_eq!((h.count, h.sum, h.bucket_counts.as_slice()), (2, Some(3.5), &[1, 0, 1, 0][..]));
    assert_eq!((h.min, h.max), (None, None));

    std::thread::sleep(Duration::from_millis(2));
    record(&m, || {
        metrics::counter!("c").increment(2);
        metrics::gauge!("g").set(4.0);
        metrics::histogram!("h").record(1.5);
        metrics::histogram!("h").record(10.0);
        metrics::histogram!("h").record(10.0);
    });
    let second = encoder.encode(&resource, &m.snapshot());
    let c = sum(find(&second, "c"));
    assert_eq!(as_int(&c.data_points[0]), 2);
    assert_eq!(c.data_points[0].start_time_unix_nano, first_time, "starts at the previous export");
    assert!(c.data_points[0].time_unix_nano > first_time);
    match find(&second, "g").data.as_ref().unwrap() {
        metric::Data::Gauge(g) => assert_eq!(g.data_points[0].value, Some(number_data_point::Value::AsDouble(4.0))),
        _ => unreachable!(),
    }
    let h = histogram(find(&second, "h"));
    assert_eq!((h.count, h.sum, h.bucket_counts.as_slice()), (3, Some(21.5), &[0, 1, 0, 2][..]));
    assert_eq!(h.explicit_bounds, [1.0, 2.0, 5.0]);

    // Nothing new: zero changes.
    let third = encoder.encode(&resource, &m.snapshot());
    assert_eq!(as_int(&sum(find(&third, "c")).data_points[0]), 0);
    assert_eq!(histogram(find(&third, "h")).bucket_counts, [0, 0, 0, 0]);
    assert_eq!(encoder.state.len(), 2);

    // A snapshot without the series: state is dropped; when it comes back it
    // is sent whole.
    let fourth = encoder.encode(&resource, &[]);
    assert!(fourth.resource_metrics.is_empty());
    assert_eq!(encoder.state.len(), 0);
    let fifth = encoder.encode(&resource, &m.snapshot());
    assert_eq!(as_int(&sum(find(&fifth, "c")).data_points[0]), 7);
}

#[test]
fn exemplars_carry_trace_and_span() {
    let guard = lantern::builder().service_name("svc").try_init_local();
    let mut encoder = MetricsEncoder::new(Temporality::Cumulative);
    let metrics = guard.metrics().clone();
    record(&metrics, || {
        tracing::info_span!("work").in_scope(|| {
            metrics::counter!("jobs").increment(2);
            metrics::histogram!("took").record(0.3);
        });
    });
    let snap = guard.buffer().snapshot();
    let trace = snap.traces(&Default::default())[0].trace_id;
    let work = snap.trace(trace).unwrap().spans[0].span_id;
    drop(snap);

    let req = encoder.encode(guard.handle().resource(), &metrics.snapshot());
    let ex = &sum(find(&req, "jobs")).data_points[0].exemplars;
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0].trace_id, trace.to_bytes());
    assert_eq!(ex[0].span_id, work.to_bytes());
    assert_eq!(ex[0].value, Some(exemplar::Value::AsDouble(2.0)));
    assert!(ex[0].time_unix_nano > 0);
    let ex = &histogram(find(&req, "took")).exemplars;
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0].trace_id, trace.to_bytes());
    assert_eq!(ex[0].value, Some(exemplar::Value::AsDouble(0.3)));

    // Delta: an exemplar older than the window is not repeated.
    let mut delta = MetricsEncoder::new(Temporality::Delta);
    let first = delta.encode(guard.handle().resource(), &metrics.snapshot());
    assert_eq!(sum(find(&first, "jobs")).data_points[0].exemplars.len(), 1, "new series: sent whole");
    let second = delta.encode(guard.handle().resource(), &metrics.snapshot());
    assert!(sum(find(&second, "jobs")).data_points[0].exemplars.is_empty());
    assert!(histogram(find(&second, "took")).exemplars.is_empty());
}

#[test]
fn units_overflow_and_saturation() {
    use metrics::Unit;
    let expected = [
        (Unit::Seconds, "s"),
        (Unit::Milliseconds, "ms"),
        (Unit::Microseconds, "us"),
        (Unit::Nanoseconds, "ns"),
        (Unit::Bytes, "By"),
        (Unit::Kibibytes, "KiBy"),
        (Unit::Mebibytes, "MiBy"),
        (Unit::Gibibytes, "GiBy"),
        (Unit::Tebibytes, "TiBy"),
        (Unit::Percent, "%"),
        (Unit::Count, "1"),
        (Unit::BitsPerSecond, "bit/s"),
        (Unit::KilobitsPerSecond, "kbit/s"),
        (Unit::MegabitsPerSecond, "Mbit/s"),
        (Unit::GigabitsPerSecond, "Gbit/s"),
        (Unit::TerabitsPerSecond, "Tbit/s"),
        (Unit::CountPerSecond, "1/s"),
    ];
    for (unit, code) in expected {
        assert_eq!(ucum(unit), code);
    }

    let family = MetricFamily {
        name: "big".into(),
        kind: MetricKind::Counter,
        unit: Some(Unit::Bytes),
        description: None,
        series: vec![MetricSeries {
            labels: vec![("otel.metric.overflow".into(), "true".into())],
            value: MetricValue::Counter { value: u64::MAX, exemplar: None },
        }],
    };
    let mut encoder = MetricsEncoder::new(Temporality::Cumulative);
    let req = encoder.encode(&lantern::export::Resource::default(), &[family]);
    let m = find(&req, "big");
    assert_eq!((m.unit.as_str(), m.description.as_str()), ("By", ""));
    let p = &sum(m).data_points[0];
    assert_eq!(as_int(p), i64::MAX);
    assert_eq!(label(p, "otel.metric.overflow"), Some(&any_value::Value::BoolValue(true)));
}

#[test]
fn empty_histogram_and_old_exemplars() {
    let stale = Exemplar {
        trace_id: lantern::TraceId::from_u128(1).unwrap(),
        span_id: lantern::SpanId::from_u64(2).unwrap(),
        value: 1.0,
        time: UNIX_EPOCH + Duration::from_secs(1),
    };
    let point = HistogramPoint {
        count: 0,
        sum: 0.0,
        min: None,
        max: None,
        buckets: vec![Bucket { upper: f64::INFINITY, count: 0, exemplar: Some(stale) }],
        quantiles: Vec::new(),
        clamped: 0,
    };
    let family = MetricFamily {
        name: "h".into(),
        kind: MetricKind::Histogram,
        unit: None,
        description: Some("d".into()),
        series: vec![MetricSeries { labels: Vec::new(), value: MetricValue::Histogram(point) }],
    };
    let mut encoder = MetricsEncoder::new(Temporality::Cumulative);
    let req = encoder.encode(&lantern::export::Resource::default(), std::slice::from_ref(&family));
    let p = histogram(find(&req, "h"));
    assert!(p.explicit_bounds.is_empty());
    assert_eq!(p.bucket_counts, [0]);
    assert_eq!((p.min, p.max), (None, None));
    assert_eq!(p.exemplars[0].time_unix_nano, 1_000_000_000);
    assert_eq!(p.exemplars[0].span_id, [0, 0, 0, 0, 0, 0, 0, 2]);
}

#[test]
fn series_of_a_hosted_service_go_under_its_resource() {
    // RED metrics of a server layer with `service_name("customer")` carry
    // the label; spans and logs of that service go under its resource, and
    // so do its metrics.
    let guard = lantern::builder()
        .service_name("frontend")
        .metrics(MetricsConfig { red: Default::default(), ..Default::default() })
        .try_init_local();
    tracing::info_span!("GET /customer", otel.kind = "server", service.name = "customer").in_scope(|| {});
    tracing::info_span!("GET /dispatch", otel.kind = "server").in_scope(|| {});
    let mut encoder = MetricsEncoder::new(Temporality::Cumulative);
    let req = encoder.encode(guard.handle().resource(), &guard.metrics().snapshot());
    let service = |rm: &ResourceMetrics| {
        let attrs = &rm.resource.as_ref().unwrap().attributes;
        let kv = attrs.iter().find(|kv| kv.key == "service.name").unwrap();
        match kv.value.as_ref().unwrap().value.as_ref().unwrap() {
            any_value::Value::StringValue(s) => s.clone(),
            other => panic!("{other:?}"),
        }
    };
    let services: Vec<String> = req.resource_metrics.iter().map(service).collect();
    assert_eq!(services, ["frontend", "customer"], "the process's resource first, then each hosted service");
    for rm in &req.resource_metrics {
        let calls = rm.scope_metrics[0].metrics.iter().find(|m| m.name == "span.calls").unwrap();
        for point in &sum(calls).data_points {
            assert!(point.attributes.iter().all(|kv| kv.key != "service.name"), "the service is the resource's");
        }
        let names: Vec<_> = sum(calls)
            .data_points
            .iter()
            .filter_map(|p| match label(p, "span.name") {
                Some(any_value::Value::StringValue(s)) => Some(s.clone()),
                _ => None,
            })
            .collect();
        let expected = if service(rm) == "customer" { "GET /customer" } else { "GET /dispatch" };
        assert_eq!(names, [expected]);
    }
}
