//! Trace identity follows the context, not the thread.

use std::sync::Arc;

use lantern::buffer::Trace;
use lantern::record::SpanRecord;
use tracing::Instrument;

fn span<'a>(trace: &'a Trace, name: &str) -> &'a SpanRecord {
    trace.spans.iter().find(|s| s.name == name).unwrap_or_else(|| {
        let names: Vec<_> = trace.spans.iter().map(|s| (&s.name, s.span_id, s.parent_span_id)).collect();
        panic!("no span {name} in {names:?}")
    })
}

fn assert_child(trace: &Trace, child: &str, parent: &str) {
    let (c, p) = (span(trace, child), span(trace, parent));
    assert_eq!(c.trace_id, p.trace_id, "{child} is in {parent}'s trace");
    assert_eq!(c.parent_span_id, Some(p.span_id), "{child} is a child of {parent}");
    assert!(!c.parent_is_remote);
}

fn only_trace(buffer: &lantern::buffer::Buffer) -> Trace {
    let snap = buffer.snapshot();
    let traces = snap.traces(&Default::default());
    assert_eq!(traces.len(), 1, "exactly one trace: {traces:?}");
    snap.trace(traces[0].trace_id).unwrap()
}

#[test]
fn parent_and_child_across_await_and_spawn_on_a_multi_thread_runtime() {
    let guard = lantern::builder().try_init_local();
    let dispatch = tracing::dispatcher::get_default(|d| d.clone());
    // Tests must not install a global subscriber, so every runtime thread
    // (workers and the blocking pool) gets the test's as its default.
    let d = dispatch.clone();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .on_thread_start(move || std::mem::forget(tracing::dispatcher::set_default(&d)))
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(
        async {
            tokio::task::yield_now().await;
            async {
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
            .instrument(tracing::info_span!("after_await"))
            .await;
            let handle = tokio::spawn(
                async {
                    tokio::task::yield_now().await;
                    tracing::info_span!("inside_spawned").in_scope(|| {});
                }
                .instrument(tracing::info_span!("spawned")),
            );
            handle.await.unwrap();
            let blocking_parent = tracing::Span::current();
            tokio::task::spawn_blocking(move || {
                blocking_parent.in_scope(|| tracing::info_span!("blocking").in_scope(|| {}));
            })
            .await
            .unwrap();
        }
        .instrument(tracing::info_span!("root")),
    );
    drop(rt);
    let trace = only_trace(guard.buffer());
    assert_child(&trace, "after_await", "root");
    assert_child(&trace, "spawned", "root");
    assert_child(&trace, "inside_spawned", "spawned");
    assert_child(&trace, "blocking", "root");
}

#[test]
fn a_plain_thread_handed_a_span_continues_the_trace() {
    let guard = lantern::builder().try_init_local();
    let dispatch = tracing::dispatcher::get_default(|d| d.clone());
    let root = tracing::info_span!("root");
    let handed = root.clone();
    let seen = Arc::new(std::sync::Mutex::new(None));
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        tracing::dispatcher::with_default(&dispatch, || {
            handed.in_scope(|| {
                tracing::info_span!("on_thread").in_scope(|| {
                    *seen2.lock().unwrap() = lantern::context::current().span_context().map(|c| c.trace_id());
                });
            });
        });
    })
    .join()
    .unwrap();
    drop(root);
    let trace = only_trace(guard.buffer());
    assert_child(&trace, "on_thread", "root");
    assert_eq!(*seen.lock().unwrap(), Some(trace.trace_id), "context::current() on the thread sees the trace");
}
