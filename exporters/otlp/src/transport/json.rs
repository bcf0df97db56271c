//! OTLP/JSON bodies (`http/json`): the protobuf JSON mapping as the OTLP
//! specification has it, by opentelemetry-proto's `with-serde` derives:
//! lowerCamelCase field names, trace and span ids as hex strings (not
//! base64), enums as integers, 64-bit integers (timestamps, `intValue`) as
//! decimal strings, bytes values as base64.
//!
//! Answers are read the same way: a JSON `Export*ServiceResponse` on
//! success (its partial success), a JSON `google.rpc.Status` on error (its
//! message).

use super::{Accepted, ExportRequest};

/// The `Content-Type` of OTLP/JSON.
pub(crate) const CONTENT_TYPE: &str = "application/json";

/// The JSON encoding of `request`.
pub(crate) fn encode(request: &ExportRequest) -> Result<Vec<u8>, serde_json::Error> {
    match request {
        ExportRequest::Traces(r) => serde_json::to_vec(r),
        ExportRequest::Logs(r) => serde_json::to_vec(r),
        ExportRequest::Metrics(r) => serde_json::to_vec(r),
    }
}

/// The partial success of a JSON answer to `request`, if it decodes and
/// has one. Read by hand, as receivers write the int64 count as a number
/// or as a string (both are valid OTLP/JSON), and serde's derive takes
/// only numbers.
pub(crate) fn partial_success(request: &ExportRequest, body: &[u8]) -> Option<Accepted> {
    let response: serde_json::Value = serde_json::from_slice(body).ok()?;
    let partial = response.get("partialSuccess")?;
    let field = match request {
        ExportRequest::Traces(_) => "rejectedSpans",
        ExportRequest::Logs(_) => "rejectedLogRecords",
        ExportRequest::Metrics(_) => "rejectedDataPoints",
    };
    let rejected = match partial.get(field) {
        Some(serde_json::Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(serde_json::Value::String(s)) => s.parse().unwrap_or(0),
        _ => 0,
    };
    let message = partial.get("errorMessage").and_then(|m| m.as_str()).unwrap_or_default().to_owned();
    Some(Accepted::partial(rejected, message))
}

/// The `message` of a JSON `google.rpc.Status` error body, if it has one.
pub(crate) fn error_message(body: &[u8]) -> Option<String> {
    let status: serde_json::Value = serde_json::from_slice(body).ok()?;
    let message = status.get("message")?.as_str()?;
    (!message.is_empty()).then(|| message.to_owned())
}

#[cfg(test)]
mod tests {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
    use serde_json::json;

    use super::*;

    fn one_span() -> ExportRequest {
        let span = Span {
            trace_id: vec![
                0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36,
            ],
            span_id: vec![0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7],
            name: "GET /dispatch".into(),
            kind: 2,
            start_time_unix_nano: 1_700_000_000_000_000_000,
            end_time_unix_nano: 1_700_000_000_250_000_000,
            attributes: vec![KeyValue {
                key: "http.status_code".into(),
                value: Some(AnyValue { value: Some(any_value::Value::IntValue(200)) }),
                ..Default::default()
            }],
            ..Default::default()
        };
        let scope_spans = vec![ScopeSpans { spans: vec![span], ..Default::default() }];
        ExportRequest::Traces(ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans { scope_spans, ..Default::default() }],
        })
    }

    #[test]
    fn a_span_has_the_otlp_json_shape() {
        let body: serde_json::Value = serde_json::from_slice(&encode(&one_span()).unwrap()).unwrap();
        let span = &body["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
        assert_eq!(span["traceId"], json!("4bf92f3577b34da6a3ce929d0e0e4736"), "hex, not base64");
        assert_eq!(span["spanId"], json!("00f067aa0ba902b7"));
        assert_eq!(span["parentSpanId"], json!(""), "a root span's parent is empty");
        assert_eq!(span["name"], json!("GET /dispatch"));
        assert_eq!(span["kind"], json!(2), "enums are integers");
        assert_eq!(span["startTimeUnixNano"], json!("1700000000000000000"), "int64 as a string");
        assert_eq!(span["endTimeUnixNano"], json!("1700000000250000000"));
        assert_eq!(span["attributes"][0], json!({"key": "http.status_code", "value": {"intValue": "200"}}));
    }

    #[test]
    fn the_request_decodes_back_as_sent() {
        let ExportRequest::Traces(sent) = one_span() else { unreachable!() };
        let body = encode(&ExportRequest::Traces(sent.clone())).unwrap();
        let back: ExportTraceServiceRequest = serde_json::from_slice(&body).unwrap();
        assert_eq!(back, sent);
    }

    #[test]
    fn answers_are_read() {
        let request = one_span();
        let body = br#"{"partialSuccess":{"rejectedSpans":"2","errorMessage":"too old"}}"#;
        assert_eq!(partial_success(&request, body), Some(Accepted { rejected: 2, message: Some("too old".into()) }));
        let body = br#"{"partialSuccess":{"rejectedSpans":3}}"#;
        assert_eq!(partial_success(&request, body), Some(Accepted { rejected: 3, message: None }));
        assert_eq!(partial_success(&request, b"{}"), None);
        assert_eq!(partial_success(&request, b"not json"), None);
        assert_eq!(error_message(br#"{"code":3,"message":"bad trace id"}"#).as_deref(), Some("bad trace id"));
        assert_eq!(error_message(br#"{"code":3}"#), None);
    }
}
