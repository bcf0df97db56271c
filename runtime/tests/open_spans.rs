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

#[test]
fn max_open_spans_bounds_all_threads_together_and_counts_the_rest() {
    let config = lantern::buffer::BufferConfig { max_open_spans: 10, ..Default::default() };
    let layer = lantern::builder().buffer(config).layer();
    let buffer = layer.buffer();
    let dispatch =
        tracing::Dispatch::new(tracing_subscriber::layer::SubscriberExt::with(tracing_subscriber::registry(), layer));
    let (ready, wait) = std::sync::mpsc::channel();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let released = std::sync::Arc::new(std::sync::Mutex::new(released));
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let (dispatch, ready, released) = (dispatch.clone(), ready.clone(), released.clone());
            std::thread::spawn(move || {
                tracing::dispatcher::with_default(&dispatch, || {
                    let spans: Vec<_> = (0..10).map(|_| tracing::info_span!("held")).collect();
                    ready.send(()).unwrap();
                    let _ = released.lock().unwrap().recv();
                    drop(spans);
                })
            })
        })
        .collect();
    for _ in 0..3 {
        wait.recv().unwrap();
    }
    let snap = buffer.snapshot();
    assert_eq!(snap.open_spans().len(), 10, "at most max_open_spans shown, whichever thread started them");
    assert_eq!(snap.stats().open_spans_untracked, 20, "the other 20 are counted");
    drop(snap);
    for _ in 0..3 {
        release.send(()).unwrap();
    }
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert!(buffer.snapshot().open_spans().is_empty());
}
