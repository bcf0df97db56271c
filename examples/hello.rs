//! Nested and async work with baggage, then the recent traces from Lantern's
//! ring buffer printed as an indented tree, and the logs with their trace ids.
//!
//! ```text
//! cargo run --release --example hello
//! ```

use std::time::Duration;

use lantern::{LogQuery, TraceQuery};
use tracing::Instrument;

#[lantern::traced(err)]
async fn fetch_price(item: &'static str) -> Result<u64, String> {
    tokio::time::sleep(Duration::from_millis(3)).await;
    let customer = lantern::context::current().baggage().get("customer").map(str::to_owned);
    tracing::info!(item, customer, "price looked up");
    if item == "unicorn" { Err(format!("no price for {item}")) } else { Ok(42) }
}

#[lantern::traced(skip_all)]
async fn checkout(items: &[&'static str]) -> u64 {
    let mut total = 0;
    for item in items {
        match fetch_price(item).await {
            Ok(price) => total += price,
            Err(e) => tracing::warn!(error = %e, "skipping item"),
        }
    }
    let handle = tokio::spawn(
        async {
            tokio::time::sleep(Duration::from_millis(2)).await;
            tracing::info!("receipt sent");
        }
        .instrument(tracing::info_span!("send_receipt", otel.kind = "producer")),
    );
    let _ = handle.await;
    total
}

fn main() {
    let lantern = lantern::builder().service_name("hello").init();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime");
    for customer in ["ann", "bob"] {
        rt.block_on(
            async move {
                lantern::context::set_baggage("customer", customer).expect("within limits");
                let total = checkout(&["tea", "unicorn", "cake"]).await;
                tracing::info!(total, "order placed");
            }
            .instrument(tracing::info_span!("order", otel.kind = "server", customer)),
        );
    }
    drop(rt);
    lantern.buffer().flush();
    print_report(lantern.buffer());
}

fn print_report(buffer: &lantern::Buffer) {
    let snap = buffer.snapshot();
    println!("Recent traces of {} (newest first):\n", buffer.resource().service_name());
    for summary in snap.traces(&TraceQuery::default()) {
        let Some(trace) = snap.trace(summary.trace_id) else { continue };
        let mark = if summary.error { "  [error]" } else { "" };
        println!("trace {}  {} spans  {:?}{mark}", summary.trace_id, summary.span_count, summary.duration);
        if let Some(root) = trace.root() {
            print_tree(&trace, root, 1);
        }
        println!();
    }
    println!("Logs (newest first):\n");
    for log in snap.logs(&LogQuery { limit: 20, ..Default::default() }) {
        let trace = log.trace_id.map_or_else(|| "-".repeat(32), |t| t.to_string());
        let fields: Vec<String> = log.attributes.iter().map(|kv| format!("{}={}", kv.key, kv.value)).collect();
        println!("{:5} {trace} {} {}", log.severity.as_str(), log.body, fields.join(" "));
    }
    let stats = snap.stats();
    println!(
        "\nbuffer: {} spans, {} logs, {} KiB of {} MiB",
        stats.spans,
        stats.logs,
        stats.bytes / 1024,
        stats.max_bytes >> 20
    );
}

fn print_tree(trace: &lantern::Trace, span: &lantern::SpanRecord, depth: usize) {
    let status = if span.is_error() { "  ERROR" } else { "" };
    let baggage_customer = span.attribute("customer").map(|v| format!("  customer={v}")).unwrap_or_default();
    println!(
        "{:indent$}{} ({}) {:?}{status}{baggage_customer}",
        "",
        span.name,
        span.kind.as_str(),
        span.duration(),
        indent = depth * 2
    );
    for child in trace.children(span.span_id) {
        print_tree(trace, child, depth + 1);
    }
}
