//! `/debug` (and `/debug/api/overview`): the service, uptime, resource,
//! buffer fill, sampler, exporter counters, the buffer's counters and the
//! server's own connection counters.
//!
//! The page shows what the JSON twin has: the counters in `<table
//! class="counters">`, `<table class="rejected">`, `<table class="http">` and
//! `<table class="export">`, one row a counter. Written with `maud`.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use maud::{Markup, html};
use serde_json::{Value as Json_, json};

use super::html::{dur, page};
use super::json::value_json;
use super::sources::Sources;
use crate::metrics::MetricValue;

fn overview_json(s: &Sources) -> Json_ {
    let stats = s.handle.buffer().stats();
    let resource = s.handle.resource();
    let attrs: serde_json::Map<String, Json_> =
        resource.attributes().iter().map(|kv| (kv.key.to_string(), value_json(&kv.value))).collect();
    let sampling = {
        let stats = s.handle.sampling();
        let (mut seen, mut sampled) = (0, 0);
        for r in stats.roots().iter().chain([&stats.overflow()]) {
            seen += r.seen;
            sampled += r.sampled;
        }
        json!({ "sampler": stats.description(), "roots_seen": seen, "roots_sampled": sampled })
    };
    // The exporter's own counters, as it publishes them (`otlp.*`).
    let export: serde_json::Map<String, Json_> = s
        .handle
        .metrics()
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
    let http = s.connections.stats();
    let rejected = crate::propagation::rejected();
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
            "values_truncated": stats.values_truncated, "pending_event_bytes": stats.pending_event_bytes,
        },
        // Input from other processes that was ignored or cut (the
        // propagation counts are process-wide).
        "rejected": {
            "traceparent_invalid": rejected.traceparent_invalid, "tracestate_invalid": rejected.tracestate_invalid,
            "tracestate_threshold_invalid": rejected.tracestate_threshold_invalid,
            "tracestate_duplicate_dropped": rejected.tracestate_duplicate_dropped,
            "b3_invalid": rejected.b3_invalid, "jaeger_invalid": rejected.jaeger_invalid,
            "baggage_member_invalid": rejected.baggage_member_invalid,
            "baggage_over_limit": rejected.baggage_over_limit,
            "metric_label_values_truncated": s.handle.metrics().stats().label_values_truncated,
        },
        "http": {
            "connections_accepted": http.connections_accepted, "connections_refused": http.connections_refused,
            "connections_timed_out": http.connections_timed_out, "connections_evicted": http.connections_evicted,
            "connections_open": http.connections_open,
            "max_connections": http.max_connections,
        },
    })
}

pub(crate) async fn overview_api(State(s): State<Sources>) -> Json<Json_> {
    Json(overview_json(&s))
}

pub(crate) async fn overview(State(s): State<Sources>) -> Response {
    let o = overview_json(&s);
    let service = s.handle.resource().service_name().to_owned();
    let buffer = &o["buffer"];
    let fill = buffer["bytes"].as_f64().unwrap_or(0.0) / buffer["max_bytes"].as_f64().unwrap_or(1.0);
    let uptime = Duration::from_secs_f64(o["uptime_seconds"].as_f64().unwrap_or(0.0));
    let export = o["export"].as_object().filter(|e| !e.is_empty());
    let body = html! {
        h1 { (service) }
        div.kv {
            span.muted { "uptime" } span { (dur(uptime)) }
            span.muted { "buffer" }
            span {
                (format_args!("{:.1}", fill * 100.0)) "% of " (buffer["max_bytes"].as_u64().unwrap_or(0) >> 20) " MiB: "
                (buffer["spans"]) " spans in " (buffer["traces"]) " traces, " (buffer["logs"]) " logs"
            }
        }
        @if let Some(sampling) = o["sampling"].as_object() {
            p {
                span.muted { "sampler" } " " code { (sampling["sampler"].as_str().unwrap_or("")) } ": "
                (sampling["roots_sampled"]) " of " (sampling["roots_seen"]) " traces started here sampled ("
                a href="/debug/sampling" { "by root span" } ")"
            }
        }
        h2 { "Counters" }
        (counters("counters", "counter", "value", &o["counters"]))
        h2 { "Rejected input" }
        (counters("rejected", "reason", "count", &o["rejected"]))
        h2 { "This server" }
        (counters("http", "connections", "count", &o["http"]))
        h2 { "Export" }
        @match export {
            None => p.muted { "No exporter counters: nothing is exported, or the exporter publishes none." },
            Some(export) => table.export {
                tr { th { "counter" } th.num { "value" } }
                @for (k, v) in export { tr { td { code { (k) } } td.num { (v) } } }
            },
        }
        h2 { "Resource" }
        table {
            @for (k, v) in o["resource"].as_object().into_iter().flatten() {
                tr { td { code { (k) } } td { code { (v.as_str().map_or_else(|| v.to_string(), str::to_owned)) } } }
            }
        }
        p { a href="/debug/traces" { "Recent traces" } " · " a href="/debug/api/overview" { "JSON" } }
    };
    page("overview", &service, &body.into_string())
}

/// A table of named counts: `<table class="{class}">`, a row a key.
fn counters(class: &str, what: &str, unit: &str, counts: &Json_) -> Markup {
    html! {
        table class=(class) {
            tr { th { (what) } th.num { (unit) } }
            @for (k, v) in counts.as_object().into_iter().flatten() { tr { td { (k) } td.num { (v) } } }
        }
    }
}
