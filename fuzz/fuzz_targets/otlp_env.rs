//! `otlp_env`: `OtlpConfig::from_lookup` with any values for the `OTEL_*`
//! variables it reads never panics; a configuration it accepts resolves an
//! endpoint for every signal, and `OtlpExporter::new` (which parses those
//! endpoints and headers again) accepts it too.
#![no_main]

use std::error::Error as _;

use arbitrary::Arbitrary;
use lantern_otlp::{OtlpConfig, OtlpExporter, Signal};
use libfuzzer_sys::fuzz_target;

/// Every variable `from_lookup` reads, but the TLS ones
/// (`OTEL_EXPORTER_OTLP_CERTIFICATE` and the like), whose values are paths
/// of files to read: not a parser's input (`tests/tls.rs` covers them).
const VARIABLES: &[&str] = &[
    "OTEL_SDK_DISABLED",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_COMPRESSION",
    "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
    "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
    "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
    "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION",
    "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT",
    "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL",
    "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_LOGS_HEADERS",
    "OTEL_EXPORTER_OTLP_LOGS_COMPRESSION",
    "OTEL_EXPORTER_OTLP_LOGS_TIMEOUT",
    "OTEL_TRACES_EXPORTER",
    "OTEL_METRICS_EXPORTER",
    "OTEL_LOGS_EXPORTER",
    "OTEL_BSP_MAX_QUEUE_SIZE",
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
    "OTEL_BSP_SCHEDULE_DELAY",
    "OTEL_BSP_EXPORT_TIMEOUT",
    "OTEL_METRIC_EXPORT_INTERVAL",
    "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
];

#[derive(Arbitrary, Debug)]
struct Input {
    /// (index into `VARIABLES`, value); a later pair for the same variable wins.
    vars: Vec<(u8, String)>,
}

fuzz_target!(|input: Input| {
    let lookup = |name: &str| {
        input.vars.iter().rev().find(|(i, _)| VARIABLES[*i as usize % VARIABLES.len()] == name).map(|(_, v)| v.clone())
    };
    let mut config = match OtlpConfig::from_lookup(lookup) {
        Ok(config) => config,
        Err(e) => {
            assert!(VARIABLES.contains(&e.variable()), "error names {:?}", e.variable());
            let _ = (e.to_string(), e.source().map(ToString::to_string));
            return;
        }
    };
    for signal in [Signal::Traces, Signal::Metrics, Signal::Logs] {
        let url = config.signal_endpoint(signal).unwrap_or_else(|e| panic!("{signal:?}: {e}"));
        // Schemes are case-insensitive: `HTTPS://host` is accepted as is.
        let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
        assert!(matches!(scheme.as_deref(), Some("http" | "https")), "{url:?}");
    }
    // The queue is allocated up front, at the size asked for: keep it small
    // here (a huge OTEL_BSP_MAX_QUEUE_SIZE is its own question; see README).
    config.batch.max_queue_size = config.batch.max_queue_size.min(4096);
    if let Err(e) = OtlpExporter::new(config) {
        panic!("from_lookup accepted a configuration that OtlpExporter::new refuses: {e}");
    }
});
