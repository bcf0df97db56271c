//! `/debug/insights` (and `/debug/api/insights`): the trace features per
//! root operation over the last hour, and the long-term profile of the
//! critical path (see [`crate::insights`], "Trace features").
//!
//! Per root operation (the busiest of the hour first, at most
//! [`PAGE_ROWS`]): its traces in the hour (and the traces they stand for),
//! then four trends minute by minute as small inline SVG charts
//! ([`super::insights_chart`]), each beside the hour's figure: traces per
//! minute (estimated), mean span count, p99 duration, error % (traces
//! whose entry span failed); then the features user extractors emitted
//! (the hour's mean, and the traces that had each). Below, the profile: per
//! (service, operation) its share of the hour's critical-path time and its
//! seconds, the most first (at most [`PROFILE_ROWS`]), and a row for the
//! pairs past the profile's cap. When the features are off, the page says
//! how to turn them on.
//!
//! Markup (the tests rely on it): `<p class="note off">` when off;
//! `<table class="operations">` with one `<tr class="operation"
//! data-root="{root}">` per operation, its cells in the order of the header
//! (root, traces, traces/min chart, spans, spans chart, p99, p99 chart,
//! errors, errors chart, features); `<table class="profile">` with one `<tr
//! class="profile-row" data-service="{service}" data-operation="{op}">`
//! per row (service, operation, share, seconds) and `<tr class="profile-row
//! overflow">`; `<ul class="extractors">` with `<li class="failed">` for a
//! switched-off extractor. Everything is written through maud, escaped by
//! construction.

use axum::extract::State;
use axum::response::Response;
use maud::{Markup, html};

use super::html::{page, url};
use super::insights_chart::trend;
use super::sampling_chart::short;
use super::sources::Sources;
use crate::insights::{FeatureStats, OperationFeatures};

/// Operations the page shows, the busiest of the hour first.
pub(crate) const PAGE_ROWS: usize = 50;
/// Profile rows the page shows, the most time first.
pub(crate) const PROFILE_ROWS: usize = 50;

pub(crate) async fn insights(State(s): State<Sources>) -> Response {
    let service = s.handle.resource().service_name().to_owned();
    let body = match s.handle.trace_features() {
        Some(stats) => features_html(&stats),
        None => off_html(),
    };
    page("insights", &service, &body.into_string())
}

fn off_html() -> Markup {
    html! {
        h1 { "Insights" }
        p class="note off" {
            "Trace features are off. Turn them on with " code { "lantern::builder().insights(true)" }
            " (every analysis), or add an extractor of your own with " code { "Builder::feature_extractor" } "."
        }
    }
}

/// The operations, the busiest of the hour first.
pub(crate) fn busiest(stats: &FeatureStats) -> Vec<&OperationFeatures> {
    let mut ops: Vec<&OperationFeatures> = stats.operations.iter().collect();
    ops.sort_by(|a, b| b.hour.estimated.total_cmp(&a.hour.estimated).then_with(|| a.root.cmp(&b.root)));
    ops
}

fn percent(share: f64) -> String {
    format!("{}%", short((share * 100.0 * 10.0).round() / 10.0))
}

fn seconds(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), |s| super::html::dur(std::time::Duration::from_secs_f64(s.max(0.0))))
}

fn features_html(stats: &FeatureStats) -> Markup {
    let ops = busiest(stats);
    html! {
        h1 { "Insights" }
        p class="muted" {
            (stats.traces) " completed traces aggregated, " (stats.operations.len()) " root operations"
            @if stats.operations_overflow > 0 { "; " span class="err" { (stats.operations_overflow) } " traces of operations past the cap" }
            @if stats.unknown_rate > 0 { "; " (stats.unknown_rate) " traces of unknown sampling rate counted as one" }
            @if stats.features_refused > 0 { "; " (stats.features_refused) " feature values refused" }
            ". Counts are estimated: each trace weighs its adjusted count (1/p) when only sampled traces are recorded."
        }
        @if !stats.extractors.is_empty() {
            ul class="extractors" {
                @for e in &stats.extractors {
                    @if e.failed { li class="failed" { code { (e.name) } " " span class="err" { "panicked, switched off" } } }
                    @else { li { code { (e.name) } } }
                }
            }
        }
        h2 { "Root operations, last hour" }
        @if ops.len() > PAGE_ROWS { p class="muted" { "The " (PAGE_ROWS) " busiest of " (ops.len()) "." } }
        table class="operations" {
            tr {
                th { "root operation" } th class="num" { "traces" } th { "per minute" }
                th class="num" { "spans" } th { "span count" } th class="num" { "p99" } th { "p99 duration" }
                th class="num" { "errors" } th { "error %" } th { "features (mean)" }
            }
            @for op in ops.iter().take(PAGE_ROWS) { (operation_row(op)) }
        }
        (profile_html(stats))
    }
}

fn operation_row(op: &OperationFeatures) -> Markup {
    let h = &op.hour;
    let series = |f: &dyn Fn(&crate::insights::Minute) -> Option<f64>| -> Vec<(u32, f64)> {
        op.minutes.iter().filter_map(|m| Some((m.minutes_ago, f(m)?))).collect()
    };
    let errors = (h.estimated > 0.0).then(|| h.error_traces / h.estimated);
    let mut features: Vec<_> = h.features.iter().collect();
    features.sort_by(|a, b| a.name.cmp(&b.name));
    html! {
        tr class="operation" data-root=(op.root) {
            td { a href={ "/debug/traces?name=" (url(&op.root)) } { code { (op.root) } } }
            td class="num" title={ (h.traces) " seen" } { (short(h.estimated)) }
            td { (trend("traces", "/min", &series(&|m| Some(m.estimated)))) }
            td class="num" { (short(h.span_count.mean())) }
            td { (trend("mean span count", "", &series(&|m| Some(m.span_count.mean())))) }
            td class="num" { (seconds(h.duration_p99)) }
            td { (trend("p99 duration", " s", &series(&|m| m.duration_p99))) }
            td class="num" { (errors.map_or_else(|| "–".to_owned(), percent)) }
            td { (trend("error %", "%", &series(&|m| (m.estimated > 0.0).then(|| 100.0 * m.error_traces / m.estimated)))) }
            td {
                @for f in &features {
                    div { code { (f.name) } " " (short(f.distribution.mean())) span class="muted" { " · " (f.distribution.count) " traces" } }
                }
            }
        }
    }
}

fn profile_html(stats: &FeatureStats) -> Markup {
    let total: f64 = stats.profile.iter().map(|p| p.seconds).sum::<f64>() + stats.profile_overflow_seconds;
    html! {
        h2 { "Long-term profiling: where the time goes" }
        p class="muted" {
            "Self time of the spans on each trace's critical path over the last hour, by service and operation: "
            (short(total)) " s in all."
        }
        table class="profile" {
            tr { th { "service" } th { "operation" } th class="num" { "share" } th class="num" { "seconds" } }
            @for p in stats.profile.iter().take(PROFILE_ROWS) {
                tr class="profile-row" data-service=(p.service) data-operation=(p.operation) {
                    td { span class="svc" { (p.service) } }
                    td { code { (p.operation) } }
                    td class="num" { (percent(p.share)) }
                    td class="num" { (short(p.seconds)) }
                }
            }
            @let rest: f64 = stats.profile.iter().skip(PROFILE_ROWS).map(|p| p.seconds).sum::<f64>() + stats.profile_overflow_seconds;
            @if rest > 0.0 {
                tr class="profile-row overflow" {
                    td colspan="2" class="muted" { "everything else" }
                    td class="num" { (percent(if total > 0.0 { rest / total } else { 0.0 })) }
                    td class="num" { (short(rest)) }
                }
            }
        }
    }
}
