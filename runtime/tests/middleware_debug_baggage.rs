//! Forcing a trace with a `lantern-debug` baggage entry, across services:
//! set once upstream, it travels with the baggage and forces the trace in
//! every service that honours it (`Builder::debug_baggage`), behind an HTTP
//! server layer without a debug header and in a message consumer, within
//! the cap of forced traces; its debug id finds the trace on the traces
//! page.
//!
//! Two services, two subscribers: the caller on the test thread, the callee
//! on a thread of its own with its own runtime, so that each records into
//! its own buffer.
#![cfg(all(feature = "middleware", feature = "server"))]

mod pages_support;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use lantern::middleware::messaging::{consumer_span, extract_message, inject_message, producer_span};
use lantern::middleware::{HttpClientLayer, HttpServerLayer};
use lantern::record::SpanRecord;
use lantern::sampling::{AlwaysOff, DEBUG_ID_ATTRIBUTE, ParentBased, RecordingMode, SamplerTag};
use tokio::sync::oneshot;
use tower::{ServiceBuilder, ServiceExt};
use tracing::Instrument;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// The callee: never samples on its own, honours the baggage entry.
fn callee() -> lantern::Builder {
    lantern::builder()
        .service_name("inventory")
        .max_level(tracing::Level::INFO)
        .sampler(ParentBased::new(AlwaysOff))
        .recording_mode(RecordingMode::SampledOnly)
        .debug_baggage(true)
}

/// Serves `/items/{id}` (a handler span inside) with the callee's
/// subscriber on a thread of its own until `stop`; sends back its address
/// and its debug pages' address, and returns what it recorded.
fn serve_callee(
    ready: std::sync::mpsc::Sender<(SocketAddr, SocketAddr)>,
    stop: oneshot::Receiver<()>,
) -> Vec<Arc<SpanRecord>> {
    let lantern = callee().http_addr(Some(([127, 0, 0, 1], 0).into())).try_init_local();
    runtime().block_on(async {
        let app = Router::new()
            .route("/items/{id}", get(|| async { tracing::info_span!("load_item").in_scope(|| "ok") }))
            .layer(HttpServerLayer::new());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        ready.send((listener.local_addr().unwrap(), lantern.http_addr().unwrap())).unwrap();
        let server = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>());
        tokio::select! {
            _ = server => {}
            _ = stop => {}
        }
    });
    let snap = lantern.buffer().snapshot();
    let mut spans = snap.spans_named("GET /items/{id}", 100);
    spans.extend(snap.spans_named("load_item", 100));
    spans
}

async fn send(addr: SocketAddr) {
    let client = ServiceBuilder::new()
        .layer(HttpClientLayer::new())
        .service(Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>());
    let request = http::Request::get(format!("http://{addr}/items/7")).body(Full::default()).unwrap();
    let response = client.oneshot(request).await.unwrap();
    assert_eq!(response.status(), http::StatusCode::OK);
}

#[test]
fn a_baggage_entry_set_upstream_forces_the_trace_in_the_next_service() {
    let (ready, addrs) = std::sync::mpsc::channel();
    let (stop, stopped) = oneshot::channel();
    let callee = std::thread::spawn(move || serve_callee(ready, stopped));
    let (addr, pages) = addrs.recv().unwrap();

    // The caller samples nothing; its traceparent says so.
    let caller = lantern::builder().sampler(AlwaysOff).max_level(tracing::Level::INFO).try_init_local();
    runtime().block_on(async {
        let checkout = tracing::info_span!("checkout");
        checkout.in_scope(|| lantern::context::set_baggage("lantern-debug", "ticket-42").unwrap());
        send(addr).instrument(checkout).await;
        send(addr).instrument(tracing::info_span!("browse")).await;
    });
    assert!(caller.buffer().snapshot().spans_named("checkout", 1).iter().all(|s| !s.is_sampled()));

    // Before the callee stops: its traces page finds the trace by its id.
    let found = pages_support::json(pages, "/debug/api/traces?debug_id=ticket-42");
    let traces = found["traces"].as_array().unwrap();
    assert_eq!(traces.len(), 1, "{found}");
    assert_eq!(traces[0]["root_name"], "GET /items/{id}");
    let none = pages_support::json(pages, &format!("/debug/api/traces?debug_id={}", "x".repeat(10_000)));
    assert!(none["traces"].as_array().unwrap().is_empty(), "a long id is cut, and finds nothing");
    let page = pages_support::html(pages, "/debug/traces?debug_id=ticket-42");
    assert!(page.contains("name=\"debug_id\" size=\"12\" value=\"ticket-42\""), "the form keeps it");
    let trace = pages_support::json(pages, &format!("/debug/api/traces/{}", traces[0]["trace_id"].as_str().unwrap()));
    let server = &trace["spans"][0];
    assert_eq!(server["attributes"]["sampler.type"], "debug");
    assert_eq!(server["attributes"]["lantern.debug_id"], "ticket-42");
    assert_eq!(trace["adjusted_count"], 1.0);

    stop.send(()).unwrap();
    let spans = callee.join().unwrap();
    assert_eq!(spans.len(), 2, "only the forced request is recorded: {spans:?}");
    let server = spans.iter().find(|s| s.name == "GET /items/{id}").unwrap();
    let handler = spans.iter().find(|s| s.name == "load_item").unwrap();
    assert!(server.is_sampled() && handler.is_sampled(), "the whole trace, not just its root");
    assert!(server.parent_is_remote, "the child of the unsampled caller");
    assert_eq!(server.sampler_tag(), Some(SamplerTag::debug()));
    assert_eq!(server.attribute(DEBUG_ID_ATTRIBUTE).and_then(|v| v.as_str()), Some("ticket-42"));
    assert_eq!(server.attribute("lantern.debug"), None, "no header asked");
    assert_eq!(handler.sampler_tag(), None);
}

/// A message produced by a caller whose baggage has `lantern-debug` set to
/// `debug` (none for `None`).
fn message(debug: Option<&str>) -> HashMap<String, String> {
    let _caller = lantern::builder().sampler(AlwaysOff).try_init_local();
    let mut headers = HashMap::new();
    tracing::info_span!("place_order").in_scope(|| {
        if let Some(value) = debug {
            lantern::context::set_baggage("lantern-debug", value).unwrap();
        }
        producer_span("kafka", "orders", None).in_scope(|| inject_message(&mut headers));
    });
    headers
}

#[test]
fn a_baggage_entry_forces_the_trace_of_a_message_consumer_within_the_cap() {
    let messages: Vec<_> = [Some("1"), None, Some("q-7"), Some("1"), Some("1")].into_iter().map(message).collect();
    assert!(messages[0]["baggage"].contains("lantern-debug=1"));

    let consumer = callee().max_forced_per_second(2.0).try_init_local();
    for headers in &messages {
        consumer_span(&extract_message(headers), "kafka", "orders", None)
            .in_scope(|| tracing::info_span!("handle").in_scope(|| {}));
    }
    let snap = consumer.buffer().snapshot();
    let processed = snap.spans_named("process orders", 10);
    assert_eq!(processed.len(), 2, "two forced within the cap of two a second: {processed:?}");
    assert!(processed.iter().all(|s| s.is_sampled() && s.sampler_tag() == Some(SamplerTag::debug())));
    let ids: Vec<_> = processed.iter().filter_map(|s| s.attribute(DEBUG_ID_ATTRIBUTE)?.as_str()).collect();
    assert_eq!(ids, ["q-7"]);
    assert_eq!(snap.spans_named("handle", 10).len(), 2);
    let sampling = consumer.handle().sampling();
    assert_eq!((sampling.forced(), sampling.forced_over_cap()), (2, 2));
    drop(snap);
    drop(consumer);

    // A consumer that does not honour the entry leaves it to the sampler.
    let strict = callee().debug_baggage(false).try_init_local();
    consumer_span(&extract_message(&messages[0]), "kafka", "orders", None).in_scope(|| {});
    assert!(strict.buffer().snapshot().spans_named("process orders", 1).is_empty());
}
