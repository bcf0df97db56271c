//! `/debug/traces/{trace_id}` (and `/debug/api/traces/{trace_id}`): one
//! trace as a waterfall with the critical path marked (see
//! [`super::waterfall`]) and the trace patterns found in it as hints (see
//! [`super::trace_hints`]).
//!
//! Markup: `<table class="waterfall">` with one `<tr class="row"
//! id="span-{span_id}" data-span-id="{span_id}">` a span, depth first, with
//! the classes `critical` (on the critical path) and `error`; in its first
//! cell a `<details>` whose `<summary>` holds the service (`<span
//! class="svc">`, where it changes), the name, `<span class="mark-critical">`
//! on the path, the links' mark and the hints' marks (the details list
//! the links, see [`super::trace_links`]); then the duration (`td.num`) and the bar
//! (`div.bar > span`, placed by `left`/`width` in % of the trace). Written
//! with `maud`: every recorded name and value is escaped by construction.

use std::collections::HashSet;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde_json::{Value as Json_, json};

use super::html::{clock, dur, page};
use super::json::{attrs_json, nanos};
use super::sources::Sources;
use super::trace_hints::{Hints, findings_json};
use super::trace_links;
use super::waterfall::{Waterfall, WaterfallRow, waterfall_of};
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

fn waterfall_json(
    trace: &Trace,
    w: &Waterfall,
    findings: &[Finding],
    process_service: &str,
    held: &HashSet<TraceId>,
) -> Json_ {
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
                "links": trace_links::json(s, held), "dropped_links": s.dropped_links,
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
    // Bound first: the snapshot must be gone before the links are looked up.
    let trace = s.handle.buffer().snapshot().trace(id);
    match trace {
        Some(t) => {
            let (w, findings) = analyse(&t);
            let held = trace_links::held_traces(s.handle.buffer(), &w.rows);
            Json(waterfall_json(&t, &w, &findings, s.handle.resource().service_name(), &held)).into_response()
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
        let body = html! {
            h1 { "Trace " (id) }
            p.note { "Not in the buffer (never seen, or evicted)." }
        };
        return (StatusCode::NOT_FOUND, page("trace", &service, &body.into_string())).into_response();
    };
    let (w, findings) = analyse(&t);
    let held = trace_links::held_traces(s.handle.buffer(), &w.rows);
    page("trace", &service, &body(&t, &w, &findings, &service, &held).into_string())
}

/// The page of `t`: its waterfall `w` and the hints of its `findings`;
/// `held`, the linked traces the buffer holds.
fn body(t: &Trace, w: &Waterfall, findings: &[Finding], process_service: &str, held: &HashSet<TraceId>) -> Markup {
    let id = t.trace_id;
    let hints = Hints::new(findings);
    let shown: HashSet<SpanId> = w.rows.iter().map(|r| r.span.span_id).collect();
    let total = w.total.as_secs_f64().max(1e-9);
    html! {
        h1 { "Trace " code { (id) } }
        p.muted {
            (t.spans.len()) " spans · " (dur(w.total)) " · critical path in amber · "
            a href={ "/debug/api/traces/" (id) } { "JSON" }
        }
        @if w.omitted > 0 {
            p.note { (w.omitted) " more spans are not shown (the first " (MAX_ROWS) " are)." }
        }
        @if t.dropped_spans > 0 {
            p.note { (t.dropped_spans) " spans were dropped by the per-trace cap." }
        }
        (hints.list(t, |id| shown.contains(&id)))
        table.waterfall {
            tr { th { "span" } th.num { "duration" } th { "timeline" } }
            @for (r, tag) in w.rows.iter().zip(service_tags(&w.rows, process_service)) {
                (row(r, tag, total, &hints, held))
            }
        }
    }
}

/// The row of one span: its service where it changes (`tag`), name and
/// marks, its details folded (attributes, baggage, links, events), its
/// duration and its bar on the trace's timeline (`total` seconds).
fn row(r: &WaterfallRow, tag: Option<&str>, total: f64, hints: &Hints<'_>, held: &HashSet<TraceId>) -> Markup {
    let s = &r.span;
    let left = r.offset.as_secs_f64() / total * 100.0;
    let width = (r.duration.as_secs_f64() / total * 100.0).max(0.2);
    html! {
        tr.row.critical[r.critical].error[r.error] id={ "span-" (s.span_id) } data-span-id=(s.span_id) {
            td style={ "padding-left:" (0.7 + r.depth.min(40) as f64 * 1.1) "em" } {
                details {
                    summary {
                        @if let Some(tag) = tag { span.svc { (tag) } " " }
                        (s.name)
                        @if r.critical { " " span.mark-critical title="on the critical path" { "◆" } }
                        @if r.remote_parent { " " span.muted { "(remote parent)" } }
                        @if r.error { " " span.err { "error" } }
                        (trace_links::mark(s))
                        (hints.marks(s.span_id))
                    }
                    @for kv in s.attributes.iter().cloned().chain(s.sampler_attributes()) {
                        div { code { (kv.key) } " = " code { (kv.value) } }
                    }
                    @for entry in s.baggage.iter() {
                        div.baggage {
                            span.muted { "baggage" } " " code { (entry.key()) } " = " code { (entry.value()) }
                        }
                    }
                    (trace_links::list(s, held))
                    @for e in &s.events {
                        div.muted { (clock(e.time())) " " b { (e.severity.as_str()) } " " (e.body) }
                    }
                }
            }
            td.num { (dur(r.duration)) }
            td { div.bar { span style=(format_args!("left:{left:.3}%;width:{width:.3}%")) {} } }
        }
    }
}

/// The service to tag each row with: where it changes, at the top and
/// across calls; `None` where it is the parent's.
fn service_tags<'a>(rows: &'a [WaterfallRow], process_service: &'a str) -> Vec<Option<&'a str>> {
    // The service of the row last seen at each depth: rows are depth
    // first, so a row's parent is the one just above it at `depth - 1`.
    let mut services: Vec<&str> = Vec::new();
    rows.iter()
        .map(|r| {
            let own = r.span.service.as_deref().unwrap_or(process_service);
            services.truncate(r.depth);
            let same_as_parent = !r.remote_parent && r.depth > 0 && services.last() == Some(&own);
            services.push(own);
            (!same_as_parent).then_some(own)
        })
        .collect()
}
