//! `/debug/quality` (and `/debug/api/quality`): tracing quality per service
//! (see [`crate::insights`], "Tracing quality"). For each service, the
//! completeness score, each check's count with links to its most recent
//! example traces, the server spans that entered with no context, the
//! attributes found missing; then what each check means. When the insights
//! are off, the page says how to turn them on and the JSON is
//! `{"enabled": false}`.
//!
//! The page lists services worst score first; the JSON in first-seen order.
//!
//! Markup: one `<section class="service" data-service="{name}">` per
//! service, its score in `<span class="score">`; in its table one
//! `<tr class="check" data-check="{check}">` per check (cells: check,
//! spans, share of the service's spans, examples), each example a
//! `<a class="example" href="/debug/traces/{id}">`; the entries in
//! `<p class="entries">`, the missing attributes in `<ul class="missing">`;
//! spans of services past the cap in `<p class="note overflow">`; the
//! explanations in `<dl class="checks">`. Written with maud: everything is
//! escaped by construction.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use maud::{Markup, html};
use serde_json::{Value as Json_, json};

use super::html::page;
use super::sources::Sources;
use crate::insights::{Check, QualityReport, ServiceQuality};

pub(crate) async fn quality_api(State(s): State<Sources>) -> Json<Json_> {
    Json(match s.handle.quality() {
        Some(report) => report_json(&report),
        None => json!({ "enabled": false }),
    })
}

fn report_json(r: &QualityReport) -> Json_ {
    let services: Vec<Json_> = r.services.iter().map(service_json).collect();
    json!({
        "enabled": true,
        "traces": r.traces,
        "overflow_spans": r.overflow_spans,
        "services": services,
    })
}

fn service_json(s: &ServiceQuality) -> Json_ {
    let checks: serde_json::Map<String, Json_> = s
        .checks
        .iter()
        .map(|c| {
            let examples: Vec<String> = c.examples.iter().map(|t| t.to_string()).collect();
            (c.check.as_str().to_owned(), json!({ "spans": c.spans, "examples": examples }))
        })
        .collect();
    let missing: Vec<Json_> = s
        .missing_attributes
        .iter()
        .map(|m| json!({ "family": m.family, "kind": m.kind, "attribute": m.attribute, "spans": m.spans }))
        .collect();
    json!({
        "service": s.service,
        "score": s.score,
        "spans": s.spans,
        "defective_spans": s.defective_spans,
        "server_spans": s.server_spans,
        "entries_without_context": s.entries_without_context,
        "max_age_traces": s.max_age_traces,
        "checks": checks,
        "missing_attributes": missing,
    })
}

fn share(n: u64, of: u64) -> String {
    if of == 0 { "–".to_owned() } else { format!("{:.1}%", n as f64 * 100.0 / of as f64) }
}

fn service_html(s: &ServiceQuality) -> Markup {
    html! {
        section.service data-service=(s.service) {
            h2 { code { (s.service) } " · score " span.score { (format!("{:.1}", s.score)) } }
            p.muted { (s.spans) " spans, " (s.defective_spans) " with a defect." }
            table {
                tr { th { "check" } th.num { "spans" } th.num { "share" } th { "recent examples" } }
                @for c in &s.checks {
                    tr.check data-check=(c.check.as_str()) {
                        td { code { (c.check.as_str()) } }
                        td.num { (c.spans) }
                        td.num { (share(c.spans, s.spans)) }
                        td {
                            @for id in &c.examples {
                                a.example href={ "/debug/traces/" (id) } { code { (id.to_string().get(..8).unwrap_or("")) } }
                                " "
                            }
                        }
                    }
                }
            }
            p.entries {
                (s.server_spans) " server or consumer spans; " (s.entries_without_context)
                " entered with no context (" (share(s.entries_without_context, s.server_spans)) "), of which "
                (s.check(Check::ContextLost).spans) " had lost it."
                @if s.max_age_traces > 0 {
                    " " (s.max_age_traces) " traces closed by the maximum age."
                }
            }
            @if !s.missing_attributes.is_empty() {
                ul.missing {
                    @for m in &s.missing_attributes {
                        li { (m.family) " " (m.kind) " spans without " code { (m.attribute) } ": " (m.spans) }
                    }
                }
            }
        }
    }
}

fn explanations() -> Markup {
    html! {
        h2 { "The checks" }
        dl.checks {
            @for c in Check::ALL {
                dt { code { (c.as_str()) } }
                dd { (c.explanation()) }
            }
        }
        p.muted {
            "Score: 100 × (1 − spans with at least one defect ÷ spans), since the process started. "
            "A server span with no parent at all is an entry: expected at the edge of the system, "
            "a defect only when the request carried tracing headers (context_lost)."
        }
    }
}

fn body(report: Option<&QualityReport>) -> Markup {
    html! {
        h1 { "Tracing quality" }
        @match report {
            None => {
                p.note.off {
                    "Tracing quality is off. Turn it on with "
                    code { "lantern::builder().insights(true)" }
                    ": each completed trace is then checked on the analysis thread."
                }
            }
            Some(r) => {
                p.muted {
                    (r.traces) " completed traces checked, " (r.services.len()) " services. "
                    a href="/debug/api/quality" { "JSON" }
                }
                @if r.overflow_spans > 0 {
                    p.note.overflow { (r.overflow_spans) " spans of services past the cap of 200 were not checked." }
                }
                @if r.services.is_empty() {
                    p.muted { "No completed trace yet." }
                }
                @for s in worst_first(r) { (service_html(s)) }
            }
        }
        (explanations())
    }
}

fn worst_first(r: &QualityReport) -> Vec<&ServiceQuality> {
    let mut services: Vec<&ServiceQuality> = r.services.iter().collect();
    services.sort_by(|a, b| a.score.total_cmp(&b.score).then_with(|| a.service.cmp(&b.service)));
    services
}

pub(crate) async fn quality(State(s): State<Sources>) -> Response {
    let service = s.handle.resource().service_name().to_owned();
    let report = s.handle.quality();
    page("quality", &service, &body(report.as_ref()).into_string())
}
