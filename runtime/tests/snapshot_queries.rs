//! The read API: recent traces newest first, filters, one trace, spans by name.

use std::time::Duration;

use lantern::buffer::TraceQuery;

#[test]
fn recent_traces_are_newest_first_with_their_summary() {
    let guard = lantern::builder().try_init_local();
    tracing::info_span!("first").in_scope(|| tracing::info_span!("step").in_scope(|| {}));
    std::thread::sleep(Duration::from_millis(2));
    tracing::info_span!("second").in_scope(|| {
        std::thread::sleep(Duration::from_millis(10));
        tracing::error!("failed");
    });
    let snap = guard.buffer().snapshot();
    let all = snap.traces(&TraceQuery::default());
    assert_eq!(all.iter().map(|t| t.root_name.as_str()).collect::<Vec<_>>(), ["second", "first"]);
    assert_eq!(all[1].span_count, 2);
    assert!(all[0].error && !all[1].error);
    assert!(all[0].duration >= Duration::from_millis(10));
    assert!(all[0].has_root);

    let errors = snap.traces(&TraceQuery { errors_only: true, ..Default::default() });
    assert_eq!(errors.len(), 1);
    let slow = snap.traces(&TraceQuery { min_duration: Some(Duration::from_millis(10)), ..Default::default() });
    assert_eq!(slow[0].root_name, "second");
    assert_eq!(slow.len(), 1);
    let paged = snap.traces(&TraceQuery { offset: 1, limit: 1, ..Default::default() });
    assert_eq!(paged[0].root_name, "first");
    let by_name = snap.traces(&TraceQuery { span_name: Some("step".into()), ..Default::default() });
    assert_eq!(by_name[0].root_name, "first");

    let trace = snap.trace(all[1].trace_id).unwrap();
    let root = trace.root().unwrap();
    assert_eq!(root.name, "first");
    assert_eq!(trace.children(root.span_id).map(|s| s.name.to_string()).collect::<Vec<_>>(), ["step"]);
    assert!(snap.trace(lantern::TraceId::random()).is_none());
}

#[test]
fn children_include_a_remote_child_whose_parent_is_in_the_trace() {
    let guard = lantern::builder().try_init_local();
    let mut headers = http::HeaderMap::new();
    let client = tracing::info_span!("GET /customer", otel.kind = "client");
    client.in_scope(|| lantern::propagation::inject_current(&mut headers));
    lantern::propagation::extract(&headers)
        .child_span(|| tracing::info_span!("server", otel.kind = "server"))
        .in_scope(|| {});
    drop(client);
    let snap = guard.buffer().snapshot();
    let trace = snap.trace(snap.traces(&Default::default())[0].trace_id).unwrap();
    let client = trace.spans.iter().find(|s| s.name == "GET /customer").unwrap();
    let children: Vec<_> = trace.children(client.span_id).map(|s| (s.name.to_string(), s.parent_is_remote)).collect();
    assert_eq!(children, [("server".to_owned(), true)]);
    assert_eq!(trace.root().map(|r| r.name.to_string()).as_deref(), Some("GET /customer"));
}
