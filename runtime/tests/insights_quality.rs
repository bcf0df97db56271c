//! Tracing quality from real `tracing` spans and the real HTTP middleware:
//! each check on a positive and a negative case, the score, the caps, the
//! `lantern.quality.*` series, and `/debug/quality` with its JSON twin.
#![cfg(all(feature = "middleware", feature = "server"))]

mod pages_support;
use pages_support::*;

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing;
use lantern::SpanId;
use lantern::context::{SpanContext, TraceFlags, TraceState};
use lantern::insights::{Check, QualityReport, ServiceQuality};
use lantern::record::Value;
use lantern::tail::CompletionConfig;
use tower::ServiceExt;
use tracing::info_span;

fn quick() -> CompletionConfig {
    CompletionConfig { quiet_period: Duration::from_millis(20), ..Default::default() }
}

fn start() -> lantern::Guard {
    lantern::builder()
        .service_name("frontend")
        .max_level(tracing::Level::INFO)
        .insights(true)
        .completion(quick())
        .http_addr(Some(([127, 0, 0, 1], 0).into()))
        .try_init_local()
}

/// The report once `traces` traces have been analysed.
fn quality_after(lantern: &lantern::Guard, traces: u64) -> QualityReport {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let report = lantern.handle().quality().expect("quality is on");
        if report.traces >= traces {
            return report;
        }
        assert!(Instant::now() < deadline, "only {} of {traces} traces analysed", report.traces);
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn service<'a>(report: &'a QualityReport, name: &str) -> &'a ServiceQuality {
    report.service(name).unwrap_or_else(|| panic!("no {name} in {report:#?}"))
}

/// An axum app behind the HTTP server layer: `/users/{id}` is routed (the
/// server span gets `http.route`), anything else falls back (it does not).
fn app() -> Router {
    Router::new()
        .route("/users/{id}", routing::get(|| async { "ann" }))
        .fallback(|| async { "anything" })
        .layer(lantern::middleware::HttpServerLayer::new())
}

/// Sends `GET path` with `headers` through [`app`], on this thread (where
/// the local subscriber is).
fn request(path: &str, headers: &[(&str, &str)]) {
    let mut request = http::Request::get(path);
    for &(k, v) in headers {
        request = request.header(k, v);
    }
    let request = request.body(axum::body::Body::empty()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let response = rt.block_on(app().oneshot(request)).unwrap();
    assert_eq!(response.status(), 200);
}

const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

#[test]
fn an_http_server_span_without_a_route_misses_http_route() {
    let lantern = start();
    request("/users/42", &[]);
    request("/nowhere", &[]);
    let report = quality_after(&lantern, 2);

    let s = service(&report, "frontend");
    assert_eq!((s.spans, s.server_spans), (2, 2));
    assert_eq!(s.check(Check::MissingAttributes).spans, 1, "the routed request has everything");
    assert_eq!(s.missing_attributes.len(), 1, "{:?}", s.missing_attributes);
    let m = &s.missing_attributes[0];
    assert_eq!((m.family, m.kind, m.attribute, m.spans), ("http", "server", "http.route", 1));
    // The example is the fallback's trace.
    let example = s.check(Check::MissingAttributes).examples[0];
    let trace = lantern.buffer().snapshot().trace(example).expect("the example is in the buffer");
    assert_eq!(trace.spans[0].attribute("url.path"), Some(&Value::from("/nowhere")));
    assert_eq!((s.defective_spans, s.score), (1, 50.0));
}

#[test]
fn the_middleware_marks_servers_whose_instrumented_caller_lost_the_context() {
    let lantern = start();
    request("/users/1", &[("traceparent", "00-not-a-trace")]);
    request("/users/2", &[("baggage", "customer=ann")]);
    request("/users/3", &[("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7")]);
    request("/users/4", &[]);
    request("/users/5", &[("traceparent", VALID), ("baggage", "customer=ann")]);
    let report = quality_after(&lantern, 5);

    let s = service(&report, "frontend");
    assert_eq!(s.server_spans, 5);
    assert_eq!(s.entries_without_context, 4, "all but the one with a valid traceparent");
    assert_eq!(s.check(Check::ContextLost).spans, 3, "an uninstrumented caller is not a defect");
    assert_eq!(s.check(Check::Orphan).spans, 0, "a remote parent is not an orphan");
    assert_eq!(s.check(Check::ContextLost).examples.len(), 3);

    let snap = lantern.buffer().snapshot();
    let servers = snap.spans_named("GET /users/{id}", 5);
    let lost: Vec<Option<&str>> = (1..=5)
        .map(|n| {
            let path = format!("/users/{n}");
            let span = servers.iter().find(|s| s.attribute("url.path").and_then(Value::as_str) == Some(&*path));
            span.expect("each request has its server span").attribute("lantern.context_lost").and_then(Value::as_str)
        })
        .collect();
    assert_eq!(lost, [Some("invalid_traceparent"), Some("baggage_only"), Some("other_propagator"), None, None]);
}

/// With `tracing`'s registry a parent outlives its children, so a complete
/// trace of real spans has no orphan (the positive case, a span whose local
/// parent is missing, is built by hand in `insights::quality_state`'s unit
/// tests); a parent named by a context from elsewhere is a remote caller,
/// not an orphan.
#[test]
fn a_parent_named_by_a_context_from_elsewhere_is_not_an_orphan() {
    let lantern = start();
    info_span!("GET /work").in_scope(|| {
        let root = lantern::context::current().span_context().cloned().unwrap();
        let elsewhere = SpanContext::new(
            root.trace_id(),
            SpanId::from_u64(0xdead).unwrap(),
            TraceFlags::SAMPLED,
            true,
            TraceState::default(),
        );
        lantern::Context::new(Some(elsewhere), Default::default()).child_span(|| info_span!("child")).in_scope(|| {});
        info_span!("step").in_scope(|| info_span!("deeper").in_scope(|| {}));
    });
    let report = quality_after(&lantern, 1);
    let s = service(&report, "frontend");
    assert_eq!(s.spans, 4);
    assert_eq!((s.check(Check::Orphan).spans, s.defective_spans), (0, 0));
}

#[test]
fn a_trace_closed_by_max_age_has_children_of_an_unended_span() {
    let completion = CompletionConfig {
        quiet_period: Duration::from_millis(20),
        max_age: Duration::from_millis(50),
        ..Default::default()
    };
    let lantern = lantern::builder().service_name("frontend").insights(true).completion(completion).try_init_local();
    let open = info_span!("never ends");
    open.in_scope(|| info_span!("done child").in_scope(|| {}));
    let report = quality_after(&lantern, 1);
    let s = service(&report, "frontend");
    assert_eq!((s.spans, s.max_age_traces), (1, 1));
    assert_eq!(s.check(Check::Unended).spans, 1);
    assert_eq!(s.check(Check::Orphan).spans, 0, "an open parent is not an orphan's");
    drop(open);
}

#[test]
fn a_server_ending_after_its_remote_parent_is_skewed() {
    // A quiet period long enough that the server, ending after its client,
    // is still in the trace on a busy machine.
    let completion = CompletionConfig { quiet_period: Duration::from_millis(300), ..Default::default() };
    let lantern = lantern::builder().service_name("frontend").insights(true).completion(completion).try_init_local();
    let mut headers = http::HeaderMap::new();
    let client = info_span!("call", otel.kind = "client", peer.service = "self");
    client.in_scope(|| lantern::propagation::inject_current(&mut headers));
    drop(client);
    // The client gave up; its server goes on 5 ms more (past the 1 ms
    // tolerance).
    lantern::propagation::extract(&headers)
        .child_span(|| info_span!("serve", otel.kind = "server"))
        .in_scope(|| std::thread::sleep(Duration::from_millis(5)));
    // A well-nested pair for contrast.
    let client = info_span!("call", otel.kind = "client", peer.service = "self");
    client.in_scope(|| {
        lantern::propagation::inject_current(&mut headers);
        lantern::propagation::extract(&headers)
            .child_span(|| info_span!("serve", otel.kind = "server"))
            .in_scope(|| {});
    });
    drop(client);
    let report = quality_after(&lantern, 2);
    let s = service(&report, "frontend");
    assert_eq!(s.spans, 4);
    assert_eq!(s.check(Check::ClockSkew).spans, 1);
    assert_eq!(s.check(Check::UnpairedClient).spans, 0, "each client has its server");
    assert_eq!(s.defective_spans, 1);
}

#[test]
fn a_client_span_naming_no_peer_and_answered_by_no_server_is_unpaired() {
    let lantern = start();
    info_span!("job").in_scope(|| {
        info_span!("call ???", otel.kind = "client").in_scope(|| {});
        info_span!("SQL SELECT", otel.kind = "client", db.system = "mysql").in_scope(|| {});
        info_span!(
            "GET",
            otel.kind = "client",
            http.request.method = "GET",
            url.full = "http://x/",
            server.address = "x"
        )
        .in_scope(|| {});
    });
    let report = quality_after(&lantern, 1);
    let s = service(&report, "frontend");
    assert_eq!(s.check(Check::UnpairedClient).spans, 1, "a virtual node is not a defect");
    assert_eq!(s.check(Check::MissingAttributes).spans, 0);
    assert_eq!(s.score, 75.0);
}

#[test]
fn the_score_moves_with_the_defects() {
    let lantern = start();
    info_span!("clean").in_scope(|| info_span!("step").in_scope(|| {}));
    assert_eq!(service(&quality_after(&lantern, 1), "frontend").score, 100.0);
    info_span!("worse").in_scope(|| {
        info_span!("GET /x", otel.kind = "server", service.name = "api", http.request.method = "GET").in_scope(|| {})
    });
    let report = quality_after(&lantern, 2);
    assert_eq!(service(&report, "frontend").score, 100.0, "3 clean spans");
    let api = service(&report, "api");
    assert_eq!((api.spans, api.defective_spans, api.score), (1, 1, 0.0), "no http.route");

    let body = metrics(&lantern);
    for line in [
        "# TYPE lantern_quality_score gauge",
        "lantern_quality_score{service=\"frontend\"} 100",
        "lantern_quality_score{service=\"api\"} 0",
        "lantern_quality_spans_total{service=\"frontend\"} 3",
        "lantern_quality_defective_spans_total{service=\"api\"} 1",
        "lantern_quality_defects_total{service=\"api\",check=\"missing_attributes\"} 1",
        "lantern_quality_defects_total{service=\"api\",check=\"orphan\"} 0",
        "lantern_quality_server_spans_total{service=\"api\"} 1",
        "lantern_quality_entries_without_context_total{service=\"api\"} 0",
    ] {
        assert!(body.lines().any(|l| l.starts_with(line)), "missing {line}:\n{body}");
    }
}

fn metrics(lantern: &lantern::Guard) -> String {
    let (status, _, body) = get(lantern.http_addr().unwrap(), "/metrics");
    assert_eq!(status, 200, "{body}");
    body
}

#[test]
fn services_past_the_cap_are_counted_not_kept() {
    let lantern = start();
    info_span!("fan out").in_scope(|| {
        for i in 0..210 {
            let name = format!("svc-{i:03}");
            info_span!("op", service.name = name.as_str()).in_scope(|| {});
        }
    });
    let report = quality_after(&lantern, 1);
    assert_eq!(report.services.len(), 200);
    assert_eq!(report.services[0].service, "frontend", "first seen, first kept");
    assert_eq!(report.overflow_spans, 11, "svc-199 to svc-209");
    assert!(report.service("svc-198").is_some() && report.service("svc-199").is_none());
    let body = metrics(&lantern);
    assert!(body.contains("lantern_quality_spans_total{otel_metric_overflow=\"true\"} 11\n"), "{body}");
}

#[test]
fn the_page_and_its_json_show_each_service_with_examples() {
    let lantern = start();
    request("/nowhere", &[("tracestate", "a=1")]);
    let report = quality_after(&lantern, 1);
    let id = service(&report, "frontend").check(Check::ContextLost).examples[0].to_string();
    let addr = lantern.http_addr().unwrap();

    let page = html(addr, "/debug/quality");
    assert!(page.contains("<section class=\"service\" data-service=\"frontend\">"), "{page}");
    assert!(page.contains("<span class=\"score\">0.0</span>"), "{page}");
    assert!(page.contains("<tr class=\"check\" data-check=\"context_lost\">"), "{page}");
    assert!(page.contains(&format!("<a class=\"example\" href=\"/debug/traces/{id}\">")), "{page}");
    assert!(page.contains("<dl class=\"checks\">") && page.contains("clock_skew"), "every check explained");
    assert!(page.contains("http.route"), "the missing attribute is named");

    let json = json(addr, "/debug/api/quality");
    assert_eq!(json["enabled"], true);
    assert_eq!(json["traces"], 1);
    let s = &json["services"][0];
    assert_eq!(s["service"], "frontend");
    assert_eq!(s["score"], 0.0);
    assert_eq!(s["checks"]["context_lost"]["spans"], 1);
    assert_eq!(s["checks"]["context_lost"]["examples"][0], id.as_str());
    assert_eq!(s["missing_attributes"][0]["attribute"], "http.route");
    let (status, _, _) = get(addr, &format!("/debug/traces/{id}"));
    assert_eq!(status, 200, "the example links to a trace the buffer has");
}

#[test]
fn with_insights_off_the_page_says_how_to_turn_them_on() {
    let lantern = lantern::builder().http_addr(Some(([127, 0, 0, 1], 0).into())).try_init_local();
    assert!(lantern.handle().quality().is_none());
    let addr = lantern.http_addr().unwrap();
    let page = html(addr, "/debug/quality");
    assert!(page.contains("insights(true)"), "{page}");
    assert!(!page.contains("class=\"service\""));
    assert_eq!(json(addr, "/debug/api/quality"), serde_json::json!({ "enabled": false }));
}

#[test]
fn names_on_the_page_are_escaped() {
    let lantern = start();
    info_span!("x", service.name = "<script>alert(1)</script>").in_scope(|| {});
    quality_after(&lantern, 1);
    let page = html(lantern.http_addr().unwrap(), "/debug/quality");
    assert!(!page.contains("<script>"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[test]
fn a_consumer_whose_message_carried_baggage_but_no_context_lost_it() {
    use lantern::middleware::messaging::{consumer_span, extract_message};
    let lantern = start();
    let baggage_only = std::collections::HashMap::from([("baggage".to_owned(), "customer=ann".to_owned())]);
    let nothing = std::collections::HashMap::<String, String>::new();
    for headers in [&baggage_only, &nothing] {
        consumer_span(&extract_message(headers), "kafka", "orders", None).in_scope(|| {});
    }
    let report = quality_after(&lantern, 2);
    let s = service(&report, "frontend");
    assert_eq!((s.server_spans, s.entries_without_context), (2, 2));
    assert_eq!(s.check(Check::ContextLost).spans, 1);
    assert_eq!(s.check(Check::MissingAttributes).spans, 0, "the helper sets messaging.system");
}
