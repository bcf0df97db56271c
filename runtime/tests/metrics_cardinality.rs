//! Cardinality is bounded: past the per-metric cap, records go to one
//! overflow series and are counted; a name reused with another kind records
//! nothing and is counted.

use lantern::metrics::{MetricValue, Metrics, MetricsConfig};

#[test]
fn series_past_the_cap_go_to_the_overflow_series_and_are_counted() {
    let metrics = Metrics::new(MetricsConfig { max_series_per_metric: 3, ..Default::default() });
    metrics::with_local_recorder(&metrics.recorder(), || {
        for user in 0..10 {
            metrics::counter!("logins", "user" => user.to_string()).increment(1);
        }
        // A series made before the cap keeps counting normally.
        metrics::counter!("logins", "user" => "0").increment(1);
    });
    let family = metrics.snapshot().into_iter().find(|f| f.name == "logins").unwrap();
    assert_eq!(family.series.len(), 4, "3 series and the overflow series");
    let overflow = family.series.iter().find(|s| s.labels == [("otel.metric.overflow".into(), "true".into())]);
    assert!(matches!(overflow.unwrap().value, MetricValue::Counter { value: 7, .. }));
    let user0 = family.series.iter().find(|s| s.labels == [("user".into(), "0".into())]).unwrap();
    assert!(matches!(user0.value, MetricValue::Counter { value: 2, .. }));
    let stats = metrics.stats();
    assert_eq!((stats.series, stats.overflowed), (3, 7));
    assert!(metrics.prometheus_text().contains("logins_total{otel_metric_overflow=\"true\"} 7"));
}

#[test]
fn context_labels_count_towards_the_cap() {
    let lantern = lantern::builder()
        .metrics(MetricsConfig {
            baggage_labels: vec!["session".into()],
            max_series_per_metric: 2,
            ..Default::default()
        })
        .try_init_local();
    let metrics = lantern.metrics().clone();
    metrics::with_local_recorder(&metrics.recorder(), || {
        for session in 0..50 {
            tracing::info_span!("request").in_scope(|| {
                lantern::context::set_baggage("session", &session.to_string()).unwrap();
                metrics::histogram!("payload").record(1.0);
            });
        }
    });
    let family = metrics.snapshot().into_iter().find(|f| f.name == "payload").unwrap();
    assert_eq!(family.series.len(), 3);
    assert_eq!(metrics.stats().overflowed, 48);
}

#[test]
fn a_name_reused_with_another_kind_records_nothing_and_is_counted() {
    let metrics = Metrics::new(MetricsConfig::default());
    metrics::with_local_recorder(&metrics.recorder(), || {
        metrics::counter!("thing").increment(1);
        metrics::histogram!("thing").record(5.0);
        metrics::gauge!("thing").set(2.0);
    });
    assert_eq!(metrics.stats().kind_conflicts, 2);
    let family = metrics.snapshot().into_iter().find(|f| f.name == "thing").unwrap();
    assert_eq!(family.series.len(), 1);
    assert!(matches!(family.series[0].value, MetricValue::Counter { value: 1, .. }));
}

#[test]
fn names_past_max_metrics_are_dropped_and_counted() {
    let metrics = Metrics::new(MetricsConfig { max_metrics: 2, ..Default::default() });
    metrics::with_local_recorder(&metrics.recorder(), || {
        for name in ["a", "b", "c", "d"] {
            metrics::counter!(name).increment(1);
        }
    });
    let stats = metrics.stats();
    assert_eq!((stats.metrics, stats.dropped_metrics), (2, 2));
}
