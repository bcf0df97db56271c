//! Sending one export request: OTLP/gRPC (tonic) or OTLP/HTTP with
//! protobuf or JSON bodies (hyper), with gzip, headers, a timeout and TLS
//! for https endpoints (webpki roots, or a custom CA and a client
//! certificate: [`tls`]).

use std::time::Duration;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

/// One of the three signals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Signal {
    /// Spans.
    Traces,
    /// Metrics.
    Metrics,
    /// Log records.
    Logs,
}

/// The OTLP transport.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Protocol {
    /// OTLP/gRPC (default port 4317).
    #[default]
    Grpc,
    /// OTLP/HTTP with protobuf bodies (default port 4318).
    HttpProtobuf,
    /// OTLP/HTTP with JSON bodies (default port 4318), for gateways that
    /// take only JSON: the protobuf JSON mapping with trace and span ids
    /// as hex strings, enums as integers and 64-bit integers as strings.
    ///
    /// ```
    /// let cfg = lantern_otlp::OtlpConfig::from_lookup(|k| {
    ///     (k == "OTEL_EXPORTER_OTLP_PROTOCOL").then(|| "http/json".into())
    /// })
    /// .unwrap();
    /// assert_eq!(cfg.protocol, lantern_otlp::Protocol::HttpJson);
    /// assert_eq!(cfg.signal_endpoint(lantern_otlp::Signal::Traces).unwrap(), "http://localhost:4318/v1/traces");
    /// ```
    HttpJson,
}

/// Request body compression.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Compression {
    /// None (the default).
    #[default]
    None,
    /// gzip.
    Gzip,
}

/// One request for one signal.
#[derive(Clone, Debug)]
pub(crate) enum ExportRequest {
    Traces(ExportTraceServiceRequest),
    Logs(ExportLogsServiceRequest),
    Metrics(ExportMetricsServiceRequest),
}

/// Where and how one signal is sent.
#[derive(Clone, Debug)]
pub(crate) struct TransportConfig {
    pub(crate) protocol: Protocol,
    /// gRPC: the base URL (`http://localhost:4317`). HTTP: the full URL of
    /// the signal (`http://localhost:4318/v1/traces`).
    pub(crate) endpoint: http::Uri,
    /// Extra headers (metadata for gRPC), names lower-case, already valid.
    pub(crate) headers: Vec<(http::HeaderName, http::HeaderValue)>,
    pub(crate) compression: Compression,
    /// For one attempt.
    pub(crate) timeout: Duration,
    /// A custom CA or client certificate for https; `None`: the webpki
    /// roots and no client certificate.
    pub(crate) tls: Option<ClientTls>,
}

/// A request the receiver took, possibly in part.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Accepted {
    /// Items the receiver rejected (partial success).
    pub(crate) rejected: u64,
    /// Its message, if it gave one.
    pub(crate) message: Option<String>,
}

/// A request that failed.
#[derive(Clone, Debug)]
pub(crate) struct SendError {
    /// Whether trying again may help (gRPC UNAVAILABLE, HTTP 503, ...).
    pub(crate) retryable: bool,
    /// How long the receiver asked us to wait (Retry-After, RetryInfo).
    pub(crate) retry_after: Option<Duration>,
    pub(crate) message: String,
}

mod grpc;
#[path = "http.rs"]
mod http_proto;
mod json;
mod tls;

pub(crate) use tls::{ClientTls, Field as TlsField, TlsError, load as load_tls};
pub use tls::{PemSource, TlsConfig};

/// Sends requests of one signal to one receiver, over gRPC or HTTP.
pub(crate) struct Client {
    inner: Inner,
}

enum Inner {
    Grpc(Box<grpc::GrpcClient>),
    Http(Box<http_proto::HttpClient>),
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner {
            Inner::Grpc(c) => f.debug_tuple("Client::Grpc").field(c.endpoint()).finish(),
            Inner::Http(c) => f.debug_tuple("Client::Http").field(c.endpoint()).finish(),
        }
    }
}

impl Client {
    /// Makes a client; connects lazily, so a receiver that is down now is
    /// no error. Must be called inside a tokio runtime.
    pub(crate) fn new(config: &TransportConfig) -> Result<Client, String> {
        let inner = match config.protocol {
            Protocol::Grpc => Inner::Grpc(Box::new(grpc::GrpcClient::new(config)?)),
            Protocol::HttpProtobuf | Protocol::HttpJson => Inner::Http(Box::new(http_proto::HttpClient::new(config)?)),
        };
        Ok(Client { inner })
    }

    /// Sends one request, once (retrying is the caller's business), within
    /// the configured timeout.
    pub(crate) async fn send(&self, request: &ExportRequest) -> Result<Accepted, SendError> {
        match &self.inner {
            Inner::Grpc(c) => c.send(request).await,
            Inner::Http(c) => c.send(request).await,
        }
    }
}

/// The `User-Agent` of both transports.
const USER_AGENT: &str = concat!("lantern-otlp/", env!("CARGO_PKG_VERSION"));

impl ExportRequest {
    /// The protobuf encoding of the request.
    fn encode(&self) -> Vec<u8> {
        use prost::Message as _;
        match self {
            ExportRequest::Traces(r) => r.encode_to_vec(),
            ExportRequest::Logs(r) => r.encode_to_vec(),
            ExportRequest::Metrics(r) => r.encode_to_vec(),
        }
    }
}

/// An error and its sources, as one line (hyper's own message alone is
/// often just "client error (Connect)", tonic's "transport error").
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let s = e.to_string();
        if !text.contains(&s) {
            text.push_str(": ");
            text.push_str(&s);
        }
        source = e.source();
    }
    text
}

impl Accepted {
    /// From a response's partial success (`rejected_<items>`, `error_message`).
    fn partial(rejected: i64, message: String) -> Accepted {
        Accepted { rejected: rejected.max(0) as u64, message: (!message.is_empty()).then_some(message) }
    }
}

impl SendError {
    fn retryable(message: String, retry_after: Option<Duration>) -> SendError {
        SendError { retryable: true, retry_after, message }
    }

    fn permanent(message: String) -> SendError {
        SendError { retryable: false, retry_after: None, message }
    }
}

/// The few `google.rpc` messages a receiver may send back: a `Status` (the
/// body of an HTTP error, the `grpc-status-details-bin` of a gRPC one) whose
/// details may hold a `RetryInfo`.
mod rpc {
    use std::time::Duration;

    use prost::Message as _;

    /// `google.rpc.Status`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct Status {
        #[prost(int32, tag = "1")]
        pub(super) code: i32,
        #[prost(string, tag = "2")]
        pub(super) message: String,
        #[prost(message, repeated, tag = "3")]
        pub(super) details: Vec<Any>,
    }

    /// `google.protobuf.Any`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct Any {
        #[prost(string, tag = "1")]
        pub(super) type_url: String,
        #[prost(bytes = "vec", tag = "2")]
        pub(super) value: Vec<u8>,
    }

    /// `google.rpc.RetryInfo`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct RetryInfo {
        #[prost(message, optional, tag = "1")]
        pub(super) retry_delay: Option<ProtoDuration>,
    }

    /// `google.protobuf.Duration`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct ProtoDuration {
        #[prost(int64, tag = "1")]
        pub(super) seconds: i64,
        #[prost(int32, tag = "2")]
        pub(super) nanos: i32,
    }

    const RETRY_INFO: &str = "type.googleapis.com/google.rpc.RetryInfo";

    /// The `RetryInfo` in an encoded `google.rpc.Status`, if it has one:
    /// `Some(delay)`, the delay being `None` when it gives none.
    pub(super) fn retry_info(status: &[u8]) -> Option<Option<Duration>> {
        let status = Status::decode(status).ok()?;
        let any = status
            .details
            .iter()
            .find(|a| a.type_url == RETRY_INFO || a.type_url.ends_with("/google.rpc.RetryInfo"))?;
        let info = RetryInfo::decode(any.value.as_slice()).ok()?;
        Some(
            info.retry_delay
                .map(|d| Duration::from_secs(d.seconds.max(0) as u64) + Duration::from_nanos(d.nanos.max(0) as u64)),
        )
    }

    /// The message of an encoded `google.rpc.Status`, if it decodes and has one.
    pub(super) fn message(status: &[u8]) -> Option<String> {
        Status::decode(status).ok().map(|s| s.message).filter(|m| !m.is_empty())
    }

    #[cfg(test)]
    pub(super) fn encode_retry_info(delay: Duration, message: &str) -> Vec<u8> {
        let info = RetryInfo {
            retry_delay: Some(ProtoDuration { seconds: delay.as_secs() as i64, nanos: delay.subsec_nanos() as i32 }),
        };
        let any = Any { type_url: RETRY_INFO.into(), value: info.encode_to_vec() };
        Status { code: 8, message: message.into(), details: vec![any] }.encode_to_vec()
    }
}

#[cfg(test)]
mod tests;
