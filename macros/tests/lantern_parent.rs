//! `parent = cx` with a real `lantern::Context`, under Lantern: the span is
//! the child of the remote caller's span, and the macro's fields become
//! Lantern's kind, status and attributes.

use lantern::context::{SpanContext, TraceFlags, TraceState};
use lantern::record::{SpanKind, Status, Value};
use lantern::{Context, SpanId, TraceId};
use lantern_macros::traced;

#[traced(parent = cx, skip(cx), kind = "server", err)]
fn handle(cx: &Context, path: &str) -> Result<usize, String> {
    if path.is_empty() { Err("empty path".into()) } else { Ok(path.len()) }
}

#[test]
fn a_lantern_context_is_a_parent() {
    let (trace_id, remote_span) = (TraceId::random(), SpanId::random());
    let remote = SpanContext::new(trace_id, remote_span, TraceFlags::SAMPLED, true, TraceState::default());
    let cx = Context::new(Some(remote), Default::default());

    let guard = lantern::builder().try_init_local();
    {
        let _connection = tracing::info_span!("connection").entered();
        assert_eq!(handle(&cx, "/users"), Ok(6));
        assert!(handle(&cx, "").is_err());
    }
    let snap = guard.buffer().snapshot();
    let trace = snap.trace(trace_id).expect("the spans joined the remote trace");
    assert_eq!(trace.spans.len(), 2);
    for span in &trace.spans {
        assert_eq!(span.name, "handle");
        assert_eq!((span.parent_span_id, span.parent_is_remote), (Some(remote_span), true));
        assert_eq!(span.kind, SpanKind::Server);
        assert_eq!(span.attribute("code.function"), Some(&Value::from("handle")));
    }
    assert_eq!(trace.spans[0].status, Status::Unset);
    assert_eq!(trace.spans[1].status, Status::Error(Some("empty path".into())));
}
