//! [`OtlpConfig::from_lookup`]: the `OTEL_*` variables read into an
//! [`OtlpConfig`].

use std::time::Duration;

use super::error::{ConfigError, Kind};
use super::{OtlpConfig, header, tls_field};
use crate::span_events::SpanEvents;
use crate::transform::Temporality;
use crate::transport::{self, Compression, PemSource, Protocol, Signal, TlsConfig, TlsField};

impl OtlpConfig {
    /// Like [`OtlpConfig::from_env`], reading variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<OtlpConfig, ConfigError> {
        let get = |k: &str| lookup(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let mut cfg = OtlpConfig {
            disabled: get("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")),
            ..Default::default()
        };
        let p = "OTEL_EXPORTER_OTLP_";
        if let Some(v) = get(&format!("{p}PROTOCOL")) {
            cfg.protocol = parse_protocol(&format!("{p}PROTOCOL"), &v)?;
        }
        cfg.endpoint = get(&format!("{p}ENDPOINT")).map(|v| check_endpoint(&format!("{p}ENDPOINT"), v)).transpose()?;
        if let Some(v) = get(&format!("{p}HEADERS")) {
            cfg.headers = parse_headers(&format!("{p}HEADERS"), &v)?;
        }
        if let Some(v) = get(&format!("{p}COMPRESSION")) {
            cfg.compression = parse_compression(&format!("{p}COMPRESSION"), &v)?;
        }
        cfg.timeout = millis(&get, &format!("{p}TIMEOUT"), cfg.timeout);
        cfg.tls = tls_config(&get, p);
        let shared_timeout = cfg.timeout;
        for (signal, name) in [(Signal::Traces, "TRACES"), (Signal::Metrics, "METRICS"), (Signal::Logs, "LOGS")] {
            let s = cfg.signal_mut(signal);
            let var = |field: &str| format!("{p}{name}_{field}");
            if let Some(v) = get(&var("PROTOCOL")) {
                s.protocol = Some(parse_protocol(&var("PROTOCOL"), &v)?);
            }
            s.endpoint = get(&var("ENDPOINT")).map(|v| check_endpoint(&var("ENDPOINT"), v)).transpose()?;
            if let Some(v) = get(&var("HEADERS")) {
                s.headers = parse_headers(&var("HEADERS"), &v)?;
            }
            if let Some(v) = get(&var("COMPRESSION")) {
                s.compression = Some(parse_compression(&var("COMPRESSION"), &v)?);
            }
            s.tls = tls_config(&get, &format!("{p}{name}_"));
            // A malformed per-signal timeout falls back to the shared one.
            s.timeout = get(&var("TIMEOUT")).map(|_| millis(&get, &var("TIMEOUT"), shared_timeout));
            let exporter = format!("OTEL_{name}_EXPORTER");
            match get(&exporter).as_deref() {
                None | Some("otlp") => {}
                Some("none") => s.enabled = false,
                Some(other) => return Err(ConfigError::new(exporter, Kind::Exporter(other.to_owned()))),
            }
        }
        let b = &mut cfg.batch;
        b.max_queue_size = number(&get, "OTEL_BSP_MAX_QUEUE_SIZE", b.max_queue_size);
        b.max_export_batch_size = number(&get, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", b.max_export_batch_size);
        b.schedule_delay = millis(&get, "OTEL_BSP_SCHEDULE_DELAY", b.schedule_delay);
        b.export_timeout = millis(&get, "OTEL_BSP_EXPORT_TIMEOUT", b.export_timeout);
        cfg.metric_interval = millis(&get, "OTEL_METRIC_EXPORT_INTERVAL", cfg.metric_interval);
        let temporality = "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE";
        cfg.temporality = match get(temporality).map(|v| v.to_ascii_lowercase()).as_deref() {
            None | Some("cumulative") => Temporality::Cumulative,
            Some("delta") | Some("lowmemory") => Temporality::Delta,
            Some(other) => {
                eprintln!("lantern-otlp: {temporality}={other:?} is unknown; using cumulative");
                Temporality::Cumulative
            }
        };
        let events = "LANTERN_OTLP_SPAN_EVENTS";
        if let Some(v) = get(events) {
            cfg.span_events = SpanEvents::parse(&v).unwrap_or_else(|| {
                eprintln!("lantern-otlp: {events}={v:?} is not auto, all, exceptions or none; using auto");
                SpanEvents::Auto
            });
        }
        check_tls(&cfg)?;
        Ok(cfg)
    }
}

/// The TLS files named by `{prefix}CERTIFICATE`, `{prefix}CLIENT_CERTIFICATE`
/// and `{prefix}CLIENT_KEY`.
fn tls_config(get: &impl Fn(&str) -> Option<String>, prefix: &str) -> TlsConfig {
    let file = |var: &str| get(&format!("{prefix}{var}")).map(PemSource::file);
    TlsConfig {
        ca_certificate: file("CERTIFICATE"),
        client_certificate: file("CLIENT_CERTIFICATE"),
        client_key: file("CLIENT_KEY"),
    }
}

/// Reads and checks the TLS files of each enabled signal now, so that an
/// error names the variable at fault (the per-signal one when it is set).
fn check_tls(cfg: &OtlpConfig) -> Result<(), ConfigError> {
    for (signal, name) in [(Signal::Traces, "TRACES_"), (Signal::Metrics, "METRICS_"), (Signal::Logs, "LOGS_")] {
        let s = cfg.signal(signal);
        if !s.enabled {
            continue;
        }
        transport::load_tls(&s.tls.or(&cfg.tls)).map_err(|(field, e)| {
            let scope = if tls_field(&s.tls, field).is_some() { name } else { "" };
            let var = match field {
                TlsField::CaCertificate => "CERTIFICATE",
                TlsField::ClientCertificate => "CLIENT_CERTIFICATE",
                TlsField::ClientKey => "CLIENT_KEY",
            };
            ConfigError::new(format!("OTEL_EXPORTER_OTLP_{scope}{var}"), Kind::Tls(e))
        })?;
    }
    Ok(())
}

fn parse_protocol(var: &str, v: &str) -> Result<Protocol, ConfigError> {
    match v {
        "grpc" => Ok(Protocol::Grpc),
        "http/protobuf" => Ok(Protocol::HttpProtobuf),
        "http/json" => Ok(Protocol::HttpJson),
        other => Err(ConfigError::new(var, Kind::Protocol(other.to_owned()))),
    }
}

fn parse_compression(var: &str, v: &str) -> Result<Compression, ConfigError> {
    match v {
        "gzip" => Ok(Compression::Gzip),
        "none" => Ok(Compression::None),
        other => Err(ConfigError::new(var, Kind::Compression(other.to_owned()))),
    }
}

fn check_endpoint(var: &str, v: String) -> Result<String, ConfigError> {
    let uri: http::Uri = match v.parse() {
        Ok(uri) => uri,
        Err(source) => return Err(ConfigError::new(var, Kind::Uri { url: v, source })),
    };
    match uri.scheme_str() {
        Some("http") | Some("https") if uri.host().is_some() => Ok(v),
        _ => Err(ConfigError::new(var, Kind::Scheme(v))),
    }
}

/// `key=value,key=value`, values percent-decoded.
fn parse_headers(var: &str, v: &str) -> Result<Vec<(String, String)>, ConfigError> {
    let mut out = Vec::new();
    for member in v.split(',').map(str::trim).filter(|m| !m.is_empty()) {
        let (k, val) =
            member.split_once('=').ok_or_else(|| ConfigError::new(var, Kind::HeaderMember(member.to_owned())))?;
        let k = k.trim();
        let val = percent_encoding::percent_decode_str(val.trim())
            .decode_utf8()
            .map_err(|source| ConfigError::new(var, Kind::HeaderEncoding { key: k.to_owned(), source }))?
            .into_owned();
        header(var, k, &val)?;
        out.push((k.to_owned(), val));
    }
    Ok(out)
}

fn number(get: &impl Fn(&str) -> Option<String>, var: &str, default: usize) -> usize {
    match get(var).map(|v| v.parse::<usize>()) {
        None => default,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("lantern-otlp: {var} is not a positive integer; using {default}");
            default
        }
    }
}

fn millis(get: &impl Fn(&str) -> Option<String>, var: &str, default: Duration) -> Duration {
    match get(var).map(|v| v.parse::<u64>()) {
        None => default,
        Some(Ok(ms)) => Duration::from_millis(ms),
        Some(Err(_)) => {
            eprintln!("lantern-otlp: {var} is not a number of milliseconds; using {} ms", default.as_millis());
            default
        }
    }
}
