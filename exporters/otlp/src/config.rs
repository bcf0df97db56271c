//! Where and how to export: [`OtlpConfig`], from code or from the
//! OpenTelemetry environment variables.
//!
//! [`OtlpConfig::from_env`] reads `OTEL_SDK_DISABLED`,
//! `OTEL_EXPORTER_OTLP_{ENDPOINT,PROTOCOL,HEADERS,COMPRESSION,TIMEOUT}` and
//! their per-signal forms (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, ...),
//! `OTEL_{TRACES,METRICS,LOGS}_EXPORTER` (`otlp` or `none`),
//! `OTEL_BSP_{MAX_QUEUE_SIZE,MAX_EXPORT_BATCH_SIZE,SCHEDULE_DELAY,EXPORT_TIMEOUT}`,
//! `OTEL_METRIC_EXPORT_INTERVAL` and
//! `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`.
//!
//! A malformed endpoint, protocol, header list or compression is a start-up
//! error naming the variable. A malformed number gives a warning and the
//! default, as the specification asks.

use std::fmt;
use std::time::Duration;

use crate::span_events::SpanEvents;
use crate::transform::Temporality;
use crate::transport::{Compression, Protocol, Signal, TransportConfig};

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

/// A configuration that cannot work, and the variable or field at fault.
///
/// Opaque on purpose: [`variable`](ConfigError::variable) names the
/// environment variable (or, for a configuration built in code, the field)
/// at fault, the [`Display`](fmt::Display) text says what is wrong with it,
/// and [`source`](std::error::Error::source) gives the underlying error
/// (an invalid URI, header name or value, or a percent-decoded header value
/// that is not UTF-8) when there is one.
///
/// ```
/// use std::error::Error as _;
///
/// let err = lantern_otlp::OtlpConfig::from_lookup(|k| (k == "OTEL_EXPORTER_OTLP_PROTOCOL").then(|| "carrier-pigeon".into()))
///     .unwrap_err();
/// assert_eq!(err.variable(), "OTEL_EXPORTER_OTLP_PROTOCOL");
/// assert_eq!(err.to_string(), "OTEL_EXPORTER_OTLP_PROTOCOL: `carrier-pigeon` is not grpc or http/protobuf");
/// assert!(err.source().is_none(), "an unknown protocol has no underlying error");
/// ```
#[derive(Debug)]
pub struct ConfigError {
    variable: String,
    kind: Kind,
}

/// What is wrong with the variable; the underlying error, when there is one.
#[derive(Debug)]
enum Kind {
    /// `http/json`, which the specification allows but Lantern does not send.
    HttpJson,
    /// A protocol other than `grpc`, `http/protobuf` or `http/json`.
    Protocol(String),
    /// A compression other than `gzip` or `none`.
    Compression(String),
    /// An `OTEL_*_EXPORTER` other than `otlp` or `none`.
    Exporter(String),
    /// An endpoint that does not parse as a URI.
    Uri { url: String, source: http::uri::InvalidUri },
    /// An endpoint that parses, but is not an absolute `http://` or `https://` URL.
    Scheme(String),
    /// A header list member without `=`.
    HeaderMember(String),
    /// A header value that is not UTF-8 once percent-decoded.
    HeaderEncoding { key: String, source: std::str::Utf8Error },
    /// A header key that is not a valid header name.
    HeaderName { key: String, source: http::header::InvalidHeaderName },
    /// A header value that is not a valid header value (never shown: it may be a secret).
    HeaderValue { key: String, source: http::header::InvalidHeaderValue },
}

impl ConfigError {
    fn new(variable: impl Into<String>, kind: Kind) -> ConfigError {
        ConfigError { variable: variable.into(), kind }
    }

    /// The environment variable at fault, such as
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`; for a configuration built in
    /// code, the field at fault (`headers`, or `Traces endpoint` and the
    /// like for the resolved endpoint of one signal).
    ///
    /// ```
    /// let err = lantern_otlp::OtlpConfig::from_lookup(|k| (k == "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT").then(|| "ftp://x".into()))
    ///     .unwrap_err();
    /// assert_eq!(err.variable(), "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT");
    /// ```
    pub fn variable(&self) -> &str {
        &self.variable
    }
}

/// `<variable>: <what is wrong>`, complete on its own (the text of the
/// underlying error included, where it says more than the message).
/// Header values are never shown, as they may hold credentials.
///
/// ```
/// let err = lantern_otlp::OtlpConfig::from_lookup(|k| (k == "OTEL_EXPORTER_OTLP_COMPRESSION").then(|| "zstd".into()))
///     .unwrap_err();
/// assert_eq!(err.to_string(), "OTEL_EXPORTER_OTLP_COMPRESSION: `zstd` is not gzip or none");
/// ```
impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.variable)?;
        match &self.kind {
            Kind::HttpJson => f.write_str("http/json is not supported; use grpc or http/protobuf"),
            Kind::Protocol(v) => write!(f, "`{v}` is not grpc or http/protobuf"),
            Kind::Compression(v) => write!(f, "`{v}` is not gzip or none"),
            Kind::Exporter(v) => write!(f, "`{v}` is not `otlp` or `none`"),
            Kind::Uri { url, .. } => write!(f, "`{url}` is not a URL"),
            Kind::Scheme(v) => write!(f, "`{v}` is not an http:// or https:// URL"),
            Kind::HeaderMember(member) => write!(f, "`{member}` is not key=value"),
            Kind::HeaderEncoding { key, .. } => {
                write!(f, "bad escape in the value of `{key}`: it is not UTF-8 once percent-decoded")
            }
            Kind::HeaderName { key, .. } => write!(f, "`{key}` is not a valid header name"),
            Kind::HeaderValue { key, .. } => write!(f, "the value of `{key}` is not a valid header value"),
        }
    }
}

impl std::error::Error for ConfigError {
    /// The underlying error: the URI parser's for an endpoint that is not a
    /// URL, the header parser's for an invalid header name or value, the
    /// UTF-8 decoder's for a header value that is not UTF-8 once
    /// percent-decoded; `None` for a value that is simply not one of those
    /// allowed.
    ///
    /// ```
    /// use std::error::Error as _;
    ///
    /// let err = lantern_otlp::OtlpConfig::from_lookup(|k| (k == "OTEL_EXPORTER_OTLP_ENDPOINT").then(|| "http://bad host".into()))
    ///     .unwrap_err();
    /// assert_eq!(err.variable(), "OTEL_EXPORTER_OTLP_ENDPOINT");
    /// assert!(err.source().is_some(), "the URI parser's error");
    /// ```
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            Kind::Uri { source, .. } => Some(source),
            Kind::HeaderEncoding { source, .. } => Some(source),
            Kind::HeaderName { source, .. } => Some(source),
            Kind::HeaderValue { source, .. } => Some(source),
            Kind::HttpJson
            | Kind::Protocol(_)
            | Kind::Compression(_)
            | Kind::Exporter(_)
            | Kind::Scheme(_)
            | Kind::HeaderMember(_) => None,
        }
    }
}

impl OtlpConfig {
    /// The configuration the environment describes.
    pub fn from_env() -> Result<OtlpConfig, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

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
        Ok(cfg)
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
            Protocol::HttpProtobuf => "http://localhost:4318".into(),
        });
        Ok(match protocol {
            Protocol::Grpc => base,
            Protocol::HttpProtobuf => {
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
        Ok(TransportConfig {
            protocol: s.protocol.unwrap_or(self.protocol),
            endpoint,
            headers,
            compression: s.compression.unwrap_or(self.compression),
            timeout: s.timeout.unwrap_or(self.timeout),
        })
    }
}

fn parse_protocol(var: &str, v: &str) -> Result<Protocol, ConfigError> {
    match v {
        "grpc" => Ok(Protocol::Grpc),
        "http/protobuf" => Ok(Protocol::HttpProtobuf),
        "http/json" => Err(ConfigError::new(var, Kind::HttpJson)),
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

/// One header, checked; a key is sent lower-case.
fn header(var: &str, key: &str, value: &str) -> Result<(http::HeaderName, http::HeaderValue), ConfigError> {
    let name = http::HeaderName::from_bytes(key.to_ascii_lowercase().as_bytes())
        .map_err(|source| ConfigError::new(var, Kind::HeaderName { key: key.to_owned(), source }))?;
    let value = http::HeaderValue::from_str(value)
        .map_err(|source| ConfigError::new(var, Kind::HeaderValue { key: key.to_owned(), source }))?;
    Ok((name, value))
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
