//! TLS to the collector, end to end against the in-process receivers over
//! TLS, with certificates made in the test: a valid chain (custom CA, from
//! code and from the `OTEL_*` variables), a wrong CA (a clear error,
//! counted, the application unaffected) and a receiver that requires a
//! client certificate (refused without one, served with one). Over gRPC
//! and over HTTP.

mod support;

use std::path::PathBuf;
use std::time::Duration;

use lantern::metrics::{MetricValue, Metrics};
use lantern_otlp::{OtlpConfig, OtlpExporter, PemSource, Protocol, Signal, TlsConfig};
use support::{Receiver, ServerTls, TestCa};

const PROTOCOLS: [Protocol; 2] = [Protocol::Grpc, Protocol::HttpProtobuf];

fn receiver(protocol: Protocol, tls: ServerTls) -> Receiver {
    match protocol {
        Protocol::Grpc => Receiver::grpc_tls(tls),
        _ => Receiver::http_tls(tls),
    }
}

/// A configuration for `receiver` that gives up on a batch after 1.5 s.
fn config(receiver: &Receiver, protocol: Protocol, tls: TlsConfig) -> OtlpConfig {
    let mut cfg = OtlpConfig {
        protocol,
        endpoint: Some(receiver.endpoint()),
        timeout: Duration::from_secs(1),
        tls,
        ..Default::default()
    };
    cfg.metrics.enabled = false;
    cfg.logs.enabled = false;
    cfg.batch.schedule_delay = Duration::from_millis(20);
    cfg.batch.export_timeout = Duration::from_millis(1500);
    cfg
}

fn trusting(ca: &TestCa) -> TlsConfig {
    TlsConfig { ca_certificate: Some(PemSource::bytes(ca.cert_pem.clone())), ..Default::default() }
}

/// Makes `n` spans with Lantern exporting to `exporter`, then shuts it
/// down (which sends what is queued, within its deadline). Returns the
/// spans Lantern recorded locally, and the trace ids made.
fn produce(exporter: &OtlpExporter, n: usize) -> (u64, Vec<Vec<u8>>) {
    let (recorded, ids, _) = produce_with_metrics(exporter, n);
    (recorded, ids)
}

/// [`produce`], and Lantern's metrics (the exporter's `otlp.*` among them).
fn produce_with_metrics(exporter: &OtlpExporter, n: usize) -> (u64, Vec<Vec<u8>>, Metrics) {
    let lantern = lantern::builder().service_name("tls-test").exporter(exporter.clone()).try_init_local();
    let metrics = lantern.handle().metrics().clone();
    let mut ids = Vec::new();
    for i in 0..n {
        tracing::info_span!("work", i).in_scope(|| {
            let cx = lantern::context::current();
            ids.push(cx.span_context().unwrap().trace_id().to_bytes().to_vec());
        });
    }
    lantern.buffer().flush();
    let recorded = lantern.buffer().stats().spans_recorded;
    drop(lantern);
    (recorded, ids, metrics)
}

/// The traces series of the counter `name` (with this `reason`, if given).
fn traces_counter(metrics: &Metrics, name: &str, reason: Option<&str>) -> u64 {
    let has = |labels: &[(String, String)], key: &str, value: &str| labels.iter().any(|(k, v)| k == key && v == value);
    let family = metrics.snapshot().into_iter().find(|f| f.name == name).unwrap_or_else(|| panic!("no {name}"));
    let series = family
        .series
        .iter()
        .find(|s| has(&s.labels, "signal", "traces") && reason.is_none_or(|r| has(&s.labels, "reason", r)))
        .unwrap_or_else(|| panic!("no traces series of {name} {reason:?}"));
    match series.value {
        MetricValue::Counter { value, .. } => value,
        ref other => panic!("{name} is {other:?}"),
    }
}

/// The trace ids of the spans `receiver` accepted, sorted.
fn received_trace_ids(receiver: &Receiver) -> Vec<Vec<u8>> {
    let traces = receiver.traces();
    let spans = traces.iter().flat_map(|r| &r.resource_spans).flat_map(|rs| &rs.scope_spans).flat_map(|s| &s.spans);
    let mut ids: Vec<_> = spans.map(|s| s.trace_id.clone()).collect();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    ids.sort();
    ids
}

#[test]
fn a_valid_chain_delivers_spans() {
    let ca = TestCa::new("collector CA");
    for protocol in PROTOCOLS {
        let receiver = receiver(protocol, ServerTls { identity: ca.server(), client_ca_pem: None });
        let exporter = OtlpExporter::new(config(&receiver, protocol, trusting(&ca))).unwrap();
        let (_, ids) = produce(&exporter, 3);
        assert_eq!(received_trace_ids(&receiver), sorted(ids), "{protocol:?}");
        let stats = exporter.stats();
        assert_eq!((stats.traces.exported, stats.traces.dropped()), (3, 0), "{protocol:?}: {stats:?}");
    }
}

#[test]
fn the_webpki_roots_do_not_trust_a_private_ca() {
    let ca = TestCa::new("private CA");
    let receiver = receiver(Protocol::HttpProtobuf, ServerTls { identity: ca.server(), client_ca_pem: None });
    let exporter = OtlpExporter::new(config(&receiver, Protocol::HttpProtobuf, TlsConfig::default())).unwrap();
    produce(&exporter, 1);
    assert_eq!(exporter.stats().traces.exported, 0);
    assert!(receiver.tls_handshake_failures() > 0);
}

#[test]
fn a_wrong_ca_is_a_clear_counted_error_and_the_app_goes_on() {
    let (real, wrong) = (TestCa::new("collector CA"), TestCa::new("some other CA"));
    for protocol in PROTOCOLS {
        let receiver = receiver(protocol, ServerTls { identity: real.server(), client_ca_pem: None });
        let exporter = OtlpExporter::new(config(&receiver, protocol, trusting(&wrong))).unwrap();
        let (recorded, ids, metrics) = produce_with_metrics(&exporter, 20);
        assert_eq!((recorded, ids.len()), (20, 20), "the application's spans are all recorded locally");
        assert!(receiver.traces().is_empty(), "{protocol:?}");
        let stats = exporter.stats();
        assert_eq!(stats.traces.exported, 0, "{protocol:?}");
        assert_eq!(stats.traces.dropped(), 20, "{protocol:?}: {stats:?}");
        assert!(stats.traces.failed_requests >= 1, "{protocol:?}: {stats:?}");
        let error = stats.traces.last_error.clone().unwrap_or_default();
        assert!(error.contains("certificate"), "{protocol:?}: the error says why: {error}");
        // And so do the exporter's own metrics, next to the application's.
        assert_eq!(traces_counter(&metrics, "otlp.failed_requests", None), stats.traces.failed_requests);
        let exhausted = traces_counter(&metrics, "otlp.dropped", Some("retries_exhausted"));
        assert_eq!(exhausted, stats.traces.dropped_retries_exhausted, "{protocol:?}");
        assert!(exhausted > 0, "{protocol:?}: {stats:?}");
        assert_eq!(traces_counter(&metrics, "otlp.exported", None), 0);
        if protocol == Protocol::HttpProtobuf {
            assert!(receiver.tls_handshake_failures() > 0);
        }
    }
}

#[test]
fn a_required_client_certificate_is_refused_without_one_and_served_with_one() {
    let ca = TestCa::new("mesh CA");
    let client = ca.client();
    for protocol in PROTOCOLS {
        let tls = ServerTls { identity: ca.server(), client_ca_pem: Some(ca.cert_pem.clone()) };
        let receiver = receiver(protocol, tls);

        let anonymous = OtlpExporter::new(config(&receiver, protocol, trusting(&ca))).unwrap();
        produce(&anonymous, 2);
        let stats = anonymous.stats();
        assert_eq!((stats.traces.exported, stats.traces.dropped()), (0, 2), "{protocol:?}: {stats:?}");
        // The server's alert (CertificateRequired) or, when the request
        // was already on its way (TLS 1.3), the connection it closed.
        assert!(stats.traces.failed_requests >= 1 && stats.traces.last_error.is_some(), "{protocol:?}: {stats:?}");
        assert!(receiver.traces().is_empty(), "{protocol:?}");

        let mut tls = trusting(&ca);
        tls.client_certificate = Some(PemSource::bytes(client.cert_pem.clone()));
        tls.client_key = Some(PemSource::bytes(client.key_pem.clone()));
        let authenticated = OtlpExporter::new(config(&receiver, protocol, tls)).unwrap();
        let (_, ids) = produce(&authenticated, 2);
        assert_eq!(received_trace_ids(&receiver), sorted(ids), "{protocol:?}");
        assert_eq!(authenticated.stats().traces.exported, 2, "{protocol:?}");
    }
}

/// PEM files in a directory of their own, removed when dropped.
struct PemDir(PathBuf);

impl PemDir {
    fn new(name: &str) -> PemDir {
        let dir = std::env::temp_dir().join(format!("lantern-otlp-tls-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        PemDir(dir)
    }

    fn write(&self, file: &str, pem: &str) -> String {
        let path = self.0.join(file);
        std::fs::write(&path, pem).unwrap();
        path.to_str().unwrap().to_owned()
    }
}

impl Drop for PemDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn the_otel_variables_configure_mutual_tls_per_signal() {
    let ca = TestCa::new("env CA");
    let client = ca.client();
    let dir = PemDir::new("env");
    let (ca_file, cert_file, key_file) = (
        dir.write("ca.pem", &ca.cert_pem),
        dir.write("client.pem", &client.cert_pem),
        dir.write("client-key.pem", &client.key_pem),
    );
    for (protocol, name) in [(Protocol::Grpc, "grpc"), (Protocol::HttpProtobuf, "http/protobuf")] {
        let receiver =
            receiver(protocol, ServerTls { identity: ca.server(), client_ca_pem: Some(ca.cert_pem.clone()) });
        let endpoint = receiver.endpoint();
        // The shared CA is a wrong one: the traces' own variable wins.
        let vars = [
            ("OTEL_EXPORTER_OTLP_PROTOCOL", name),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", cert_file.as_str()),
            ("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", ca_file.as_str()),
            ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", cert_file.as_str()),
            ("OTEL_EXPORTER_OTLP_CLIENT_KEY", key_file.as_str()),
            ("OTEL_METRICS_EXPORTER", "none"),
            ("OTEL_LOGS_EXPORTER", "none"),
            ("OTEL_BSP_SCHEDULE_DELAY", "20"),
        ];
        let cfg = OtlpConfig::from_lookup(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())).unwrap();
        assert_eq!(cfg.traces.tls.ca_certificate, Some(PemSource::file(&ca_file)));
        assert_eq!(cfg.tls.client_key, Some(PemSource::file(&key_file)));
        let exporter = OtlpExporter::new(cfg).unwrap();
        let (_, ids) = produce(&exporter, 2);
        assert_eq!(received_trace_ids(&receiver), sorted(ids), "{protocol:?}");
        assert_eq!(exporter.stats().signal(Signal::Traces).exported, 2);
    }
}

#[test]
fn unusable_files_are_start_up_errors_naming_the_variable() {
    let ca = TestCa::new("CA");
    let (client, other) = (ca.client(), ca.client());
    let dir = PemDir::new("bad");
    let garbage = dir.write("garbage.pem", "this is not PEM\n");
    let cert = dir.write("client.pem", &client.cert_pem);
    let other_key = dir.write("other-key.pem", &other.key_pem);
    let missing = dir.0.join("missing.pem").to_str().unwrap().to_owned();
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: [Case<'_>; 5] = [
        (&[("OTEL_EXPORTER_OTLP_CERTIFICATE", &missing)], "OTEL_EXPORTER_OTLP_CERTIFICATE", "cannot read"),
        (
            &[("OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE", &garbage)],
            "OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE",
            "no PEM certificate",
        ),
        (&[("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", &cert)], "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "go together"),
        (
            &[("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", &cert), ("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", &garbage)],
            "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY",
            "no PEM private key",
        ),
        (
            &[("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", &cert), ("OTEL_EXPORTER_OTLP_CLIENT_KEY", &other_key)],
            "OTEL_EXPORTER_OTLP_CLIENT_KEY",
            "rejected by rustls",
        ),
    ];
    for (vars, variable, text) in cases {
        let err = OtlpConfig::from_lookup(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string()))
            .expect_err(variable);
        assert_eq!(err.variable(), variable);
        assert!(err.to_string().starts_with(&format!("{variable}: ")), "{err}");
        assert!(err.to_string().contains(text), "{err}");
    }
    // Built in code, the error names the field.
    let cfg = OtlpConfig {
        traces: lantern_otlp::SignalConfig {
            tls: TlsConfig { ca_certificate: Some(PemSource::bytes("no PEM here")), ..Default::default() },
            ..Default::default()
        },
        ..Default::default()
    };
    let err = OtlpExporter::new(cfg).unwrap_err();
    assert_eq!(err.variable(), "traces.tls.ca_certificate");
    assert_eq!(err.to_string(), "traces.tls.ca_certificate: the PEM given holds no PEM certificate");
}
