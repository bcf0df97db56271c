//! Open spans are visible while they run: count per name, age.

use std::time::Duration;

#[test]
fn open_spans_are_listed_with_their_age_and_leave_when_closed() {
    let guard = lantern::builder().try_init_local();
    let a1 = tracing::info_span!("long");
    let a2 = tracing::info_span!("long");
    let b = tracing::info_span!("other");
    std::thread::sleep(Duration::from_millis(20));
    {
        let snap = guard.buffer().snapshot();
        assert_eq!(snap.open_span_counts(), vec![("long", 2), ("other", 1)]);
        let open = snap.open_spans();
        assert_eq!(open.len(), 3);
        assert!(open.iter().all(|o| o.age() >= Duration::from_millis(20)));
        assert!(open[0].age() >= open[2].age(), "oldest first");
    }
    drop(a1);
    drop(b);
    let snap = guard.buffer().snapshot();
    assert_eq!(snap.open_span_counts(), vec![("long", 1)]);
    drop(snap);
    drop(a2);
    assert!(guard.buffer().snapshot().open_spans().is_empty());
}

#[test]
fn open_spans_go_by_the_name_the_finished_span_will_have() {
    let guard = lantern::builder().try_init_local();
    let running = tracing::info_span!("HTTP request", otel.name = "GET /users/{id}");
    tracing::info_span!("HTTP request", otel.name = "GET /users/{id}").in_scope(|| {});
    let snap = guard.buffer().snapshot();
    assert_eq!(snap.open_span_counts(), vec![("GET /users/{id}", 1)]);
    let rows = snap.tracez();
    assert_eq!(rows.len(), 1, "one row, running and finished together: {rows:?}");
    assert_eq!((rows[0].name.as_str(), rows[0].running, rows[0].finished()), ("GET /users/{id}", 1, 1));
    drop(snap);
    drop(running);
}
