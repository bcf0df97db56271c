//! Span records to OTLP spans: ids, flags with the remote bits, kind,
//! status, attributes, events (from the span's log records) and links.

use std::sync::Arc;

use lantern::context::{SpanContext, TraceFlags};
use lantern::export::Resource;
use lantern::record::{LogRecord, SpanKind, SpanRecord, Status};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, SpanFlags, span, status};

use super::common;
use crate::span_events::SpanEvents;

/// The attribute whose presence makes an event an exception event (what
/// `#[traced(err)]` records).
const EXCEPTION_MESSAGE: &str = "exception.message";

/// The span event name of an exception, per the semantic conventions.
const EXCEPTION_EVENT: &str = "exception";

/// The attribute carrying an event's severity text.
const LEVEL_ATTRIBUTE: &str = "level";

/// One `ResourceSpans` per service (the process's own, and each service a
/// `service.name` span field set), one `ScopeSpans` per target in each.
pub(crate) fn traces_request(
    resource: &Resource,
    spans: &[Arc<SpanRecord>],
    events: SpanEvents,
) -> ExportTraceServiceRequest {
    let resource_spans = common::group_by_scope(spans.iter().map(|s| &**s), |s| common::service_key(&s.service), |s| s)
        .into_iter()
        .map(|(service, spans)| {
            let scope_spans = common::group_by_scope(spans, |s| s.target, |s| span(s, events))
                .into_iter()
                .map(|(name, spans)| ScopeSpans { scope: Some(common::scope(name)), spans, ..Default::default() })
                .collect();
            ResourceSpans {
                resource: Some(common::service_resource(resource, service)),
                scope_spans,
                ..Default::default()
            }
        })
        .collect();
    ExportTraceServiceRequest { resource_spans }
}

/// The OTLP `flags` of a span or link: the W3C flags byte in the low 8 bits,
/// plus "is-remote is known" and, when so, "is remote".
pub(crate) fn span_flags(flags: TraceFlags, is_remote: bool) -> u32 {
    let mut bits = u32::from(flags.to_u8()) & SpanFlags::TraceFlagsMask as u32;
    bits |= SpanFlags::ContextHasIsRemoteMask as u32;
    if is_remote {
        bits |= SpanFlags::ContextIsRemoteMask as u32;
    }
    bits
}

/// One span record as an OTLP span, with the events `events` keeps.
pub(crate) fn span(record: &SpanRecord, events: SpanEvents) -> Span {
    Span {
        trace_id: common::trace_id_bytes(record.trace_id),
        span_id: common::span_id_bytes(record.span_id),
        trace_state: record.trace_state.header_value(),
        parent_span_id: record.parent_span_id.map(common::span_id_bytes).unwrap_or_default(),
        flags: span_flags(record.flags, record.parent_span_id.is_some() && record.parent_is_remote),
        name: record.name.to_string(),
        kind: kind(record.kind) as i32,
        start_time_unix_nano: common::unix_nanos(record.start_time()),
        end_time_unix_nano: common::unix_nanos(record.end_time()),
        attributes: span_attributes(record),
        dropped_attributes_count: record.dropped_attributes,
        events: record.events.iter().filter(|e| events.keeps(e)).map(|e| event(e)).collect(),
        dropped_events_count: record.dropped_events,
        links: record.links.iter().map(link).collect(),
        dropped_links_count: record.dropped_links,
        status: Some(status(&record.status)),
    }
}

/// The span's attributes, and on the root of a sampled trace the sampler's
/// tag, `sampler.type` and `sampler.param` (kept apart from the attributes
/// on the record, so that no attribute cap drops it).
fn span_attributes(record: &SpanRecord) -> Vec<opentelemetry_proto::tonic::common::v1::KeyValue> {
    let mut attributes = common::attributes(&record.attributes);
    attributes.extend(record.sampler_attributes().map(|kv| common::key_value(&kv)));
    attributes
}

fn kind(kind: SpanKind) -> span::SpanKind {
    match kind {
        SpanKind::Internal => span::SpanKind::Internal,
        SpanKind::Server => span::SpanKind::Server,
        SpanKind::Client => span::SpanKind::Client,
        SpanKind::Producer => span::SpanKind::Producer,
        SpanKind::Consumer => span::SpanKind::Consumer,
    }
}

fn status(s: &Status) -> opentelemetry_proto::tonic::trace::v1::Status {
    let (code, message) = match s {
        Status::Unset => (status::StatusCode::Unset, String::new()),
        Status::Ok => (status::StatusCode::Ok, String::new()),
        Status::Error(message) => (status::StatusCode::Error, message.as_deref().unwrap_or_default().to_owned()),
    };
    opentelemetry_proto::tonic::trace::v1::Status { message, code: code as i32 }
}

/// A log record inside a span as a span event: named after its message
/// ("exception" when it carries `exception.message`, "event" when the
/// message is empty), its attributes plus `level`.
fn event(record: &LogRecord) -> span::Event {
    let name = if record.attribute(EXCEPTION_MESSAGE).is_some() {
        EXCEPTION_EVENT.to_owned()
    } else if record.body.is_empty() {
        "event".to_owned()
    } else {
        record.body.to_string()
    };
    let mut attributes = common::attributes(&record.attributes);
    if !record.attributes.iter().any(|kv| kv.key == LEVEL_ATTRIBUTE) {
        attributes.push(common::string_key_value(LEVEL_ATTRIBUTE, record.severity.as_str()));
    }
    span::Event { time_unix_nano: common::unix_nanos(record.time()), name, attributes, dropped_attributes_count: 0 }
}

fn link(cx: &SpanContext) -> span::Link {
    span::Link {
        trace_id: common::trace_id_bytes(cx.trace_id()),
        span_id: common::span_id_bytes(cx.span_id()),
        trace_state: cx.trace_state().header_value(),
        attributes: Vec::new(),
        dropped_attributes_count: 0,
        flags: span_flags(cx.flags(), cx.is_remote()),
    }
}

#[cfg(test)]
#[path = "spans_tests.rs"]
mod tests;
