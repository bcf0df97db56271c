//! RED metrics come from spans with no code in the application, counted for
//! every span before sampling.

use lantern::metrics::{MetricFamily, MetricValue, MetricsConfig};
use lantern::sampling::TraceIdRatio;

fn find<'a>(families: &'a [MetricFamily], name: &str, span_name: &str) -> Option<&'a MetricValue> {
    let family = families.iter().find(|f| f.name == name)?;
    family.series.iter().find(|s| s.labels.iter().any(|(k, v)| k == "span.name" && v == span_name)).map(|s| &s.value)
}

#[lantern::traced(err)]
fn charge(amount: u32) -> Result<u32, String> {
    if amount % 4 == 0 { Err(format!("declined {amount}")) } else { Ok(amount) }
}

#[test]
fn red_counts_are_exact_under_a_sampler_that_keeps_one_percent() {
    let lantern = lantern::builder().sampler(TraceIdRatio::new(0.01)).try_init_local();
    for i in 0..2000u32 {
        let span = tracing::info_span!("GET /orders", otel.kind = "server");
        span.in_scope(|| {
            if i % 10 == 0 {
                tracing::error!("upstream failed");
            }
            let _ = charge(i);
        });
        tracing::info_span!("not a server span").in_scope(|| {});
    }
    let families = lantern.metrics().snapshot();
    let Some(MetricValue::Counter { value: calls, .. }) = find(&families, "span.calls", "GET /orders") else {
        panic!("no span.calls")
    };
    assert_eq!(*calls, 2000);
    let Some(MetricValue::Counter { value: errors, .. }) = find(&families, "span.errors", "GET /orders") else {
        panic!("no span.errors")
    };
    assert_eq!(*errors, 200, "one in ten had an ERROR event");
    let Some(MetricValue::Histogram(h)) = find(&families, "span.duration", "GET /orders") else { panic!() };
    assert_eq!(h.count, 2000);
    // #[traced] fns produce them too; Err sets the error status.
    let Some(MetricValue::Counter { value: charge_errors, .. }) = find(&families, "span.errors", "charge") else {
        panic!("no errors for charge")
    };
    assert_eq!(*charge_errors, 500);
    assert!(find(&families, "span.calls", "not a server span").is_none(), "internal spans are not RED by default");
    // Sampling really did keep only a few.
    let snap = lantern.buffer().snapshot();
    let summaries = snap.traces(&lantern::buffer::TraceQuery { limit: usize::MAX, ..Default::default() });
    assert_eq!(summaries.len(), 4000, "every span is recorded locally (the default mode)");
    let kept = summaries.iter().filter(|t| snap.trace(t.trace_id).unwrap().spans[0].flags.is_sampled()).count();
    assert!(kept < 100, "{kept} sampled traces");
    let text = lantern.metrics().prometheus_text();
    assert!(text.contains(r#"span_calls_total{span_name="GET /orders",span_kind="server"} 2000"#), "{text}");
    assert!(text.contains("# TYPE span_duration_seconds histogram"));
}

#[test]
fn red_metrics_can_be_turned_off() {
    let mut config = MetricsConfig::default();
    config.red.enabled = false;
    let lantern = lantern::builder().metrics(config).try_init_local();
    tracing::info_span!("GET /", otel.kind = "server").in_scope(|| {});
    assert!(lantern.metrics().snapshot().iter().all(|f| !f.name.starts_with("span.")));
}

#[test]
fn red_counts_unsampled_server_spans_in_sampled_only_mode() {
    let lantern = lantern::builder()
        .sampler(TraceIdRatio::new(0.01))
        .recording_mode(lantern::sampling::RecordingMode::SampledOnly)
        .try_init_local();
    for _ in 0..1000 {
        tracing::info_span!("consume orders", otel.kind = "consumer").in_scope(|| {});
    }
    let families = lantern.metrics().snapshot();
    let Some(MetricValue::Counter { value, .. }) = find(&families, "span.calls", "consume orders") else { panic!() };
    assert_eq!(*value, 1000);
    let held =
        lantern.buffer().snapshot().traces(&lantern::buffer::TraceQuery { limit: usize::MAX, ..Default::default() });
    assert!(held.len() < 100, "only sampled traces are recorded: {}", held.len());
}
