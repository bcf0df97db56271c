//! `/debug/logs` (and `/debug/api/logs`): recent log records, newest first,
//! filtered by level (`level=WARN` means WARN and more severe), target
//! prefix (`target`, cut to 256 bytes) or trace id (`trace_id`); each
//! links to its trace.

use std::fmt::Write;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json_, json};

use super::html::{bound, clock, esc, page};
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
    let mut b = String::from(
        "<h1>Recent logs</h1><form class=\"filters\" method=\"get\"><label>level at least<select name=\"level\">",
    );
    for level in ["", "TRACE", "DEBUG", "INFO", "WARN", "ERROR"] {
        let selected = q.min_severity.map_or(level.is_empty(), |s| s.as_str() == level);
        let _ = write!(
            b,
            "<option value=\"{level}\"{}>{}</option>",
            if selected { " selected" } else { "" },
            if level.is_empty() { "any" } else { level }
        );
    }
    let _ = write!(
        b,
        "</select></label><label>target<input name=\"target\" value=\"{}\"></label>\
         <label>trace id<input name=\"trace_id\" size=\"34\" value=\"{}\"></label><button>Filter</button></form>",
        esc(q.target_prefix.as_deref().unwrap_or("")),
        q.trace_id.map(|t| t.to_string()).unwrap_or_default()
    );
    b.push_str(
        "<table><tr><th>time (UTC)</th><th>level</th><th>service</th><th>target</th><th>message</th><th>fields</th>\
         <th>trace</th></tr>",
    );
    for l in &list {
        let fields: Vec<String> =
            l.attributes.iter().map(|kv| format!("{}={}", esc(&kv.key), esc(&kv.value.to_string()))).collect();
        let trace = l
            .trace_id
            .map(|t| format!("<a class=\"mono\" href=\"/debug/traces/{t}\">{}</a>", &t.to_string()[..8]))
            .unwrap_or_default();
        let level_class = if l.severity >= Severity::Warn { " class=\"err\"" } else { "" };
        let _ = write!(
            b,
            "<tr class=\"log\"><td class=\"num\">{}</td><td{level_class}>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td>\
             <td><code>{}</code></td><td>{trace}</td></tr>",
            clock(l.time()),
            l.severity.as_str(),
            esc(l.service.as_deref().unwrap_or(&service)),
            esc(&l.target),
            esc(&l.body),
            fields.join(" "),
        );
    }
    b.push_str("</table>");
    if list.is_empty() {
        b.push_str("<p class=\"muted\">No log matches.</p>");
    }
    page("logs", &service, &b)
}
