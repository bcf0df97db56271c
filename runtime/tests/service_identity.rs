//! Several services in one process: a `service.name` field on a span sets
//! the service of that span and its descendants, and of the logs inside.

mod pages_support;

use lantern::buffer::{LogQuery, Trace};

fn service<'a>(trace: &'a Trace, name: &str) -> Option<&'a str> {
    trace.spans.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("no span {name}")).service.as_deref()
}

#[test]
fn a_service_name_field_sets_the_service_of_a_subtree_and_its_logs() {
    let guard = lantern::builder().service_name("frontend").try_init_local();
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    tracing::info_span!("dispatch").in_scope(|| {
        tracing::info_span!("GET /customer", service.name = "customer").in_scope(|| {
            tracing::info_span!("SQL SELECT").in_scope(|| tracing::info!("row found"));
            use tracing::Instrument;
            rt.block_on(async { tracing::info!("in a task") }.instrument(tracing::info_span!("async part")));
        });
        tracing::info_span!("GET /route", service.name = "route", region = "eu").in_scope(|| {});
        tracing::info_span!("local work").in_scope(|| tracing::info!("dispatched"));
    });
    guard.buffer().flush();
    let snap = guard.buffer().snapshot();
    let summary = &snap.traces(&Default::default())[0];
    assert_eq!(summary.service, None, "the root belongs to the process's own service");
    let trace = snap.trace(summary.trace_id).unwrap();
    assert_eq!(service(&trace, "dispatch"), None);
    assert_eq!(service(&trace, "GET /customer"), Some("customer"));
    assert_eq!(service(&trace, "SQL SELECT"), Some("customer"), "children inherit it");
    assert_eq!(service(&trace, "async part"), Some("customer"), "instrumented futures too");
    assert_eq!(service(&trace, "GET /route"), Some("route"));
    assert_eq!(service(&trace, "local work"), None, "siblings do not");
    let route = trace.spans.iter().find(|s| s.name == "GET /route").unwrap();
    assert!(route.attribute("service.name").is_none(), "it is not an attribute");
    assert!(route.attribute("region").is_some());

    let logs = snap.logs(&LogQuery::default());
    let log_service = |body: &str| logs.iter().find(|l| l.body == body).unwrap().service.as_deref();
    assert_eq!(log_service("row found"), Some("customer"));
    assert_eq!(log_service("in a task"), Some("customer"));
    assert_eq!(log_service("dispatched"), None);
}

#[test]
fn a_root_span_can_name_its_service() {
    let guard = lantern::builder().service_name("all").try_init_local();
    tracing::info_span!("HTTP GET /dispatch", service.name = "frontend").in_scope(|| {});
    let snap = guard.buffer().snapshot();
    assert_eq!(snap.traces(&Default::default())[0].service.as_deref(), Some("frontend"));
}

#[test]
fn the_pages_show_each_span_and_log_under_its_service() {
    let guard =
        lantern::builder().service_name("frontend").http_addr(Some(([127, 0, 0, 1], 0).into())).try_init_local();
    let addr = guard.http_addr().unwrap();
    let id = tracing::info_span!("dispatch").in_scope(|| {
        tracing::info_span!("GET /customer", service.name = "customer").in_scope(|| {
            tracing::info!("row found");
            tracing::info_span!("SQL SELECT").in_scope(|| {});
        });
        lantern::context::current().span_context().unwrap().trace_id()
    });
    guard.buffer().flush();
    let get = |path: &str| pages_support::json(addr, path);
    let trace = get(&format!("/debug/api/traces/{id}"));
    let service_of =
        |name: &str| trace["spans"].as_array().unwrap().iter().find(|s| s["name"] == name).unwrap()["service"].clone();
    assert_eq!(service_of("dispatch"), "frontend");
    assert_eq!(service_of("GET /customer"), "customer");
    let logs = get("/debug/api/logs");
    assert_eq!(logs["logs"][0]["body"], "row found");
    assert_eq!(logs["logs"][0]["service"], "customer");
    assert_eq!(get("/debug/api/traces")["traces"][0]["service"], "frontend");
    // The page tags the service where it changes: the root, then the
    // customer subtree (not the span inside it).
    let page = pages_support::html(addr, &format!("/debug/traces/{id}"));
    let tags: Vec<&str> = page.split("<span class=\"svc\">").skip(1).map(|t| t.split('<').next().unwrap()).collect();
    assert_eq!(tags, ["frontend", "customer"], "{page}");
}

#[test]
fn red_metrics_are_per_service() {
    let guard = lantern::builder().service_name("all").try_init_local();
    for service in ["customer", "customer", "route"] {
        tracing::info_span!("GET /health", otel.kind = "server", service.name = service).in_scope(|| {});
    }
    tracing::info_span!("GET /health", otel.kind = "server").in_scope(|| {});
    let text = guard.metrics().prometheus_text();
    assert!(
        text.contains(r#"span_calls_total{span_name="GET /health",span_kind="server",service_name="customer"} 2"#),
        "{text}"
    );
    assert!(text.contains(r#"span_calls_total{span_name="GET /health",span_kind="server",service_name="route"} 1"#));
    assert!(text.contains(r#"span_calls_total{span_name="GET /health",span_kind="server"} 1"#), "the process's own");
}
