//! Sends a trace, its logs and some metrics over OTLP to the endpoint the
//! environment names (the `OTEL_*` variables), then shuts down cleanly.
//!
//! ```text
//! OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317 cargo run --example otlp
//! OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 \
//!     OTEL_SERVICE_NAME=otlp-example cargo run --example otlp
//! ```
//!
//! With no collector listening it still runs: the exporter retries until its
//! deadline, then reports what it dropped.

use std::time::Duration;

#[lantern::traced(err)]
fn reserve_seat(row: u32) -> Result<u32, String> {
    std::thread::sleep(Duration::from_millis(5));
    metrics::histogram!("seat.reservation.duration").record(0.005);
    if row > 20 { Err(format!("row {row} does not exist")) } else { Ok(row * 10 + 3) }
}

fn main() {
    let exporter = match lantern_otlp::OtlpExporter::from_env() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("bad OTLP configuration: {e}");
            std::process::exit(2);
        }
    };
    let endpoint = exporter.config().signal_endpoint(lantern_otlp::Signal::Traces).unwrap_or_default();
    println!("exporting to {endpoint} ({:?})", exporter.config().protocol);
    let lantern = lantern::builder().exporter(exporter.clone()).http_addr(None).init();
    tracing::info_span!("book tickets", otel.kind = "server").in_scope(|| {
        lantern::context::set_baggage("customer", "ann").expect("within limits");
        for row in [3, 7, 42] {
            match reserve_seat(row) {
                Ok(seat) => tracing::info!(seat, "reserved"),
                Err(e) => tracing::warn!(error = %e, "could not reserve"),
            }
        }
        metrics::counter!("tickets.booked").increment(2);
    });
    drop(lantern); // flushes and exports everything, within 5 s
    let stats = exporter.stats();
    println!(
        "spans exported {}, dropped {}; logs exported {}, dropped {}; metric points exported {}",
        stats.traces.exported,
        stats.traces.dropped(),
        stats.logs.exported,
        stats.logs.dropped(),
        stats.metrics.exported
    );
    if let Some(e) = stats.traces.last_error {
        println!("last error: {e}");
    }
}
