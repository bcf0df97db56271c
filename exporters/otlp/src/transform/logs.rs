//! Log records to OTLP log records: severity, body, attributes and the trace
//! context they happened in.

use std::sync::Arc;

use lantern::export::Resource;
use lantern::record::LogRecord;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::logs::v1::{LogRecordFlags, ResourceLogs, ScopeLogs};

use super::common;

/// One `ResourceLogs` per service (see `traces_request`), one `ScopeLogs`
/// per target in each.
pub(crate) fn logs_request(resource: &Resource, logs: &[Arc<LogRecord>]) -> ExportLogsServiceRequest {
    let resource_logs = common::group_by_scope(logs.iter().map(|l| &**l), |l| common::service_key(&l.service), |l| l)
        .into_iter()
        .map(|(service, logs)| {
            let scope_logs = common::group_by_scope(logs, |l| &l.target, log_record)
                .into_iter()
                .map(|(name, log_records)| ScopeLogs {
                    scope: Some(common::scope(name)),
                    log_records,
                    ..Default::default()
                })
                .collect();
            ResourceLogs {
                resource: Some(common::service_resource(resource, service)),
                scope_logs,
                ..Default::default()
            }
        })
        .collect();
    ExportLogsServiceRequest { resource_logs }
}

/// One log record; the observed time is the event's time (Lantern sees
/// events as they happen).
pub(crate) fn log_record(record: &LogRecord) -> opentelemetry_proto::tonic::logs::v1::LogRecord {
    let time = common::unix_nanos(record.time());
    let flags = match record.trace_id {
        Some(_) => u32::from(record.flags.to_u8()) & LogRecordFlags::TraceFlagsMask as u32,
        None => 0,
    };
    opentelemetry_proto::tonic::logs::v1::LogRecord {
        time_unix_nano: time,
        observed_time_unix_nano: time,
        severity_number: record.severity.number(),
        severity_text: record.severity.as_str().to_owned(),
        body: Some(common::string_value(record.body.as_ref())),
        attributes: common::attributes(&record.attributes),
        dropped_attributes_count: 0,
        flags,
        trace_id: record.trace_id.map(common::trace_id_bytes).unwrap_or_default(),
        span_id: record.span_id.map(common::span_id_bytes).unwrap_or_default(),
        event_name: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::common::v1::any_value;
    use prost::Message;

    fn attr<'a>(r: &'a opentelemetry_proto::tonic::logs::v1::LogRecord, key: &str) -> Option<&'a any_value::Value> {
        r.attributes.iter().find(|kv| kv.key == key).and_then(|kv| kv.value.as_ref()?.value.as_ref())
    }

    #[test]
    fn logs_map_severity_body_attributes_and_trace() {
        let guard = lantern::builder().service_name("svc").try_init_local();
        tracing::warn!(target: "outside", retries = 3_u64, ok = false, "no span");
        let span = tracing::info_span!("work");
        span.in_scope(|| {
            tracing::info!(user = "ann", ratio = 0.5, "inside");
            tracing::error!(target: "outside", "boom");
        });
        drop(span);
        let snap = guard.buffer().snapshot();
        let mut logs = snap.logs(&Default::default());
        logs.sort_by_key(|l| l.time());
        assert_eq!(logs.len(), 3);
        let trace = snap.traces(&Default::default())[0].trace_id;
        let work = snap.trace(trace).unwrap().spans[0].span_id;

        let req = logs_request(guard.handle().resource(), &logs);
        assert_eq!(req.resource_logs.len(), 1);
        let rl = &req.resource_logs[0];
        let service = rl.resource.as_ref().unwrap().attributes.iter().find(|kv| kv.key == "service.name").unwrap();
        assert_eq!(service.value.as_ref().unwrap().value, Some(any_value::Value::StringValue("svc".into())));
        let scopes: Vec<_> = rl.scope_logs.iter().map(|s| s.scope.as_ref().unwrap().name.as_str()).collect();
        assert_eq!(scopes, ["outside", module_path!()]);
        assert_eq!(rl.scope_logs[0].log_records.len(), 2);

        let warn = &rl.scope_logs[0].log_records[0];
        assert_eq!(warn.severity_number, 13);
        assert_eq!(warn.severity_text, "WARN");
        assert_eq!(warn.body.as_ref().unwrap().value, Some(any_value::Value::StringValue("no span".into())));
        assert_eq!(attr(warn, "retries"), Some(&any_value::Value::IntValue(3)));
        assert_eq!(attr(warn, "ok"), Some(&any_value::Value::BoolValue(false)));
        assert!(warn.trace_id.is_empty() && warn.span_id.is_empty());
        assert_eq!(warn.flags, 0);
        assert_eq!(warn.time_unix_nano, common::unix_nanos(logs[0].time()));
        assert_eq!(warn.observed_time_unix_nano, warn.time_unix_nano);

        let error = &rl.scope_logs[0].log_records[1];
        assert_eq!(error.severity_number, 17);
        assert_eq!(error.trace_id, trace.to_bytes());
        assert_eq!(error.span_id, work.to_bytes());
        assert_eq!(error.flags & 0x01, 0x01, "sampled");
        assert_eq!(error.flags & !0xff, 0);

        let info = &rl.scope_logs[1].log_records[0];
        assert_eq!(info.severity_number, 9);
        assert_eq!(attr(info, "user"), Some(&any_value::Value::StringValue("ann".into())));
        assert_eq!(attr(info, "ratio"), Some(&any_value::Value::DoubleValue(0.5)));
        assert_eq!(info.trace_id, trace.to_bytes());

        assert!(req.encoded_len() > 0);
        let decoded = ExportLogsServiceRequest::decode(req.encode_to_vec().as_slice()).unwrap();
        assert_eq!(decoded, req);
    }

    #[test]
    fn no_logs_no_resource() {
        let req = logs_request(&Resource::default(), &[]);
        assert!(req.resource_logs.is_empty());
    }
}
