//! `/debug/metrics` (and `/debug/api/metrics`): every metric family with its
//! kind, unit and description, and every series with its labels and value.
//! Histograms show count, sum, p50, p90, p99 and max, the percentiles from
//! the in-process hdrhistogram. Exemplars link to their trace and say when
//! the ring buffer no longer holds it. `name` keeps the families whose name
//! contains it.
//!
//! Markup: one `<tr class="series" data-metric="{name}">` per series, and
//! each exemplar is an `<a class="exemplar" href="/debug/traces/{trace_id}">`.
//! Names, label keys and values (which may come from baggage) are escaped.
//!
//! Also `/metrics` ([`exposition`]): the same metrics for scrapers, as
//! Prometheus text or OpenMetrics by `Accept`.

use std::collections::HashSet;
use std::fmt::Write;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json_, json};

use super::html::{esc, page, url};
use super::sources::Sources;
use crate::ids::TraceId;
use crate::metrics::{Exemplar, HistogramPoint, MetricFamily, MetricKind, MetricValue, MetricsStats};

/// The longest `name` filter taken.
const MAX_FILTER_LEN: usize = 256;

/// Query parameters of the metrics page.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct MetricParams {
    name: Option<String>,
}

impl MetricParams {
    /// The name filter, if any; a bad one is a 400 with a message.
    fn filter(&self) -> Result<Option<&str>, (StatusCode, String)> {
        match self.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) if n.len() > MAX_FILTER_LEN => {
                Err((StatusCode::BAD_REQUEST, format!("name is at most {MAX_FILTER_LEN} bytes")))
            }
            other => Ok(other),
        }
    }
}

/// What both twins show: the families that match, which exemplar traces
/// the buffer still holds, and the store's counters.
struct MetricsView {
    families: Vec<MetricFamily>,
    held: HashSet<TraceId>,
    stats: MetricsStats,
}

impl MetricsView {
    fn collect(s: &Sources, filter: Option<&str>) -> MetricsView {
        let families: Vec<MetricFamily> =
            s.handle.metrics().snapshot_where(|name| filter.is_none_or(|n| name.contains(n)));
        let wanted: HashSet<TraceId> =
            families.iter().flat_map(|f| &f.series).flat_map(|s| exemplars(&s.value)).map(|e| e.trace_id).collect();
        // The snapshot holds the store's lock: look the ids up, drop it.
        let held = if wanted.is_empty() {
            HashSet::new()
        } else {
            let snapshot = s.handle.buffer().snapshot();
            wanted.into_iter().filter(|id| snapshot.holds_trace(*id)).collect()
        };
        MetricsView { families, held, stats: s.handle.metrics().stats() }
    }
}

fn exemplars(value: &MetricValue) -> Vec<&Exemplar> {
    match value {
        MetricValue::Counter { exemplar, .. } => exemplar.iter().collect(),
        MetricValue::Gauge(_) => Vec::new(),
        MetricValue::Histogram(h) => h.buckets.iter().filter_map(|b| b.exemplar.as_ref()).collect(),
    }
}

fn kind_name(kind: MetricKind) -> &'static str {
    match kind {
        MetricKind::Counter => "counter",
        MetricKind::Gauge => "gauge",
        MetricKind::Histogram => "histogram",
    }
}

/// The value at quantile `q` of a histogram snapshot, if it carries it.
fn quantile(h: &HistogramPoint, q: f64) -> Option<f64> {
    h.quantiles.iter().find(|(at, _)| (at - q).abs() < 1e-9).map(|&(_, v)| v)
}

/// A number as people read it: integers whole, others to six decimals
/// without trailing zeros, very small or large ones in exponent form.
fn num(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v == v.trunc() && v.abs() < 1e15 {
        return format!("{v:.0}");
    }
    if v.abs() < 1e-3 || v.abs() >= 1e15 {
        return format!("{v:.3e}");
    }
    let s = format!("{v:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn exemplar_json(e: &Exemplar, held: &HashSet<TraceId>) -> Json_ {
    json!({
        "trace_id": e.trace_id.to_string(),
        "span_id": e.span_id.to_string(),
        "value": e.value,
        "time_unix_nanos": e.time.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64),
        "in_buffer": held.contains(&e.trace_id),
    })
}

fn series_json(value: &MetricValue, held: &HashSet<TraceId>) -> serde_json::Map<String, Json_> {
    let ex: Vec<Json_> = exemplars(value).into_iter().map(|e| exemplar_json(e, held)).collect();
    let mut out = serde_json::Map::new();
    match value {
        MetricValue::Counter { value, .. } => {
            out.insert("value".into(), json!(value));
        }
        MetricValue::Gauge(v) => {
            out.insert("value".into(), json!(v));
        }
        MetricValue::Histogram(h) => {
            out.insert("count".into(), json!(h.count));
            out.insert("sum".into(), json!(h.sum));
            out.insert("min".into(), json!(h.min));
            out.insert("max".into(), json!(h.max));
            for (key, q) in [("p50", 0.5), ("p90", 0.9), ("p95", 0.95), ("p99", 0.99), ("p999", 0.999)] {
                out.insert(key.into(), json!(quantile(h, q)));
            }
            out.insert("clamped".into(), json!(h.clamped));
            let buckets: Vec<Json_> = h
                .buckets
                .iter()
                .map(|b| json!({ "le": if b.upper.is_finite() { json!(b.upper) } else { json!("+Inf") }, "count": b.count }))
                .collect();
            out.insert("buckets".into(), Json_::Array(buckets));
        }
    }
    out.insert("exemplars".into(), Json_::Array(ex));
    out
}

fn view_json(v: &MetricsView) -> Json_ {
    let metrics: Vec<Json_> = v
        .families
        .iter()
        .map(|f| {
            let series: Vec<Json_> = f
                .series
                .iter()
                .map(|s| {
                    let labels: serde_json::Map<String, Json_> =
                        s.labels.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
                    let mut out = series_json(&s.value, &v.held);
                    out.insert("labels".into(), Json_::Object(labels));
                    Json_::Object(out)
                })
                .collect();
            json!({
                "name": f.name,
                "kind": kind_name(f.kind),
                "unit": f.unit.map(|u| u.as_str()),
                "description": f.description,
                "series": series,
            })
        })
        .collect();
    json!({
        "metrics": metrics,
        "stats": {
            "metrics": v.stats.metrics, "series": v.stats.series, "overflowed": v.stats.overflowed,
            "dropped_metrics": v.stats.dropped_metrics, "kind_conflicts": v.stats.kind_conflicts,
        },
    })
}

/// `/metrics`: Prometheus text or OpenMetrics, by `Accept`.
pub(crate) async fn exposition(State(sources): State<Sources>, headers: HeaderMap) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let (body, content_type) = sources.handle.metrics().exposition(accept);
    (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

pub(crate) async fn metrics_api(State(s): State<Sources>, Query(p): Query<MetricParams>) -> Response {
    match p.filter() {
        Ok(filter) => Json(view_json(&MetricsView::collect(&s, filter))).into_response(),
        Err(e) => e.into_response(),
    }
}

pub(crate) async fn metrics(State(s): State<Sources>, Query(p): Query<MetricParams>) -> Response {
    let filter = match p.filter() {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let view = MetricsView::collect(&s, filter);
    let service = s.handle.resource().service_name().to_owned();
    let series: usize = view.families.iter().map(|f| f.series.len()).sum();
    let mut b = String::from("<h1>Metrics</h1>");
    let _ = write!(
        b,
        "<form class=\"filters\" method=\"get\"><label>name contains<input name=\"name\" value=\"{}\"></label>\
         <button>Filter</button></form><p class=\"muted\">{} metrics, {series} series · \
         <a href=\"/debug/api/metrics{}\">JSON</a> · <a href=\"/metrics\">Prometheus text</a></p>",
        esc(filter.unwrap_or("")),
        view.families.len(),
        filter.map(|f| format!("?name={}", url(f))).unwrap_or_default(),
    );
    let st = &view.stats;
    if st.overflowed > 0 || st.dropped_metrics > 0 || st.kind_conflicts > 0 {
        let _ = write!(
            b,
            "<p class=\"note\">{} measurements went to overflow series, {} metrics were refused at the cap, \
             {} registrations named another kind.</p>",
            st.overflowed, st.dropped_metrics, st.kind_conflicts
        );
    }
    for f in &view.families {
        family_html(&mut b, f, &view.held);
    }
    if view.families.is_empty() {
        b.push_str("<p class=\"muted\">No metric matches.</p>");
    }
    page("metrics", &service, &b)
}

fn family_html(b: &mut String, f: &MetricFamily, held: &HashSet<TraceId>) {
    let name = esc(&f.name);
    let unit = f.unit.map(|u| format!(" · {}", esc(u.as_str()))).unwrap_or_default();
    let _ = write!(b, "<h2><code>{name}</code> <span class=\"muted\">{}{unit}</span></h2>", kind_name(f.kind));
    if let Some(d) = f.description.as_deref().filter(|d| !d.is_empty()) {
        let _ = write!(b, "<p class=\"muted\">{}</p>", esc(d));
    }
    b.push_str("<table><tr><th>labels</th>");
    if f.kind == MetricKind::Histogram {
        for h in ["count", "sum", "p50", "p90", "p99", "max"] {
            let _ = write!(b, "<th class=\"num\">{h}</th>");
        }
    } else {
        b.push_str("<th class=\"num\">value</th>");
    }
    b.push_str("<th>exemplars</th></tr>");
    for s in &f.series {
        let labels: Vec<String> = s.labels.iter().map(|(k, v)| format!("{}=\"{}\"", esc(k), esc(v))).collect();
        let labels = if labels.is_empty() { "<span class=\"muted\">none</span>".to_owned() } else { labels.join(", ") };
        let _ = write!(b, "<tr class=\"series\" data-metric=\"{name}\"><td><code>{labels}</code></td>");
        let cell = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), num);
        match &s.value {
            MetricValue::Counter { value, .. } => {
                let _ = write!(b, "<td class=\"num\">{value}</td>");
            }
            MetricValue::Gauge(v) => {
                let _ = write!(b, "<td class=\"num\">{}</td>", num(*v));
            }
            MetricValue::Histogram(h) => {
                let _ = write!(b, "<td class=\"num\">{}</td><td class=\"num\">{}</td>", h.count, num(h.sum));
                for v in [quantile(h, 0.5), quantile(h, 0.9), quantile(h, 0.99), h.max] {
                    let _ = write!(b, "<td class=\"num\">{}</td>", cell(v));
                }
            }
        }
        let links: Vec<String> = exemplars(&s.value).into_iter().map(|e| exemplar_html(e, held)).collect();
        let _ = write!(b, "<td>{}</td></tr>", links.join("<br>"));
    }
    b.push_str("</table>");
}

fn exemplar_html(e: &Exemplar, held: &HashSet<TraceId>) -> String {
    let id = e.trace_id.to_string();
    let gone = if held.contains(&e.trace_id) {
        ""
    } else {
        " <span class=\"muted gone\">(trace no longer in the buffer)</span>"
    };
    format!(
        "<a class=\"exemplar\" href=\"/debug/traces/{id}\">{} <span class=\"mono\">{}</span></a>{gone}",
        esc(&num(e.value)),
        &id[..8]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(num(5050.0), "5050");
        assert_eq!(num(5.050000000000001), "5.05");
        assert_eq!(num(0.050015), "0.050015");
        assert_eq!(num(0.0000012), "1.200e-6");
        assert_eq!(num(-2.5), "-2.5");
        assert_eq!(num(f64::INFINITY), "inf");
        assert_eq!(num(f64::NAN), "NaN");
    }

    #[test]
    fn a_long_filter_is_a_bad_request() {
        let p = MetricParams { name: Some("x".repeat(MAX_FILTER_LEN + 1)) };
        assert_eq!(p.filter().unwrap_err().0, StatusCode::BAD_REQUEST);
        let p = MetricParams { name: Some("  ".into()) };
        assert_eq!(p.filter().unwrap(), None);
    }
}
