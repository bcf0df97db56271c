//! `GrpcServerLayer` on a tonic server and `GrpcClientLayer` on a tonic
//! channel, in process over a loopback socket, with the OTLP trace service
//! (from `opentelemetry-proto`: no protoc) as the service under test.
//!
//! As in `middleware_http.rs`, everything runs on a current-thread runtime
//! on the test thread. The server span ends before its trailers are sent,
//! and the client span when tonic reads them, before the call returns: the
//! spans are in the buffer when the call returns.
#![cfg(feature = "middleware")]

mod trace_support;
use trace_support::{only, str_attr, trace_of};

use std::net::SocketAddr;

use lantern::middleware::{GrpcClientLayer, GrpcServerLayer};
use lantern::record::{SpanKind, Status, Value};
use lantern::sampling::{AlwaysOff, RecordingMode};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use tonic::Code;
use tracing::Instrument;

const NAME: &str = "opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// Answers as the `x-answer` metadata says; records what it saw.
struct Collector;

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        tracing::info_span!("store").in_scope(|| {});
        let tenant = lantern::context::current().baggage().get("tenant").map(str::to_owned);
        match request.metadata().get("x-answer").and_then(|v| v.to_str().ok()) {
            Some("unavailable") => Err(tonic::Status::unavailable("down for maintenance")),
            Some("not-found") => Err(tonic::Status::not_found("no such tenant")),
            _ => {
                let mut response = tonic::Response::new(ExportTraceServiceResponse { partial_success: None });
                if let Some(tenant) = tenant {
                    response.metadata_mut().insert("x-tenant-seen", tenant.parse().unwrap());
                }
                Ok(response)
            }
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

async fn serve(layer: GrpcServerLayer) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tonic::transport::Server::builder()
        .layer(layer)
        .add_service(TraceServiceServer::new(Collector))
        .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener));
    tokio::spawn(async move { server.await.unwrap() });
    addr
}

type Traced = lantern::middleware::GrpcClientService<tonic::transport::Channel>;

async fn client(addr: SocketAddr) -> TraceServiceClient<Traced> {
    let origin = format!("http://{addr}");
    let channel = tonic::transport::Channel::from_shared(origin.clone()).unwrap().connect().await.unwrap();
    let traced = tower::ServiceBuilder::new().layer(GrpcClientLayer::new()).service(channel);
    TraceServiceClient::with_origin(traced, origin.parse().unwrap())
}

fn request(answer: Option<&str>) -> tonic::Request<ExportTraceServiceRequest> {
    let mut request = tonic::Request::new(ExportTraceServiceRequest { resource_spans: Vec::new() });
    if let Some(answer) = answer {
        request.metadata_mut().insert("x-answer", answer.parse().unwrap());
    }
    request
}

fn lantern() -> lantern::Builder {
    lantern::builder().max_level(tracing::Level::INFO)
}

#[test]
fn client_and_server_are_one_trace_with_the_rpc_attributes() {
    let guard = lantern().try_init_local();
    let rt = runtime();
    let (addr, tenant_seen) = rt.block_on(async {
        let addr = serve(GrpcServerLayer::new().service_name("collector")).await;
        let mut client = client(addr).await;
        let sync = tracing::info_span!("sync");
        sync.in_scope(|| lantern::context::set_baggage("tenant", "acme").unwrap());
        let response = async { client.export(request(None)).await.unwrap() }.instrument(sync).await;
        (addr, response.metadata().get("x-tenant-seen").map(|v| v.to_str().unwrap().to_owned()))
    });
    drop(rt);
    assert_eq!(tenant_seen.as_deref(), Some("acme"), "the baggage reached the handler");

    let trace = trace_of(guard.buffer(), "sync");
    let sync = only(&trace, "sync", SpanKind::Internal);
    let client = only(&trace, NAME, SpanKind::Client);
    let server = only(&trace, NAME, SpanKind::Server);
    let store = only(&trace, "store", SpanKind::Internal);
    assert_eq!(client.parent_span_id, Some(sync.span_id));
    assert_eq!(server.parent_span_id, Some(client.span_id), "the server's parent is the client span");
    assert!(server.parent_is_remote);
    assert_eq!(store.parent_span_id, Some(server.span_id));
    assert_eq!(server.baggage.get("tenant"), Some("acme"));
    assert_eq!(
        [&sync, &client, &server, &store].map(|s| s.service.as_deref()),
        [None, None, Some("collector"), Some("collector")],
        "the server span and its children belong to the layer's service; the caller's side does not"
    );

    for span in [&client, &server] {
        assert_eq!(str_attr(span, "rpc.system"), Some("grpc"));
        assert_eq!(str_attr(span, "rpc.service"), Some("opentelemetry.proto.collector.trace.v1.TraceService"));
        assert_eq!(str_attr(span, "rpc.method"), Some("Export"));
        assert_eq!(span.attribute("rpc.grpc.status_code"), Some(&Value::I64(0)));
        assert_eq!(str_attr(span, "server.address"), Some("127.0.0.1"));
        assert_eq!(span.attribute("server.port"), Some(&Value::I64(i64::from(addr.port()))));
        assert_eq!(span.status, Status::Unset);
        assert_eq!(span.attribute("error.type"), None);
    }
}

#[test]
fn status_codes_mark_errors_as_the_conventions_say() {
    let guard = lantern().try_init_local();
    let rt = runtime();
    rt.block_on(async {
        let addr = serve(GrpcServerLayer::new()).await;
        let mut client = client(addr).await;
        let status = client
            .export(request(Some("unavailable")))
            .instrument(tracing::info_span!("calls_unavailable"))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unavailable);
        let status = client
            .export(request(Some("not-found")))
            .instrument(tracing::info_span!("calls_not_found"))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound);
    });
    drop(rt);

    // UNAVAILABLE: the server failed, so both sides are errors.
    let trace = trace_of(guard.buffer(), "calls_unavailable");
    for kind in [SpanKind::Client, SpanKind::Server] {
        let span = only(&trace, NAME, kind);
        assert_eq!(span.attribute("rpc.grpc.status_code"), Some(&Value::I64(14)), "{kind:?}");
        assert_eq!(span.status, Status::Error(Some("down for maintenance".into())), "{kind:?}");
        assert_eq!(str_attr(&span, "error.type"), Some("UNAVAILABLE"));
    }

    // NOT_FOUND: the server answered as it should; only the client failed.
    let trace = trace_of(guard.buffer(), "calls_not_found");
    let client = only(&trace, NAME, SpanKind::Client);
    let server = only(&trace, NAME, SpanKind::Server);
    assert_eq!(client.attribute("rpc.grpc.status_code"), Some(&Value::I64(5)));
    assert_eq!(client.status, Status::Error(Some("no such tenant".into())));
    assert_eq!(server.attribute("rpc.grpc.status_code"), Some(&Value::I64(5)));
    assert_eq!(server.status, Status::Unset);
}

#[test]
fn the_debug_metadata_forces_a_sampled_server_trace() {
    let guard = lantern().sampler(AlwaysOff).recording_mode(RecordingMode::SampledOnly).try_init_local();
    let rt = runtime();
    rt.block_on(async {
        let addr = serve(GrpcServerLayer::new().with_debug_header()).await;
        let untrusted = serve(GrpcServerLayer::new()).await;
        // Off by default: a server not told to trust the key ignores it.
        let mut call = request(None);
        call.metadata_mut().insert("lantern-debug", "true".parse().unwrap());
        client(untrusted).await.export(call).instrument(tracing::info_span!("caller")).await.unwrap();
        let mut client = client(addr).await;
        for forced in [false, true] {
            let mut request = request(None);
            if forced {
                request.metadata_mut().insert("lantern-debug", "true".parse().unwrap());
            }
            client.export(request).instrument(tracing::info_span!("caller")).await.unwrap();
        }
    });
    drop(rt);
    let snap = guard.buffer().snapshot();
    let servers = snap.spans_named(NAME, 10);
    assert_eq!(servers.len(), 1, "only the forced call is recorded: {servers:?}");
    let server = &servers[0];
    assert_eq!(server.kind, SpanKind::Server);
    assert!(server.is_sampled());
    assert_eq!(server.attribute("lantern.debug"), Some(&Value::Bool(true)));
    let trace = snap.trace(server.trace_id).unwrap();
    assert!(only(&trace, "store", SpanKind::Internal).is_sampled());
    drop(snap);
    // The sampler decided for the callers, never for the forced server span.
    let roots = guard.handle().sampling().roots();
    let decided: Vec<_> = roots.iter().map(|r| (r.name.as_str(), r.seen, r.sampled)).collect();
    // The unforced server root was the sampler's (AlwaysOff) to decide; the
    // forced one was not, and is not counted.
    assert_eq!(decided, [("caller", 3, 0), (NAME, 2, 0)], "forced roots are not the sampler's decisions");
}

#[test]
fn a_method_the_server_lacks_does_not_mint_a_span_name() {
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
    use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
    let guard = lantern().try_init_local();
    let rt = runtime();
    let status = rt.block_on(async {
        let addr = serve(GrpcServerLayer::new()).await;
        let channel =
            tonic::transport::Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
        let mut logs = LogsServiceClient::new(channel);
        logs.export(ExportLogsServiceRequest::default()).await.unwrap_err()
    });
    drop(rt);
    assert_eq!(status.code(), Code::Unimplemented);
    let snap = guard.buffer().snapshot();
    let servers = snap.spans_named("grpc", 10);
    assert_eq!(servers.len(), 1, "the server span is named `grpc`, not after the path");
    assert_eq!(servers[0].attribute("rpc.method").and_then(Value::as_str), Some("_OTHER"));
    assert_eq!(servers[0].attribute("rpc.grpc.status_code"), Some(&Value::I64(12)));
    assert!(snap.spans_named("opentelemetry.proto.collector.logs.v1.LogsService/Export", 10).is_empty());
}

#[test]
fn a_channel_to_nobody_fails_the_client_span() {
    let guard = lantern().try_init_local();
    let rt = runtime();
    let message = rt.block_on(async {
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = closed.local_addr().unwrap();
        drop(closed);
        let origin = format!("http://{addr}");
        let channel = tonic::transport::Channel::from_shared(origin.clone()).unwrap().connect_lazy();
        let traced = tower::ServiceBuilder::new().layer(GrpcClientLayer::new()).service(channel);
        let mut client = TraceServiceClient::with_origin(traced, origin.parse().unwrap());
        client.export(request(None)).instrument(tracing::info_span!("calls_nobody")).await.unwrap_err().code()
    });
    drop(rt);
    assert_eq!(message, Code::Unavailable);
    let trace = trace_of(guard.buffer(), "calls_nobody");
    let client = only(&trace, NAME, SpanKind::Client);
    assert!(client.status.is_error());
    assert_eq!(str_attr(&client, "error.type"), Some("_OTHER"));
    assert_eq!(client.attribute("rpc.grpc.status_code"), None);
}
