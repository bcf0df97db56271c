//! The transport against the in-process receivers of `tests/support`.

#[path = "../../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use support::{Fault, Receiver};

use super::*;

fn config(receiver: &Receiver, compression: Compression) -> TransportConfig {
    let (protocol, endpoint) = if receiver.is_grpc() {
        (Protocol::Grpc, receiver.endpoint())
    } else {
        (Protocol::HttpProtobuf, format!("{}/v1/traces", receiver.endpoint()))
    };
    TransportConfig {
        protocol,
        endpoint: endpoint.parse().unwrap(),
        headers: vec![(http::HeaderName::from_static("authorization"), http::HeaderValue::from_static("Bearer k"))],
        compression,
        timeout: Duration::from_millis(500),
        tls: None,
    }
}

fn traces(spans: usize) -> ExportRequest {
    let spans = (0..spans).map(|i| Span { name: format!("s{i}"), ..Default::default() }).collect();
    let scope_spans = vec![ScopeSpans { spans, ..Default::default() }];
    ExportRequest::Traces(ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans { scope_spans, ..Default::default() }],
    })
}

#[tokio::test]
async fn sends_each_signal_with_headers_and_gzip() {
    for receiver in [Receiver::grpc(), Receiver::http()] {
        let client = Client::new(&config(&receiver, Compression::Gzip)).unwrap();
        assert_eq!(client.send(&traces(3)).await.unwrap(), Accepted::default());
        if receiver.is_grpc() {
            let logs = ExportRequest::Logs(ExportLogsServiceRequest::default());
            let metrics = ExportRequest::Metrics(ExportMetricsServiceRequest::default());
            client.send(&logs).await.unwrap();
            client.send(&metrics).await.unwrap();
            assert_eq!((receiver.logs().len(), receiver.metrics().len()), (1, 1));
        }
        let ExportRequest::Traces(sent) = traces(3) else { unreachable!() };
        assert_eq!(receiver.traces(), vec![sent]);
        let encoding = if receiver.is_grpc() { "grpc-encoding" } else { "content-encoding" };
        for headers in receiver.headers() {
            assert_eq!(headers.get("authorization").unwrap(), "Bearer k");
            assert_eq!(headers.get(encoding).unwrap(), "gzip");
            let agent = headers.get("user-agent").unwrap().to_str().unwrap();
            assert!(agent.starts_with("lantern-otlp/"), "{agent}");
        }
        let plain = Client::new(&config(&receiver, Compression::None)).unwrap();
        plain.send(&traces(1)).await.unwrap();
        assert!(receiver.headers().last().unwrap().get(encoding).is_none());
    }
}

#[tokio::test]
async fn faults_are_read_as_otlp_says() {
    for receiver in [Receiver::grpc(), Receiver::http()] {
        let kind = if receiver.is_grpc() { "grpc" } else { "http" };
        let client = Client::new(&config(&receiver, Compression::None)).unwrap();

        receiver.fail_next(1, Fault::Unavailable);
        let e = client.send(&traces(1)).await.unwrap_err();
        assert!(e.retryable && e.retry_after.is_none(), "{kind}: {e:?}");

        receiver.fail_next(1, Fault::RetryAfter(Duration::from_secs(2)));
        let e = client.send(&traces(1)).await.unwrap_err();
        assert!(e.retryable, "{kind}: {e:?}");
        assert_eq!(e.retry_after, Some(Duration::from_secs(2)), "{kind}");

        receiver.fail_next(1, Fault::Permanent);
        let e = client.send(&traces(1)).await.unwrap_err();
        assert!(!e.retryable, "{kind}: {e:?}");
        assert!(e.message.contains("test fault"), "{kind}: the receiver's message is kept: {}", e.message);

        receiver.fail_next(1, Fault::PartialSuccess(2));
        let accepted = client.send(&traces(3)).await.unwrap();
        assert_eq!(accepted.rejected, 2, "{kind}");
        assert!(accepted.message.is_some(), "{kind}");

        receiver.fail_next(1, Fault::Hang);
        let start = Instant::now();
        let e = client.send(&traces(1)).await.unwrap_err();
        assert!(e.retryable, "{kind}: a timeout is retryable: {e:?}");
        assert!(start.elapsed() < Duration::from_secs(3), "{kind}: the timeout holds");

        assert_eq!(client.send(&traces(1)).await.unwrap(), Accepted::default(), "{kind}: and it recovers");
    }
}

#[tokio::test]
async fn a_receiver_started_late_is_reached() {
    for grpc in [true, false] {
        let addr = support::free_port();
        let endpoint = if grpc { format!("http://{addr}") } else { format!("http://{addr}/v1/traces") };
        let protocol = if grpc { Protocol::Grpc } else { Protocol::HttpProtobuf };
        let config = TransportConfig {
            protocol,
            endpoint: endpoint.parse().unwrap(),
            headers: vec![],
            compression: Compression::None,
            timeout: Duration::from_millis(500),
            tls: None,
        };
        let client = Client::new(&config).unwrap();
        let e = client.send(&traces(1)).await.unwrap_err();
        assert!(e.retryable, "{protocol:?}: {e:?}");
        let receiver = if grpc { Receiver::grpc_on(addr) } else { Receiver::http_on(addr) };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match client.send(&traces(1)).await {
                Ok(_) => break,
                Err(e) if e.retryable && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("{protocol:?}: {e:?}"),
            }
        }
        assert_eq!(receiver.traces().len(), 1);
    }
}
