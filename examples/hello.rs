//! Nested and async work with baggage, then the recent traces from Lantern's
//! ring buffer printed as an indented tree, and the logs with their trace ids;
//! then it keeps serving the debug pages (their URLs printed) and placing an
//! order every 1.5 s, so the pages fill, until Ctrl-C.
//!
//! ```text
//! cargo run --release --example hello            # report, then serve until Ctrl-C
//! cargo run --release --example hello -- --once  # report and exit (or HELLO_ONCE=1)
//! ```
//!
//! `LANTERN_HTTP_ADDR` moves the server (`127.0.0.1:0`: any free port; `off`:
//! none, and then it exits after the report). The URL lines have a fixed form
//! that `scripts/browser-e2e.sh` reads: `lantern: debug pages at URL`, then
//! `lantern: WHAT: URL`, e.g. `lantern: trace with an error: URL`.

use std::io::Write;
use std::time::Duration;

use lantern::TraceId;
use lantern::buffer::{LogQuery, TraceQuery};
use tracing::Instrument;

/// Between two orders while serving.
const ORDER_EVERY: Duration = Duration::from_millis(1500);

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

/// What customers typed in the order form's free-text box: untrusted input,
/// recorded as it came. The debug pages must show it as text, never as
/// markup (`scripts/browser-e2e.sh` checks that in a real browser).
const CUSTOMER_NOTES: [&str; 3] = ["<script>alert(1)</script>", "leave it at the door", "ring twice & wait"];

/// Places an order and returns its trace id.
async fn place_order(customer: &'static str, items: &'static [&'static str], note: &'static str) -> Option<TraceId> {
    async move {
        lantern::context::set_baggage("customer", customer).expect("within limits");
        let trace_id = lantern::context::current().span_context().map(|cx| cx.trace_id());
        let total = checkout(items).await;
        tracing::info!(total, "order placed");
        trace_id
    }
    .instrument(tracing::info_span!("order", otel.kind = "server", customer, note))
    .await
}

/// The `n`th order placed while serving: every third one asks for a unicorn,
/// which has no price, so its trace has an error.
async fn nth_order(n: usize) {
    const CUSTOMERS: [&str; 3] = ["ann", "bob", "cat"];
    const BASKETS: [&[&str]; 3] = [&["tea", "unicorn", "cake"], &["tea", "cake"], &["cake", "tea", "tea"]];
    place_order(CUSTOMERS[n % 3], BASKETS[n % 3], CUSTOMER_NOTES[n % CUSTOMER_NOTES.len()]).await;
}

fn main() {
    let once = std::env::args().skip(1).any(|a| a == "--once")
        || std::env::var("HELLO_ONCE").is_ok_and(|v| !v.is_empty() && v != "0");
    let lantern = lantern::builder().service_name("hello").init();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime");
    // Ann's order (a unicorn, and a note in markup) is the trace whose
    // waterfall the URL lines point at.
    let basket = &["tea", "unicorn", "cake"];
    let ann = rt.block_on(place_order("ann", basket, CUSTOMER_NOTES[0]));
    rt.block_on(place_order("bob", basket, CUSTOMER_NOTES[1]));
    lantern.buffer().flush();
    print_report(lantern.handle());
    if once {
        return;
    }

    let Some(addr) = lantern.http_addr() else {
        println!(
            "lantern: the HTTP server is off (LANTERN_HTTP_ADDR=off, or the address was taken: see above); \
             no debug pages to serve, exiting"
        );
        return;
    };
    let base = format!("http://{addr}");
    let error_trace = ann.filter(|id| is_error_trace(lantern.buffer(), *id)).or_else(|| {
        let snap = lantern.buffer().snapshot();
        snap.traces(&TraceQuery { errors_only: true, ..Default::default() }).first().map(|t| t.trace_id)
    });
    println!();
    println!("lantern: debug pages at {base}/debug");
    println!("lantern: traces: {base}/debug/traces");
    if let Some(id) = error_trace {
        println!("lantern: trace with an error: {base}/debug/traces/{id}");
    }
    println!("lantern: tracez: {base}/debug/tracez");
    println!("lantern: logs: {base}/debug/logs");
    println!("lantern: metrics page: {base}/debug/metrics");
    println!("lantern: sampling: {base}/debug/sampling");
    println!("lantern: prometheus metrics: {base}/metrics");
    println!("lantern: placing an order every {ORDER_EVERY:?}; Ctrl-C to stop");
    let _ = std::io::stdout().flush();

    rt.block_on(async {
        let stop = tokio::signal::ctrl_c();
        tokio::pin!(stop);
        let mut ticks = tokio::time::interval(ORDER_EVERY);
        ticks.tick().await; // the first tick is now
        for n in 0.. {
            tokio::select! {
                _ = &mut stop => break,
                // Its own task, so Ctrl-C never waits for an order.
                _ = ticks.tick() => drop(tokio::spawn(nth_order(n))),
            }
        }
    });
    println!("lantern: stopped");
}

fn is_error_trace(buffer: &lantern::buffer::Buffer, id: TraceId) -> bool {
    let snap = buffer.snapshot();
    snap.traces(&TraceQuery { errors_only: true, limit: 1000, ..Default::default() }).iter().any(|t| t.trace_id == id)
}

fn print_report(handle: &lantern::Handle) {
    let snap = handle.buffer().snapshot();
    println!("Recent traces of {} (newest first):\n", handle.resource().service_name());
    for summary in snap.traces(&TraceQuery::default()) {
        let Some(trace) = snap.trace(summary.trace_id) else { continue };
        let mark = if summary.error { "  [error]" } else { "" };
        println!("trace {}  {} spans  {:?}{mark}", summary.trace_id, summary.span_count, summary.duration);
        if let Some(root) = trace.root() {
            lantern_examples::print_tree(&trace, root, 1);
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
