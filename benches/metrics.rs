#![allow(missing_docs)] // criterion's macros generate undocumented items
//! One `metrics` measurement with one static label (a counter increment or a
//! histogram record) through each recorder, side by side in one group: the
//! Prometheus exporter's recorder, Lantern's recorder outside any span, and
//! Lantern's recorder inside a span whose baggage adds a `customer` label.

use criterion::{Criterion, criterion_group, criterion_main};
use metrics_exporter_prometheus::PrometheusBuilder;

/// One counter increment with one static label.
fn counter() {
    metrics::counter!("requests", "route" => "/a").increment(1);
}

/// One histogram record with one static label.
fn histogram() {
    metrics::histogram!("latency", "route" => "/a").record(0.0123);
}

fn record(c: &mut Criterion) {
    let mut group = c.benchmark_group("metrics_record");

    let recorder = PrometheusBuilder::new().build_recorder();
    metrics::with_local_recorder(&recorder, || group.bench_function("prometheus_counter", |b| b.iter(counter)));
    let recorder = PrometheusBuilder::new().build_recorder();
    metrics::with_local_recorder(&recorder, || group.bench_function("prometheus_histogram", |b| b.iter(histogram)));

    // No tracing subscriber and no span: no context labels to look up.
    let metrics = lantern::metrics::Metrics::new(Default::default());
    let recorder = metrics.recorder();
    metrics::with_local_recorder(&recorder, || {
        group.bench_function("lantern_counter", |b| b.iter(counter));
        group.bench_function("lantern_histogram", |b| b.iter(histogram));
    });
    drop((recorder, metrics));

    // Inside a span carrying baggage `customer=acme`, with `customer` in the
    // label allowlist: every measurement lands in the customer="acme" series.
    let guard = lantern::builder()
        .metrics(lantern::metrics::MetricsConfig { baggage_labels: vec!["customer".into()], ..Default::default() })
        .try_init_local();
    let recorder = guard.metrics().recorder();
    {
        let span = tracing::info_span!("request");
        let _entered = span.enter();
        lantern::context::set_baggage("customer", "acme").unwrap();
        metrics::with_local_recorder(&recorder, || {
            group.bench_function("lantern_counter_baggage", |b| b.iter(counter));
            group.bench_function("lantern_histogram_baggage", |b| b.iter(histogram));
        });
    }
    drop((recorder, guard));

    group.finish();
}

criterion_group!(benches, record);
criterion_main!(benches);
