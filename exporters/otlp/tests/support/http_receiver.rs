//! The OTLP/HTTP receiver: axum routes for `/v1/traces`, `/v1/logs` and
//! `/v1/metrics`, protobuf or JSON bodies (as the `Content-Type` says,
//! answered in kind), gzip accepted, the faults of [`Fault`], plain text
//! or TLS ([`super::tls::serve_https`]).

use std::io::Read as _;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::{IntoResponse, Response as HttpResponse};
use http::{HeaderMap, StatusCode, header};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message as _;

use super::{Fault, REJECTED, ServerTls, Shared, rpc, tls};

#[derive(Clone, Copy)]
enum Signal {
    Traces,
    Logs,
    Metrics,
}

pub(super) async fn serve_http(listener: tokio::net::TcpListener, shared: Arc<Shared>, tls: Option<ServerTls>) {
    type S = State<Arc<Shared>>;
    let failures = shared.handshake_failures.clone();
    let router = axum::Router::new()
        .route("/v1/traces", axum::routing::post(|s: S, h: HeaderMap, b: Bytes| handle_http(s, h, b, Signal::Traces)))
        .route("/v1/logs", axum::routing::post(|s: S, h: HeaderMap, b: Bytes| handle_http(s, h, b, Signal::Logs)))
        .route("/v1/metrics", axum::routing::post(|s: S, h: HeaderMap, b: Bytes| handle_http(s, h, b, Signal::Metrics)))
        .layer(DefaultBodyLimit::disable())
        .with_state(shared);
    if let Some(tls) = tls {
        return tls::serve_https(listener, router, tls.rustls(), failures).await;
    }
    if let Err(e) = axum::serve(listener, router).await {
        eprintln!("test HTTP receiver stopped: {e}");
    }
}

fn protobuf(status: StatusCode, body: Vec<u8>) -> HttpResponse {
    (status, [(header::CONTENT_TYPE, "application/x-protobuf")], body).into_response()
}

fn bad_request(message: String) -> HttpResponse {
    protobuf(StatusCode::BAD_REQUEST, rpc::Status { code: 3, message, details: vec![] }.encode_to_vec())
}

async fn handle_http(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
    signal: Signal,
) -> HttpResponse {
    let fault = shared.arrive(headers.clone());
    let rejected = match fault {
        None => 0,
        Some(Fault::PartialSuccess(rejected)) => rejected,
        Some(Fault::Unavailable) => {
            return (StatusCode::SERVICE_UNAVAILABLE, "test fault: unavailable").into_response();
        }
        Some(Fault::Permanent) => return bad_request("test fault: bad request".into()),
        Some(Fault::RetryAfter(delay)) => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, whole_seconds(delay))],
                "test fault: slow down",
            )
                .into_response();
        }
        Some(Fault::UnavailableRetryAfter(delay)) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, whole_seconds(delay))],
                "test fault: unavailable",
            )
                .into_response();
        }
        Some(Fault::Hang) => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return StatusCode::GATEWAY_TIMEOUT.into_response();
        }
    };
    let body = match headers.get(header::CONTENT_ENCODING).map(|v| v.as_bytes()) {
        None | Some(b"identity") => body.to_vec(),
        Some(b"gzip") => {
            let mut unpacked = Vec::new();
            if let Err(e) = flate2::read::GzDecoder::new(&body[..]).read_to_end(&mut unpacked) {
                return bad_request(format!("bad gzip body: {e}"));
            }
            unpacked
        }
        Some(other) => {
            let message = format!("unsupported content-encoding {}", String::from_utf8_lossy(other));
            return (StatusCode::UNSUPPORTED_MEDIA_TYPE, message).into_response();
        }
    };
    let error_message = if rejected > 0 { REJECTED.to_owned() } else { String::new() };
    let json = headers.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let result = match signal {
        Signal::Traces => decode::<ExportTraceServiceRequest>(&body, json).map(|request| {
            shared.received().traces.push(request);
            let partial_success =
                (rejected > 0).then_some(ExportTracePartialSuccess { rejected_spans: rejected, error_message });
            answer(&ExportTraceServiceResponse { partial_success }, json)
        }),
        Signal::Logs => decode::<ExportLogsServiceRequest>(&body, json).map(|request| {
            shared.received().logs.push(request);
            let partial_success =
                (rejected > 0).then_some(ExportLogsPartialSuccess { rejected_log_records: rejected, error_message });
            answer(&ExportLogsServiceResponse { partial_success }, json)
        }),
        Signal::Metrics => decode::<ExportMetricsServiceRequest>(&body, json).map(|request| {
            shared.received().metrics.push(request);
            let partial_success =
                (rejected > 0).then_some(ExportMetricsPartialSuccess { rejected_data_points: rejected, error_message });
            answer(&ExportMetricsServiceResponse { partial_success }, json)
        }),
    };
    result.unwrap_or_else(bad_request)
}

/// A request body: OTLP/JSON when `json`, else protobuf.
fn decode<T: prost::Message + Default + serde::de::DeserializeOwned>(body: &[u8], json: bool) -> Result<T, String> {
    if json {
        serde_json::from_slice(body).map_err(|e| format!("bad JSON request: {e}"))
    } else {
        T::decode(body).map_err(|e| format!("bad protobuf request: {e}"))
    }
}

/// A 200 answer, in JSON when the request was.
fn answer<T: prost::Message + serde::Serialize>(response: &T, json: bool) -> HttpResponse {
    if json {
        let body = serde_json::to_vec(response).expect("a response encodes");
        (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body).into_response()
    } else {
        protobuf(StatusCode::OK, response.encode_to_vec())
    }
}

/// A `Retry-After` value: `delay` in whole seconds, rounded up.
fn whole_seconds(delay: Duration) -> String {
    (delay.as_secs() + u64::from(delay.subsec_nanos() > 0)).to_string()
}
