//! Shared code of the Lantern examples, [`hotrod`], the ride-sharing
//! demo run by `cargo run --release --example hotrod`, and
//! [`tracing_talk`], the chat over a Redis stream run by
//! `cargo run --release --example tracing-talk`.

pub mod hotrod;
pub mod load;
#[path = "tracing-talk/mod.rs"]
pub mod tracing_talk;

use lantern::buffer::Trace;
use lantern::record::SpanRecord;

/// Prints `span` and, indented below it, its events and its children
/// (remote children included): name, kind, duration, error, remote parent,
/// baggage.
///
/// ```
/// let lantern = lantern::builder().try_init_local();
/// tracing::info_span!("order").in_scope(|| tracing::info_span!("pay").in_scope(|| tracing::info!("paid")));
/// let snap = lantern.buffer().snapshot();
/// let trace = snap.trace(snap.traces(&Default::default())[0].trace_id).unwrap();
/// lantern_examples::print_tree(&trace, trace.root().unwrap(), 0);
/// ```
pub fn print_tree(trace: &Trace, span: &SpanRecord, depth: usize) {
    let error = if span.is_error() { "  ERROR" } else { "" };
    let remote = if span.parent_is_remote { "  (remote parent)" } else { "" };
    let baggage: Vec<String> = span.baggage.iter().map(|e| format!("{}={}", e.key(), e.value())).collect();
    let baggage = if baggage.is_empty() { String::new() } else { format!("  baggage {}", baggage.join(",")) };
    println!(
        "{:indent$}{} [{}] {:?}{error}{remote}{baggage}",
        "",
        span.name,
        span.kind.as_str(),
        span.duration(),
        indent = depth * 2
    );
    for event in &span.events {
        println!("{:indent$}- {}", "", event.body, indent = depth * 2 + 2);
    }
    for child in trace.children(span.span_id) {
        print_tree(trace, child, depth + 1);
    }
}

/// Awaits each of a demo's service tasks for up to two seconds (they were
/// told to stop), then aborts it.
pub(crate) async fn finish_tasks(tasks: &mut Vec<tokio::task::JoinHandle<()>>) {
    for task in tasks.drain(..) {
        let abort = task.abort_handle();
        if tokio::time::timeout(std::time::Duration::from_secs(2), task).await.is_err() {
            abort.abort();
        }
    }
}
