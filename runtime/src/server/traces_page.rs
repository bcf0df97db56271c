//! `/debug/traces` (and `/debug/api/traces`): recent traces, newest first,
//! with filters (`name`, `min_ms`, `errors`, `attr=key=value` for an
//! attribute or a baggage entry, `debug_id` for a forced trace's debug id)
//! and paging (`limit`, `offset`). `name` and `attr` are cut to 256 bytes
//! (longer names are cut there wherever they are shown), and `debug_id` is
//! read as a debug id is recorded (64 bytes of printable ASCII), so what the
//! page echoes is bounded.
//!
//! Markup: `<form class="filters">` echoing the filters, then a table of one
//! row a trace (root span linked to `/debug/traces/{trace_id}`, service,
//! start, duration, spans, `<span class="err">` when it failed), then the
//! links to the newer and older pages and the JSON. Written with `maud`:
//! names and echoed filters are escaped by construction.

use std::time::Duration;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;
use serde_json::{Value as Json_, json};

use super::html::{bound, clock, dur, page, url};
use super::json::nanos;
use super::sources::Sources;
use crate::buffer::{TraceQuery, TraceSummary};
use crate::sampling::debug::debug_id;

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
    /// A forced trace's debug id.
    debug_id: Option<String>,
    limit: Option<usize>,
    offset: Option<usize>,
}

impl TraceParams {
    /// The parameters with their text cut to size.
    fn bounded(mut self) -> Self {
        bound(&mut self.name);
        bound(&mut self.attr);
        // Cut and cleaned as a recorded id is, so that it can match one.
        self.debug_id = self.debug_id.as_deref().and_then(debug_id).map(String::from);
        self
    }

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
            debug_id: self.debug_id.clone(),
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
    let q = match p.bounded().query() {
        Ok(q) => q,
        Err(e) => return e.into_response(),
    };
    let snap = s.handle.buffer().snapshot();
    let service = s.handle.resource().service_name();
    let list: Vec<Json_> = snap.traces(&q).iter().map(|t| summary_json(t, service)).collect();
    Json(json!({ "service": s.handle.resource().service_name(), "traces": list })).into_response()
}

pub(crate) async fn traces(State(s): State<Sources>, Query(p): Query<TraceParams>) -> Response {
    let p = p.bounded();
    let q = match p.query() {
        Ok(q) => q,
        Err(e) => return e.into_response(),
    };
    let list = s.handle.buffer().snapshot().traces(&q);
    let service = s.handle.resource().service_name().to_owned();
    let min_ms = p.min_ms.map(|m| m.to_string()).unwrap_or_default();
    let keep = format!(
        "name={}&min_ms={min_ms}&errors={}&attr={}&debug_id={}&limit={}",
        url(q.span_name.as_deref().unwrap_or("")),
        if q.errors_only { "1" } else { "" },
        url(p.attr.as_deref().unwrap_or("")),
        url(q.debug_id.as_deref().unwrap_or("")),
        q.limit
    );
    let body = html! {
        h1 { "Recent traces" }
        form.filters method="get" {
            label { "span name" input name="name" value=(q.span_name.as_deref().unwrap_or("")); }
            label { "min duration (ms)" input name="min_ms" size="6" value=(min_ms); }
            label { "errors only" input type="checkbox" name="errors" value="1" checked[q.errors_only]; }
            label {
                "attribute or baggage"
                input name="attr" placeholder="key=value" value=(p.attr.as_deref().unwrap_or(""));
            }
            label { "debug id" input name="debug_id" size="12" value=(q.debug_id.as_deref().unwrap_or("")); }
            label { "per page" input name="limit" size="4" value=(q.limit); }
            button { "Filter" }
        }
        table {
            tr {
                th { "root span" } th { "service" } th { "start (UTC)" } th.num { "duration" } th.num { "spans" } th {}
            }
            @for t in &list {
                tr {
                    td {
                        a href={ "/debug/traces/" (t.trace_id) } { (t.root_name) }
                        @if !t.has_root { " " span.muted { "(root not held)" } }
                    }
                    td { (t.service.as_deref().unwrap_or(&service)) }
                    td.num { (clock(t.start)) }
                    td.num { (dur(t.duration)) }
                    td.num { (t.span_count) }
                    td { @if t.error { span.err { "error" } } }
                }
            }
        }
        @if list.is_empty() { p.muted { "No trace matches." } }
        p {
            @if q.offset > 0 { a href={ "?" (keep) "&offset=" (q.offset.saturating_sub(q.limit)) } { "← newer" } " " }
            @if list.len() == q.limit { a href={ "?" (keep) "&offset=" (q.offset + q.limit) } { "older →" } }
            " · " a href={ "/debug/api/traces?" (keep) "&offset=" (q.offset) } { "JSON" }
        }
    };
    page("traces", &service, &body.into_string())
}
