//! `/debug/traces/{trace_id}` (and `/debug/api/traces/{trace_id}`): one
//! trace as a waterfall with the critical path marked (see
//! [`super::waterfall`]) and the trace patterns found in it as hints (see
//! [`super::trace_hints`]). Each row is `<tr class="row ..." id="span-{span_id}">`.

use std::fmt::Write;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json_, json};

use super::html::{clock, dur, esc, page};
use super::json::{attrs_json, nanos};
use super::sources::Sources;
use super::trace_hints::{Hints, findings_json};
use super::waterfall::{Waterfall, waterfall_of};
use crate::buffer::Trace;
use crate::ids::{SpanId, TraceId};
use crate::insights::patterns::{Finding, PatternConfig};
use crate::insights::patterns_find::find_in_tree;
use crate::insights::tree::TraceTree;

/// Rows shown of one trace; the rest are counted in a note.
const MAX_ROWS: usize = 2000;

fn parse_id(id: &str) -> Result<TraceId, (StatusCode, &'static str)> {
    id.parse().map_err(|_| (StatusCode::BAD_REQUEST, "not a trace id: 32 lower-case hex digits"))
}

/// The waterfall of `trace` and the patterns in it, from one index.
fn analyse(trace: &Trace) -> (Waterfall, Vec<Finding>) {
    let tree = TraceTree::new(trace);
    let critical = tree.critical();
    let findings = find_in_tree(&tree, &critical, &PatternConfig::default());
    (waterfall_of(&tree, &critical, MAX_ROWS), findings)
}

fn waterfall_json(trace: &Trace, w: &Waterfall, findings: &[Finding], process_service: &str) -> Json_ {
    let rows: Vec<Json_> = w
        .rows
        .iter()
        .map(|r| {
            let s = &r.span;
            json!({
                "span_id": s.span_id.to_string(),
                "parent_span_id": s.parent_span_id.map(|p| p.to_string()),
                "name": s.name, "kind": s.kind.as_str(), "depth": r.depth,
                "service": s.service.as_deref().unwrap_or(process_service),
                "offset_us": r.offset.as_micros() as u64, "duration_us": r.duration.as_micros() as u64,
                "critical": r.critical, "remote_parent": r.remote_parent, "orphan": r.orphan, "error": r.error,
                "attributes": attrs_json(&s.attributes.iter().cloned().chain(s.sampler_attributes()).collect::<Vec<_>>()),
                "adjusted_count": s.adjusted_count(),
                "baggage": s.baggage.iter().map(|e| (e.key().to_owned(), json!(e.value()))).collect::<serde_json::Map<_, _>>(),
                "events": s.events.iter().map(|e| json!({
                    "time_unix_nanos": nanos(e.time()), "severity": e.severity.as_str(),
                    "body": e.body.as_str(), "attributes": attrs_json(&e.attributes),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    // The whole path, also through rows the page leaves out.
    let path: Vec<String> = w.critical_path.iter().map(|id| id.to_string()).collect();
    json!({
        "trace_id": trace.trace_id.to_string(), "duration_us": w.total.as_micros() as u64,
        "spans": rows, "omitted_spans": w.omitted, "dropped_spans": trace.dropped_spans,
        "adjusted_count": trace.adjusted_count(),
        "critical_path": path, "findings": findings_json(findings),
    })
}

pub(crate) async fn trace_api(State(s): State<Sources>, Path(id): Path<String>) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(r) => return r.into_response(),
    };
    match s.handle.buffer().snapshot().trace(id) {
        Some(t) => {
            let (w, findings) = analyse(&t);
            Json(waterfall_json(&t, &w, &findings, s.handle.resource().service_name())).into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such trace in the buffer").into_response(),
    }
}

pub(crate) async fn trace(State(s): State<Sources>, Path(id): Path<String>) -> Response {
    let service = s.handle.resource().service_name().to_owned();
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(r) => return r.into_response(),
    };
    let Some(t) = s.handle.buffer().snapshot().trace(id) else {
        let body = format!("<h1>Trace {id}</h1><p class=\"note\">Not in the buffer (never seen, or evicted).</p>");
        return (StatusCode::NOT_FOUND, page("trace", &service, &body)).into_response();
    };
    let (w, findings) = analyse(&t);
    let hints = Hints::new(&findings);
    let mut b = format!(
        "<h1>Trace <code>{id}</code></h1><p class=\"muted\">{} spans · {} · critical path in amber · \
         <a href=\"/debug/api/traces/{id}\">JSON</a></p>",
        t.spans.len(),
        dur(w.total)
    );
    if w.omitted > 0 {
        let _ = write!(b, "<p class=\"note\">{} more spans are not shown (the first {MAX_ROWS} are).</p>", w.omitted);
    }
    if t.dropped_spans > 0 {
        let _ = write!(b, "<p class=\"note\">{} spans were dropped by the per-trace cap.</p>", t.dropped_spans);
    }
    let shown: std::collections::HashSet<SpanId> = w.rows.iter().map(|r| r.span.span_id).collect();
    b.push_str(&hints.list(&t, |id| shown.contains(&id)).into_string());
    b.push_str("<table class=\"waterfall\"><tr><th>span</th><th class=\"num\">duration</th><th>timeline</th></tr>");
    let total = w.total.as_secs_f64().max(1e-9);
    // The service of the row last seen at each depth: rows are depth
    // first, so a row's parent is the one just above it at `depth - 1`.
    let mut services: Vec<&str> = Vec::new();
    for r in &w.rows {
        let s = &r.span;
        let own = s.service.as_deref().unwrap_or(&service);
        services.truncate(r.depth);
        // The service shows where it changes: at the top and across calls.
        let same_as_parent = !r.remote_parent && r.depth > 0 && services.last() == Some(&own);
        services.push(own);
        let service_tag =
            if same_as_parent { String::new() } else { format!("<span class=\"svc\">{}</span> ", esc(own)) };
        let class = [(r.critical, "critical"), (r.error, "error")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, c)| *c)
            .collect::<Vec<_>>()
            .join(" ");
        let left = r.offset.as_secs_f64() / total * 100.0;
        let width = (r.duration.as_secs_f64() / total * 100.0).max(0.2);
        let mut marks = String::new();
        if r.critical {
            marks.push_str(" <span class=\"mark-critical\" title=\"on the critical path\">◆</span>");
        }
        if r.remote_parent {
            marks.push_str(" <span class=\"muted\">(remote parent)</span>");
        }
        if r.error {
            marks.push_str(" <span class=\"err\">error</span>");
        }
        marks.push_str(&hints.marks(s.span_id).into_string());
        let mut details = String::new();
        for kv in s.attributes.iter().cloned().chain(s.sampler_attributes()) {
            let _ = write!(
                details,
                "<div><code>{}</code> = <code>{}</code></div>",
                esc(&kv.key),
                esc(&kv.value.to_string())
            );
        }
        for entry in s.baggage.iter() {
            let _ = write!(
                details,
                "<div class=\"baggage\"><span class=\"muted\">baggage</span> <code>{}</code> = <code>{}</code></div>",
                esc(entry.key()),
                esc(entry.value())
            );
        }
        for e in &s.events {
            let _ = write!(
                details,
                "<div class=\"muted\">{} <b>{}</b> {}</div>",
                clock(e.time()),
                e.severity.as_str(),
                esc(&e.body)
            );
        }
        let _ = write!(
            b,
            "<tr class=\"row {class}\" id=\"span-{}\" data-span-id=\"{}\"><td style=\"padding-left:{}em\"><details><summary>{service_tag}{}{marks}</summary>{details}</details></td>\
             <td class=\"num\">{}</td><td><div class=\"bar\"><span style=\"left:{left:.3}%;width:{width:.3}%\"></span></div></td></tr>",
            s.span_id,
            s.span_id,
            0.7 + r.depth.min(40) as f64 * 1.1,
            esc(&s.name),
            dur(r.duration),
        );
    }
    b.push_str("</table>");
    page("trace", &service, &b)
}
