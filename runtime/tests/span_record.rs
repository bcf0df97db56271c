//! What a span record holds: ids, typed attributes, late fields, kind,
//! status, links, timing.

use std::time::{Duration, SystemTime};

use lantern::record::{SpanKind, Status, Value};

#[test]
fn fields_become_typed_attributes_and_later_records_are_kept() {
    let guard = lantern::builder().try_init_local();
    let before = SystemTime::now();
    let span = tracing::info_span!(
        "query",
        db.rows = tracing::field::Empty,
        n = -3_i64,
        big = 7_u64,
        f = 1.5,
        ok = true,
        s = "text",
        d = ?vec![1, 2],
        huge = u128::MAX,
    );
    span.record("db.rows", 42_u64);
    std::thread::sleep(Duration::from_millis(5));
    drop(span);
    let snap = guard.buffer().snapshot();
    let t = snap.trace(snap.traces(&Default::default())[0].trace_id).unwrap();
    let s = &t.spans[0];
    assert_eq!(s.attribute("n"), Some(&Value::I64(-3)));
    assert_eq!(s.attribute("big"), Some(&Value::U64(7)));
    assert_eq!(s.attribute("f"), Some(&Value::F64(1.5)));
    assert_eq!(s.attribute("ok"), Some(&Value::Bool(true)));
    assert_eq!(s.attribute("s"), Some(&Value::from("text")));
    assert_eq!(s.attribute("d"), Some(&Value::from("[1, 2]")));
    assert_eq!(s.attribute("huge"), Some(&Value::from(u128::MAX.to_string())));
    assert_eq!(s.attribute("db.rows"), Some(&Value::U64(42)));
    assert_eq!(s.target, module_path!());
    assert_eq!(s.level, lantern::record::Severity::Info);
    assert!(s.duration() >= Duration::from_millis(5));
    assert!(s.start_time() >= before - Duration::from_millis(50));
    assert!(s.end_time() >= s.start_time());
    assert_eq!(s.parent_span_id, None);
}

#[test]
fn otel_fields_set_kind_name_and_status() {
    let guard = lantern::builder().try_init_local();
    tracing::info_span!("handler", otel.kind = "server", otel.name = "GET /users").in_scope(|| {});
    tracing::info_span!("ok", otel.status_code = "OK").in_scope(|| {});
    let failing = tracing::info_span!(
        "failing",
        otel.status_code = tracing::field::Empty,
        otel.status_message = tracing::field::Empty
    );
    failing.record("otel.status_code", "ERROR");
    failing.record("otel.status_message", "upstream refused");
    drop(failing);
    tracing::info_span!("errfield", error = "boom").in_scope(|| {});
    tracing::info_span!("client", otel.kind = "CLIENT").in_scope(|| {});
    let snap = guard.buffer().snapshot();
    let one = |name: &str| snap.spans_named(name, 1).pop().unwrap_or_else(|| panic!("{name}"));
    let server = one("GET /users");
    assert_eq!(server.kind, SpanKind::Server);
    assert!(server.attribute("otel.kind").is_none(), "otel.* are not attributes");
    assert_eq!(one("ok").status, Status::Ok);
    assert_eq!(one("failing").status, Status::Error(Some("upstream refused".into())));
    assert_eq!(one("errfield").status, Status::Error(Some("boom".into())));
    assert_eq!(one("client").kind, SpanKind::Client);
}

#[test]
fn follows_from_becomes_a_link() {
    let guard = lantern::builder().try_init_local();
    let producer = tracing::info_span!("produce");
    let consumer = tracing::info_span!(parent: None, "consume");
    consumer.follows_from(&producer);
    let (producer_trace, producer_id) = producer.in_scope(|| {
        let cx = lantern::context::current();
        let sc = cx.span_context().unwrap();
        (sc.trace_id(), sc.span_id())
    });
    drop(consumer);
    let snap = guard.buffer().snapshot();
    let c = snap.spans_named("consume", 1).pop().unwrap();
    assert_eq!(c.links.len(), 1);
    assert_eq!(c.links[0].trace_id(), producer_trace);
    assert_eq!(c.links[0].span_id(), producer_id);
    assert_ne!(c.trace_id, producer_trace, "an explicit root starts its own trace");
}
