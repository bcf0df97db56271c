//! Metrics recorded inside spans are labelled from allowlisted baggage and
//! span fields: in child spans, and from a context that came in headers.

use lantern::metrics::{MetricValue, Metrics, MetricsConfig};
use tracing::info_span;

fn config() -> MetricsConfig {
    MetricsConfig {
        baggage_labels: vec!["customer".into(), "tenant".into()],
        span_field_labels: vec!["route".into()],
        ..Default::default()
    }
}

fn counter(metrics: &Metrics, name: &str, labels: &[(&str, &str)]) -> Option<u64> {
    let family = metrics.snapshot().into_iter().find(|f| f.name == name)?;
    family.series.into_iter().find_map(|s| {
        let same = s.labels.len() == labels.len()
            && labels.iter().all(|(k, v)| s.labels.iter().any(|(a, b)| a == k && b == v));
        match (same, s.value) {
            (true, MetricValue::Counter { value, .. }) => Some(value),
            _ => None,
        }
    })
}

#[test]
fn baggage_labels_reach_metrics_recorded_in_child_spans() {
    let lantern = lantern::builder().metrics(config()).try_init_local();
    let metrics = lantern.metrics().clone();
    metrics::with_local_recorder(&metrics.recorder(), || {
        info_span!("request").in_scope(|| {
            lantern::context::set_baggage("customer", "acme").unwrap();
            info_span!("child").in_scope(|| {
                info_span!("grandchild").in_scope(|| metrics::counter!("db.queries", "table" => "users").increment(2));
            });
            metrics::histogram!("db.latency").record(0.01);
        });
        info_span!("other").in_scope(|| {
            lantern::context::set_baggage("customer", "globex").unwrap();
            lantern::context::set_baggage("tenant", "eu").unwrap();
            metrics::counter!("db.queries", "table" => "users").increment(5);
        });
        // Outside any span: no context labels.
        metrics::counter!("db.queries", "table" => "users").increment(1);
    });
    assert_eq!(counter(&metrics, "db.queries", &[("table", "users"), ("customer", "acme")]), Some(2));
    assert_eq!(
        counter(&metrics, "db.queries", &[("table", "users"), ("customer", "globex"), ("tenant", "eu")]),
        Some(5)
    );
    assert_eq!(counter(&metrics, "db.queries", &[("table", "users")]), Some(1));
    let text = metrics.prometheus_text();
    assert!(text.contains(r#"db_latency_count{customer="acme"} 1"#), "{text}");
}

#[test]
fn span_field_labels_come_from_the_nearest_span_that_has_the_field() {
    let lantern = lantern::builder().metrics(config()).try_init_local();
    let metrics = lantern.metrics().clone();
    metrics::with_local_recorder(&metrics.recorder(), || {
        info_span!("handler", route = "/users/{id}").in_scope(|| {
            info_span!("query").in_scope(|| metrics::counter!("rows").increment(3));
        });
    });
    assert_eq!(counter(&metrics, "rows", &[("route", "/users/{id}")]), Some(3));
}

#[test]
fn baggage_extracted_from_headers_labels_metrics_of_the_server_span() {
    let lantern = lantern::builder().metrics(config()).try_init_local();
    let metrics = lantern.metrics().clone();
    let mut headers = http::HeaderMap::new();
    headers.insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
    headers.insert("baggage", "customer=remote%20co,unrelated=1".parse().unwrap());
    let remote = lantern::propagation::extract(&headers);
    metrics::with_local_recorder(&metrics.recorder(), || {
        remote.child_span(|| info_span!("server")).in_scope(|| {
            info_span!("work").in_scope(|| metrics::counter!("jobs").increment(1));
        });
    });
    assert_eq!(counter(&metrics, "jobs", &[("customer", "remote co")]), Some(1));
}
