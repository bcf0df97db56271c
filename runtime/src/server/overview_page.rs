//! `/debug` (and `/debug/api/overview`): the service, uptime, resource,
//! buffer fill, sampler, exporter counters, the buffer's counters and the
//! server's own connection counters.

use std::fmt::Write;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde_json::{Value as Json_, json};

use super::html::{dur, esc, page};
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
    b.push_str(
        "</table><h2>Rejected input</h2><table class=\"rejected\"><tr><th>reason</th><th class=\"num\">count</th></tr>",
    );
    for (k, v) in o["rejected"].as_object().into_iter().flatten() {
        let _ = write!(b, "<tr><td>{}</td><td class=\"num\">{v}</td></tr>", esc(k));
    }
    b.push_str(
        "</table><h2>This server</h2><table class=\"http\"><tr><th>connections</th><th class=\"num\">count</th></tr>",
    );
    for (k, v) in o["http"].as_object().into_iter().flatten() {
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
