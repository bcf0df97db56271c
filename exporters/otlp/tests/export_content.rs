//! What a collector receives: the exact trace tree with attributes, events,
//! links and status; logs with their trace ids; metric values and
//! exemplars. Over gRPC, HTTP/protobuf and HTTP/JSON.

mod support;

use std::time::Duration;

use lantern_otlp::{Compression, OtlpConfig, OtlpExporter, Protocol};
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use support::Receiver;

fn config(receiver: &Receiver, protocol: Protocol) -> OtlpConfig {
    let mut cfg = OtlpConfig {
        protocol,
        endpoint: Some(receiver.endpoint()),
        headers: vec![("authorization".into(), "Bearer s3cret".into())],
        compression: Compression::Gzip,
        timeout: Duration::from_secs(2),
        ..Default::default()
    };
    cfg.batch.schedule_delay = Duration::from_millis(50);
    cfg.metric_interval = Duration::from_secs(3600);
    cfg
}

fn attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    attrs.iter().find(|kv| kv.key == key).and_then(|kv| kv.value.as_ref()).and_then(|v| v.value.as_ref())
}

#[lantern::traced(err)]
fn charge(amount: u64) -> Result<u64, String> {
    tracing::info!(amount, "charging");
    if amount > 100 { Err("card declined".into()) } else { Ok(amount) }
}

fn produce(exporter: &OtlpExporter) -> (lantern::TraceId, lantern::SpanId) {
    let lantern = lantern::builder().service_name("checkout").exporter(exporter.clone()).try_init_local();
    let recorder = lantern.metrics().recorder();
    let linked = tracing::info_span!("earlier");
    linked.in_scope(|| {});
    let mut headers = http::HeaderMap::new();
    headers.insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
    let remote = lantern::propagation::extract(&headers);
    let server = remote.child_span(|| tracing::info_span!("POST /pay", otel.kind = "server", user.id = 42_u64));
    server.follows_from(&linked);
    let ids = server.in_scope(|| {
        let cx = lantern::context::current();
        metrics::with_local_recorder(&recorder, || {
            metrics::counter!("payments").increment(2);
            metrics::histogram!("payment.amount").record(150.0);
        });
        let _ = charge(150);
        tracing::warn!(retry = true, "slow upstream");
        (cx.span_context().unwrap().trace_id(), cx.span_context().unwrap().span_id())
    });
    drop(server);
    drop(linked);
    tracing::info!("outside any span");
    drop(lantern); // flush and shut the exporter down: everything is sent
    ids
}

fn check(receiver: &Receiver, exporter: &OtlpExporter, ids: (lantern::TraceId, lantern::SpanId)) {
    let traces = receiver.traces();
    let spans: Vec<_> =
        traces.iter().flat_map(|r| &r.resource_spans).flat_map(|rs| &rs.scope_spans).flat_map(|ss| &ss.spans).collect();
    let server = spans.iter().find(|s| s.name == "POST /pay").expect("server span");
    assert_eq!(server.trace_id, ids.0.to_bytes().to_vec());
    assert_eq!(server.span_id, ids.1.to_bytes().to_vec());
    assert_eq!(hex(&server.trace_id), "4bf92f3577b34da6a3ce929d0e0e4736", "the remote trace continues");
    assert_eq!(hex(&server.parent_span_id), "00f067aa0ba902b7");
    assert_eq!(server.flags & 0x300, 0x300, "parent is remote, and says so");
    assert_eq!(server.kind, 2, "server");
    assert_eq!(attr(&server.attributes, "user.id"), Some(&Value::IntValue(42)));
    assert_eq!(server.links.len(), 1, "follows_from became a link");
    let charge = spans.iter().find(|s| s.name == "charge").expect("#[traced] span");
    assert_eq!(charge.parent_span_id, server.span_id);
    assert_eq!(charge.status.as_ref().map(|s| s.code), Some(2), "Err is an error status");
    assert!(charge.events.iter().any(|e| e.name == "exception"), "{:?}", charge.events);
    // The warning goes out as a log record (below), not also as a span
    // event: a backend stores it once. The exception stays on its span.
    assert!(server.events.is_empty(), "{:?}", server.events);
    assert!(server.end_time_unix_nano >= server.start_time_unix_nano && server.start_time_unix_nano > 0);
    let resource = traces[0].resource_spans[0].resource.as_ref().unwrap();
    assert_eq!(attr(&resource.attributes, "service.name"), Some(&Value::StringValue("checkout".into())));

    let logs: Vec<_> = receiver
        .logs()
        .into_iter()
        .flat_map(|r| r.resource_logs)
        .flat_map(|rl| rl.scope_logs)
        .flat_map(|sl| sl.log_records)
        .collect();
    let warn = logs.iter().find(|l| l.severity_text == "WARN").expect("the warning");
    assert_eq!(warn.severity_number, 13);
    assert_eq!((warn.trace_id.clone(), warn.span_id.clone()), (server.trace_id.clone(), server.span_id.clone()));
    let outside = logs
        .iter()
        .find(|l| matches!(&l.body, Some(b) if b.value == Some(Value::StringValue("outside any span".into()))))
        .unwrap();
    assert!(outside.trace_id.is_empty());

    let metrics: Vec<_> = receiver
        .metrics()
        .into_iter()
        .flat_map(|r| r.resource_metrics)
        .flat_map(|rm| rm.scope_metrics)
        .flat_map(|sm| sm.metrics)
        .collect();
    let payments = metrics.iter().rev().find(|m| m.name == "payments").expect("counter exported at shutdown");
    let Some(Data::Sum(sum)) = &payments.data else { panic!("a sum") };
    assert!(sum.is_monotonic);
    let point = &sum.data_points[0];
    assert_eq!(point.exemplars.len(), 1, "the counter keeps its exemplar");
    assert_eq!(point.exemplars[0].span_id, server.span_id);
    let amount = metrics.iter().rev().find(|m| m.name == "payment.amount").unwrap();
    let Some(Data::Histogram(h)) = &amount.data else { panic!("a histogram") };
    assert_eq!((h.data_points[0].count, h.data_points[0].sum), (1, Some(150.0)));
    assert!(metrics.iter().any(|m| m.name == "span.calls"), "RED metrics are exported too");

    for headers in receiver.headers() {
        assert_eq!(headers.get("authorization").unwrap(), "Bearer s3cret");
    }
    let stats = exporter.stats();
    assert_eq!(stats.traces.dropped(), 0, "{stats:?}");
    assert_eq!(stats.traces.exported, 3, "earlier, POST /pay, charge");
    assert_eq!(spans.len(), 3);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn over_grpc() {
    let receiver = Receiver::grpc();
    let exporter = OtlpExporter::new(config(&receiver, Protocol::Grpc)).unwrap();
    let ids = produce(&exporter);
    check(&receiver, &exporter, ids);
    assert!(receiver.headers().iter().any(|h| h.get("grpc-encoding").is_some_and(|v| v == "gzip")));
}

#[test]
fn over_http_protobuf() {
    let receiver = Receiver::http();
    let exporter = OtlpExporter::new(config(&receiver, Protocol::HttpProtobuf)).unwrap();
    let ids = produce(&exporter);
    check(&receiver, &exporter, ids);
    assert!(receiver.headers().iter().all(|h| h.get("content-encoding").is_some_and(|v| v == "gzip")));
}

#[test]
fn over_http_json() {
    let receiver = Receiver::http();
    let exporter = OtlpExporter::new(config(&receiver, Protocol::HttpJson)).unwrap();
    let ids = produce(&exporter);
    // The receiver decodes OTLP/JSON: ids hex, kinds and times as OTLP says.
    check(&receiver, &exporter, ids);
    for headers in receiver.headers() {
        assert_eq!(headers.get("content-type").unwrap(), "application/json");
        assert_eq!(headers.get("content-encoding").unwrap(), "gzip");
    }
}

#[test]
fn the_sampling_decision_reaches_the_collector_whatever_the_attribute_cap() {
    let receiver = Receiver::grpc();
    let exporter = OtlpExporter::new(config(&receiver, Protocol::Grpc)).unwrap();
    let buffer = lantern::buffer::BufferConfig { max_attributes: 0, ..Default::default() };
    let lantern = lantern::builder()
        .buffer(buffer)
        .sampler(lantern::sampling::TraceIdRatio::new(1.0))
        .exporter(exporter.clone())
        .try_init_local();
    tracing::info_span!("job", a = 1_u64).in_scope(|| tracing::info_span!("step").in_scope(|| {}));
    tracing::info_span!("debug me", lantern.debug = true, lantern.debug_id = "ticket-7").in_scope(|| {});
    drop(lantern);

    let traces = receiver.traces();
    let spans: Vec<_> =
        traces.iter().flat_map(|r| &r.resource_spans).flat_map(|rs| &rs.scope_spans).flat_map(|ss| &ss.spans).collect();
    let span = |name: &str| *spans.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("{name}: {spans:?}"));
    let (job, step, forced) = (span("job"), span("step"), span("debug me"));
    assert_eq!(attr(&job.attributes, "sampler.type"), Some(&Value::StringValue("probabilistic".into())));
    assert_eq!(attr(&job.attributes, "sampler.param"), Some(&Value::DoubleValue(1.0)));
    assert_eq!(attr(&job.attributes, "a"), None, "the cap holds for the span's own attributes");
    assert_eq!(job.dropped_attributes_count, 1);
    assert_eq!(job.trace_state, "ot=th:0", "the threshold: an adjusted count of 1");
    assert_eq!(step.trace_state, "ot=th:0", "inherited");
    assert_eq!(attr(&step.attributes, "sampler.type"), None, "only the root is tagged");
    assert_eq!(attr(&forced.attributes, "sampler.type"), Some(&Value::StringValue("debug".into())));
    assert_eq!(attr(&forced.attributes, "lantern.debug_id"), Some(&Value::StringValue("ticket-7".into())));
    assert_eq!(forced.trace_state, "", "a forced trace has no probability");
}
