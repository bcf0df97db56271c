//! The OpenTelemetry environment variables: defaults, per-signal forms,
//! `http/json`, TLS files, and malformed values that name their variable.
//! (TLS files that work are in `tls.rs`.)

use std::collections::HashMap;
use std::error::Error as _;
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
    assert_eq!(cfg.tls, lantern_otlp::TlsConfig::default(), "the webpki roots, no client certificate");
}

#[test]
fn http_json_is_supported_like_http_protobuf() {
    let cfg = from(&[
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://gateway.example"),
        ("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/protobuf"),
    ])
    .unwrap();
    assert_eq!(cfg.protocol, Protocol::HttpJson);
    assert_eq!(cfg.logs.protocol, Some(Protocol::HttpProtobuf));
    assert_eq!(cfg.signal_endpoint(Signal::Traces).unwrap(), "https://gateway.example/v1/traces");
    assert_eq!(from(&[]).unwrap().signal_endpoint(Signal::Traces).unwrap(), "http://localhost:4317");
    let local = from(&[("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json")]).unwrap();
    assert_eq!(local.signal_endpoint(Signal::Traces).unwrap(), "http://localhost:4318/v1/traces");
    assert!(lantern_otlp::OtlpExporter::new(cfg).is_ok());
}

#[test]
fn tls_files_are_read_and_named_when_they_cannot_be() {
    let err = from(&[("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "/nonexistent/ca.pem")]).unwrap_err();
    assert_eq!(err.variable(), "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE");
    assert!(
        err.to_string().starts_with("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: cannot read `/nonexistent/ca.pem`: "),
        "{err}"
    );
    let io = err.source().expect("the I/O error").downcast_ref::<std::io::Error>().expect("an io::Error");
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    // A disabled signal's files are not read.
    let off = from(&[("OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE", "/nonexistent/ca.pem"), ("OTEL_LOGS_EXPORTER", "none")]);
    assert!(off.is_ok());
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
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "thrift"),
        ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "udp"),
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/nonexistent/ca.pem"),
        ("OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY", "/nonexistent/key.pem"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4317"),
        ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "ftp://x"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "no-equals-sign"),
        ("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "bad header=x"),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd"),
        ("OTEL_TRACES_EXPORTER", "jaeger"),
    ] {
        let err = from(&[(var, value)]).expect_err(var);
        assert_eq!(err.variable(), var, "{err}");
        assert!(err.to_string().starts_with(&format!("{var}: ")), "{err}");
    }
}

#[test]
fn messages_say_what_is_wrong() {
    for (var, value, message) in [
        ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "udp", "`udp` is not grpc, http/protobuf or http/json"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4317", "`localhost:4317` is not an http:// or https:// URL"),
        ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "ftp://x", "`ftp://x` is not an http:// or https:// URL"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "no-equals-sign", "`no-equals-sign` is not key=value"),
        ("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "bad header=x", "`bad header` is not a valid header name"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "x-bad=a%0Ab", "the value of `x-bad` is not a valid header value"),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd", "`zstd` is not gzip or none"),
        ("OTEL_TRACES_EXPORTER", "jaeger", "`jaeger` is not `otlp` or `none`"),
    ] {
        let err = from(&[(var, value)]).expect_err(var);
        assert_eq!(err.to_string(), format!("{var}: {message}"));
    }
}

#[test]
fn header_values_are_never_shown() {
    let err = from(&[("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%0As3cret")]).unwrap_err();
    assert_eq!(err.variable(), "OTEL_EXPORTER_OTLP_HEADERS");
    assert!(!err.to_string().contains("s3cret"), "{err}");
    assert!(!format!("{err:?}").contains("s3cret"), "{err:?}");
}

#[test]
fn the_underlying_error_is_the_source() {
    let err = from(&[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://bad host:4318")]).unwrap_err();
    assert_eq!(err.variable(), "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    let source = err.source().expect("the URI parser's error");
    assert!(source.is::<http::uri::InvalidUri>(), "{source:?}");
    assert_eq!(err.to_string(), "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://bad host:4318` is not a URL");
    assert!(!err.to_string().contains(&source.to_string()), "the reason is the source's, not repeated: {err}");

    let err = from(&[("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "bad header=x")]).unwrap_err();
    assert_eq!(err.variable(), "OTEL_EXPORTER_OTLP_METRICS_HEADERS");
    assert!(err.source().expect("the header parser's error").is::<http::header::InvalidHeaderName>());

    let err = from(&[("OTEL_EXPORTER_OTLP_HEADERS", "x-bad=a%0Ab")]).unwrap_err();
    assert_eq!(err.variable(), "OTEL_EXPORTER_OTLP_HEADERS");
    assert!(err.source().expect("the header parser's error").is::<http::header::InvalidHeaderValue>());

    let err = from(&[("OTEL_EXPORTER_OTLP_HEADERS", "x-latin1=caf%E9")]).unwrap_err();
    assert_eq!(err.variable(), "OTEL_EXPORTER_OTLP_HEADERS");
    assert!(err.source().expect("the UTF-8 decoder's error").is::<std::str::Utf8Error>());
    assert_eq!(
        err.to_string(),
        "OTEL_EXPORTER_OTLP_HEADERS: bad escape in the value of `x-latin1`: it is not UTF-8 once percent-decoded"
    );
}

#[test]
fn a_value_that_is_not_allowed_has_no_source() {
    for (var, value) in [
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "udp"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://x"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "no-equals-sign"),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd"),
        ("OTEL_LOGS_EXPORTER", "jaeger"),
    ] {
        let err = from(&[(var, value)]).expect_err(var);
        assert_eq!(err.variable(), var);
        assert!(err.source().is_none(), "{var}: {:?}", err.source());
    }
}

#[test]
fn a_configuration_built_in_code_names_the_field() {
    let cfg = OtlpConfig { endpoint: Some("http://bad host:4317".into()), ..Default::default() };
    let err = lantern_otlp::OtlpExporter::new(cfg).map(drop).unwrap_err();
    assert_eq!(err.variable(), "Traces endpoint");
    assert!(err.source().expect("the URI parser's error").is::<http::uri::InvalidUri>());

    let cfg = OtlpConfig { headers: vec![("x-tenant".into(), "a\nb".into())], ..Default::default() };
    let err = lantern_otlp::OtlpExporter::new(cfg).map(drop).unwrap_err();
    assert_eq!(err.variable(), "headers");
    assert_eq!(err.to_string(), "headers: the value of `x-tenant` is not a valid header value");
    assert!(err.source().expect("the header parser's error").is::<http::header::InvalidHeaderValue>());
}

#[test]
fn the_error_can_cross_threads_and_be_boxed() {
    fn assert_error<E: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<lantern_otlp::ConfigError>();
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

#[test]
fn a_huge_queue_size_is_capped_not_allocated() {
    // Found by the otlp_env fuzz target: the queues are allocated up front,
    // and u64::MAX records panicked (capacity overflow) or aborted the
    // process (allocation failure).
    let config = from(&[("OTEL_BSP_MAX_QUEUE_SIZE", "18446744073709551615")]).unwrap();
    assert_eq!(config.batch.max_queue_size, usize::MAX);
    let exporter = lantern_otlp::OtlpExporter::new(config).expect("a working exporter");
    drop(exporter);
}
