//! The overview and the trace pages, each with a JSON twin under
//! `/debug/api/`.
//!
//! - `/debug` (`/debug/api/overview`): the service, uptime, resource, buffer
//!   fill and counters.
//! - `/debug/traces` (`/debug/api/traces`): recent traces, newest first, with
//!   filters (`name`, `min_ms`, `errors`, `attr=key=value` for an attribute or
//!   a baggage entry) and paging (`limit`, `offset`).
//! - `/debug/traces/{trace_id}` (`/debug/api/traces/{trace_id}`): one trace as
//!   a waterfall with the critical path marked.

use std::fmt::Write;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json_, json};

use super::Sources;
use super::html::{clock, dur, esc, page, url};
use super::waterfall::{Waterfall, waterfall};
use crate::metrics::MetricValue;
use crate::record::Value;
use crate::{KeyValue, Trace, TraceId, TraceQuery, TraceSummary};

/// Rows shown of one trace; the rest are counted in a note.
const MAX_ROWS: usize = 2000;
/// Traces per page at most.
const MAX_LIMIT: usize = 500;

/// Query parameters of the trace list.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct TraceParams {
    name: Option<String>,
    min_ms: Option<f64>,
    errors: Option<String>,
    /// `key=value`: an attribute or baggage entry some span has.
    attr: Option<String>,
    limit: Option<usize>,
    offset: Option<usize>,
}

impl TraceParams {
    fn query(&self) -> Result<TraceQuery, (StatusCode, &'static str)> {
        let attribute = match self.attr.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            None => None,
            Some(a) => match a.split_once('=') {
                Some((k, v)) if !k.trim().is_empty() => Some((k.trim().to_owned(), v.trim().to_owned())),
                _ => return Err((StatusCode::BAD_REQUEST, "attr is key=value (an attribute or a baggage entry)")),
            },
        };
        Ok(TraceQuery {
            attribute,
            limit: self.limit.unwrap_or(50).clamp(1, MAX_LIMIT),
            offset: self.offset.unwrap_or(0),
            span_name: self.name.clone().filter(|n| !n.is_empty()),
            min_duration: self
                .min_ms
                .filter(|m| m.is_finite() && *m > 0.0)
                .map(|m| Duration::try_from_secs_f64(m / 1e3).unwrap_or(Duration::MAX)),
            errors_only: self.errors.as_deref().is_some_and(|e| e == "1" || e == "on" || e == "true"),
        })
    }
}

fn overview_json(s: &Sources) -> Json_ {
    let stats = s.buffer.stats();
    let resource = s.buffer.resource();
    let attrs: serde_json::Map<String, Json_> =
        resource.attributes().iter().map(|kv| (kv.key.to_string(), value_json(&kv.value))).collect();
    let sampling = s.buffer.sampling().map(|stats| {
        let (mut seen, mut sampled) = (0, 0);
        for r in stats.roots().iter().chain([&stats.overflow()]) {
            seen += r.seen;
            sampled += r.sampled;
        }
        json!({ "sampler": stats.description(), "roots_seen": seen, "roots_sampled": sampled })
    });
    // The exporter's own counters, as it publishes them (`otlp.*`).
    let export: serde_json::Map<String, Json_> = s
        .metrics
        .snapshot_where(|name| name.starts_with("otlp."))
        .into_iter()
        .flat_map(|f| {
            f.series.into_iter().filter_map(move |series| {
                let labels: Vec<String> = series.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let key =
                    if labels.is_empty() { f.name.clone() } else { format!("{}{{{}}}", f.name, labels.join(",")) };
                let value = match series.value {
                    MetricValue::Counter { value, .. } => json!(value),
                    MetricValue::Gauge(value) => json!(value),
                    _ => return None,
                };
                Some((key, value))
            })
        })
        .collect();
    json!({
        "service": resource.service_name(),
        "uptime_seconds": s.started.elapsed().as_secs_f64(),
        "resource": attrs,
        "buffer": {
            "bytes": stats.bytes, "max_bytes": stats.max_bytes,
            "spans": stats.spans, "logs": stats.logs, "traces": stats.traces,
        },
        "sampling": sampling,
        "export": export,
        "counters": {
            "spans_recorded": stats.spans_recorded, "logs_recorded": stats.logs_recorded,
            "spans_sampled": stats.spans_sampled, "records_to_exporter": stats.records_exported,
            "spans_overwritten": stats.spans_overwritten, "logs_overwritten": stats.logs_overwritten,
            "spans_evicted": stats.spans_evicted, "logs_evicted": stats.logs_evicted,
            "spans_dropped_trace_cap": stats.spans_dropped_trace_cap, "events_dropped": stats.events_dropped,
        },
    })
}

pub(crate) async fn overview_api(State(s): State<Sources>) -> Json<Json_> {
    Json(overview_json(&s))
}

pub(crate) async fn overview(State(s): State<Sources>) -> Response {
    let o = overview_json(&s);
    let service = s.buffer.resource().service_name().to_owned();
    let mut b = format!("<h1>{}</h1><div class=\"kv\">", esc(&service));
    let fill = o["buffer"]["bytes"].as_f64().unwrap_or(0.0) / o["buffer"]["max_bytes"].as_f64().unwrap_or(1.0);
    let uptime = Duration::from_secs_f64(o["uptime_seconds"].as_f64().unwrap_or(0.0));
    let _ = write!(b, "<span class=\"muted\">uptime</span><span>{}</span>", dur(uptime));
    let _ = write!(
        b,
        "<span class=\"muted\">buffer</span><span>{:.1}% of {} MiB: {} spans in {} traces, {} logs</span></div>",
        fill * 100.0,
        o["buffer"]["max_bytes"].as_u64().unwrap_or(0) >> 20,
        o["buffer"]["spans"],
        o["buffer"]["traces"],
        o["buffer"]["logs"]
    );
    if let Some(sampling) = o["sampling"].as_object() {
        let _ = write!(
            b,
            "<p><span class=\"muted\">sampler</span> <code>{}</code>: {} of {} traces started here sampled \
             (<a href=\"/debug/sampling\">by root span</a>)</p>",
            esc(sampling["sampler"].as_str().unwrap_or("")),
            sampling["roots_sampled"],
            sampling["roots_seen"]
        );
    }
    b.push_str("<h2>Counters</h2><table class=\"counters\"><tr><th>counter</th><th class=\"num\">value</th></tr>");
    for (k, v) in o["counters"].as_object().into_iter().flatten() {
        let _ = write!(b, "<tr><td>{}</td><td class=\"num\">{v}</td></tr>", esc(k));
    }
    b.push_str("</table><h2>Export</h2>");
    let export = o["export"].as_object().filter(|e| !e.is_empty());
    match export {
        None => b.push_str(
            "<p class=\"muted\">No exporter counters: nothing is exported, or the exporter publishes none.</p>",
        ),
        Some(export) => {
            b.push_str("<table class=\"export\"><tr><th>counter</th><th class=\"num\">value</th></tr>");
            for (k, v) in export {
                let _ = write!(b, "<tr><td><code>{}</code></td><td class=\"num\">{v}</td></tr>", esc(k));
            }
        }
    }
    b.push_str("</table><h2>Resource</h2><table>");
    for (k, v) in o["resource"].as_object().into_iter().flatten() {
        let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        let _ = write!(b, "<tr><td><code>{}</code></td><td><code>{}</code></td></tr>", esc(k), esc(&text));
    }
    b.push_str("</table><p><a href=\"/debug/traces\">Recent traces</a> · <a href=\"/debug/api/overview\">JSON</a></p>");
    page("overview", &service, &b)
}

fn summary_json(t: &TraceSummary, process_service: &str) -> Json_ {
    json!({
        "trace_id": t.trace_id.to_string(),
        "root_name": t.root_name,
        "service": t.service.as_deref().unwrap_or(process_service),
        "has_root": t.has_root,
        "start_unix_nanos": nanos(t.start),
        "duration_us": t.duration.as_micros() as u64,
        "span_count": t.span_count,
        "dropped_spans": t.dropped_spans,
        "error": t.error,
    })
}

pub(crate) async fn traces_api(State(s): State<Sources>, Query(p): Query<TraceParams>) -> Response {
    let q = match p.query() {
        Ok(q) => q,
        Err(e) => return e.into_response(),
    };
    let snap = s.buffer.snapshot();
    let service = s.buffer.resource().service_name();
    let list: Vec<Json_> = snap.traces(&q).iter().map(|t| summary_json(t, service)).collect();
    Json(json!({ "service": s.buffer.resource().service_name(), "traces": list })).into_response()
}

pub(crate) async fn traces(State(s): State<Sources>, Query(p): Query<TraceParams>) -> Response {
    let q = match p.query() {
        Ok(q) => q,
        Err(e) => return e.into_response(),
    };
    let list = s.buffer.snapshot().traces(&q);
    let service = s.buffer.resource().service_name().to_owned();
    let mut b = String::from("<h1>Recent traces</h1><form class=\"filters\" method=\"get\">");
    let _ = write!(
        b,
        "<label>span name<input name=\"name\" value=\"{}\"></label>\
         <label>min duration (ms)<input name=\"min_ms\" size=\"6\" value=\"{}\"></label>\
         <label>errors only<input type=\"checkbox\" name=\"errors\" value=\"1\"{}></label>\
         <label>attribute or baggage<input name=\"attr\" placeholder=\"key=value\" value=\"{}\"></label>\
         <label>per page<input name=\"limit\" size=\"4\" value=\"{}\"></label><button>Filter</button></form>",
        esc(q.span_name.as_deref().unwrap_or("")),
        p.min_ms.map(|m| m.to_string()).unwrap_or_default(),
        if q.errors_only { " checked" } else { "" },
        esc(p.attr.as_deref().unwrap_or("")),
        q.limit
    );
    b.push_str(
        "<table><tr><th>root span</th><th>service</th><th>start (UTC)</th><th class=\"num\">duration</th>\
         <th class=\"num\">spans</th><th></th></tr>",
    );
    for t in &list {
        let _ = write!(
            b,
            "<tr><td><a href=\"/debug/traces/{id}\">{}</a>{}</td><td>{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            esc(&t.root_name),
            if t.has_root { "" } else { " <span class=\"muted\">(root not held)</span>" },
            esc(t.service.as_deref().unwrap_or(&service)),
            clock(t.start),
            dur(t.duration),
            t.span_count,
            if t.error { "<span class=\"err\">error</span>" } else { "" },
            id = t.trace_id,
        );
    }
    b.push_str("</table>");
    if list.is_empty() {
        b.push_str("<p class=\"muted\">No trace matches.</p>");
    }
    let keep = format!(
        "name={}&min_ms={}&errors={}&attr={}&limit={}",
        url(q.span_name.as_deref().unwrap_or("")),
        p.min_ms.map(|m| m.to_string()).unwrap_or_default(),
        if q.errors_only { "1" } else { "" },
        url(p.attr.as_deref().unwrap_or("")),
        q.limit
    );
    b.push_str("<p>");
    if q.offset > 0 {
        let _ = write!(b, "<a href=\"?{keep}&offset={}\">← newer</a> ", q.offset.saturating_sub(q.limit));
    }
    if list.len() == q.limit {
        let _ = write!(b, "<a href=\"?{keep}&offset={}\">older →</a>", q.offset + q.limit);
    }
    let _ = write!(b, " · <a href=\"/debug/api/traces?{keep}&offset={}\">JSON</a></p>", q.offset);
    page("traces", &service, &b)
}

fn parse_id(id: &str) -> Result<TraceId, (StatusCode, &'static str)> {
    id.parse().map_err(|_| (StatusCode::BAD_REQUEST, "not a trace id: 32 lower-case hex digits"))
}

fn waterfall_json(trace: &Trace, w: &Waterfall, process_service: &str) -> Json_ {
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
                "attributes": attrs_json(&s.attributes),
                "baggage": s.baggage.iter().map(|e| (e.key().to_owned(), json!(e.value()))).collect::<serde_json::Map<_, _>>(),
                "events": s.events.iter().map(|e| json!({
                    "time_unix_nanos": nanos(e.time()), "severity": e.severity.as_str(),
                    "body": e.body, "attributes": attrs_json(&e.attributes),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    // The whole path, also through rows the page leaves out.
    let path: Vec<String> = w.critical_path.iter().map(|id| id.to_string()).collect();
    json!({
        "trace_id": trace.trace_id.to_string(), "duration_us": w.total.as_micros() as u64,
        "spans": rows, "omitted_spans": w.omitted, "dropped_spans": trace.dropped_spans,
        "critical_path": path,
    })
}

pub(crate) async fn trace_api(State(s): State<Sources>, Path(id): Path<String>) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(r) => return r.into_response(),
    };
    match s.buffer.snapshot().trace(id) {
        Some(t) => {
            Json(waterfall_json(&t, &waterfall(&t, MAX_ROWS), s.buffer.resource().service_name())).into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such trace in the buffer").into_response(),
    }
}

pub(crate) async fn trace(State(s): State<Sources>, Path(id): Path<String>) -> Response {
    let service = s.buffer.resource().service_name().to_owned();
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(r) => return r.into_response(),
    };
    let Some(t) = s.buffer.snapshot().trace(id) else {
        let body = format!("<h1>Trace {id}</h1><p class=\"note\">Not in the buffer (never seen, or evicted).</p>");
        return (StatusCode::NOT_FOUND, page("trace", &service, &body)).into_response();
    };
    let w = waterfall(&t, MAX_ROWS);
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
        let mut details = String::new();
        for kv in s.attributes.iter() {
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
            "<tr class=\"row {class}\" data-span-id=\"{}\"><td style=\"padding-left:{}em\"><details><summary>{service_tag}{}{marks}</summary>{details}</details></td>\
             <td class=\"num\">{}</td><td><div class=\"bar\"><span style=\"left:{left:.3}%;width:{width:.3}%\"></span></div></td></tr>",
            s.span_id,
            0.7 + r.depth.min(40) as f64 * 1.1,
            esc(&s.name),
            dur(r.duration),
        );
    }
    b.push_str("</table>");
    page("trace", &service, &b)
}

fn attrs_json(attrs: &[KeyValue]) -> Json_ {
    Json_::Object(attrs.iter().map(|kv| (kv.key.to_string(), value_json(&kv.value))).collect())
}

fn value_json(v: &Value) -> Json_ {
    match v {
        Value::Bool(b) => json!(b),
        Value::I64(i) => json!(i),
        Value::U64(u) => json!(u),
        Value::F64(f) => json!(f),
        Value::Str(s) => json!(s),
    }
}

fn nanos(t: std::time::SystemTime) -> u64 {
    t.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
}
