//! Every `tracing` event (and `log` record) becomes a log record with the
//! trace and span ids of the span it happened in.

use lantern::buffer::LogQuery;
use lantern::record::{Severity, Status, Value};

#[test]
fn events_carry_the_ids_of_their_span_and_none_outside_spans() {
    let guard = lantern::builder().try_init_local();
    tracing::info!(user = "ann", "outside");
    let span = tracing::info_span!("request");
    span.in_scope(|| {
        tracing::warn!(attempt = 2_u64, ok = false, ratio = 0.5, "retrying {}", "db");
        tracing::info_span!("child").in_scope(|| tracing::debug!("in child"));
    });
    drop(span);

    let snap = guard.buffer().snapshot();
    let trace_id = snap.traces(&Default::default())[0].trace_id;
    let trace = snap.trace(trace_id).unwrap();
    let request = trace.spans.iter().find(|s| s.name == "request").unwrap();
    let child = trace.spans.iter().find(|s| s.name == "child").unwrap();
    let logs = snap.logs(&LogQuery::default());
    assert_eq!(logs.len(), 3);
    // newest first
    let (in_child, retrying, outside) = (&logs[0], &logs[1], &logs[2]);

    assert_eq!(outside.body, "outside");
    assert_eq!(outside.trace_id, None);
    assert_eq!(outside.span_id, None);
    assert_eq!(outside.attribute("user"), Some(&Value::from("ann")));

    assert_eq!(retrying.body, "retrying db");
    assert_eq!(retrying.severity, Severity::Warn);
    assert_eq!(retrying.severity.number(), 13);
    assert_eq!(retrying.trace_id, Some(trace_id));
    assert_eq!(retrying.span_id, Some(request.span_id));
    assert!(retrying.flags.is_sampled());
    assert_eq!(retrying.attribute("attempt"), Some(&Value::U64(2)));
    assert_eq!(retrying.attribute("ok"), Some(&Value::Bool(false)));
    assert_eq!(retrying.attribute("ratio"), Some(&Value::F64(0.5)));
    assert_eq!(retrying.target, module_path!());

    assert_eq!(in_child.span_id, Some(child.span_id));
    assert_eq!(in_child.severity, Severity::Debug);

    // The event is also kept on its span as a span event.
    assert_eq!(request.events.len(), 1);
    assert_eq!(request.events[0].body, "retrying db");
    assert_eq!(child.events.len(), 1);
}

#[test]
fn an_error_event_inside_a_span_marks_only_that_span_as_an_error() {
    let guard = lantern::builder().try_init_local();
    tracing::info_span!("outer").in_scope(|| {
        tracing::info_span!("inner").in_scope(|| tracing::error!("disk full"));
    });
    let snap = guard.buffer().snapshot();
    let summary = &snap.traces(&Default::default())[0];
    assert!(summary.error);
    let trace = snap.trace(summary.trace_id).unwrap();
    let inner = trace.spans.iter().find(|s| s.name == "inner").unwrap();
    let outer = trace.spans.iter().find(|s| s.name == "outer").unwrap();
    assert_eq!(inner.status, Status::Error(Some("disk full".into())));
    assert_eq!(outer.status, Status::Unset);
    let errors = snap.logs(&LogQuery { min_severity: Some(Severity::Error), ..Default::default() });
    assert_eq!(errors.len(), 1);
}

#[test]
fn logs_can_be_queried_by_trace_and_level() {
    let guard = lantern::builder().try_init_local();
    let a = tracing::info_span!("a");
    a.in_scope(|| {
        tracing::info!("a1");
        tracing::warn!("a2");
    });
    tracing::info_span!("b").in_scope(|| tracing::warn!("b1"));
    let a_trace = a.id().map(|_| ());
    drop(a);
    assert!(a_trace.is_some());
    let snap = guard.buffer().snapshot();
    let a_id =
        snap.traces(&lantern::buffer::TraceQuery { span_name: Some("a".into()), ..Default::default() })[0].trace_id;
    let of_a = snap.logs(&LogQuery { trace_id: Some(a_id), ..Default::default() });
    assert_eq!(of_a.iter().map(|l| l.body.to_string()).collect::<Vec<_>>(), ["a2", "a1"]);
    let warns = snap.logs(&LogQuery { min_severity: Some(Severity::Warn), ..Default::default() });
    assert_eq!(warns.iter().map(|l| l.body.to_string()).collect::<Vec<_>>(), ["b1", "a2"]);
}
