//! Where and how to export: [`OtlpConfig`], from code or from the
//! OpenTelemetry environment variables.
//!
//! [`OtlpConfig::from_env`] reads:
//!
//! - `OTEL_SDK_DISABLED`;
//! - `OTEL_EXPORTER_OTLP_{ENDPOINT,PROTOCOL,HEADERS,COMPRESSION,TIMEOUT}`,
//!   the protocol being `grpc`, `http/protobuf` or `http/json`;
//! - `OTEL_EXPORTER_OTLP_{CERTIFICATE,CLIENT_CERTIFICATE,CLIENT_KEY}`: PEM
//!   files of the CA that signs the collector's certificate (replacing the
//!   webpki roots) and of the client certificate and key for mutual TLS
//!   ([`TlsConfig`](crate::TlsConfig));
//! - the per-signal forms of all of these
//!   (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`,
//!   `OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY`, ...), which override the
//!   shared ones one by one;
//! - `OTEL_{TRACES,METRICS,LOGS}_EXPORTER` (`otlp` or `none`);
//! - `OTEL_BSP_{MAX_QUEUE_SIZE,MAX_EXPORT_BATCH_SIZE,SCHEDULE_DELAY,EXPORT_TIMEOUT}`;
//! - `OTEL_METRIC_EXPORT_INTERVAL` and
//!   `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`;
//! - `LANTERN_OTLP_SPAN_EVENTS`.
//!
//! A malformed endpoint, protocol, header list or compression is a start-up
//! error naming the variable, and so is a certificate or key file that
//! cannot be read or holds no valid PEM. A malformed number gives a
//! warning and the default, as the specification asks.

mod env;
mod error;

pub use error::ConfigError;

use std::time::Duration;

use crate::span_events::SpanEvents;
use crate::transform::Temporality;
use crate::transport::{self, Compression, Protocol, Signal, TlsConfig, TransportConfig};
use error::Kind;

/// Batching limits (the `OTEL_BSP_*` variables).
///
/// ```
/// let batch = lantern_otlp::BatchConfig::default();
/// assert_eq!(batch.max_export_batch_size, 512);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchConfig {
    /// Records held per signal waiting for export (default 2048, at most
    /// 1 048 576 whatever is asked). When the queue is full the *newest*
    /// record is dropped and counted.
    pub max_queue_size: usize,
    /// Records per request (default 512).
    pub max_export_batch_size: usize,
    /// Longest wait before a partial batch is sent (default 5 s).
    pub schedule_delay: Duration,
    /// Time allowed for one batch, retries included (default 30 s).
    pub export_timeout: Duration,
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig {
            max_queue_size: 2048,
            max_export_batch_size: 512,
            schedule_delay: Duration::from_secs(5),
            export_timeout: Duration::from_secs(30),
        }
    }
}

/// Settings of one signal that override the shared ones.
///
/// ```
/// let s = lantern_otlp::SignalConfig { enabled: false, ..Default::default() };
/// assert!(s.endpoint.is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignalConfig {
    /// Whether this signal is exported (default true).
    pub enabled: bool,
    /// The full endpoint of this signal, used as is (for HTTP, with its path).
    pub endpoint: Option<String>,
    /// Its protocol.
    pub protocol: Option<Protocol>,
    /// Headers added to the shared ones.
    pub headers: Vec<(String, String)>,
    /// Its compression.
    pub compression: Option<Compression>,
    /// Its per-request timeout.
    pub timeout: Option<Duration>,
    /// Its TLS settings; each one unset is taken from the shared ones.
    pub tls: TlsConfig,
}

impl Default for SignalConfig {
    fn default() -> Self {
        SignalConfig {
            enabled: true,
            endpoint: None,
            protocol: None,
            headers: Vec::new(),
            compression: None,
            timeout: None,
            tls: TlsConfig::default(),
        }
    }
}

/// Everything the OTLP exporter needs. Plain fields; `Default` is the
/// specification's defaults (gRPC to `http://localhost:4317`).
///
/// ```
/// use lantern_otlp::{OtlpConfig, Protocol};
/// let cfg = OtlpConfig {
///     protocol: Protocol::HttpProtobuf,
///     endpoint: Some("http://collector:4318".into()),
///     headers: vec![("authorization".into(), "Bearer t0ken".into())],
///     ..Default::default()
/// };
/// assert_eq!(cfg.signal_endpoint(lantern_otlp::Signal::Logs).unwrap(), "http://collector:4318/v1/logs");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct OtlpConfig {
    /// `OTEL_SDK_DISABLED=true`: export nothing.
    pub disabled: bool,
    /// The transport (default gRPC).
    pub protocol: Protocol,
    /// The base endpoint (default `http://localhost:4317` for gRPC,
    /// `http://localhost:4318` for HTTP, where `/v1/<signal>` is appended).
    pub endpoint: Option<String>,
    /// Headers sent with every request (authentication, tenancy).
    pub headers: Vec<(String, String)>,
    /// Body compression (default none).
    pub compression: Compression,
    /// Time allowed for one request (default 10 s).
    pub timeout: Duration,
    /// TLS for `https://` endpoints: a custom CA, a client certificate
    /// (default: the webpki roots, no client certificate).
    pub tls: TlsConfig,
    /// Per-signal overrides.
    pub traces: SignalConfig,
    /// Per-signal overrides.
    pub metrics: SignalConfig,
    /// Per-signal overrides.
    pub logs: SignalConfig,
    /// Batching and queue limits.
    pub batch: BatchConfig,
    /// How often metrics are exported (default 60 s).
    pub metric_interval: Duration,
    /// Cumulative (default) or delta sums and histograms.
    pub temporality: Temporality,
    /// Which span events go out with their spans (default: exceptions only
    /// while logs are exported, so that a log is not stored twice;
    /// `LANTERN_OTLP_SPAN_EVENTS`).
    pub span_events: SpanEvents,
}

impl Default for OtlpConfig {
    fn default() -> Self {
        OtlpConfig {
            disabled: false,
            protocol: Protocol::Grpc,
            endpoint: None,
            headers: Vec::new(),
            compression: Compression::None,
            timeout: Duration::from_secs(10),
            tls: TlsConfig::default(),
            traces: SignalConfig::default(),
            metrics: SignalConfig::default(),
            logs: SignalConfig::default(),
            batch: BatchConfig::default(),
            metric_interval: Duration::from_secs(60),
            temporality: Temporality::Cumulative,
            span_events: SpanEvents::Auto,
        }
    }
}

impl OtlpConfig {
    /// The configuration the environment describes.
    pub fn from_env() -> Result<OtlpConfig, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// The settings of one signal.
    pub fn signal(&self, signal: Signal) -> &SignalConfig {
        match signal {
            Signal::Traces => &self.traces,
            Signal::Metrics => &self.metrics,
            Signal::Logs => &self.logs,
        }
    }

    fn signal_mut(&mut self, signal: Signal) -> &mut SignalConfig {
        match signal {
            Signal::Traces => &mut self.traces,
            Signal::Metrics => &mut self.metrics,
            Signal::Logs => &mut self.logs,
        }
    }

    /// The URL one signal is sent to: the per-signal endpoint as is, else the
    /// base endpoint (with `/v1/<signal>` appended for HTTP), else the default.
    pub fn signal_endpoint(&self, signal: Signal) -> Result<String, ConfigError> {
        let s = self.signal(signal);
        if let Some(e) = &s.endpoint {
            return Ok(e.clone());
        }
        let protocol = s.protocol.unwrap_or(self.protocol);
        let base = self.endpoint.clone().unwrap_or_else(|| match protocol {
            Protocol::Grpc => "http://localhost:4317".into(),
            Protocol::HttpProtobuf | Protocol::HttpJson => "http://localhost:4318".into(),
        });
        Ok(match protocol {
            Protocol::Grpc => base,
            Protocol::HttpProtobuf | Protocol::HttpJson => {
                let path = match signal {
                    Signal::Traces => "v1/traces",
                    Signal::Metrics => "v1/metrics",
                    Signal::Logs => "v1/logs",
                };
                format!("{}/{path}", base.trim_end_matches('/'))
            }
        })
    }

    /// The resolved transport settings of one signal, checked.
    pub(crate) fn transport(&self, signal: Signal) -> Result<TransportConfig, ConfigError> {
        let s = self.signal(signal);
        let url = self.signal_endpoint(signal)?;
        let endpoint: http::Uri = url.parse().map_err(|source| {
            ConfigError::new(format!("{signal:?} endpoint"), Kind::Uri { url: url.clone(), source })
        })?;
        let mut headers = Vec::new();
        for (k, v) in self.headers.iter().chain(&s.headers) {
            headers.push(header("headers", k, v)?);
        }
        let tls = transport::load_tls(&s.tls.or(&self.tls)).map_err(|(field, e)| {
            let prefix = if tls_field(&s.tls, field).is_some() { signal_prefix(signal) } else { "" };
            ConfigError::new(format!("{prefix}tls.{}", field_name(field)), Kind::Tls(e))
        })?;
        if tls.is_some() && endpoint.scheme_str() == Some("http") {
            eprintln!(
                "lantern-otlp: {signal:?} go to {url} in plain text: TLS settings apply to https:// endpoints only"
            );
        }
        Ok(TransportConfig {
            protocol: s.protocol.unwrap_or(self.protocol),
            endpoint,
            headers,
            compression: s.compression.unwrap_or(self.compression),
            timeout: s.timeout.unwrap_or(self.timeout),
            tls,
        })
    }
}

/// The setting `field` of `tls`.
fn tls_field(tls: &TlsConfig, field: transport::TlsField) -> Option<&transport::PemSource> {
    match field {
        transport::TlsField::CaCertificate => tls.ca_certificate.as_ref(),
        transport::TlsField::ClientCertificate => tls.client_certificate.as_ref(),
        transport::TlsField::ClientKey => tls.client_key.as_ref(),
    }
}

/// The name of `field` in [`TlsConfig`].
fn field_name(field: transport::TlsField) -> &'static str {
    match field {
        transport::TlsField::CaCertificate => "ca_certificate",
        transport::TlsField::ClientCertificate => "client_certificate",
        transport::TlsField::ClientKey => "client_key",
    }
}

/// `traces.` and the like, for the fields of one signal.
fn signal_prefix(signal: Signal) -> &'static str {
    match signal {
        Signal::Traces => "traces.",
        Signal::Metrics => "metrics.",
        Signal::Logs => "logs.",
    }
}

/// One header, checked; a key is sent lower-case.
fn header(var: &str, key: &str, value: &str) -> Result<(http::HeaderName, http::HeaderValue), ConfigError> {
    let name = http::HeaderName::from_bytes(key.to_ascii_lowercase().as_bytes())
        .map_err(|source| ConfigError::new(var, Kind::HeaderName { key: key.to_owned(), source }))?;
    let value = http::HeaderValue::from_str(value)
        .map_err(|source| ConfigError::new(var, Kind::HeaderValue { key: key.to_owned(), source }))?;
    Ok((name, value))
}
