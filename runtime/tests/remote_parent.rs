//! Remote parents are given at span creation and cannot be set too late.

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn headers() -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    h.insert("traceparent", TRACEPARENT.parse().unwrap());
    h.insert("tracestate", "vendor=abc".parse().unwrap());
    h
}

#[test]
fn the_server_span_and_its_children_join_the_remote_trace() {
    let guard = lantern::builder().try_init_local();
    let remote = lantern::propagation::extract(&headers());
    // Even inside a local span (a connection span, say) the remote caller is the parent.
    let conn = tracing::info_span!("connection");
    let server = conn.in_scope(|| remote.child_span(|| tracing::info_span!("GET /users", otel.kind = "server")));
    server.in_scope(|| tracing::info_span!("db").in_scope(|| {}));
    let outgoing = server.in_scope(|| {
        let mut out = http::HeaderMap::new();
        lantern::propagation::inject_current(&mut out);
        out
    });
    drop(server);
    drop(conn);

    let snap = guard.buffer().snapshot();
    let trace = snap.trace("4bf92f3577b34da6a3ce929d0e0e4736".parse().unwrap()).expect("the remote trace id is kept");
    let server = trace.spans.iter().find(|s| s.name == "GET /users").unwrap();
    assert_eq!(server.parent_span_id, Some("00f067aa0ba902b7".parse().unwrap()));
    assert!(server.parent_is_remote);
    assert!(server.is_sampled());
    assert_eq!(server.trace_state.get("vendor"), Some("abc"));
    let db = trace.spans.iter().find(|s| s.name == "db").unwrap();
    assert_eq!(db.parent_span_id, Some(server.span_id));
    assert!(!db.parent_is_remote);
    assert_eq!(trace.root().unwrap().span_id, server.span_id);

    // Outgoing calls carry this trace, this span as the parent, the tracestate.
    let tp = outgoing.get("traceparent").unwrap().to_str().unwrap();
    assert_eq!(tp, format!("00-4bf92f3577b34da6a3ce929d0e0e4736-{}-01", server.span_id));
    assert_eq!(outgoing.get("tracestate").unwrap(), "vendor=abc");

    // The connection span is a trace of its own.
    assert_ne!(snap.spans_named("connection", 1)[0].trace_id, server.trace_id);
}

#[test]
fn an_invalid_traceparent_starts_a_new_trace() {
    let guard = lantern::builder().try_init_local();
    let mut h = http::HeaderMap::new();
    h.insert("traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01".parse().unwrap());
    h.insert("tracestate", "vendor=abc".parse().unwrap());
    let span = lantern::propagation::extract(&h).child_span(|| tracing::info_span!("server"));
    drop(span);
    let snap = guard.buffer().snapshot();
    let s = &snap.spans_named("server", 1)[0];
    assert_eq!(s.parent_span_id, None);
    assert!(s.trace_state.is_empty(), "tracestate is dropped with an invalid traceparent");
}

#[test]
fn an_explicit_local_parent_wins_over_the_remote_one() {
    let guard = lantern::builder().try_init_local();
    let local = tracing::info_span!("local");
    let remote = lantern::propagation::extract(&headers());
    let child = remote.child_span(|| tracing::info_span!(parent: &local, "explicit"));
    drop(child);
    drop(local);
    let snap = guard.buffer().snapshot();
    let local = &snap.spans_named("local", 1)[0];
    let explicit = &snap.spans_named("explicit", 1)[0];
    assert_eq!(explicit.parent_span_id, Some(local.span_id));
    assert_eq!(explicit.trace_id, local.trace_id);
}
