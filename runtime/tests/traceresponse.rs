//! The W3C `traceresponse` header of `HttpServerLayer::traceresponse`, on
//! a real axum server over a loopback socket: the server span's ids and
//! flags when on, no header when off (the default).
#![cfg(feature = "middleware")]

mod trace_support;

use std::net::SocketAddr;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use lantern::middleware::HttpServerLayer;
use lantern::record::SpanKind;
use lantern::sampling::AlwaysOff;

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

async fn serve(layer: HttpServerLayer) -> SocketAddr {
    let app = Router::new()
        .route("/hello", get(|| async { "hi" }))
        .route("/fail", get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }))
        .layer(layer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// `GET path`, with `traceparent` when given; the `traceresponse` header.
async fn traceresponse_of(addr: SocketAddr, path: &str, traceparent: Option<&str>) -> Option<String> {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut request = http::Request::get(format!("http://{addr}{path}"));
    if let Some(tp) = traceparent {
        request = request.header("traceparent", tp);
    }
    let response = client.request(request.body(Full::default()).unwrap()).await.unwrap();
    response.headers().get("traceresponse").map(|v| v.to_str().unwrap().to_owned())
}

fn server_span(lantern: &lantern::Guard, name: &str) -> lantern::record::SpanRecord {
    let span = trace_support::only(&trace_support::trace_of(lantern.buffer(), name), name, SpanKind::Server);
    assert_eq!(span.kind, SpanKind::Server);
    span
}

#[test]
fn on_the_header_names_the_server_span_of_the_callers_trace() {
    let lantern = lantern::builder().max_level(tracing::Level::INFO).try_init_local();
    let header = runtime().block_on(async {
        let addr = serve(HttpServerLayer::new().traceresponse(true)).await;
        traceresponse_of(addr, "/hello", Some(TRACEPARENT)).await
    });
    let span = server_span(&lantern, "GET /hello");
    assert_eq!(span.trace_id.to_string(), TRACE);
    assert_eq!(header.as_deref(), Some(format!("00-{TRACE}-{}-01", span.span_id).as_str()));
}

#[test]
fn on_a_new_trace_and_an_error_response_are_told_too() {
    let lantern = lantern::builder().max_level(tracing::Level::INFO).try_init_local();
    let header = runtime().block_on(async {
        let addr = serve(HttpServerLayer::new().traceresponse(true)).await;
        traceresponse_of(addr, "/fail", None).await
    });
    let span = server_span(&lantern, "GET /fail");
    let header = header.expect("a traceresponse header");
    assert_eq!(header, format!("00-{}-{}-{:02x}", span.trace_id, span.span_id, span.flags.to_u8()));
    assert!(header.ends_with("-03"), "sampled, with a random trace id: {header}");
}

#[test]
fn on_an_unsampled_trace_says_so() {
    let lantern = lantern::builder().max_level(tracing::Level::INFO).sampler(AlwaysOff).try_init_local();
    let header = runtime().block_on(async {
        let addr = serve(HttpServerLayer::new().traceresponse(true)).await;
        traceresponse_of(addr, "/hello", None).await
    });
    let span = server_span(&lantern, "GET /hello");
    assert_eq!(header, Some(format!("00-{}-{}-02", span.trace_id, span.span_id)));
}

#[test]
fn off_by_default_and_when_turned_off() {
    let _lantern = lantern::builder().max_level(tracing::Level::INFO).try_init_local();
    runtime().block_on(async {
        let default = serve(HttpServerLayer::new()).await;
        assert_eq!(traceresponse_of(default, "/hello", Some(TRACEPARENT)).await, None);
        let off = serve(HttpServerLayer::new().traceresponse(true).traceresponse(false)).await;
        assert_eq!(traceresponse_of(off, "/hello", None).await, None);
    });
}
