//! `HttpServerLayer` on a real axum server and `HttpClientLayer` on a real
//! hyper client, over a loopback socket: one trace across both, the HTTP
//! semantic-convention attributes, statuses, baggage, hostile headers and
//! forced sampling.
//!
//! Everything runs on a current-thread tokio runtime on the test thread,
//! where the thread-local Lantern subscriber of `try_init_local` is the
//! default: the server's tasks and the client's connection tasks included.
//! The server span ends before its response is written and the client span
//! before the client gets the response, so the spans are in the buffer when
//! the request returns: no sleeps.
#![cfg(feature = "middleware")]

mod trace_support;
use trace_support::{only, str_attr, trace_of};

use std::net::SocketAddr;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use lantern::middleware::{HttpClientLayer, HttpServerLayer};
use lantern::record::{SpanKind, Status, Value};
use lantern::sampling::{AlwaysOff, RecordingMode};
use tower::{Layer, ServiceBuilder, ServiceExt};
use tracing::Instrument;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// Spans at INFO and above: the layers' spans, not hyper's own.
fn lantern() -> lantern::Builder {
    lantern::builder().max_level(tracing::Level::INFO)
}

fn app(layer: HttpServerLayer) -> Router {
    Router::new()
        .route(
            "/users/{id}",
            get(|| async {
                tracing::info_span!("load_user").in_scope(|| {});
                lantern::context::current().baggage().get("customer").unwrap_or("none").to_owned()
            }),
        )
        .route("/fail", get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }))
        .route("/gone", get(|| async { StatusCode::NOT_FOUND }))
        .layer(layer)
}

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
    addr
}

type Plain = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

fn plain_client() -> Plain {
    Client::builder(TokioExecutor::new()).build_http()
}

fn get_request(url: String) -> http::Request<Full<Bytes>> {
    http::Request::get(url).header("user-agent", "lantern-test/1.0").body(Full::default()).unwrap()
}

/// Sends through the traced client; the status and the body as text.
async fn send_traced(request: http::Request<Full<Bytes>>) -> (StatusCode, String) {
    let client = ServiceBuilder::new().layer(HttpClientLayer::new()).service(plain_client());
    let response = client.oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[test]
fn client_and_server_spans_are_one_trace_with_the_semantic_convention_attributes() {
    let guard = lantern().try_init_local();
    let rt = runtime();
    let (addr, body) = rt.block_on(async {
        let addr = serve(app(HttpServerLayer::new().service_name("users"))).await;
        let checkout = tracing::info_span!("checkout");
        checkout.in_scope(|| lantern::context::set_baggage("customer", "ann b").unwrap());
        let (status, body) =
            send_traced(get_request(format!("http://{addr}/users/42?expand=1"))).instrument(checkout).await;
        assert_eq!(status, StatusCode::OK);
        (addr, body)
    });
    drop(rt);
    assert_eq!(body, "ann b", "the baggage reached the handler");

    let trace = trace_of(guard.buffer(), "checkout");
    let checkout = only(&trace, "checkout", SpanKind::Internal);
    let client = only(&trace, "GET", SpanKind::Client);
    let server = only(&trace, "GET /users/{id}", SpanKind::Server);
    let handler = only(&trace, "load_user", SpanKind::Internal);

    assert_eq!(client.parent_span_id, Some(checkout.span_id));
    assert!(!client.parent_is_remote);
    assert_eq!(server.parent_span_id, Some(client.span_id), "the server's parent is the client span");
    assert!(server.parent_is_remote, "and it came over the wire");
    assert_eq!(handler.parent_span_id, Some(server.span_id));
    assert_eq!(server.baggage.get("customer"), Some("ann b"));
    assert_eq!(client.status, Status::Unset);
    assert_eq!(server.status, Status::Unset);
    assert_eq!(
        [&checkout, &client, &server, &handler].map(|s| s.service.as_deref()),
        [None, None, Some("users"), Some("users")],
        "the server span and its children belong to the layer's service; the caller's side does not"
    );

    let port = i64::from(addr.port());
    assert_eq!(str_attr(&server, "http.request.method"), Some("GET"));
    assert_eq!(str_attr(&server, "url.path"), Some("/users/42"));
    assert_eq!(str_attr(&server, "url.scheme"), Some("http"));
    assert_eq!(str_attr(&server, "http.route"), Some("/users/{id}"));
    assert_eq!(server.attribute("http.response.status_code"), Some(&Value::I64(200)));
    assert_eq!(str_attr(&server, "server.address"), Some("127.0.0.1"));
    assert_eq!(server.attribute("server.port"), Some(&Value::I64(port)));
    assert_eq!(str_attr(&server, "client.address"), Some("127.0.0.1"));
    assert_eq!(str_attr(&server, "network.peer.address"), Some("127.0.0.1"));
    assert!(matches!(server.attribute("network.peer.port"), Some(Value::I64(p)) if *p > 0 && *p != port));
    assert_eq!(str_attr(&server, "user_agent.original"), Some("lantern-test/1.0"));
    assert_eq!(str_attr(&server, "network.protocol.version"), Some("1.1"));
    assert_eq!(server.attribute("lantern.debug"), None);
    assert_eq!(server.attribute("error.type"), None);

    assert_eq!(str_attr(&client, "http.request.method"), Some("GET"));
    assert_eq!(str_attr(&client, "url.full"), Some(&*format!("http://{addr}/users/42?expand=1")));
    assert_eq!(str_attr(&client, "server.address"), Some("127.0.0.1"));
    assert_eq!(client.attribute("server.port"), Some(&Value::I64(port)));
    assert_eq!(client.attribute("http.response.status_code"), Some(&Value::I64(200)));
    assert_eq!(str_attr(&client, "network.protocol.version"), Some("1.1"));
}

#[test]
fn statuses_follow_the_conventions_for_each_side() {
    let guard = lantern().try_init_local();
    let rt = runtime();
    let (fail_body, refused) = rt.block_on(async {
        let addr = serve(app(HttpServerLayer::new())).await;
        let (status, body) =
            send_traced(get_request(format!("http://{addr}/fail"))).instrument(tracing::info_span!("calls_fail")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        let (status, _) =
            send_traced(get_request(format!("http://{addr}/gone"))).instrument(tracing::info_span!("calls_gone")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // A port nobody listens on: the client fails without a response.
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let closed_addr = closed.local_addr().unwrap();
        drop(closed);
        let client = ServiceBuilder::new().layer(HttpClientLayer::new()).service(plain_client());
        let refused = client
            .oneshot(get_request(format!("http://{closed_addr}/")))
            .instrument(tracing::info_span!("calls_nobody"))
            .await
            .unwrap_err();
        (body, refused.to_string())
    });
    drop(rt);
    assert_eq!(fail_body, "boom");

    // 500: an error on both sides.
    let trace = trace_of(guard.buffer(), "calls_fail");
    let server = only(&trace, "GET /fail", SpanKind::Server);
    let client = only(&trace, "GET", SpanKind::Client);
    for span in [&server, &client] {
        assert!(span.status.is_error(), "{span:?}");
        assert_eq!(span.attribute("http.response.status_code"), Some(&Value::I64(500)));
        assert_eq!(str_attr(span, "error.type"), Some("500"));
    }

    // 404: the client's error, not the server's.
    let trace = trace_of(guard.buffer(), "calls_gone");
    let server = only(&trace, "GET /gone", SpanKind::Server);
    let client = only(&trace, "GET", SpanKind::Client);
    assert_eq!(server.status, Status::Unset);
    assert_eq!(server.attribute("error.type"), None);
    assert!(client.status.is_error());
    assert_eq!(str_attr(&client, "error.type"), Some("404"));

    // No response at all: an error with the failure's text.
    let trace = trace_of(guard.buffer(), "calls_nobody");
    let client = only(&trace, "GET", SpanKind::Client);
    assert_eq!(client.status, Status::Error(Some(refused.into())));
    assert_eq!(str_attr(&client, "error.type"), Some("_OTHER"));
    assert_eq!(client.attribute("http.response.status_code"), None);
}

#[test]
fn without_a_route_the_name_is_the_method_and_there_is_no_http_route() {
    let guard = lantern().try_init_local();
    let rt = runtime();
    rt.block_on(async {
        let addr = serve(app(HttpServerLayer::new())).await;
        let response = plain_client().request(get_request(format!("http://{addr}/no/such/page"))).await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    });
    drop(rt);
    let trace = trace_of(guard.buffer(), "GET");
    let server = only(&trace, "GET", SpanKind::Server);
    assert_eq!(server.attribute("http.route"), None);
    assert_eq!(str_attr(&server, "url.path"), Some("/no/such/page"));
    assert_eq!(server.parent_span_id, None, "no traceparent: a new trace");
}

#[test]
fn a_malformed_traceparent_starts_a_new_trace() {
    let guard = lantern().try_init_local();
    let before = lantern::propagation::rejected().traceparent_invalid;
    let rt = runtime();
    rt.block_on(async {
        let addr = serve(app(HttpServerLayer::new())).await;
        for bad in ["garbage", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "ff-x-y-z"] {
            let mut request = get_request(format!("http://{addr}/users/7"));
            request.headers_mut().insert("traceparent", bad.parse().unwrap());
            request.headers_mut().insert("tracestate", "congo=t61rcWkgMzE".parse().unwrap());
            let response = plain_client().request(request).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{bad}");
        }
    });
    drop(rt);
    let snap = guard.buffer().snapshot();
    let servers = snap.spans_named("GET /users/{id}", 10);
    assert_eq!(servers.len(), 3);
    for server in &servers {
        assert_eq!(server.parent_span_id, None);
        assert!(!server.parent_is_remote);
        assert!(server.trace_state.is_empty(), "the tracestate goes with its traceparent");
        assert_ne!(server.trace_id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
    }
    assert!(lantern::propagation::rejected().traceparent_invalid >= before + 3);
}

#[test]
fn the_debug_header_forces_a_sampled_trace_and_marks_it() {
    let guard = lantern().sampler(AlwaysOff).recording_mode(RecordingMode::SampledOnly).try_init_local();
    let rt = runtime();
    rt.block_on(async {
        let default_header = serve(app(HttpServerLayer::new().with_debug_header())).await;
        let by_default = serve(app(HttpServerLayer::new())).await;
        let renamed =
            serve(app(HttpServerLayer::new().debug_header(http::HeaderName::from_static("x-trace-me")))).await;
        let off = serve(app(HttpServerLayer::new().without_debug_header())).await;
        let requests = [
            (default_header, "lantern-debug", "1", "forced_default"),
            (default_header, "lantern-debug", "0", "not_forced_zero"),
            (default_header, "x-other", "1", "not_forced_other_header"),
            (renamed, "x-trace-me", "true", "forced_renamed"),
            (renamed, "lantern-debug", "1", "not_forced_renamed"),
            (off, "lantern-debug", "1", "not_forced_off"),
            (by_default, "lantern-debug", "1", "not_forced_by_default"),
        ];
        for (addr, header, value, caller) in requests {
            let mut request = get_request(format!("http://{addr}/users/1"));
            request.headers_mut().insert(header, value.parse().unwrap());
            // The caller's trace is unsampled (AlwaysOff), and says so in
            // its traceparent: the header wins over that too.
            let (status, _) = send_traced(request).instrument(tracing::info_span!("caller", caller)).await;
            assert_eq!(status, StatusCode::OK);
        }
    });
    drop(rt);
    let snap = guard.buffer().snapshot();
    let servers = snap.spans_named("GET /users/{id}", 10);
    assert_eq!(servers.len(), 2, "only the two forced requests are recorded: {servers:?}");
    for server in &servers {
        assert!(server.is_sampled());
        assert_eq!(server.attribute("lantern.debug"), Some(&Value::Bool(true)));
        assert!(server.parent_is_remote, "still the child of the unsampled caller");
        let trace = snap.trace(server.trace_id).unwrap();
        let handler = only(&trace, "load_user", SpanKind::Internal);
        assert!(handler.is_sampled(), "the whole server-side trace is sampled, not just its root");
    }
    assert!(snap.spans_named("caller", 10).is_empty(), "the callers' own spans stay unsampled");
    let sampled: usize = snap.traces(&Default::default()).len();
    assert_eq!(sampled, 2, "nothing else was recorded");
}

#[test]
fn route_fn_forwarded_headers_and_odd_methods_without_axum_routing() {
    let guard = lantern().try_init_local();
    let inner =
        tower::service_fn(|_: http::Request<()>| async { Ok::<_, std::convert::Infallible>(http::Response::new(())) });
    let layer = HttpServerLayer::new()
        .route_fn(|parts| parts.uri.path().starts_with("/items/").then(|| "/items/{id}".to_owned()));
    let request = http::Request::builder()
        .method(http::Method::from_bytes(b"PURGE").unwrap())
        .uri("/items/9")
        .version(http::Version::HTTP_2)
        .header("host", "shop.example")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-for", "203.0.113.7, 10.0.0.2")
        .body(())
        .unwrap();
    runtime().block_on(layer.layer(inner).oneshot(request)).unwrap();
    let trace = trace_of(guard.buffer(), "HTTP /items/{id}");
    let server = only(&trace, "HTTP /items/{id}", SpanKind::Server);
    assert_eq!(str_attr(&server, "http.request.method"), Some("_OTHER"));
    assert_eq!(str_attr(&server, "http.request.method_original"), Some("PURGE"));
    assert_eq!(str_attr(&server, "http.route"), Some("/items/{id}"));
    assert_eq!(str_attr(&server, "url.scheme"), Some("https"));
    assert_eq!(str_attr(&server, "server.address"), Some("shop.example"));
    assert_eq!(server.attribute("server.port"), Some(&Value::I64(443)));
    assert_eq!(str_attr(&server, "client.address"), Some("203.0.113.7"));
    assert_eq!(server.attribute("network.peer.address"), None, "no socket peer known");
    assert_eq!(str_attr(&server, "network.protocol.version"), Some("2"));
    assert_eq!(server.attribute("user_agent.original"), None);
}
