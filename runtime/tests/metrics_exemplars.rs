//! Exemplars link a metric to a trace the ring buffer holds.

use lantern::metrics::{Exemplar, MetricValue};
use lantern::sampling::AlwaysOff;

fn exemplars(metrics: &lantern::metrics::Metrics, name: &str) -> Vec<Exemplar> {
    let family = metrics.snapshot().into_iter().find(|f| f.name == name).unwrap();
    family
        .series
        .into_iter()
        .flat_map(|s| match s.value {
            MetricValue::Counter { exemplar, .. } => exemplar.into_iter().collect::<Vec<_>>(),
            MetricValue::Histogram(h) => h.buckets.into_iter().filter_map(|b| b.exemplar).collect(),
            MetricValue::Gauge(_) => Vec::new(),
        })
        .collect()
}

#[test]
fn exemplars_carry_ids_of_spans_that_are_in_the_ring_buffer() {
    let lantern = lantern::builder().try_init_local();
    let metrics = lantern.metrics().clone();
    metrics::with_local_recorder(&metrics.recorder(), || {
        for i in 0..20 {
            tracing::info_span!("GET /slow", otel.kind = "server").in_scope(|| {
                tracing::info_span!("work", i).in_scope(|| {
                    metrics::counter!("hits").increment(1);
                    metrics::histogram!("latency").record(0.001 * f64::from(i * i));
                });
            });
        }
    });
    let snap = lantern.buffer().snapshot();
    let mut checked = 0;
    for name in ["hits", "latency", "span.duration", "span.calls"] {
        let found = exemplars(&metrics, name);
        assert!(!found.is_empty(), "{name} has an exemplar");
        for e in found {
            let trace = snap.trace(e.trace_id).unwrap_or_else(|| panic!("trace of {name}'s exemplar is held"));
            let span = trace.spans.iter().find(|s| s.span_id == e.span_id).expect("its span is held");
            let expected = if name.starts_with("span.") { "GET /slow" } else { "work" };
            assert_eq!(span.name, expected);
            checked += 1;
        }
    }
    assert!(checked >= 5, "histograms keep one per bucket: {checked}");
    let body = metrics.openmetrics_text();
    let line = body.lines().find(|l| l.starts_with("hits_total")).unwrap();
    assert!(line.contains(" # {trace_id=\""), "{line}");
}

#[test]
fn measurements_in_unsampled_traces_leave_no_exemplar() {
    let lantern = lantern::builder().sampler(AlwaysOff).try_init_local();
    let metrics = lantern.metrics().clone();
    metrics::with_local_recorder(&metrics.recorder(), || {
        tracing::info_span!("request").in_scope(|| metrics::counter!("hits").increment(1));
    });
    assert!(exemplars(&metrics, "hits").is_empty());
    assert!(!metrics.openmetrics_text().contains("trace_id"));
}
