//! Producer and consumer spans, and the trace context carried through
//! message headers of both provided kinds: string maps and Kafka-style byte
//! pairs, over a tokio channel between two tasks.
#![cfg(feature = "middleware")]

use std::collections::HashMap;

use lantern::buffer::Trace;
use lantern::middleware::messaging::{consumer_span, extract_message, inject_message, producer_span};
use lantern::propagation::{Extractor, Injector};
use lantern::record::{SpanKind, SpanRecord, Value};
use tracing::Instrument;

struct Message<H> {
    id: String,
    headers: H,
    body: &'static str,
}

fn only(trace: &Trace, name: &str) -> SpanRecord {
    let found: Vec<_> = trace.spans.iter().filter(|s| s.name == name).collect();
    assert_eq!(found.len(), 1, "one span {name}: {:?}", trace.spans);
    (**found[0]).clone()
}

/// A producer task sends two messages over a channel with `H` headers; a
/// consumer task handles each in a consumer span. Returns the trace.
fn produce_and_consume<H>(system: &'static str) -> (Trace, lantern::Guard)
where
    H: Injector + Extractor + Default + Send + 'static,
{
    let guard = lantern::builder().try_init_local();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Message<H>>(4);
        let request = tracing::info_span!("place_order");
        request.in_scope(|| lantern::context::set_baggage("customer", "ann").unwrap());
        let producer = tokio::spawn(
            async move {
                for (id, body) in [("m-1", "order 1"), ("m-2", "order 2")] {
                    let span = producer_span(system, "orders", Some(id));
                    let mut headers = H::default();
                    span.in_scope(|| inject_message(&mut headers));
                    let message = Message { id: id.to_owned(), headers, body };
                    tx.send(message).instrument(span).await.unwrap();
                }
            }
            .instrument(request),
        );
        let consumer = tokio::spawn(async move {
            while let Some(message) = rx.recv().await {
                let parent = extract_message(&message.headers);
                let span = consumer_span(&parent, system, "orders", Some(&message.id));
                async {
                    let customer = lantern::context::current().baggage().get("customer").map(str::to_owned);
                    tracing::info!(body = message.body, customer, "handled");
                    tracing::info_span!("charge").in_scope(|| {});
                }
                .instrument(span)
                .await;
            }
        });
        producer.await.unwrap();
        consumer.await.unwrap();
    });
    let snap = guard.buffer().snapshot();
    let trace = snap.trace(snap.spans_named("place_order", 1)[0].trace_id).unwrap();
    drop(snap);
    (trace, guard)
}

fn assert_one_trace_from_producer_to_consumer(trace: &Trace, system: &'static str) {
    let request = only(trace, "place_order");
    let sends: Vec<_> = trace.spans.iter().filter(|s| s.name == "send orders").collect();
    let processes: Vec<_> = trace.spans.iter().filter(|s| s.name == "process orders").collect();
    assert_eq!((sends.len(), processes.len()), (2, 2), "{:?}", trace.spans);
    for id in ["m-1", "m-2"] {
        let id_is = |s: &&&std::sync::Arc<SpanRecord>| s.attribute("messaging.message.id") == Some(&Value::from(id));
        let send = sends.iter().find(id_is).unwrap();
        let process = processes.iter().find(id_is).unwrap();
        assert_eq!(send.kind, SpanKind::Producer);
        assert_eq!(send.parent_span_id, Some(request.span_id));
        assert_eq!(process.kind, SpanKind::Consumer);
        assert_eq!(process.parent_span_id, Some(send.span_id), "the consumer span is the producer span's child");
        assert!(process.parent_is_remote);
        assert_eq!(process.baggage.get("customer"), Some("ann"), "baggage travels with the message");
        for (span, operation) in [(send, "send"), (process, "process")] {
            assert_eq!(span.attribute("messaging.system"), Some(&Value::from(system)));
            assert_eq!(span.attribute("messaging.destination.name"), Some(&Value::from("orders")));
            assert_eq!(span.attribute("messaging.operation.type"), Some(&Value::from(operation)));
            assert_eq!(span.attribute("messaging.operation.name"), Some(&Value::from(operation)));
        }
        let charge: Vec<_> = trace.children(process.span_id).filter(|s| s.name == "charge").collect();
        assert_eq!(charge.len(), 1, "work in the consumer span is its child");
        let log = process.events.iter().find(|e| e.body == "handled").unwrap();
        assert_eq!(log.attribute("customer"), Some(&Value::from("ann")));
    }
}

#[test]
fn string_map_headers_carry_the_trace_from_producer_to_consumer() {
    let (trace, _guard) = produce_and_consume::<HashMap<String, String>>("tokio-mpsc");
    assert_one_trace_from_producer_to_consumer(&trace, "tokio-mpsc");
}

#[test]
fn kafka_byte_headers_carry_the_trace_from_producer_to_consumer() {
    let (trace, _guard) = produce_and_consume::<Vec<(String, Vec<u8>)>>("kafka");
    assert_one_trace_from_producer_to_consumer(&trace, "kafka");
}

#[test]
fn messages_without_usable_headers_start_new_traces() {
    let guard = lantern::builder().try_init_local();
    let bad: Vec<(String, Vec<u8>)> =
        vec![("traceparent".into(), vec![0xff, 0xfe, 0x00]), ("baggage".into(), b"customer=ann".to_vec())];
    let none: HashMap<String, String> = HashMap::new();
    tracing::info_span!("poll_loop").in_scope(|| {
        consumer_span(&extract_message(&bad), "kafka", "orders", None).in_scope(|| {});
        consumer_span(&extract_message(&none), "kafka", "orders", None).in_scope(|| {});
    });
    let snap = guard.buffer().snapshot();
    let processes = snap.spans_named("process orders", 10);
    assert_eq!(processes.len(), 2);
    for process in &processes {
        assert_eq!(process.parent_span_id, None, "a new trace, not a child of the poll loop");
        assert_eq!(process.attribute("messaging.message.id"), None);
    }
    assert_ne!(processes[0].trace_id, processes[1].trace_id);
    let with_baggage = processes.iter().filter(|p| p.baggage.get("customer") == Some("ann")).count();
    assert_eq!(with_baggage, 1, "baggage is read even without a traceparent");
}

#[test]
fn inject_replaces_a_stale_context_in_reused_headers() {
    let _guard = lantern::builder().try_init_local();
    let mut headers: HashMap<String, String> = HashMap::from([
        ("TraceParent".to_owned(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned()),
        ("tracestate".to_owned(), "congo=t61rcWkgMzE".to_owned()),
        ("content-type".to_owned(), "json".to_owned()),
    ]);
    let span = producer_span("nats", "events", None);
    span.in_scope(|| inject_message(&mut headers));
    let cx = span.in_scope(lantern::context::current);
    let sent = extract_message(&headers);
    assert_eq!(sent.span_context().unwrap().span_id(), cx.span_context().unwrap().span_id());
    assert!(!headers.contains_key("TraceParent") && !headers.contains_key("tracestate"), "{headers:?}");
    assert_eq!(headers["content-type"], "json");
}
