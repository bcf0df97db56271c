//! `/debug/logs` (and `/debug/api/logs`): recent log records, newest first,
//! filtered by level (`level=WARN` means WARN and more severe), target
//! prefix (`target`, cut to 256 bytes) or trace id (`trace_id`); each
//! links to its trace.
//!
//! Markup: `<form class="filters">`, then one `<tr class="log">` a record
//! (time, level, `class="err"` from WARN up, service, target, message,
//! fields, the trace's link). Written with `maud`: bodies and fields are
//! escaped by construction.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;
use serde_json::{Value as Json_, json};

use super::html::{bound, clock, page};
use super::json::nanos;
use super::sources::Sources;
use crate::buffer::LogQuery;
use crate::ids::TraceId;
use crate::record::{LogRecord, Severity};

/// Records per page at most.
const MAX_LIMIT: usize = 1000;

/// Query parameters of the log list.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct LogParams {
    level: Option<String>,
    target: Option<String>,
    trace_id: Option<String>,
    limit: Option<usize>,
}

impl LogParams {
    fn query(mut self) -> Result<LogQuery, (StatusCode, String)> {
        bound(&mut self.target);
        let bad = |what: &str| (StatusCode::BAD_REQUEST, what.to_owned());
        let min_severity = match self.level.as_deref().map(str::to_ascii_uppercase).as_deref() {
            None | Some("") => None,
            Some("TRACE") => Some(Severity::Trace),
            Some("DEBUG") => Some(Severity::Debug),
            Some("INFO") => Some(Severity::Info),
            Some("WARN") => Some(Severity::Warn),
            Some("ERROR") => Some(Severity::Error),
            Some(_) => return Err(bad("level is one of TRACE, DEBUG, INFO, WARN, ERROR")),
        };
        let trace_id = match self.trace_id.as_deref().filter(|t| !t.is_empty()) {
            None => None,
            Some(t) => Some(t.parse::<TraceId>().map_err(|_| bad("trace_id is 32 lower-case hex digits"))?),
        };
        Ok(LogQuery {
            limit: self.limit.unwrap_or(100).clamp(1, MAX_LIMIT),
            min_severity,
            trace_id,
            target_prefix: self.target.filter(|t| !t.is_empty()),
        })
    }
}

fn log_json(l: &LogRecord, process_service: &str) -> Json_ {
    let attributes: serde_json::Map<String, Json_> =
        l.attributes.iter().map(|kv| (kv.key.to_string(), json!(kv.value.to_string()))).collect();
    json!({
        "time_unix_nanos": nanos(l.time()),
        "severity": l.severity.as_str(),
        "severity_number": l.severity.number(),
        "target": l.target,
        "body": l.body.as_str(),
        "attributes": attributes,
        "service": l.service.as_deref().unwrap_or(process_service),
        "trace_id": l.trace_id.map(|t| t.to_string()),
        "span_id": l.span_id.map(|s| s.to_string()),
    })
}

pub(crate) async fn logs_api(State(s): State<Sources>, Query(p): Query<LogParams>) -> Response {
    match p.query() {
        Ok(q) => {
            let service = s.handle.resource().service_name();
            let list: Vec<Json_> = s.handle.buffer().snapshot().logs(&q).iter().map(|l| log_json(l, service)).collect();
            Json(json!({ "logs": list })).into_response()
        }
        Err(e) => e.into_response(),
    }
}

pub(crate) async fn logs(State(s): State<Sources>, Query(p): Query<LogParams>) -> Response {
    let q = match p.query() {
        Ok(q) => q,
        Err(e) => return e.into_response(),
    };
    let service = s.handle.resource().service_name().to_owned();
    let list = s.handle.buffer().snapshot().logs(&q);
    let body = html! {
        h1 { "Recent logs" }
        form.filters method="get" {
            label {
                "level at least"
                select name="level" {
                    @for level in ["", "TRACE", "DEBUG", "INFO", "WARN", "ERROR"] {
                        @let selected = q.min_severity.map_or(level.is_empty(), |s| s.as_str() == level);
                        option value=(level) selected[selected] { (if level.is_empty() { "any" } else { level }) }
                    }
                }
            }
            label { "target" input name="target" value=(q.target_prefix.as_deref().unwrap_or("")); }
            label {
                "trace id"
                input name="trace_id" size="34" value=(q.trace_id.map(|t| t.to_string()).unwrap_or_default());
            }
            button { "Filter" }
        }
        table {
            tr {
                th { "time (UTC)" } th { "level" } th { "service" } th { "target" } th { "message" } th { "fields" }
                th { "trace" }
            }
            @for l in &list {
                tr.log {
                    td.num { (clock(l.time())) }
                    td class=[(l.severity >= Severity::Warn).then_some("err")] { (l.severity.as_str()) }
                    td { (l.service.as_deref().unwrap_or(&service)) }
                    td { code { (l.target) } }
                    td { (l.body) }
                    td {
                        code {
                            @for (n, kv) in l.attributes.iter().enumerate() {
                                @if n > 0 { " " } (kv.key) "=" (kv.value)
                            }
                        }
                    }
                    td {
                        @if let Some(t) = l.trace_id { a.mono href={ "/debug/traces/" (t) } { (&t.to_string()[..8]) } }
                    }
                }
            }
        }
        @if list.is_empty() { p.muted { "No log matches." } }
    };
    page("logs", &service, &body.into_string())
}
