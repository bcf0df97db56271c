//! The exposition parses back with a real parser, and the embedded server
//! picks the format from the Accept header.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use lantern::metrics::{Metrics, MetricsConfig};
use metrics::Unit;

fn record(metrics: &Metrics) {
    metrics::with_local_recorder(&metrics.recorder(), || {
        metrics::describe_histogram!("http.server.duration", Unit::Seconds, "Time to serve a request.\nBy route.");
        metrics::describe_counter!("http.requests", "Requests \"served\".");
        metrics::counter!("http.requests", "route" => "/a\"b\\c", "code" => "200").increment(3);
        metrics::counter!("2xx-count").increment(1);
        metrics::gauge!("queue.depth").set(-2.5);
        for v in [0.003, 0.02, 0.2, 20.0] {
            metrics::histogram!("http.server.duration", "route" => "/a").record(v);
        }
    });
}

#[test]
fn prometheus_text_parses_back_with_names_sanitised_and_values_kept() {
    let metrics = Metrics::new(MetricsConfig::default());
    record(&metrics);
    let text = metrics.prometheus_text();
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("parses");
    let value = |name: &str| {
        scrape.samples.iter().find(|s| s.metric == name).unwrap_or_else(|| panic!("{name} in {text}")).value.clone()
    };
    assert!(matches!(value("http_requests_total"), prometheus_parse::Value::Counter(v) if v == 3.0));
    assert!(matches!(value("_2xx_count_total"), prometheus_parse::Value::Counter(v) if v == 1.0));
    assert!(matches!(value("queue_depth"), prometheus_parse::Value::Gauge(v) if v == -2.5));
    let requests = scrape.samples.iter().find(|s| s.metric == "http_requests_total").unwrap();
    // prometheus-parse hands label values back as written, escapes included.
    assert_eq!(requests.labels.get("route"), Some(r#"/a\"b\\c"#));
    let prometheus_parse::Value::Histogram(buckets) = value("http_server_duration_seconds") else {
        panic!("histogram with the unit suffix: {text}")
    };
    let cumulative: Vec<(f64, f64)> = buckets.iter().map(|b| (b.less_than, b.count)).collect();
    assert!(cumulative.contains(&(0.005, 1.0)) && cumulative.contains(&(0.25, 3.0)));
    assert!(cumulative.contains(&(f64::INFINITY, 4.0)), "{cumulative:?}");
    assert_eq!(
        scrape.docs.get("http_server_duration_seconds").map(String::as_str),
        Some("Time to serve a request.\\nBy route.")
    );
}

#[test]
fn openmetrics_has_units_exemplar_syntax_and_eof() {
    let metrics = Metrics::new(MetricsConfig::default());
    record(&metrics);
    let body = metrics.openmetrics_text();
    assert!(body.ends_with("# EOF\n"));
    assert!(body.contains("# TYPE http_requests counter\n"), "family name without _total: {body}");
    assert!(body.contains("# HELP http_requests Requests \\\"served\\\".\n"));
    assert!(body.contains("# UNIT http_server_duration_seconds seconds\n"));
    assert!(body.contains("http_server_duration_seconds_bucket{route=\"/a\",le=\"+Inf\"} 4\n"));
    assert_eq!(body.matches("# EOF").count(), 1);
}

fn get(addr: SocketAddr, accept: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(stream, "GET /metrics HTTP/1.1\r\nHost: localhost\r\nAccept: {accept}\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn the_embedded_server_negotiates_the_format() {
    let lantern = lantern::builder().http_addr(Some(([127, 0, 0, 1], 0).into())).try_init_local();
    record(lantern.metrics());
    let addr = lantern.http_addr().unwrap();
    assert!(addr.ip().is_loopback());
    let om = get(addr, "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5");
    assert!(om.starts_with("HTTP/1.1 200"), "{om}");
    assert!(om.to_lowercase().contains("content-type: application/openmetrics-text; version=1.0.0"));
    assert!(om.ends_with("# EOF\n"));
    let text = get(addr, "text/plain");
    assert!(text.to_lowercase().contains("content-type: text/plain; version=0.0.4"));
    assert!(text.contains("http_requests_total{route="));
    assert!(!text.contains("# EOF"));
    drop(lantern);
    assert!(TcpStream::connect(addr).is_err(), "the server stops with the guard");
}

#[test]
fn a_busy_port_is_reported_not_fatal() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let lantern = lantern::builder().http_addr(Some(taken.local_addr().unwrap())).try_init_local();
    assert_eq!(lantern.http_addr(), None);
    tracing::info_span!("still works").in_scope(|| {});
    assert_eq!(lantern.buffer().snapshot().traces(&Default::default()).len(), 1);
}
