//! OTLP/gRPC: the three collector services of opentelemetry-proto over one
//! lazily connected tonic channel (TLS for `https`: the webpki roots, or the
//! custom CA and client certificate of [`super::tls`]),
//! with gzip, metadata, a per-attempt timeout and the OTLP mapping of status
//! codes to retryable and permanent failures.

use std::time::Duration;

use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use tonic::codec::CompressionEncoding;
use tonic::metadata::MetadataMap;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::{Code, Status};

use super::{
    Accepted, ClientTls, Compression, ExportRequest, SendError, TransportConfig, USER_AGENT, error_chain, rpc,
};

/// The gRPC client of one signal.
pub(crate) struct GrpcClient {
    endpoint: http::Uri,
    traces: TraceServiceClient<Channel>,
    logs: LogsServiceClient<Channel>,
    metrics: MetricsServiceClient<Channel>,
    metadata: MetadataMap,
    timeout: Duration,
}

impl GrpcClient {
    /// A client on a lazily connected channel (inside a tokio runtime).
    pub(crate) fn new(config: &TransportConfig) -> Result<GrpcClient, String> {
        let mut endpoint = Endpoint::from(config.endpoint.clone())
            .connect_timeout(config.timeout)
            .user_agent(USER_AGENT)
            .map_err(|e| format!("user agent: {e}"))?;
        match config.endpoint.scheme_str() {
            Some("https") => {
                endpoint = endpoint
                    .tls_config(tls_config(config.tls.as_ref()))
                    .map_err(|e| format!("TLS for {}: {e}", config.endpoint))?;
            }
            Some("http") => {}
            _ => return Err(format!("{}: the gRPC endpoint must be an http or https URL", config.endpoint)),
        }
        let channel = endpoint.connect_lazy();
        let mut headers = http::HeaderMap::new();
        for (name, value) in &config.headers {
            headers.append(name.clone(), value.clone());
        }
        let (mut traces, mut logs, mut metrics) = (
            TraceServiceClient::new(channel.clone()),
            LogsServiceClient::new(channel.clone()),
            MetricsServiceClient::new(channel),
        );
        if config.compression == Compression::Gzip {
            traces = traces.send_compressed(CompressionEncoding::Gzip);
            logs = logs.send_compressed(CompressionEncoding::Gzip);
            metrics = metrics.send_compressed(CompressionEncoding::Gzip);
        }
        Ok(GrpcClient {
            endpoint: config.endpoint.clone(),
            traces,
            logs,
            metrics,
            metadata: MetadataMap::from_headers(headers),
            timeout: config.timeout,
        })
    }

    /// The receiver's URL.
    pub(crate) fn endpoint(&self) -> &http::Uri {
        &self.endpoint
    }

    /// One attempt.
    pub(crate) async fn send(&self, request: &ExportRequest) -> Result<Accepted, SendError> {
        let call = async {
            match request {
                ExportRequest::Traces(r) => self.traces.clone().export(self.request(r.clone())).await.map(|resp| {
                    let p = resp.into_inner().partial_success.unwrap_or_default();
                    Accepted::partial(p.rejected_spans, p.error_message)
                }),
                ExportRequest::Logs(r) => self.logs.clone().export(self.request(r.clone())).await.map(|resp| {
                    let p = resp.into_inner().partial_success.unwrap_or_default();
                    Accepted::partial(p.rejected_log_records, p.error_message)
                }),
                ExportRequest::Metrics(r) => self.metrics.clone().export(self.request(r.clone())).await.map(|resp| {
                    let p = resp.into_inner().partial_success.unwrap_or_default();
                    Accepted::partial(p.rejected_data_points, p.error_message)
                }),
            }
        };
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(accepted)) => Ok(accepted),
            Ok(Err(status)) => Err(status_error(&status)),
            Err(_) => Err(SendError::retryable(format!("gRPC: no answer within {:?}", self.timeout), None)),
        }
    }

    fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        *request.metadata_mut() = self.metadata.clone();
        request.set_timeout(self.timeout);
        request
    }
}

/// tonic's TLS settings: the custom CA instead of the webpki roots when
/// there is one, and the client certificate.
fn tls_config(tls: Option<&ClientTls>) -> ClientTlsConfig {
    let mut config = ClientTlsConfig::new();
    config = match tls.and_then(|t| t.ca_pem.as_ref()) {
        Some(ca) => config.ca_certificate(Certificate::from_pem(ca)),
        None => config.with_webpki_roots(),
    };
    if let Some((cert, key)) = tls.and_then(|t| t.identity_pem.as_ref()) {
        config = config.identity(Identity::from_pem(cert, key));
    }
    config
}

/// The OTLP reading of a failed call: UNAVAILABLE, CANCELLED,
/// DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, DATA_LOSS and
/// RESOURCE_EXHAUSTED with a `RetryInfo` are retryable; the rest is not.
fn status_error(status: &Status) -> SendError {
    // A transport failure (TLS refused, connection reset) says what
    // happened only in its sources.
    let detail = std::error::Error::source(status).map(error_chain);
    let text = match (status.message(), detail) {
        (m, None) => m.to_owned(),
        ("", Some(d)) => d,
        (m, Some(d)) if d.starts_with(m) => d,
        (m, Some(d)) if m.contains(&d) => m.to_owned(),
        (m, Some(d)) => format!("{m}: {d}"),
    };
    let message = if text.is_empty() {
        format!("gRPC status {:?}", status.code())
    } else {
        format!("gRPC status {:?}: {text}", status.code())
    };
    let retry_info = rpc::retry_info(status.details());
    match status.code() {
        Code::Unavailable
        | Code::Cancelled
        | Code::DeadlineExceeded
        | Code::Aborted
        | Code::OutOfRange
        | Code::DataLoss => SendError::retryable(message, retry_info.flatten()),
        Code::ResourceExhausted => match retry_info {
            Some(delay) => SendError::retryable(message, delay),
            None => SendError::permanent(message),
        },
        _ => SendError::permanent(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_map_to_retryable_or_permanent() {
        for code in [
            Code::Unavailable,
            Code::Cancelled,
            Code::DeadlineExceeded,
            Code::Aborted,
            Code::OutOfRange,
            Code::DataLoss,
        ] {
            let e = status_error(&Status::new(code, "x"));
            assert!(e.retryable, "{code:?}");
            assert_eq!(e.retry_after, None);
        }
        for code in [
            Code::InvalidArgument,
            Code::Unknown,
            Code::Unauthenticated,
            Code::PermissionDenied,
            Code::NotFound,
            Code::Unimplemented,
            Code::Internal,
            Code::ResourceExhausted,
        ] {
            assert!(!status_error(&Status::new(code, "x")).retryable, "{code:?}");
        }
        let e = status_error(&Status::invalid_argument("bad span"));
        assert!(e.message.contains("InvalidArgument") && e.message.contains("bad span"), "{}", e.message);
    }

    #[test]
    fn resource_exhausted_with_retry_info_is_retried_after_its_delay() {
        let details = rpc::encode_retry_info(Duration::from_millis(1500), "slow down");
        let status = Status::with_details(Code::ResourceExhausted, "slow down", details.clone().into());
        let e = status_error(&status);
        assert!(e.retryable);
        assert_eq!(e.retry_after, Some(Duration::from_millis(1500)));
        let e = status_error(&Status::with_details(Code::Unavailable, "later", details.into()));
        assert_eq!((e.retryable, e.retry_after), (true, Some(Duration::from_millis(1500))));
        let e = status_error(&Status::with_details(Code::ResourceExhausted, "full", b"\xff garbage"[..].into()));
        assert!(!e.retryable);
    }

    #[tokio::test]
    async fn a_receiver_that_is_down_is_unavailable_and_retryable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let config = TransportConfig {
            protocol: super::super::Protocol::Grpc,
            endpoint: format!("http://{addr}").parse().unwrap(),
            headers: vec![],
            compression: Compression::Gzip,
            timeout: Duration::from_secs(5),
            tls: None,
        };
        let client = GrpcClient::new(&config).unwrap();
        let e = client.send(&ExportRequest::Traces(Default::default())).await.unwrap_err();
        assert!(e.retryable, "{}", e.message);
    }

    #[test]
    fn https_endpoints_get_tls_and_other_schemes_are_refused() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let _guard = rt.enter();
        let mut config = TransportConfig {
            protocol: super::super::Protocol::Grpc,
            endpoint: "https://collector.example:4317".parse().unwrap(),
            headers: vec![(http::HeaderName::from_static("authorization"), http::HeaderValue::from_static("k"))],
            compression: Compression::None,
            timeout: Duration::from_secs(1),
            tls: None,
        };
        assert!(GrpcClient::new(&config).is_ok());
        config.endpoint = "ftp://collector.example:4317".parse().unwrap();
        assert!(GrpcClient::new(&config).is_err());
    }
}
