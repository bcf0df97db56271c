//! `/debug/api/insights`: the trace features as JSON, the twin of
//! `/debug/insights`: `{"enabled": false}` when they are off; else every
//! operation (the busiest of the hour first, at most 200) with its totals,
//! its hour and its minutes, and the whole profile (at most 500 rows).
//! Distributions are `{count, sum, min, max, mean}`; durations in seconds.

use axum::Json;
use axum::extract::State;
use serde_json::{Value as Json_, json};

use super::insights_page::busiest;
use super::json::unix_seconds;
use super::sources::Sources;
use crate::insights::{Distribution, FeatureStats, Minute, NamedDistribution, OperationFeatures};

pub(crate) async fn insights_api(State(s): State<Sources>) -> Json<Json_> {
    Json(match s.handle.trace_features() {
        Some(stats) => stats_json(&stats),
        None => json!({ "enabled": false, "how": "lantern::builder().insights(true)" }),
    })
}

fn stats_json(stats: &FeatureStats) -> Json_ {
    json!({
        "enabled": true,
        "now_unix": unix_seconds(std::time::SystemTime::now()),
        "traces": stats.traces,
        "operations_overflow": stats.operations_overflow,
        "unknown_rate": stats.unknown_rate,
        "features_refused": stats.features_refused,
        "extractors": stats.extractors.iter().map(|e| json!({ "name": e.name, "failed": e.failed })).collect::<Vec<_>>(),
        "operations": busiest(stats).into_iter().map(operation_json).collect::<Vec<_>>(),
        "profile": stats.profile.iter().map(|p| json!({
            "service": p.service,
            "operation": p.operation,
            "seconds": p.seconds,
            "share": p.share,
        })).collect::<Vec<_>>(),
        "profile_overflow_seconds": stats.profile_overflow_seconds,
    })
}

fn distribution(d: &Distribution) -> Json_ {
    json!({ "count": d.count, "sum": d.sum, "min": d.min, "max": d.max, "mean": d.mean() })
}

fn named(features: &[NamedDistribution]) -> Json_ {
    features.iter().map(|f| (f.name.clone(), distribution(&f.distribution))).collect::<serde_json::Map<_, _>>().into()
}

fn minute_json(m: &Minute) -> Json_ {
    json!({
        "minutes_ago": m.minutes_ago,
        "traces": m.traces,
        "estimated": m.estimated,
        "error_traces": m.error_traces,
        "duration_p50": m.duration_p50,
        "duration_p99": m.duration_p99,
        "span_count": distribution(&m.span_count),
        "services": distribution(&m.services),
        "depth": distribution(&m.depth),
        "features": named(&m.features),
    })
}

fn operation_json(o: &OperationFeatures) -> Json_ {
    json!({
        "root": o.root,
        "traces": o.traces,
        "estimated": o.estimated,
        "error_traces": o.error_traces,
        "span_count": distribution(&o.span_count),
        "services": distribution(&o.services),
        "depth": distribution(&o.depth),
        "duration": distribution(&o.duration),
        "critical_path": distribution(&o.critical_path),
        "error_spans": distribution(&o.error_spans),
        "features": named(&o.features),
        "spans_per_service": o.spans_per_service.iter()
            .map(|s| json!({ "service": s.service, "spans": s.spans, "traces": s.traces }))
            .collect::<Vec<_>>(),
        "hour": minute_json(&o.hour),
        "minutes": o.minutes.iter().map(minute_json).collect::<Vec<_>>(),
    })
}
