//! A trace that crosses a message queue: a producer task sends orders with
//! the trace context injected into each message's headers, over a tokio
//! channel; a consumer task extracts it and continues the trace. Then the
//! trace is printed from Lantern's ring buffer: the request, its producer
//! spans, and the consumer spans under them, in one trace.
//!
//! ```text
//! cargo run --example channel
//! ```
//!
//! The channel stands in for Kafka, NATS or RabbitMQ: only the headers
//! matter. Here they are a `HashMap<String, String>`; Kafka-style
//! `Vec<(String, Vec<u8>)>` headers work the same way.

use std::collections::HashMap;

use lantern::middleware::messaging::{consumer_span, extract_message, inject_message, producer_span};
use tokio::sync::mpsc;
use tracing::Instrument;

/// What travels through the queue: an id, headers, a payload.
struct Message {
    id: String,
    headers: HashMap<String, String>,
    body: String,
}

/// Places an order: a request span whose work sends one message per item.
async fn producer(tx: mpsc::Sender<Message>) {
    let request = tracing::info_span!("place_order", otel.kind = "server");
    request.in_scope(|| lantern::context::set_baggage("customer", "ann").expect("a span"));
    async move {
        for (n, item) in ["tea", "cake"].into_iter().enumerate() {
            let id = format!("order-1/{n}");
            let send = producer_span("tokio-mpsc", "orders", Some(&id));
            let mut headers = HashMap::new();
            send.in_scope(|| inject_message(&mut headers));
            println!("sent {id} with headers {headers:?}");
            let message = Message { id, headers, body: item.to_owned() };
            tx.send(message).instrument(send).await.expect("the consumer is listening");
        }
    }
    .instrument(request)
    .await;
}

/// Handles messages as they come: each in a consumer span that continues
/// the producer's trace.
async fn consumer(mut rx: mpsc::Receiver<Message>) {
    while let Some(message) = rx.recv().await {
        let parent = extract_message(&message.headers);
        let process = consumer_span(&parent, "tokio-mpsc", "orders", Some(&message.id));
        async {
            let customer = lantern::context::current().baggage().get("customer").map(str::to_owned);
            tracing::info!(item = %message.body, customer, "packing");
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            tracing::info_span!("pack_item").in_scope(|| {});
        }
        .instrument(process)
        .await;
    }
}

fn main() {
    // Global, so that spans on every worker thread are captured.
    let lantern = lantern::builder().service_name("channel").http_addr(None).init();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime");
    rt.block_on(async {
        let (tx, rx) = mpsc::channel(16);
        let consuming = tokio::spawn(consumer(rx));
        tokio::spawn(producer(tx)).await.expect("producer");
        consuming.await.expect("consumer");
    });
    lantern.buffer().flush();

    let snap = lantern.buffer().snapshot();
    let Some(request) = snap.spans_named("place_order", 1).pop() else {
        println!("no trace recorded (is another subscriber installed?)");
        return;
    };
    let trace = snap.trace(request.trace_id).expect("the request's trace");
    println!("\ntrace {} ({} spans):", trace.trace_id, trace.spans.len());
    lantern_examples::print_tree(&trace, &request, 1);
    let consumers = trace.spans.iter().filter(|s| s.kind == lantern::record::SpanKind::Consumer).count();
    println!("\nproducer and consumer in one trace: {}", consumers == 2);
}
