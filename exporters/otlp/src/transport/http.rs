//! OTLP/HTTP with protobuf or JSON bodies: a POST of the encoded request
//! to the signal's URL (http or https: webpki roots, or the custom CA and
//! client certificate of [`super::tls`]) with hyper, optionally gzipped,
//! and the OTLP reading of the answer (partial success, 429/502/503/504
//! retryable with `Retry-After`, `google.rpc.Status` error bodies, in
//! protobuf or JSON as the answer's `Content-Type` says).

use std::io::Write as _;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use http::{HeaderMap, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceResponse;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message as _;

use super::USER_AGENT as AGENT;
use super::{Accepted, Compression, ExportRequest, Protocol, SendError, TransportConfig, error_chain, json, rpc};

const PROTOBUF: &str = "application/x-protobuf";

/// The HTTP client of one signal.
pub(crate) struct HttpClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    endpoint: http::Uri,
    headers: Vec<(http::HeaderName, http::HeaderValue)>,
    compression: Compression,
    timeout: Duration,
    /// JSON bodies (`http/json`) rather than protobuf.
    json: bool,
}

impl HttpClient {
    /// A pooling client for http and https URLs.
    pub(crate) fn new(config: &TransportConfig) -> Result<HttpClient, String> {
        match config.endpoint.scheme_str() {
            Some("http" | "https") => {}
            _ => return Err(format!("{}: the HTTP endpoint must be an http or https URL", config.endpoint)),
        }
        let builder = HttpsConnectorBuilder::new();
        let builder = match &config.tls {
            Some(tls) => builder.with_tls_config((*tls.rustls).clone()),
            None => builder.with_webpki_roots(),
        };
        let connector = builder.https_or_http().enable_http1().build();
        Ok(HttpClient {
            client: Client::builder(TokioExecutor::new()).build(connector),
            endpoint: config.endpoint.clone(),
            headers: config.headers.clone(),
            compression: config.compression,
            timeout: config.timeout,
            json: config.protocol == Protocol::HttpJson,
        })
    }

    /// The signal's URL.
    pub(crate) fn endpoint(&self) -> &http::Uri {
        &self.endpoint
    }

    /// One attempt.
    pub(crate) async fn send(&self, request: &ExportRequest) -> Result<Accepted, SendError> {
        let (mut body, content_type) = if self.json {
            let body = json::encode(request).map_err(|e| SendError::permanent(format!("JSON encoding: {e}")))?;
            (body, json::CONTENT_TYPE)
        } else {
            (request.encode(), PROTOBUF)
        };
        let mut builder = http::Request::post(self.endpoint.clone()).header(CONTENT_TYPE, content_type);
        if self.compression == Compression::Gzip {
            body = gzip(&body).map_err(|e| SendError::permanent(format!("gzip: {e}")))?;
            builder = builder.header(CONTENT_ENCODING, "gzip");
        }
        if !self.headers.iter().any(|(name, _)| name == USER_AGENT) {
            builder = builder.header(USER_AGENT, AGENT);
        }
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        let http_request = builder
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| SendError::permanent(format!("HTTP request to {}: {e}", self.endpoint)))?;
        let call = async {
            let response = self.client.request(http_request).await.map_err(|e| {
                SendError::retryable(format!("HTTP request to {}: {}", self.endpoint, error_chain(&e)), None)
            })?;
            let (parts, body) = response.into_parts();
            let body = body.collect().await.map_err(|e| {
                SendError::retryable(format!("HTTP response from {}: {}", self.endpoint, error_chain(&e)), None)
            })?;
            Ok::<_, SendError>((parts.status, parts.headers, body.to_bytes()))
        };
        let (status, headers, body) = match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result?,
            Err(_) => {
                return Err(SendError::retryable(format!("HTTP: no answer within {:?}", self.timeout), None));
            }
        };
        read_response(request, status, &headers, &body)
    }
}

/// The OTLP reading of an HTTP answer to `request`.
fn read_response(
    request: &ExportRequest,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Accepted, SendError> {
    let is_json =
        headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with(json::CONTENT_TYPE));
    if status.is_success() && is_json {
        // An empty or undecodable body is a full success.
        return Ok(json::partial_success(request, body).unwrap_or_default());
    }
    if status.is_success() {
        // An empty or undecodable body is a full success.
        let accepted = match request {
            ExportRequest::Traces(_) => ExportTraceServiceResponse::decode(body)
                .ok()
                .and_then(|r| r.partial_success)
                .map(|p| Accepted::partial(p.rejected_spans, p.error_message)),
            ExportRequest::Logs(_) => ExportLogsServiceResponse::decode(body)
                .ok()
                .and_then(|r| r.partial_success)
                .map(|p| Accepted::partial(p.rejected_log_records, p.error_message)),
            ExportRequest::Metrics(_) => ExportMetricsServiceResponse::decode(body)
                .ok()
                .and_then(|r| r.partial_success)
                .map(|p| Accepted::partial(p.rejected_data_points, p.error_message)),
        };
        return Ok(accepted.unwrap_or_default());
    }
    let mut message = format!("HTTP {status}");
    if let Some(detail) = error_detail(headers, body) {
        message.push_str(": ");
        message.push_str(&detail);
    }
    match status.as_u16() {
        429 | 502 | 503 | 504 => Err(SendError::retryable(message, retry_after(headers))),
        _ => Err(SendError::permanent(message)),
    }
}

/// What an error body says: a `google.rpc.Status` message, or short text.
fn error_detail(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or(PROTOBUF);
    if content_type.starts_with(PROTOBUF) {
        if let Some(message) = rpc::message(body) {
            return Some(message);
        }
    }
    if content_type.starts_with(json::CONTENT_TYPE) {
        if let Some(message) = json::error_message(body) {
            return Some(message);
        }
    }
    let text = std::str::from_utf8(body).ok()?.trim();
    if text.is_empty() {
        return None;
    }
    let mut end = text.len().min(200);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Some(text[..end].to_owned())
}

/// A `Retry-After` of delta-seconds (an HTTP-date is ignored).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    value.parse::<u64>().ok().map(Duration::from_secs)
}

fn gzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder =
        flate2::write::GzEncoder::new(Vec::with_capacity(data.len() / 4 + 64), flate2::Compression::fast());
    encoder.write_all(data)?;
    encoder.finish()
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use opentelemetry_proto::tonic::collector::trace::v1::{ExportTracePartialSuccess, ExportTraceServiceRequest};

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (http::HeaderName::from_static(k), http::HeaderValue::from_static(v))).collect()
    }

    fn traces() -> ExportRequest {
        ExportRequest::Traces(ExportTraceServiceRequest::default())
    }

    #[test]
    fn retry_after_takes_delta_seconds_and_ignores_dates() {
        assert_eq!(retry_after(&headers(&[("retry-after", "7")])), Some(Duration::from_secs(7)));
        assert_eq!(retry_after(&headers(&[("retry-after", " 0 ")])), Some(Duration::ZERO));
        assert_eq!(retry_after(&headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")])), None);
        assert_eq!(retry_after(&headers(&[("retry-after", "-3")])), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn statuses_map_to_success_retryable_or_permanent() {
        let none = HeaderMap::new();
        assert_eq!(read_response(&traces(), StatusCode::OK, &none, b"").unwrap(), Accepted::default());
        assert_eq!(
            read_response(&traces(), StatusCode::ACCEPTED, &none, b"not protobuf").unwrap(),
            Accepted::default()
        );
        for code in [429, 502, 503, 504] {
            let status = StatusCode::from_u16(code).unwrap();
            let e = read_response(&traces(), status, &headers(&[("retry-after", "3")]), b"").unwrap_err();
            assert!(e.retryable, "{code}");
            assert_eq!(e.retry_after, Some(Duration::from_secs(3)));
        }
        for code in [400, 401, 403, 404, 413, 500] {
            let status = StatusCode::from_u16(code).unwrap();
            let e = read_response(&traces(), status, &headers(&[("retry-after", "3")]), b"").unwrap_err();
            assert!(!e.retryable, "{code}");
        }
    }

    #[test]
    fn partial_success_and_error_messages_are_read() {
        let body = ExportTraceServiceResponse {
            partial_success: Some(ExportTracePartialSuccess { rejected_spans: 3, error_message: "too old".into() }),
        }
        .encode_to_vec();
        let accepted = read_response(&traces(), StatusCode::OK, &HeaderMap::new(), &body).unwrap();
        assert_eq!(accepted, Accepted { rejected: 3, message: Some("too old".into()) });
        let body = ExportTraceServiceResponse {
            partial_success: Some(ExportTracePartialSuccess { rejected_spans: 0, error_message: String::new() }),
        }
        .encode_to_vec();
        assert_eq!(read_response(&traces(), StatusCode::OK, &HeaderMap::new(), &body).unwrap(), Accepted::default());

        let status = rpc::Status { code: 3, message: "bad trace id".into(), details: vec![] }.encode_to_vec();
        let e = read_response(&traces(), StatusCode::BAD_REQUEST, &headers(&[("content-type", PROTOBUF)]), &status)
            .unwrap_err();
        assert_eq!(e.message, "HTTP 400 Bad Request: bad trace id");
        let e = read_response(&traces(), StatusCode::FORBIDDEN, &headers(&[("content-type", "text/plain")]), b"no\n")
            .unwrap_err();
        assert_eq!(e.message, "HTTP 403 Forbidden: no");
    }

    #[test]
    fn gzip_round_trips() {
        let data = vec![42u8; 10_000];
        let packed = gzip(&data).unwrap();
        assert!(packed.len() < data.len());
        let mut unpacked = Vec::new();
        flate2::read::GzDecoder::new(packed.as_slice()).read_to_end(&mut unpacked).unwrap();
        assert_eq!(unpacked, data);
    }

    #[tokio::test]
    async fn a_receiver_that_is_down_is_retryable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let config = TransportConfig {
            protocol: super::super::Protocol::HttpProtobuf,
            endpoint: format!("http://{addr}/v1/traces").parse().unwrap(),
            headers: vec![],
            compression: Compression::Gzip,
            timeout: Duration::from_secs(5),
            tls: None,
        };
        let e = HttpClient::new(&config).unwrap().send(&traces()).await.unwrap_err();
        assert!(e.retryable, "{}", e.message);
        assert!(e.message.contains("onnect"), "{}", e.message);
    }
}
