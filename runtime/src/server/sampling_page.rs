//! `/debug/sampling` (and `/debug/api/sampling`): the head sampler in force,
//! the recording mode, and per root operation the sampler's decisions (roots
//! seen, sampled, their ratio, roots forced), the recent rate of decisions,
//! the probability a root gets now, the sampler's target or lower bound, the
//! traces tail sampling kept, and the probability over the last hour as a
//! small chart ([`super::sampling_chart`]). Roots of names past the cap are
//! counted together in one overflow row. Behind a `RemoteSampler`, the last
//! fetch of the strategy; with tail sampling, its counters.
//!
//! The page shows the [`PAGE_ROWS`] busiest operations and says how many
//! there are; the JSON has up to [`API_ROWS`] of them, each with its history
//! as `[unix_seconds, probability]` pairs, the last one now.
//!
//! Markup: one `<tr class="root" data-root="{name}">` per root name, linked
//! to the traces with a span of that name, its cells in the order of the
//! header (name, seen, sampled, ratio, forced, rate, probability, target,
//! tail kept, chart); the overflow row is `<tr class="root overflow">`; the
//! remote fetch is `<div class="kv remote">`, tail sampling's counters
//! `<div class="kv tail">`. Names, errors and sources are escaped.

use std::fmt::Write;

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde_json::Value as Json_;

use super::html::{esc, page, url};
use super::sampling_chart::{chart, short};
use super::sampling_view::{KEEP_REASONS, Row, SamplingView};
use super::sources::Sources;
use crate::sampling::{OperationState, RecordingMode, RootDecisions};
use crate::tail::TailStats;

/// Operations the page shows, the busiest first.
pub(crate) const PAGE_ROWS: usize = 100;

/// Operations the JSON carries, the busiest.
pub(crate) const API_ROWS: usize = 1000;

pub(crate) async fn sampling_api(State(s): State<Sources>) -> Json<Json_> {
    Json(SamplingView::collect(&s.handle, API_ROWS).json())
}

fn ratio_text(d: &RootDecisions) -> String {
    d.ratio().map_or_else(|| "–".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

fn num_cell(b: &mut String, text: &str) {
    let _ = write!(b, "<td class=\"num\">{text}</td>");
}

/// The target of an operation: `Adaptive`'s rate, a lower bound.
fn target_text(op: Option<&OperationState>) -> String {
    let target = op.and_then(|o| o.target_per_second).map(|t| format!("{}/s", short(t)));
    let lower = op.and_then(|o| o.lower_bound_per_second).map(|l| format!("≥ {}/s", short(l)));
    let parts: Vec<String> = target.into_iter().chain(lower).collect();
    if parts.is_empty() { "–".to_owned() } else { parts.join(" · ") }
}

fn row_html(b: &mut String, view: &SamplingView, r: &Row) {
    let d = &r.decisions;
    let name = esc(&d.name);
    let _ = write!(
        b,
        "<tr class=\"root\" data-root=\"{name}\"><td><a href=\"/debug/traces?name={}\"><code>{name}</code></a></td>",
        url(&d.name)
    );
    for text in [d.seen.to_string(), d.sampled.to_string(), ratio_text(d), d.forced.to_string()] {
        num_cell(b, &text);
    }
    num_cell(b, &format!("{}/s", short(d.per_second())));
    let probability = match r.probability {
        Some(p) => short(p),
        None if r.follows_caller => "caller's".to_owned(),
        None => "–".to_owned(),
    };
    num_cell(b, &probability);
    num_cell(b, &target_text(r.operation.as_ref()));
    num_cell(b, &r.tail_kept.to_string());
    let _ = write!(b, "<td>{}</td></tr>", chart(&r.history(view.now), view.now));
}

fn overflow_html(b: &mut String, view: &SamplingView) {
    let d = &view.overflow;
    let _ = write!(
        b,
        "<tr class=\"root overflow\"><td><span class=\"muted\">other names (past the {}-name cap)</span></td>",
        view.stats.max_names()
    );
    for text in [d.seen.to_string(), d.sampled.to_string(), ratio_text(d), d.forced.to_string()] {
        num_cell(b, &text);
    }
    num_cell(b, &format!("{}/s", short(d.per_second())));
    b.push_str("<td></td><td></td><td></td><td></td></tr>");
}

#[cfg(feature = "remote-sampling")]
fn remote_html(b: &mut String, view: &SamplingView) {
    use super::html::clock;
    let Some(s) = &view.state.remote else { return };
    let last = s.last_fetch.map_or_else(
        || "not yet".to_owned(),
        |t| format!("{} UTC ({} s ago)", clock(t), view.now.duration_since(t).unwrap_or_default().as_secs()),
    );
    let result = match &s.last_result {
        Ok(()) => "<span class=\"ok\">ok</span>".to_owned(),
        Err(e) => format!("<span class=\"err\">{}</span>", esc(e)),
    };
    let applied = if s.applied { "fetched" } else { "the initial sampler (no strategy fetched yet)" };
    let _ = write!(
        b,
        "<h2>Remote strategy</h2><div class=\"kv remote\">\
         <span class=\"muted\">source</span><span><code>{}</code></span>\
         <span class=\"muted\">in force</span><span><code class=\"strategy\">{}</code> · {applied}</span>\
         <span class=\"muted\">last fetch</span><span class=\"last-fetch\">{last}</span>\
         <span class=\"muted\">last result</span><span class=\"last-result\">{result}</span>\
         <span class=\"muted\">fetches</span><span class=\"fetches\">{} ok, {} failed</span></div>",
        esc(&s.source),
        esc(&s.strategy),
        s.fetches_ok,
        s.fetch_failures,
    );
}

#[cfg(not(feature = "remote-sampling"))]
fn remote_html(_: &mut String, _: &SamplingView) {}

fn tail_html(b: &mut String, t: &TailStats) {
    if !t.enabled {
        return;
    }
    b.push_str("<h2>Tail sampling</h2><div class=\"kv tail\">");
    let kept: Vec<String> = KEEP_REASONS.iter().map(|&r| format!("{} {}", t.kept_for(r), r.as_str())).collect();
    let fields = [
        ("completed", t.completed.to_string()),
        ("closed-by-max-age", t.closed_by_max_age.to_string()),
        ("tracker-full", t.tracker_full.to_string()),
        ("over-cap", t.over_cap.to_string()),
        ("late-spans", t.late_spans.to_string()),
        ("watching", t.watching.to_string()),
        ("kept", format!("{} ({})", t.kept(), kept.join(", "))),
    ];
    for (class, value) in fields {
        let _ =
            write!(b, "<span class=\"muted\">{}</span><span class=\"{class}\">{value}</span>", class.replace('-', " "));
    }
    b.push_str("</div>");
}

pub(crate) async fn sampling(State(s): State<Sources>) -> Response {
    let service = s.handle.resource().service_name().to_owned();
    let view = SamplingView::collect(&s.handle, PAGE_ROWS);
    let stats = &view.stats;
    let all = &view.total;
    let mode = match stats.recording_mode() {
        RecordingMode::All => "every span recorded; sampling decides what is exported",
        RecordingMode::SampledOnly => "only sampled traces recorded",
    };
    let mut b = String::from("<h1>Sampling</h1>");
    let _ = write!(
        b,
        "<div class=\"kv\"><span class=\"muted\">sampler</span><span><code class=\"sampler\">{}</code></span>\
         <span class=\"muted\">recording mode</span><span>{mode}</span>\
         <span class=\"muted\">decisions</span><span>{} roots, {} sampled ({})</span>\
         <span class=\"muted\">forced</span><span class=\"forced\">{} forced, {} over the cap</span></div>",
        esc(&stats.description()),
        all.seen,
        all.sampled,
        ratio_text(all),
        stats.forced(),
        stats.forced_over_cap(),
    );
    remote_html(&mut b, &view);
    b.push_str(
        "<h2>Operations</h2><p class=\"muted\">One decision per root span started in this process (a remote \
         parent's child included); children follow their parent. Rate: decisions a second over the last \
         10–20 s. Probability: what a root of that name gets now (<em>caller's</em>: every root of that name \
         had a remote parent, whose decision it took). The chart: the probability over the last \
         hour. <a href=\"/debug/api/sampling\">JSON</a></p>",
    );
    if view.operations > view.rows.len() {
        let _ = write!(
            b,
            "<p class=\"note cap\">Showing the {} busiest of {} operations (the JSON has up to {API_ROWS}).</p>",
            view.rows.len(),
            view.operations
        );
    }
    b.push_str(
        "<table><tr><th>root span</th><th class=\"num\">seen</th><th class=\"num\">sampled</th>\
         <th class=\"num\">ratio</th><th class=\"num\">forced</th><th class=\"num\">rate</th>\
         <th class=\"num\">probability</th><th class=\"num\">target</th><th class=\"num\">tail kept</th>\
         <th>last hour</th></tr>",
    );
    for r in &view.rows {
        row_html(&mut b, &view, r);
    }
    if view.overflow.seen > 0 || view.overflow.forced > 0 {
        overflow_html(&mut b, &view);
    }
    b.push_str("</table>");
    if view.rows.is_empty() && view.overflow.seen == 0 {
        b.push_str("<p class=\"muted\">No root span yet.</p>");
    }
    tail_html(&mut b, &view.tail);
    page("sampling", &service, &b)
}
