//! HotROD with an OTLP endpoint configured: the ride's trace reaches the
//! collector, every span of it, each service under a resource of its own.
//!
//! The collector is an in-process OTLP/gRPC trace receiver on 127.0.0.1:0.
//! One test function: the global subscriber can be installed once per
//! process.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use lantern_examples::hotrod::frontend::Dispatch;
use lantern_examples::hotrod::{self, Config, Hotrod, Latencies};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::any_value;

/// Keeps every trace export request it is sent.
#[derive(Clone, Default)]
struct Collector(Arc<Mutex<Vec<ExportTraceServiceRequest>>>);

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.0.lock().unwrap().push(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

/// span id (hex) -> (service.name of its resource, span name, parent id), for
/// the spans of `trace_id` that reached the collector.
fn received(collector: &Collector, trace_id: &[u8]) -> BTreeMap<String, (String, String, String)> {
    let mut spans = BTreeMap::new();
    for request in collector.0.lock().unwrap().iter() {
        for rs in &request.resource_spans {
            let service = rs
                .resource
                .iter()
                .flat_map(|r| &r.attributes)
                .find(|kv| kv.key == "service.name")
                .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                    any_value::Value::StringValue(s) => Some(s.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            for span in rs.scope_spans.iter().flat_map(|s| &s.spans).filter(|s| s.trace_id == trace_id) {
                let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
                spans.insert(hex(&span.span_id), (service.clone(), span.name.clone(), hex(&span.parent_span_id)));
            }
        }
    }
    spans
}

#[test]
fn with_an_otlp_endpoint_the_ride_reaches_the_collector_one_resource_per_service() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let collector = Collector::default();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(collector.clone()))
            .serve_with_incoming_shutdown(tonic::transport::server::TcpIncoming::from(listener), async {
                let _ = stopped.await;
            }),
    );

    // What `OTEL_EXPORTER_OTLP_ENDPOINT=... cargo run --example hotrod` does,
    // without touching this process's environment.
    let config = lantern_otlp::OtlpConfig::from_lookup(|k| match k {
        "OTEL_EXPORTER_OTLP_ENDPOINT" => Some(endpoint.clone()),
        "OTEL_EXPORTER_OTLP_PROTOCOL" => Some("grpc".into()),
        "OTEL_METRICS_EXPORTER" | "OTEL_LOGS_EXPORTER" => Some("none".into()),
        "OTEL_BSP_SCHEDULE_DELAY" => Some("50".into()),
        _ => None,
    })
    .unwrap();
    let exporter = lantern_otlp::OtlpExporter::new(config).unwrap();
    let lantern = lantern::builder()
        .console(lantern::fmt::ConsoleFormat::Off) // a test: no logs on stderr
        .service_name("hotrod-otlp")
        .http_addr(None)
        .max_level(tracing::Level::INFO)
        .metrics(hotrod::metrics_config())
        .exporter(exporter.clone())
        .try_init()
        .expect("the only global install of this test binary");

    let config = Config { latencies: Latencies::default().scaled(0.1), ..Config::ephemeral() };
    let hotrod = rt.block_on(Hotrod::start(config)).unwrap();
    let body = rt.block_on(async {
        let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
        let uri = format!("http://{}/dispatch?customer=731", hotrod.frontend);
        let response = client.request(http::Request::get(uri).body(Empty::new()).unwrap()).await.unwrap();
        assert_eq!(response.status(), http::StatusCode::OK);
        response.into_body().collect().await.unwrap().to_bytes()
    });
    let dispatch: Dispatch = serde_json::from_slice(&body).unwrap();
    let trace_id: Vec<u8> =
        (0..16).map(|i| u8::from_str_radix(&dispatch.trace_id[2 * i..2 * i + 2], 16).unwrap()).collect();

    // The guard flushes the buffer and shuts the exporter down, which sends
    // what is queued before it returns.
    lantern.buffer().flush();
    let held: BTreeMap<String, (String, String)> = {
        let snap = lantern.buffer().snapshot();
        let trace = snap.trace(dispatch.trace_id.parse().unwrap()).expect("in the buffer");
        trace
            .spans
            .iter()
            .map(|s| {
                (s.span_id.to_string(), (s.service.as_deref().unwrap_or("hotrod-otlp").to_owned(), s.name.to_string()))
            })
            .collect()
    };
    drop(lantern);
    rt.block_on(hotrod.shutdown());

    let got = received(&collector, &trace_id);
    assert_eq!(got.len(), held.len(), "every span of the ride reached the collector");
    for (id, (service, name)) in &held {
        let (got_service, got_name, _) = &got[id];
        assert_eq!((got_service, got_name), (service, name), "span {id}");
    }
    let services: BTreeSet<&str> = got.values().map(|(s, _, _)| s.as_str()).collect();
    assert_eq!(services, BTreeSet::from(["customer", "driver", "frontend", "route"]), "one resource per service");
    let roots: Vec<_> = got.values().filter(|(_, _, parent)| parent.is_empty()).collect();
    assert_eq!(roots.len(), 1, "one root: {roots:?}");
    let stats = exporter.stats().traces;
    assert_eq!(stats.dropped(), 0, "{stats:?}");
    assert!(stats.exported >= held.len() as u64, "{stats:?}");

    let _ = stop.send(());
    let _ = rt.block_on(server);
}
