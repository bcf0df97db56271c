//! Several services in one process: a `service.name` field on a span sets
//! the service of that span and its descendants, and of the logs inside.

use lantern::{LogQuery, Trace};

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
