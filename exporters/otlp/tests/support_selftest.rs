//! The test receivers of `support` themselves, driven by plain clients (the
//! opentelemetry-proto tonic clients, a hyper client): they decode, count,
//! keep headers, inject faults, start on a given port and stop when dropped.

mod support;

use std::io::Write as _;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::collector::logs::v1::{ExportLogsServiceRequest, ExportLogsServiceResponse};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
use opentelemetry_proto::tonic::collector::metrics::v1::{ExportMetricsServiceRequest, ExportMetricsServiceResponse};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{Metric, ResourceMetrics, ScopeMetrics};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message as _;
use support::{Fault, Receiver, rpc};
use tonic::Code;
use tonic::codec::CompressionEncoding;
use tonic::transport::Channel;

fn traces(spans: usize) -> ExportTraceServiceRequest {
    let spans = (0..spans).map(|i| Span { name: format!("span {i}"), ..Default::default() }).collect();
    let scope_spans = vec![ScopeSpans { spans, ..Default::default() }];
    ExportTraceServiceRequest { resource_spans: vec![ResourceSpans { scope_spans, ..Default::default() }] }
}

fn logs() -> ExportLogsServiceRequest {
    let log_records = vec![LogRecord { severity_text: "WARN".into(), ..Default::default() }];
    let scope_logs = vec![ScopeLogs { log_records, ..Default::default() }];
    ExportLogsServiceRequest { resource_logs: vec![ResourceLogs { scope_logs, ..Default::default() }] }
}

fn metrics() -> ExportMetricsServiceRequest {
    let metrics = vec![Metric { name: "requests".into(), ..Default::default() }];
    let scope_metrics = vec![ScopeMetrics { metrics, ..Default::default() }];
    ExportMetricsServiceRequest { resource_metrics: vec![ResourceMetrics { scope_metrics, ..Default::default() }] }
}

fn span_count(receiver: &Receiver) -> usize {
    receiver.traces().iter().flat_map(|r| &r.resource_spans).flat_map(|rs| &rs.scope_spans).map(|s| s.spans.len()).sum()
}

fn with_auth<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", "Bearer s3cret".parse().unwrap());
    request
}

async fn grpc_channel(receiver: &Receiver) -> Channel {
    tonic::transport::Endpoint::from_shared(receiver.endpoint()).unwrap().connect().await.unwrap()
}

#[tokio::test]
async fn grpc_receiver_decodes_counts_and_keeps_metadata() {
    let receiver = Receiver::grpc();
    assert!(receiver.is_grpc());
    assert_eq!(receiver.endpoint(), format!("http://{}", receiver.addr()));
    let channel = grpc_channel(&receiver).await;
    let mut trace_client = TraceServiceClient::new(channel.clone()).send_compressed(CompressionEncoding::Gzip);
    let response = trace_client.export(with_auth(traces(2))).await.unwrap().into_inner();
    assert_eq!(response, ExportTraceServiceResponse::default());
    LogsServiceClient::new(channel.clone()).export(logs()).await.unwrap();
    MetricsServiceClient::new(channel).export(metrics()).await.unwrap();

    assert_eq!(receiver.requests(), 3);
    assert_eq!(span_count(&receiver), 2);
    assert_eq!(receiver.logs(), vec![logs()]);
    assert_eq!(receiver.metrics(), vec![metrics()]);
    let headers = receiver.headers();
    assert_eq!(headers.len(), 3);
    assert_eq!(headers[0].get("authorization").unwrap(), "Bearer s3cret");
    assert_eq!(headers[0].get("grpc-encoding").unwrap(), "gzip");
    assert!(headers[1].get("grpc-encoding").is_none() && headers[1].get("authorization").is_none());
    assert!(receiver.wait_for(Duration::from_secs(1), |r| r.requests == 3 && r.traces.len() == 1));
    assert!(!receiver.wait_for(Duration::from_millis(50), |r| r.requests == 4));
}

#[tokio::test]
async fn grpc_receiver_injects_faults() {
    let receiver = Receiver::grpc();
    let mut client = TraceServiceClient::new(grpc_channel(&receiver).await);

    receiver.fail_next(2, Fault::Unavailable);
    for _ in 0..2 {
        assert_eq!(client.export(traces(1)).await.unwrap_err().code(), Code::Unavailable);
    }
    client.export(traces(1)).await.unwrap();
    assert_eq!((receiver.requests(), span_count(&receiver)), (3, 1), "failed requests are counted, not kept");

    receiver.fail_next(1, Fault::RetryAfter(Duration::from_millis(1500)));
    let status = client.export(traces(1)).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted);
    let details = rpc::Status::decode(status.details()).unwrap();
    assert_eq!(details.details[0].type_url, rpc::RETRY_INFO);
    let info = rpc::RetryInfo::decode(details.details[0].value.as_slice()).unwrap();
    assert_eq!(info.retry_delay, Some(rpc::Duration { seconds: 1, nanos: 500_000_000 }));

    receiver.fail_next(1, Fault::Permanent);
    assert_eq!(client.export(traces(1)).await.unwrap_err().code(), Code::InvalidArgument);

    receiver.fail_next(1, Fault::PartialSuccess(2));
    let response = client.export(traces(3)).await.unwrap().into_inner();
    assert_eq!(response.partial_success.unwrap().rejected_spans, 2);
    assert_eq!(span_count(&receiver), 4, "a partial success is kept");

    receiver.fail_next(usize::MAX, Fault::Hang);
    for _ in 0..3 {
        let call = tokio::time::timeout(Duration::from_millis(200), client.export(traces(1))).await;
        assert!(call.is_err(), "it hangs");
    }
    assert_eq!(receiver.requests(), 9);
    receiver.fail_next(0, Fault::Hang);
    client.export(traces(1)).await.unwrap();
    assert_eq!(span_count(&receiver), 5);

    receiver.fail_next(usize::MAX, Fault::Hang);
    let _ = tokio::time::timeout(Duration::from_millis(100), client.export(traces(1))).await;
    let start = Instant::now();
    drop(receiver);
    assert!(start.elapsed() < Duration::from_secs(2), "dropping stops a hanging receiver");
}

struct HttpAnswer {
    status: u16,
    headers: http::HeaderMap,
    body: Bytes,
}

async fn post(receiver: &Receiver, path: &str, body: Vec<u8>, gzip: bool) -> HttpAnswer {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = http::Request::post(format!("{}{path}", receiver.endpoint()))
        .header("content-type", "application/x-protobuf")
        .header("authorization", "Bearer s3cret");
    let body = if gzip {
        request = request.header("content-encoding", "gzip");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(&body).unwrap();
        encoder.finish().unwrap()
    } else {
        body
    };
    let response = client.request(request.body(Full::new(Bytes::from(body))).unwrap()).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    HttpAnswer { status, headers, body }
}

#[tokio::test]
async fn http_receiver_decodes_counts_and_keeps_headers() {
    let receiver = Receiver::http();
    assert!(!receiver.is_grpc());
    let answer = post(&receiver, "/v1/traces", traces(2).encode_to_vec(), true).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.headers.get("content-type").unwrap(), "application/x-protobuf");
    assert_eq!(ExportTraceServiceResponse::decode(answer.body).unwrap(), ExportTraceServiceResponse::default());
    let answer = post(&receiver, "/v1/logs", logs().encode_to_vec(), false).await;
    assert_eq!(ExportLogsServiceResponse::decode(answer.body).unwrap(), ExportLogsServiceResponse::default());
    let answer = post(&receiver, "/v1/metrics", metrics().encode_to_vec(), true).await;
    assert_eq!(ExportMetricsServiceResponse::decode(answer.body).unwrap(), ExportMetricsServiceResponse::default());
    assert_eq!(post(&receiver, "/v1/profiles", vec![], false).await.status, 404);
    assert_eq!(post(&receiver, "/v1/traces", b"\xff\xff garbage".to_vec(), false).await.status, 400);

    assert_eq!(receiver.requests(), 4, "the 404 never reached a signal");
    assert_eq!(span_count(&receiver), 2);
    assert_eq!(receiver.logs(), vec![logs()]);
    assert_eq!(receiver.metrics(), vec![metrics()]);
    let headers = receiver.headers();
    assert_eq!(headers[0].get("content-encoding").unwrap(), "gzip");
    assert_eq!(headers[0].get("authorization").unwrap(), "Bearer s3cret");
    assert!(headers[1].get("content-encoding").is_none());
}

#[tokio::test]
async fn http_receiver_injects_faults() {
    let receiver = Receiver::http();
    let body = || traces(1).encode_to_vec();

    receiver.fail_next(1, Fault::Unavailable);
    assert_eq!(post(&receiver, "/v1/traces", body(), false).await.status, 503);

    receiver.fail_next(1, Fault::RetryAfter(Duration::from_millis(1500)));
    let answer = post(&receiver, "/v1/traces", body(), false).await;
    assert_eq!(answer.status, 429);
    assert_eq!(answer.headers.get("retry-after").unwrap(), "2");

    receiver.fail_next(1, Fault::Permanent);
    let answer = post(&receiver, "/v1/logs", logs().encode_to_vec(), true).await;
    assert_eq!(answer.status, 400);
    let status = rpc::Status::decode(answer.body).unwrap();
    assert_eq!(status.code, 3);
    assert!(!status.message.is_empty());

    receiver.fail_next(1, Fault::PartialSuccess(1));
    let answer = post(&receiver, "/v1/traces", traces(2).encode_to_vec(), true).await;
    assert_eq!(answer.status, 200);
    let response = ExportTraceServiceResponse::decode(answer.body).unwrap();
    assert_eq!(response.partial_success.unwrap().rejected_spans, 1);

    assert_eq!(post(&receiver, "/v1/traces", body(), false).await.status, 200);
    assert_eq!((receiver.requests(), span_count(&receiver), receiver.logs().len()), (5, 3, 0));

    receiver.fail_next(usize::MAX, Fault::Hang);
    for _ in 0..2 {
        let call = tokio::time::timeout(Duration::from_millis(200), post(&receiver, "/v1/traces", body(), false));
        assert!(call.await.is_err(), "it hangs");
    }
    assert_eq!(receiver.requests(), 7);
    let start = Instant::now();
    drop(receiver);
    assert!(start.elapsed() < Duration::from_secs(2), "dropping stops a hanging receiver");
}

#[tokio::test]
async fn receivers_start_on_a_given_port_and_free_it_when_dropped() {
    let addr = support::free_port();
    assert!(addr.ip().is_loopback() && addr.port() != 0);
    let connect =
        || async move { tonic::transport::Endpoint::from_shared(format!("http://{addr}")).unwrap().connect().await };
    assert!(connect().await.is_err(), "nothing listens yet");

    let receiver = Receiver::grpc_on(addr);
    assert_eq!(receiver.addr(), addr);
    TraceServiceClient::new(connect().await.unwrap()).export(traces(1)).await.unwrap();
    assert_eq!(span_count(&receiver), 1);
    drop(receiver);

    let receiver = Receiver::http_on(addr);
    assert_eq!(receiver.addr(), addr);
    assert_eq!(post(&receiver, "/v1/traces", traces(1).encode_to_vec(), false).await.status, 200);
    assert_eq!(span_count(&receiver), 1);
}
