//! Links to remote contexts: given at creation (`context::linked_span`,
//! where the sampler sees them), added later (`context::add_link`), capped,
//! and the batch consumer span of the messaging helpers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use lantern::buffer::BufferConfig;
use lantern::context::{SpanContext, add_link, linked_span};
use lantern::middleware::messaging::{batch_consumer_span, extract_message, inject_message, producer_span};
use lantern::record::{SpanKind, Value};
use lantern::sampling::{SamplingDecision, SamplingParams};

const A: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const B: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";

fn extracted(traceparent: &str, tracestate: Option<&str>) -> lantern::Context {
    let mut h = http::HeaderMap::new();
    h.insert("traceparent", traceparent.parse().unwrap());
    if let Some(ts) = tracestate {
        h.insert("tracestate", ts.parse().unwrap());
    }
    lantern::propagation::extract(&h)
}

fn ids(cx: &SpanContext) -> (String, String) {
    (cx.trace_id().to_string(), cx.span_id().to_string())
}

#[test]
fn links_given_at_creation_keep_the_remote_ids_flags_and_tracestate() {
    let lantern = lantern::builder().try_init_local();
    let a = extracted(A, Some("vendor=abc"));
    let b = extracted(B, None);
    let nothing = lantern::Context::default();
    drop(linked_span(&[&a, &nothing, &b], || tracing::info_span!("batch")));

    let span = lantern.buffer().snapshot().spans_named("batch", 1).remove(0);
    assert_eq!(span.links.len(), 2, "the context without a span context is skipped");
    assert_eq!(span.dropped_links, 0);
    assert_eq!(ids(&span.links[0]), ("4bf92f3577b34da6a3ce929d0e0e4736".into(), "00f067aa0ba902b7".into()));
    assert_eq!(ids(&span.links[1]), ("0af7651916cd43dd8448eb211c80319c".into(), "b7ad6b7169203331".into()));
    assert!(span.links.iter().all(SpanContext::is_remote));
    assert!(span.links[0].is_sampled() && !span.links[1].is_sampled());
    assert_eq!(span.links[0].trace_state().get("vendor"), Some("abc"));
    assert!(span.parent_span_id.is_none(), "links are not parents: a new trace");
    assert!(span.links.iter().all(|l| l.trace_id() != span.trace_id));
}

#[test]
fn a_linked_span_is_the_child_of_the_current_span_and_only_it_takes_the_links() {
    let lantern = lantern::builder().try_init_local();
    let a = extracted(A, None);
    tracing::info_span!("poll").in_scope(|| {
        let span = linked_span(std::slice::from_ref(&a), || tracing::info_span!("handle"));
        span.in_scope(|| tracing::info_span!("inside").in_scope(|| {}));
    });
    tracing::info_span!("after").in_scope(|| {});

    let snap = lantern.buffer().snapshot();
    let poll = snap.spans_named("poll", 1).remove(0);
    let handle = snap.spans_named("handle", 1).remove(0);
    assert_eq!(handle.parent_span_id, Some(poll.span_id));
    assert_eq!(handle.trace_id, poll.trace_id);
    assert_eq!(handle.links.len(), 1);
    assert!(snap.spans_named("inside", 1)[0].links.is_empty());
    assert!(snap.spans_named("after", 1)[0].links.is_empty());
    assert!(poll.links.is_empty());
}

#[test]
fn links_and_a_remote_parent_together() {
    let lantern = lantern::builder().try_init_local();
    let parent = extracted(A, None);
    let link = extracted(B, None);
    drop(parent.child_span(|| linked_span(&[link], || tracing::info_span!("retry"))));
    let span = lantern.buffer().snapshot().spans_named("retry", 1).remove(0);
    assert_eq!(span.trace_id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert!(span.parent_is_remote);
    assert_eq!(ids(&span.links[0]).1, "b7ad6b7169203331");
}

/// Samples a new trace when one of its links is sampled, and notes the
/// number of links it saw.
struct FollowLinks(Arc<Mutex<Vec<usize>>>);

impl lantern::sampling::Sampler for FollowLinks {
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingDecision {
        self.0.lock().unwrap().push(params.links.len());
        if params.links.iter().any(SpanContext::is_sampled) { SamplingDecision::Sample } else { SamplingDecision::Drop }
    }
    fn description(&self) -> String {
        "FollowLinks".into()
    }
}

#[test]
fn the_sampler_sees_the_links_given_at_creation() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let lantern = lantern::builder().sampler(FollowLinks(seen.clone())).try_init_local();
    drop(linked_span(&[extracted(A, None), extracted(B, None)], || tracing::info_span!("linked to a sampled one")));
    drop(linked_span(&[extracted(B, None)], || tracing::info_span!("linked to an unsampled one")));
    drop(tracing::info_span!("not linked"));

    assert_eq!(*seen.lock().unwrap(), [2, 1, 0]);
    let snap = lantern.buffer().snapshot();
    assert!(snap.spans_named("linked to a sampled one", 1)[0].is_sampled());
    assert!(!snap.spans_named("linked to an unsampled one", 1)[0].is_sampled());
    assert!(!snap.spans_named("not linked", 1)[0].is_sampled());
}

#[test]
fn links_added_to_a_running_span() {
    let lantern = lantern::builder().try_init_local();
    let span = tracing::info_span!("consume");
    assert!(add_link(&span, &extracted(A, Some("k=v"))));
    assert!(add_link(&span, &extracted(B, None).span_context().cloned()));
    assert!(!add_link(&span, &lantern::Context::default()), "an empty context is no link");
    assert!(!add_link(&tracing::Span::none(), &extracted(A, None)), "a disabled span takes none");
    drop(span);

    let span = lantern.buffer().snapshot().spans_named("consume", 1).remove(0);
    assert_eq!(span.links.len(), 2);
    assert_eq!(span.links[0].trace_state().get("k"), Some("v"));
    assert_eq!(ids(&span.links[1]).0, "0af7651916cd43dd8448eb211c80319c");
}

#[test]
fn links_past_the_cap_are_counted_as_dropped() {
    let config = BufferConfig { max_links_per_span: 2, ..Default::default() };
    let lantern = lantern::builder().buffer(config).try_init_local();
    let three = [extracted(A, None), extracted(B, None), extracted(A, None)];
    let span = linked_span(&three, || tracing::info_span!("capped"));
    assert!(!add_link(&span, &extracted(B, None)));
    let local = tracing::info_span!("local");
    span.follows_from(&local);
    drop((span, local));

    let span = lantern.buffer().snapshot().spans_named("capped", 1).remove(0);
    assert_eq!(span.links.len(), 2);
    assert_eq!(span.dropped_links, 3, "one at creation, one added, one follows_from");
}

#[test]
fn a_batch_consumer_span_links_to_each_producer_trace() {
    let lantern = lantern::builder().try_init_local();
    let batch: Vec<HashMap<String, String>> = (0..4)
        .map(|i| {
            let mut headers = HashMap::new();
            let send = producer_span("redis", "chat", Some(&format!("m-{i}")));
            send.in_scope(|| inject_message(&mut headers));
            headers
        })
        .collect();
    let mut parents: Vec<lantern::Context> = batch.iter().map(extract_message).collect();
    parents.push(extract_message(&HashMap::<String, String>::new()));
    batch_consumer_span(&parents, "redis", "chat", parents.len()).in_scope(|| tracing::info!("stored"));

    let snap = lantern.buffer().snapshot();
    let process = snap.spans_named("process chat", 1).remove(0);
    let mut sends = snap.spans_named("send chat", 10);
    sends.sort_by_key(|s| s.attribute("messaging.message.id").and_then(Value::as_str).map(str::to_owned));
    assert_eq!(sends.len(), 4);
    assert_eq!(process.kind, SpanKind::Consumer);
    assert!(process.parent_span_id.is_none(), "outside any span: a new trace");
    assert_eq!(process.attribute("messaging.batch.message_count"), Some(&Value::I64(5)));
    assert_eq!(process.attribute("messaging.system"), Some(&Value::from("redis")));
    assert_eq!(process.attribute("messaging.operation.type"), Some(&Value::from("process")));
    let linked: Vec<_> = process.links.iter().map(|l| (l.trace_id(), l.span_id())).collect();
    let produced: Vec<_> = sends.iter().map(|s| (s.trace_id, s.span_id)).collect();
    assert_eq!(linked, produced, "one link per producer, in order; the empty context skipped");
    assert!(sends.iter().all(|s| s.trace_id != process.trace_id));
}

#[test]
fn a_batch_consumer_span_inside_a_span_is_its_child() {
    let lantern = lantern::builder().try_init_local();
    let parents = [extracted(A, None)];
    tracing::info_span!("poll loop").in_scope(|| drop(batch_consumer_span(&parents, "kafka", "orders", 1)));
    let snap = lantern.buffer().snapshot();
    let poll = snap.spans_named("poll loop", 1).remove(0);
    let process = snap.spans_named("process orders", 1).remove(0);
    assert_eq!(process.parent_span_id, Some(poll.span_id));
    assert_eq!(process.links.len(), 1);
}

#[test]
fn links_pending_when_the_closure_panics_go_to_no_later_span() {
    let lantern = lantern::builder().try_init_local();
    let a = extracted(A, None);
    let caught = std::panic::catch_unwind(|| linked_span(std::slice::from_ref(&a), || panic!("before any span")));
    assert!(caught.is_err());
    tracing::info_span!("later").in_scope(|| {});
    let later = lantern.buffer().snapshot().spans_named("later", 1).remove(0);
    assert!(later.links.is_empty(), "{:?}", later.links);
}
