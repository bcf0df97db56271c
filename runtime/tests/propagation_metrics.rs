//! A misbehaving peer shows up in metrics: the process-wide counts of
//! rejected trace context and baggage are published with the layer's
//! metrics, on `/metrics` and to exporters.

use lantern::metrics::MetricValue;

fn rejected(metrics: &lantern::metrics::Metrics, reason: &str) -> u64 {
    let families = metrics.snapshot();
    let family = families.iter().find(|f| f.name == "propagation.rejected").expect("published");
    let series = family.series.iter().find(|s| s.labels == [("reason".to_owned(), reason.to_owned())]).unwrap();
    match series.value {
        MetricValue::Counter { value, .. } => value,
        _ => panic!("a counter"),
    }
}

#[test]
fn rejected_headers_are_counted_in_the_metrics() {
    let lantern = lantern::builder().try_init_local();
    let before = rejected(lantern.metrics(), "traceparent_invalid");
    let mut headers = http::HeaderMap::new();
    headers.insert("traceparent", "00-not-a-trace".parse().unwrap());
    headers.insert("baggage", "no equals sign".parse().unwrap());
    let cx = lantern::propagation::extract(&headers);
    assert!(cx.span_context().is_none());
    // Process-wide counters: other tests may add to them, never take away.
    assert!(rejected(lantern.metrics(), "traceparent_invalid") > before);
    assert!(rejected(lantern.metrics(), "baggage_member_invalid") >= 1);
    let text = lantern.metrics().prometheus_text();
    assert!(text.contains("# TYPE propagation_rejected_total counter"), "{text}");
    assert!(text.contains(r#"propagation_rejected_total{reason="tracestate_invalid"}"#));
}

#[test]
fn a_standalone_store_shows_only_its_own_metrics() {
    let metrics = lantern::metrics::Metrics::new(Default::default());
    assert!(metrics.snapshot().is_empty());
}
