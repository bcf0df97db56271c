//! The OpenTelemetry environment variables: defaults, per-signal forms,
//! and malformed values that name their variable.

use std::collections::HashMap;
use std::time::Duration;

use lantern_otlp::{Compression, OtlpConfig, Protocol, Signal, Temporality};

fn from(vars: &[(&str, &str)]) -> Result<OtlpConfig, lantern_otlp::ConfigError> {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    OtlpConfig::from_lookup(|k| map.get(k).cloned())
}

#[test]
fn defaults_follow_the_specification() {
    let cfg = from(&[]).unwrap();
    assert!(!cfg.disabled);
    assert_eq!(cfg.protocol, Protocol::Grpc);
    assert_eq!(cfg.signal_endpoint(Signal::Traces).unwrap(), "http://localhost:4317");
    assert_eq!(cfg.timeout, Duration::from_secs(10));
    assert_eq!((cfg.batch.max_queue_size, cfg.batch.max_export_batch_size), (2048, 512));
    assert_eq!((cfg.batch.schedule_delay, cfg.batch.export_timeout), (Duration::from_secs(5), Duration::from_secs(30)));
    let http = from(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")]).unwrap();
    assert_eq!(http.signal_endpoint(Signal::Metrics).unwrap(), "http://localhost:4318/v1/metrics");
}

#[test]
fn shared_and_per_signal_variables_combine() {
    let cfg = from(&[
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector.example:4318/"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20abc, x-tenant = acme"),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
        ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://logs.example:9999/custom/path"),
        ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "grpc"),
        ("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "none"),
        ("OTEL_METRICS_EXPORTER", "none"),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "128"),
        ("OTEL_BSP_SCHEDULE_DELAY", "250"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "15000"),
        ("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta"),
    ])
    .unwrap();
    assert_eq!(cfg.signal_endpoint(Signal::Traces).unwrap(), "https://collector.example:4318/v1/traces");
    assert_eq!(cfg.signal_endpoint(Signal::Logs).unwrap(), "http://logs.example:9999/custom/path", "used as is");
    assert_eq!(cfg.signal_endpoint(Signal::Metrics).unwrap(), "https://collector.example:4318/", "gRPC: the base");
    assert_eq!(
        cfg.headers,
        vec![("authorization".to_owned(), "Bearer abc".to_owned()), ("x-tenant".to_owned(), "acme".to_owned())]
    );
    assert_eq!(cfg.compression, Compression::Gzip);
    assert_eq!(cfg.traces.compression, Some(Compression::None));
    assert_eq!(cfg.timeout, Duration::from_millis(2500));
    assert!(!cfg.metrics.enabled);
    assert_eq!(cfg.batch.max_export_batch_size, 128);
    assert_eq!(cfg.batch.schedule_delay, Duration::from_millis(250));
    assert_eq!(cfg.metric_interval, Duration::from_secs(15));
    assert_eq!(cfg.temporality, Temporality::Delta);
    assert!(lantern_otlp::OtlpExporter::new(cfg).is_ok());
}

#[test]
fn malformed_values_are_errors_that_name_the_variable() {
    for (var, value) in [
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
        ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "udp"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4317"),
        ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "ftp://x"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "no-equals-sign"),
        ("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "bad header=x"),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd"),
        ("OTEL_TRACES_EXPORTER", "jaeger"),
    ] {
        let err = from(&[(var, value)]).expect_err(var);
        assert_eq!(err.variable(), var, "{err}");
        assert!(err.to_string().starts_with(var));
    }
}

#[test]
fn malformed_numbers_warn_and_keep_the_default() {
    let cfg = from(&[("OTEL_BSP_MAX_QUEUE_SIZE", "lots"), ("OTEL_EXPORTER_OTLP_TIMEOUT", "-5")]).unwrap();
    assert_eq!(cfg.batch.max_queue_size, 2048);
    assert_eq!(cfg.timeout, Duration::from_secs(10));
}

#[test]
fn the_sdk_can_be_disabled() {
    assert!(from(&[("OTEL_SDK_DISABLED", "TRUE")]).unwrap().disabled);
    assert!(!from(&[("OTEL_SDK_DISABLED", "yes")]).unwrap().disabled);
}
