//! A small service that serves its own `/metrics`: RED metrics from its
//! server spans, a histogram labelled by the `customer` baggage entry,
//! exemplars that point at sampled traces, and the insights from completed
//! traces: the service graph (`traces_service_graph_*`, user -> this
//! service -> mysql) and the tracing-quality series (`lantern_quality_*`).
//!
//! ```text
//! cargo run --example metrics -- 30          # run 30 s (default: until killed)
//! curl -H 'Accept: application/openmetrics-text' http://127.0.0.1:9464/metrics
//! ```
//!
//! `LANTERN_HTTP_ADDR` moves the server; `scripts/prometheus-e2e.sh` points
//! a real Prometheus server at it.

use std::time::{Duration, Instant};

use lantern::metrics::MetricsConfig;

#[lantern::traced(err)]
fn find_driver(customer: &str, round: u64) -> Result<u64, String> {
    tracing::info_span!("SQL SELECT", otel.kind = "client", db.system = "mysql").in_scope(|| {});
    let eta = 1 + (round * 7 + customer.len() as u64) % 9;
    std::thread::sleep(Duration::from_millis(eta));
    metrics::histogram!("driver.eta").record(eta as f64 / 1000.0);
    if round % 13 == 0 { Err(format!("no driver near {customer}")) } else { Ok(eta) }
}

fn main() {
    let seconds: Option<u64> = std::env::args().nth(1).and_then(|s| s.parse().ok());
    let lantern = lantern::builder()
        .service_name("metrics-example")
        .metrics(MetricsConfig { baggage_labels: vec!["customer".into()], ..Default::default() })
        .insights(true)
        .init();
    match lantern.http_addr() {
        Some(addr) => println!("serving http://{addr}/metrics"),
        None => println!("not serving (see the message above); running anyway"),
    }
    metrics::describe_histogram!("driver.eta", metrics::Unit::Seconds, "Time to find a driver.");
    let start = Instant::now();
    let customers = ["Rachel's Floral Designs", "Trom Chocolatier", "Japanese Desserts", "Amazing Coffee Roasters"];
    for round in 0.. {
        if seconds.is_some_and(|s| start.elapsed() >= Duration::from_secs(s)) {
            break;
        }
        let customer = customers[round as usize % customers.len()];
        tracing::info_span!("HTTP GET /dispatch", otel.kind = "server").in_scope(|| {
            lantern::context::set_baggage("customer", customer).expect("within limits");
            metrics::counter!("dispatch.requests").increment(1);
            match find_driver(customer, round) {
                Ok(eta) => tracing::info!(eta, "driver found"),
                Err(e) => tracing::error!(error = %e, "dispatch failed"),
            }
        });
    }
    println!("{}", lantern.metrics().prometheus_text());
}
