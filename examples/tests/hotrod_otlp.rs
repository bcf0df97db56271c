//! HotROD with an OTLP endpoint configured: the ride's trace reaches the
//! collector, every span of it, each service under a resource of its own.
//!
//! The collector is an in-process OTLP/gRPC trace receiver on 127.0.0.1:0.
//! One test function: the global subscriber can be installed once per
//! process.

mod demo_support;

use std::collections::{BTreeMap, BTreeSet};

use demo_support::{Collector, get, received};
use lantern_examples::hotrod::frontend::Dispatch;
use lantern_examples::hotrod::{self, Config, Hotrod, Latencies};

#[test]
fn with_an_otlp_endpoint_the_ride_reaches_the_collector_one_resource_per_service() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (collector, endpoint, stop, server) = rt.block_on(Collector::start());

    // What `OTEL_EXPORTER_OTLP_ENDPOINT=... cargo run --example hotrod` does,
    // without touching this process's environment.
    let config = lantern_otlp::OtlpConfig::from_lookup(|k| match k {
        "OTEL_EXPORTER_OTLP_ENDPOINT" => Some(endpoint.clone()),
        "OTEL_EXPORTER_OTLP_PROTOCOL" => Some("grpc".into()),
        "OTEL_METRICS_EXPORTER" | "OTEL_LOGS_EXPORTER" => Some("none".into()),
        "OTEL_BSP_SCHEDULE_DELAY" => Some("50".into()),
        _ => None,
    })
    .unwrap();
    let exporter = lantern_otlp::OtlpExporter::new(config).unwrap();
    let lantern = lantern::builder()
        .console(lantern::fmt::ConsoleFormat::Off) // a test: no logs on stderr
        .service_name("hotrod-otlp")
        .http_addr(None)
        .max_level(tracing::Level::INFO)
        .metrics(hotrod::metrics_config())
        .exporter(exporter.clone())
        .try_init()
        .expect("the only global install of this test binary");

    let config = Config { latencies: Latencies::default().scaled(0.1), ..Config::ephemeral() };
    let hotrod = rt.block_on(Hotrod::start(config)).unwrap();
    let (status, body) = rt.block_on(get(hotrod.frontend, "/dispatch?customer=731"));
    assert_eq!(status, http::StatusCode::OK, "{body}");
    let dispatch: Dispatch = serde_json::from_str(&body).unwrap();
    let trace_id: Vec<u8> =
        (0..16).map(|i| u8::from_str_radix(&dispatch.trace_id[2 * i..2 * i + 2], 16).unwrap()).collect();

    // The guard flushes the buffer and shuts the exporter down, which sends
    // what is queued before it returns.
    lantern.buffer().flush();
    let held: BTreeMap<String, (String, String)> = {
        let snap = lantern.buffer().snapshot();
        let trace = snap.trace(dispatch.trace_id.parse().unwrap()).expect("in the buffer");
        trace
            .spans
            .iter()
            .map(|s| {
                (s.span_id.to_string(), (s.service.as_deref().unwrap_or("hotrod-otlp").to_owned(), s.name.to_string()))
            })
            .collect()
    };
    drop(lantern);
    rt.block_on(hotrod.shutdown());

    let got = received(&collector, &trace_id);
    assert_eq!(got.len(), held.len(), "every span of the ride reached the collector");
    for (id, (service, name)) in &held {
        let (got_service, got_name, _) = &got[id];
        assert_eq!((got_service, got_name), (service, name), "span {id}");
    }
    let services: BTreeSet<&str> = got.values().map(|(s, _, _)| s.as_str()).collect();
    assert_eq!(services, BTreeSet::from(["customer", "driver", "frontend", "route"]), "one resource per service");
    let roots: Vec<_> = got.values().filter(|(_, _, parent)| parent.is_empty()).collect();
    assert_eq!(roots.len(), 1, "one root: {roots:?}");
    let stats = exporter.stats().traces;
    assert_eq!(stats.dropped(), 0, "{stats:?}");
    assert!(stats.exported >= held.len() as u64, "{stats:?}");

    let _ = stop.send(());
    let _ = rt.block_on(server);
}
