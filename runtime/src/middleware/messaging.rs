//! Trace context through message queues: producer spans, consumer spans,
//! and the context carried in message headers.
//!
//! A message is a request that waits. The producer sends it and moves on;
//! some time later, maybe in another process, a consumer handles it. To see
//! the whole story in one trace, the producer writes its span's context into
//! the message's headers, and the consumer reads it back and continues the
//! trace from there — exactly what HTTP does with `traceparent`, only
//! asynchronous.
//!
//! # The four steps
//!
//! ```
//! use std::collections::HashMap;
//! use lantern::middleware::messaging::{consumer_span, extract_message, inject_message, producer_span};
//!
//! let lantern = lantern::builder().try_init_local();
//!
//! // Producer: a span for the send, its context into the headers.
//! let mut headers: HashMap<String, String> = HashMap::new();
//! producer_span("kafka", "orders", Some("m-1")).in_scope(|| inject_message(&mut headers));
//! assert!(headers.contains_key("traceparent"));
//!
//! // ...the message travels, with its headers...
//!
//! // Consumer: the context out of the headers, a span that continues it.
//! let parent = extract_message(&headers);
//! consumer_span(&parent, "kafka", "orders", Some("m-1")).in_scope(|| tracing::info!("order handled"));
//!
//! let snap = lantern.buffer().snapshot();
//! let trace = snap.trace(snap.traces(&Default::default())[0].trace_id).unwrap();
//! let send = trace.spans.iter().find(|s| s.name == "send orders").unwrap();
//! let process = trace.spans.iter().find(|s| s.name == "process orders").unwrap();
//! assert_eq!(process.parent_span_id, Some(send.span_id));
//! ```
//!
//! # Carriers
//!
//! Headers are whatever the queue has. [`inject_message`] and
//! [`extract_message`] take any [`Injector`] / [`Extractor`]; Lantern
//! provides both for `HashMap<String, String>` (string headers: NATS, AMQP
//! header tables converted to text, your own envelope) and for Kafka-style
//! headers, `Vec<(String, Vec<u8>)>` (name and raw bytes; non-UTF-8 values
//! are ignored on extract). Anything else takes one method to adapt; see
//! [`Extractor`].
//!
//! # Child, or links for a batch
//!
//! The OpenTelemetry messaging conventions allow a "process" span to be
//! either a *child* of the producer's span or a new trace *linked* to it.
//! For one message handled on its own, the usual case, [`consumer_span`]
//! makes the consumer span a **child** of the producer span, because a
//! single trace from the request that produced the message to the work it
//! caused is what one wants to look at. Its parent is remote
//! (`parent_is_remote`), as the consumer may well be another process.
//!
//! A consumer that handles a **batch** of messages in one go has many
//! producers but can have only one parent. [`batch_consumer_span`] makes
//! its span the child of the current span (or a new trace), with one
//! **link** per producer context: the waterfall lists the links, each
//! leading to its producer's trace, and the OTLP exporter sends them.
//!
//! ```
//! use std::collections::HashMap;
//! use lantern::middleware::messaging::{batch_consumer_span, extract_message, inject_message, producer_span};
//!
//! let lantern = lantern::builder().try_init_local();
//! let batch: Vec<HashMap<String, String>> = (0..3)
//!     .map(|_| {
//!         let mut headers = HashMap::new();
//!         producer_span("redis", "chat", None).in_scope(|| inject_message(&mut headers));
//!         headers
//!     })
//!     .collect();
//!
//! let parents: Vec<lantern::Context> = batch.iter().map(extract_message).collect();
//! batch_consumer_span(&parents, "redis", "chat", batch.len()).in_scope(|| tracing::info!("stored"));
//!
//! let process = lantern.buffer().snapshot().spans_named("process chat", 1).remove(0);
//! assert_eq!(process.links.len(), 3);
//! ```
//!
//! # Span names and attributes
//!
//! Producer spans are named `send {destination}`, consumer spans `process
//! {destination}`, with `messaging.system`, `messaging.destination.name`,
//! `messaging.operation.type` (`send` / `process`),
//! `messaging.operation.name`, and `messaging.message.id` when given. Keep
//! destinations low-cardinality: for per-request temporary queues, pass a
//! template (`replies.{client}`) rather than the generated name. Consumer
//! spans are consumer-kind, so the capture layer derives RED metrics
//! (`span.calls`, `span.errors`, `span.duration`) from them per name.
//!
//! # Forcing a consumer's trace
//!
//! Messages carry baggage, so a `lantern-debug` baggage entry set by the
//! producer (or further up) forces the consumer's trace to be sampled where
//! the consuming process honours it
//! ([`Builder::debug_baggage`](crate::Builder::debug_baggage)), within the
//! cap of forced traces a second; a value other than `1` or `true` is the
//! trace's debug id (see the [middleware docs](super)).

use tracing::Span;

use super::lost_context::lost_message_context;
use crate::context::links::linked_span;
use crate::context::value::Context;
use crate::propagation::{Extractor, Injector};

/// Writes the current span's context and baggage into a message's headers
/// (`traceparent`, `tracestate`, `baggage`); call it inside the producer
/// span. Propagation headers the context has nothing for are removed, so a
/// reused header map never carries a stale context.
///
/// ```
/// use lantern::middleware::messaging::{inject_message, producer_span};
/// let _lantern = lantern::builder().try_init_local();
/// let mut headers: Vec<(String, Vec<u8>)> = vec![("content-type".into(), b"json".to_vec())];
/// producer_span("kafka", "orders", None).in_scope(|| inject_message(&mut headers));
/// assert_eq!(headers[1].0, "traceparent");
/// ```
pub fn inject_message(headers: &mut (impl Injector + ?Sized)) {
    crate::propagation::inject_current(headers);
}

/// Reads the producer's context and baggage from a message's headers; give
/// it to [`consumer_span`]. Missing or malformed headers give an empty
/// context (the consumer then starts a new trace); this never panics.
///
/// ```
/// use lantern::middleware::messaging::extract_message;
/// let headers = vec![(
///     "traceparent".to_owned(),
///     b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_vec(),
/// )];
/// let cx = extract_message(&headers);
/// assert_eq!(cx.span_context().unwrap().trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// assert!(extract_message(&std::collections::HashMap::<String, String>::new()).span_context().is_none());
/// ```
pub fn extract_message(headers: &(impl Extractor + ?Sized)) -> Context {
    crate::propagation::extract(headers)
}

/// A producer span for sending one message, a child of the current span:
/// `send {destination}`, `otel.kind = "producer"`,
/// `messaging.operation.type = "send"`. Inject inside it.
///
/// ```
/// use lantern::record::{SpanKind, Value};
/// let lantern = lantern::builder().try_init_local();
/// drop(lantern::middleware::messaging::producer_span("rabbitmq", "emails", Some("42")));
/// let span = lantern.buffer().snapshot().spans_named("send emails", 1).remove(0);
/// assert_eq!(span.kind, SpanKind::Producer);
/// assert_eq!(span.attribute("messaging.system"), Some(&Value::from("rabbitmq")));
/// assert_eq!(span.attribute("messaging.message.id"), Some(&Value::from("42")));
/// ```
pub fn producer_span(system: &str, destination: &str, message_id: Option<&str>) -> Span {
    let name = format!("send {destination}");
    tracing::info_span!(
        "message send",
        otel.name = name.as_str(),
        otel.kind = "producer",
        messaging.system = system,
        messaging.destination.name = destination,
        messaging.operation.type = "send",
        messaging.operation.name = "send",
        messaging.message.id = message_id,
    )
}

/// A consumer span for processing one message, the child of the producer's
/// context `parent` (from [`extract_message`]; see the [module
/// docs](self) on child versus link): `process {destination}`,
/// `otel.kind = "consumer"`, `messaging.operation.type = "process"`. It
/// inherits the producer's baggage. Handle the message inside it.
///
/// Its `service.name` is empty until recorded: a process that hosts several
/// consumers names each one's, so that the span, its children and the
/// service graph's edge belong to that service
/// (`span.record("service.name", "storage")`, before making children).
///
/// ```
/// use lantern::record::SpanKind;
/// use lantern::middleware::messaging::consumer_span;
/// let lantern = lantern::builder().try_init_local();
/// let headers = std::collections::HashMap::from([(
///     "traceparent".to_owned(),
///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
/// )]);
/// let parent = lantern::middleware::messaging::extract_message(&headers);
/// consumer_span(&parent, "kafka", "orders", None).in_scope(|| {});
/// let span = lantern.buffer().snapshot().spans_named("process orders", 1).remove(0);
/// assert_eq!(span.kind, SpanKind::Consumer);
/// assert_eq!(span.parent_span_id.unwrap().to_string(), "00f067aa0ba902b7");
/// assert!(span.parent_is_remote);
///
/// let named = consumer_span(&parent, "kafka", "orders", None);
/// named.record("service.name", "storage");
/// named.in_scope(|| tracing::info_span!("store").in_scope(|| {}));
/// let store = lantern.buffer().snapshot().spans_named("store", 1).remove(0);
/// assert_eq!(store.service.as_deref(), Some("storage"));
/// ```
pub fn consumer_span(parent: &Context, system: &str, destination: &str, message_id: Option<&str>) -> Span {
    let name = format!("process {destination}");
    let context_lost = lost_message_context(parent);
    parent.child_span(|| {
        tracing::info_span!(
            "message process",
            otel.name = name.as_str(),
            otel.kind = "consumer",
            messaging.system = system,
            messaging.destination.name = destination,
            messaging.operation.type = "process",
            messaging.operation.name = "process",
            messaging.message.id = message_id,
            lantern.context_lost = context_lost,
            service.name = tracing::field::Empty,
        )
    })
}

/// A consumer span for processing a batch of `batch_size` messages at once,
/// linked to the producer context of each (`parents`, from
/// [`extract_message`]; contexts without a span context are skipped): named
/// `process {destination}`, `otel.kind = "consumer"`,
/// `messaging.operation.type = "process"`,
/// `messaging.batch.message_count = batch_size`. It is a child of the
/// current span, or the root of a new trace outside any span; the links are
/// given at its creation, so the sampler sees them. See the [module
/// docs](self) on child versus link. Links past
/// [`max_links_per_span`](crate::buffer::BufferConfig::max_links_per_span)
/// are counted in the record's `dropped_links`. Its `service.name` is
/// empty until recorded, as [`consumer_span`]'s.
///
/// ```
/// use lantern::record::{SpanKind, Value};
/// use lantern::middleware::messaging::{batch_consumer_span, extract_message};
/// let lantern = lantern::builder().try_init_local();
/// let headers = std::collections::HashMap::from([(
///     "traceparent".to_owned(),
///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
/// )]);
/// let parents = [extract_message(&headers)];
/// batch_consumer_span(&parents, "kafka", "orders", 1).in_scope(|| {});
/// let span = lantern.buffer().snapshot().spans_named("process orders", 1).remove(0);
/// assert_eq!(span.kind, SpanKind::Consumer);
/// assert_eq!(span.links[0].span_id().to_string(), "00f067aa0ba902b7");
/// assert_eq!(span.attribute("messaging.batch.message_count"), Some(&Value::I64(1)));
/// ```
pub fn batch_consumer_span(parents: &[Context], system: &str, destination: &str, batch_size: usize) -> Span {
    let name = format!("process {destination}");
    let count = i64::try_from(batch_size).unwrap_or(i64::MAX);
    linked_span(parents, || {
        tracing::info_span!(
            "message process",
            otel.name = name.as_str(),
            otel.kind = "consumer",
            messaging.system = system,
            messaging.destination.name = destination,
            messaging.operation.type = "process",
            messaging.operation.name = "process",
            messaging.batch.message_count = count,
            service.name = tracing::field::Empty,
        )
    })
}
