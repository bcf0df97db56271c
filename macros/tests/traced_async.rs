//! `#[traced]` on async functions and methods: the span is entered on every
//! poll, so nesting survives `.await`, other tasks and other threads.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use common::{capture, capture_at};
use lantern_macros::traced;
use tracing::instrument::WithSubscriber;

#[traced]
async fn request(id: u32) -> u32 {
    let a = step(id, 1).await;
    tokio::task::yield_now().await;
    tracing::info!("between steps");
    let b = step(id, 2).await;
    a + b
}

#[traced(level = "debug")]
async fn step(id: u32, n: u32) -> u32 {
    tokio::task::yield_now().await;
    tracing::debug!("in step");
    id * 10 + n
}

fn assert_nested(seen: &common::Seen, requests: u32) {
    assert_eq!(seen.all("request").len(), requests as usize);
    for request in seen.all("request") {
        let id = request.field("id").unwrap();
        let steps: Vec<_> = seen.spans.iter().filter(|s| s.parent == Some(request.serial)).collect();
        assert_eq!(steps.len(), 2, "both steps of request {id} are its children");
        for step in steps {
            assert_eq!((step.name.as_str(), step.field("id")), ("step", Some(id)), "not another request's");
            assert_eq!(step.events.len(), 1, "the step's event is inside it");
        }
        assert_eq!(request.events.len(), 1, "the event after the await is inside the request");
    }
    assert!(seen.orphan_events.is_empty());
}

#[test]
fn nesting_survives_await_on_a_current_thread_runtime() {
    let seen = capture(|| {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(async {
            let (a, b) = tokio::join!(request(1), request(2));
            assert_eq!((a, b), (23, 43));
        });
    });
    assert_nested(&seen, 2);
}

#[test]
fn nesting_survives_await_on_a_multi_thread_runtime() {
    let seen = capture_at(None, |dispatch| {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        rt.block_on(async {
            let tasks: Vec<_> =
                (1..=16).map(|id| tokio::spawn(request(id).with_subscriber(dispatch.clone()))).collect();
            for (id, task) in (1..=16).zip(tasks) {
                assert_eq!(task.await.unwrap(), id * 20 + 3);
            }
        });
    });
    assert_nested(&seen, 16);
}

/// Returns `Pending` once, so the future around it is polled twice.
struct PendingOnce(bool);

impl Future for PendingOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if std::mem::replace(&mut self.0, true) { Poll::Ready(()) } else { Poll::Pending }
    }
}

#[traced]
async fn hops(n: u8) -> u8 {
    PendingOnce(false).await;
    tracing::info!("after the hop");
    hop_child().await + n
}

#[traced]
async fn hop_child() -> u8 {
    PendingOnce(false).await;
    1
}

#[test]
fn a_future_polled_on_two_threads_keeps_its_span() {
    let seen = capture_at(None, |dispatch| {
        let mut cx = Context::from_waker(Waker::noop());
        let mut future = Box::pin(hops(4));
        assert!(future.as_mut().poll(&mut cx).is_pending(), "first poll here");
        let dispatch = dispatch.clone();
        let result = std::thread::spawn(move || {
            tracing::dispatcher::with_default(&dispatch, || {
                let mut cx = Context::from_waker(Waker::noop());
                loop {
                    if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
                        return v;
                    }
                }
            })
        })
        .join()
        .unwrap();
        assert_eq!(result, 5);
    });
    let hops = seen.span("hops");
    assert_eq!(hops.events.len(), 1, "the event after the hop is inside the span");
    assert_eq!(seen.span("hop_child").parent, Some(hops.serial));
}

#[derive(Debug)]
struct Timeout;

impl std::fmt::Display for Timeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("timed out")
    }
}

#[traced(err, ret, kind = "client")]
async fn call(fail: bool) -> Result<u16, Timeout> {
    tokio::task::yield_now().await;
    if fail {
        return Err(Timeout);
    }
    let port: u16 = "8080".parse().map_err(|_| Timeout)?;
    Ok(port)
}

#[traced(skip_all)]
async fn caller() -> u16 {
    let ok = call(false).await.unwrap_or(0);
    let failed = call(true).await.unwrap_or(1);
    ok + failed
}

#[test]
fn err_and_ret_work_for_async_fns() {
    let seen = capture(|| {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        assert_eq!(rt.block_on(caller()), 8081);
    });
    let caller = seen.span("caller");
    let calls = seen.all("call");
    assert!(calls.iter().all(|c| c.parent == Some(caller.serial)));
    let (ok, failed) = (calls[0], calls[1]);
    assert_eq!(ok.field("otel.kind"), Some("client"));
    assert_eq!(ok.field("otel.status_code"), None);
    assert_eq!(ok.events.len(), 1);
    assert_eq!(ok.events[0].field("return"), Some("8080"));
    assert_eq!(failed.field("otel.status_code"), Some("ERROR"));
    assert_eq!(failed.field("otel.status_message"), Some("timed out"));
    assert_eq!(failed.events.len(), 1, "the exception event, inside the failed span");
    assert_eq!(failed.events[0].field("exception.message"), Some("timed out"));
    assert_eq!(failed.events[0].level, "ERROR");
    assert_eq!(caller.field("otel.status_code"), None, "the caller is not marked");
}

trait Repository {
    async fn load(&self, key: &str) -> Option<u32>;
}

struct Memory {
    values: Vec<(String, u32)>,
}

impl Repository for Memory {
    #[traced(skip(self), ret)]
    async fn load(&self, key: &str) -> Option<u32> {
        tokio::task::yield_now().await;
        self.values.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }
}

impl Memory {
    #[traced(err)]
    async fn slot(&mut self, key: &str) -> Result<&mut u32, String> {
        tokio::task::yield_now().await;
        self.values.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v).ok_or_else(|| format!("no {key}"))
    }

    #[traced]
    async fn consume<T: std::fmt::Debug + Send>(self, tag: T) -> usize {
        self.load("a").await.map_or(0, |v| v as usize)
    }
}

#[test]
fn async_methods_trait_impls_and_generics_work() {
    let seen = capture(|| {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(async {
            let mut memory = Memory { values: vec![("a".into(), 1)] };
            assert_eq!(memory.load("a").await, Some(1));
            *memory.slot("a").await.unwrap() += 1;
            assert!(memory.slot("b").await.is_err());
            assert_eq!(memory.consume(["x"]).await, 2);
        });
    });
    let loads = seen.all("load");
    assert_eq!(loads.len(), 2);
    assert_eq!(loads[0].declared, ["key", "code.function"]);
    assert_eq!(loads[0].events[0].field("return"), Some("Some(1)"));
    let slots = seen.all("slot");
    assert_eq!((slots[0].field("otel.status_code"), slots[1].field("otel.status_code")), (None, Some("ERROR")));
    let consume = seen.span("consume");
    assert_eq!(consume.field("tag"), Some("[\"x\"]"));
    assert_eq!(loads[1].parent, Some(consume.serial));
}

struct RemoteParent(tracing::Span);

impl RemoteParent {
    fn child_span(&self, make: impl FnOnce() -> tracing::Span) -> tracing::Span {
        self.0.in_scope(make)
    }
}

#[traced(parent = &remote, skip(remote), kind = "consumer")]
async fn consume_message(remote: RemoteParent, body: &str) -> usize {
    tokio::task::yield_now().await;
    body.len()
}

#[test]
fn parent_works_for_async_fns() {
    let seen = capture(|| {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let remote = RemoteParent(tracing::info_span!("producer"));
        let _poller = tracing::info_span!("poller").entered();
        assert_eq!(rt.block_on(consume_message(remote, "hello")), 5);
    });
    assert_eq!(seen.span("consume_message").parent, Some(seen.span("producer").serial));
}
