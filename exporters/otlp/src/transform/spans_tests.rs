//! Tests of the span mapping, on records made through Lantern.

use std::sync::Arc;

use lantern::TraceId;
use lantern::record::SpanRecord;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::{Span, span, status};
use prost::Message;

use super::*;

const REMOTE_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const REMOTE_PARENT: &str = "00f067aa0ba902b7";

fn value<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a any_value::Value> {
    attrs.iter().find(|kv| kv.key == key).and_then(|kv| kv.value.as_ref()?.value.as_ref())
}

fn string(s: &str) -> any_value::Value {
    any_value::Value::StringValue(s.to_owned())
}

fn find<'a>(req: &'a ExportTraceServiceRequest, name: &str) -> &'a Span {
    req.resource_spans[0].scope_spans.iter().flat_map(|s| &s.spans).find(|s| s.name == name).unwrap()
}

#[lantern::traced(err)]
fn fails() -> Result<(), String> {
    Err("disk full".to_owned())
}

/// Spans of every trace in the buffer, in trace order.
fn all_spans(guard: &lantern::Guard) -> Vec<Arc<SpanRecord>> {
    let snap = guard.buffer().snapshot();
    snap.traces(&Default::default()).iter().flat_map(|t| snap.trace(t.trace_id).unwrap().spans).collect()
}

#[test]
fn remote_parent_kind_attributes_events_and_links() {
    let guard = lantern::builder().service_name("svc").try_init_local();
    let mut headers = http::HeaderMap::new();
    headers.insert("traceparent", format!("00-{REMOTE_TRACE}-{REMOTE_PARENT}-01").parse().unwrap());
    headers.insert("tracestate", "rojo=00f067aa0ba902b7".parse().unwrap());

    let other = tracing::info_span!(target: "other", "other");
    let server = lantern::propagation::extract(&headers).child_span(|| {
        tracing::info_span!("handle", otel.kind = "server", method = "GET", n = 5_u64, big = u64::MAX, neg = -2_i64)
    });
    server.follows_from(other.id());
    server.in_scope(|| {
        tracing::info!(k = 1_i64, "hello");
        tracing::warn!("");
        tracing::info_span!("child").in_scope(|| {});
    });
    drop(server);
    drop(other);

    let spans = all_spans(&guard);
    assert_eq!(spans.len(), 3);
    let req = traces_request(guard.handle().resource(), &spans, SpanEvents::All);
    assert_eq!(req.resource_spans.len(), 1);
    let rs = &req.resource_spans[0];
    let res = rs.resource.as_ref().unwrap();
    assert_eq!(value(&res.attributes, "service.name"), Some(&string("svc")));

    // One scope per target, named after it, without version.
    let mut scopes: Vec<_> = rs.scope_spans.iter().map(|s| s.scope.as_ref().unwrap().name.clone()).collect();
    scopes.sort();
    assert_eq!(scopes, [module_path!().to_owned(), "other".to_owned()]);
    assert!(rs.scope_spans.iter().all(|s| s.scope.as_ref().unwrap().version.is_empty()));
    let other_scope = rs.scope_spans.iter().find(|s| s.scope.as_ref().unwrap().name == "other").unwrap();
    assert_eq!(other_scope.spans.len(), 1);

    let handle = find(&req, "handle");
    let remote = TraceId::from_hex(REMOTE_TRACE).unwrap();
    assert_eq!(handle.trace_id, remote.to_bytes());
    assert_eq!(handle.trace_id.len(), 16);
    assert_eq!(handle.span_id.len(), 8);
    assert_eq!(handle.parent_span_id, lantern::SpanId::from_hex(REMOTE_PARENT).unwrap().to_bytes());
    assert_eq!(handle.flags & 0xff, 0x01, "sampled, as the traceparent says");
    assert_eq!(handle.flags & 0x300, 0x300, "parent known to be remote");
    assert_eq!(handle.trace_state, "rojo=00f067aa0ba902b7");
    assert_eq!(handle.kind, span::SpanKind::Server as i32);
    assert!(handle.end_time_unix_nano >= handle.start_time_unix_nano);
    assert!(handle.start_time_unix_nano > 1_600_000_000_000_000_000);
    assert_eq!(value(&handle.attributes, "method"), Some(&string("GET")));
    assert_eq!(value(&handle.attributes, "n"), Some(&any_value::Value::IntValue(5)));
    assert_eq!(value(&handle.attributes, "neg"), Some(&any_value::Value::IntValue(-2)));
    assert_eq!(value(&handle.attributes, "big"), Some(&string(&u64::MAX.to_string())));
    assert_eq!(handle.status.as_ref().unwrap().code, status::StatusCode::Unset as i32);

    // Events: named after the message, "event" when empty, with `level`.
    assert_eq!(handle.events.len(), 2);
    let hello = &handle.events[0];
    assert_eq!(hello.name, "hello");
    assert_eq!(value(&hello.attributes, "k"), Some(&any_value::Value::IntValue(1)));
    assert_eq!(value(&hello.attributes, "level"), Some(&string("INFO")));
    assert!(hello.time_unix_nano >= handle.start_time_unix_nano && hello.time_unix_nano <= handle.end_time_unix_nano);
    assert_eq!(handle.events[1].name, "event");
    assert_eq!(value(&handle.events[1].attributes, "level"), Some(&string("WARN")));
    assert!(handle.events[1].time_unix_nano >= hello.time_unix_nano);

    // The link to `other`, a local root: known not remote.
    let other = find(&req, "other");
    assert_eq!(handle.links.len(), 1);
    let link = &handle.links[0];
    assert_eq!(link.trace_id, other.trace_id);
    assert_eq!(link.span_id, other.span_id);
    assert_ne!(link.trace_id, handle.trace_id);
    assert_eq!(link.flags & 0x300, 0x100);
    assert_eq!(link.flags & 0xff, other.flags & 0xff);
    assert!(other.parent_span_id.is_empty());
    assert_eq!(other.flags & 0x300, 0x100);
    assert_eq!(other.kind, span::SpanKind::Internal as i32);

    // A local child: parent is `handle`, not remote.
    let child = find(&req, "child");
    assert_eq!(child.trace_id, handle.trace_id);
    assert_eq!(child.parent_span_id, handle.span_id);
    assert_eq!(child.flags & 0x300, 0x100);
    assert_eq!(child.trace_state, "rojo=00f067aa0ba902b7");

    assert!(req.encoded_len() > 0);
    let decoded = ExportTraceServiceRequest::decode(req.encode_to_vec().as_slice()).unwrap();
    assert_eq!(decoded, req);
}

#[test]
fn status_and_exception_events() {
    let guard = lantern::builder().service_name("svc").try_init_local();
    let _ = fails();
    tracing::info_span!("ok", otel.status_code = "OK").in_scope(|| {});
    tracing::info_span!("failed", otel.status_code = "ERROR", otel.status_message = "nope").in_scope(|| {
        tracing::error!(exception.message = "bad input", "could not parse");
    });
    let spans = all_spans(&guard);
    let req = traces_request(guard.handle().resource(), &spans, SpanEvents::All);

    let ok = find(&req, "ok").status.clone().unwrap();
    assert_eq!((ok.code, ok.message.as_str()), (status::StatusCode::Ok as i32, ""));

    let failed = find(&req, "failed");
    let st = failed.status.clone().unwrap();
    assert_eq!((st.code, st.message.as_str()), (status::StatusCode::Error as i32, "nope"));
    assert_eq!(failed.events.len(), 1);
    assert_eq!(failed.events[0].name, "exception");
    assert_eq!(value(&failed.events[0].attributes, "exception.message"), Some(&string("bad input")));
    assert_eq!(value(&failed.events[0].attributes, "level"), Some(&string("ERROR")));

    let traced = find(&req, "fails");
    let st = traced.status.clone().unwrap();
    assert_eq!(st.code, status::StatusCode::Error as i32);
    assert_eq!(st.message, "disk full");
    assert_eq!(traced.events.len(), 1);
    assert_eq!(traced.events[0].name, "exception");
    assert_eq!(value(&traced.events[0].attributes, "exception.message"), Some(&string("disk full")));
}

#[test]
fn by_default_only_exceptions_go_out_as_span_events_while_logs_are_exported() {
    let guard = lantern::builder().service_name("svc").try_init_local();
    tracing::info_span!("work").in_scope(|| {
        tracing::info!("step one");
        tracing::warn!("slow");
        tracing::error!("gave up");
        tracing::info!(exception.message = "timeout", "retrying");
    });
    let spans = all_spans(&guard);
    let names = |events: SpanEvents| -> Vec<String> {
        let req = traces_request(guard.handle().resource(), &spans, events);
        find(&req, "work").events.iter().map(|e| e.name.clone()).collect()
    };
    let exceptions = ["gave up".to_owned(), "exception".to_owned()];
    assert_eq!(names(SpanEvents::Auto.resolve(true)), exceptions, "logs carry the rest");
    assert_eq!(names(SpanEvents::Auto.resolve(false)).len(), 4, "no logs signal: every event rides on its span");
    assert_eq!(names(SpanEvents::Exceptions), exceptions);
    assert_eq!(names(SpanEvents::All).len(), 4);
    assert!(names(SpanEvents::None).is_empty());
    let work = &spans.iter().find(|s| s.name == "work").unwrap();
    assert_eq!(work.dropped_events, 0, "events left to the logs are not dropped ones");
}

#[test]
fn links_to_remote_contexts_go_out_with_their_ids_flags_and_tracestate() {
    let config = lantern::buffer::BufferConfig { max_links_per_span: 2, ..Default::default() };
    let guard = lantern::builder().service_name("svc").buffer(config).try_init_local();
    let message = |traceparent: String, tracestate: Option<&str>| {
        let mut headers = std::collections::HashMap::from([("traceparent".to_owned(), traceparent)]);
        if let Some(ts) = tracestate {
            headers.insert("tracestate".to_owned(), ts.to_owned());
        }
        lantern::middleware::messaging::extract_message(&headers)
    };
    let parents = [
        message(format!("00-{REMOTE_TRACE}-{REMOTE_PARENT}-01"), Some("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")),
        message("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00".to_owned(), None),
        message("00-11111111111111111111111111111111-2222222222222222-01".to_owned(), None),
    ];
    let batch = lantern::middleware::messaging::batch_consumer_span(&parents, "kafka", "orders", 3);
    let later = message("00-33333333333333333333333333333333-4444444444444444-01".to_owned(), None);
    assert!(!lantern::context::add_link(&batch, &later), "past the cap of 2");
    drop(batch);

    let spans = all_spans(&guard);
    let req = traces_request(guard.handle().resource(), &spans, SpanEvents::All);
    let process = find(&req, "process orders");
    assert_eq!(process.links.len(), 2);
    assert_eq!(process.dropped_links_count, 2, "one at creation, one added");
    let first = &process.links[0];
    assert_eq!(first.trace_id, TraceId::from_hex(REMOTE_TRACE).unwrap().to_bytes());
    assert_eq!(first.span_id, lantern::SpanId::from_hex(REMOTE_PARENT).unwrap().to_bytes());
    assert_eq!(first.trace_state, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
    assert_eq!(first.flags, 0x301, "sampled, and known to be remote");
    assert_ne!(first.trace_id, process.trace_id, "a trace of its own");
    let second = &process.links[1];
    assert_eq!(hex(&second.trace_id), "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(hex(&second.span_id), "b7ad6b7169203331");
    assert_eq!(second.trace_state, "");
    assert_eq!(second.flags, 0x300, "not sampled, remote");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn no_spans_no_resource() {
    let req = traces_request(&lantern::export::Resource::default(), &[], SpanEvents::All);
    assert!(req.resource_spans.is_empty());
    assert_eq!(req.encoded_len(), 0);
}

#[test]
fn flags_bits() {
    use lantern::context::TraceFlags;
    assert_eq!(span_flags(TraceFlags::NONE, false), 0x100);
    assert_eq!(span_flags(TraceFlags::SAMPLED, true), 0x301);
    assert_eq!(span_flags(TraceFlags::from_u8(0x03), false), 0x103);
}

#[test]
fn each_service_in_the_process_gets_its_own_resource() {
    let guard = lantern::builder().service_name("frontend").try_init_local();
    tracing::info_span!("dispatch").in_scope(|| {
        tracing::info_span!("GET /customer", service.name = "customer").in_scope(|| {
            tracing::info_span!("SQL SELECT").in_scope(|| tracing::info!("queried"));
        });
        tracing::info!("dispatched");
    });
    let spans = all_spans(&guard);
    let req = traces_request(guard.handle().resource(), &spans, SpanEvents::All);
    let service_of = |rs: &opentelemetry_proto::tonic::trace::v1::ResourceSpans| {
        value(&rs.resource.as_ref().unwrap().attributes, "service.name").cloned()
    };
    let mut by_service: Vec<(any_value::Value, Vec<String>)> = req
        .resource_spans
        .iter()
        .map(|rs| {
            let mut names: Vec<String> = rs.scope_spans.iter().flat_map(|s| &s.spans).map(|s| s.name.clone()).collect();
            names.sort();
            (service_of(rs).unwrap(), names)
        })
        .collect();
    by_service.sort_by_key(|(s, _)| format!("{s:?}"));
    assert_eq!(
        by_service,
        vec![
            (string("customer"), vec!["GET /customer".to_owned(), "SQL SELECT".to_owned()]),
            (string("frontend"), vec!["dispatch".to_owned()]),
        ]
    );
    // The field sets the service; it is not an attribute of the span.
    let get = find_in(&req, "GET /customer");
    assert!(value(&get.attributes, "service.name").is_none());
    // Every other resource attribute is shared.
    let n = req.resource_spans[0].resource.as_ref().unwrap().attributes.len();
    assert!(req.resource_spans.iter().all(|rs| rs.resource.as_ref().unwrap().attributes.len() == n));

    let logs: Vec<_> = guard.buffer().snapshot().logs(&Default::default());
    let logs = crate::transform::logs_request(guard.handle().resource(), &logs);
    let log_services: Vec<_> = logs
        .resource_logs
        .iter()
        .map(|rl| {
            let body = rl.scope_logs[0].log_records[0].body.clone().unwrap().value.unwrap();
            (value(&rl.resource.as_ref().unwrap().attributes, "service.name").cloned().unwrap(), body)
        })
        .collect();
    assert!(log_services.contains(&(string("customer"), string("queried"))), "{log_services:?}");
    assert!(log_services.contains(&(string("frontend"), string("dispatched"))), "{log_services:?}");
}

fn find_in<'a>(req: &'a ExportTraceServiceRequest, name: &str) -> &'a Span {
    req.resource_spans.iter().flat_map(|r| &r.scope_spans).flat_map(|s| &s.spans).find(|s| s.name == name).unwrap()
}
