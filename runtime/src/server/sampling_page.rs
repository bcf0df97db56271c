//! `/debug/sampling` (and `/debug/api/sampling`): the head sampler in force,
//! the recording mode, and the sampler's decisions so far per root span
//! name: roots seen, roots sampled and their ratio. Roots of names past the
//! cap are counted together in one overflow row.
//!
//! Markup: one `<tr class="root" data-root="{name}">` per root name, linked
//! to the traces with a span of that name; the overflow row is
//! `<tr class="root overflow">`. Names are escaped.

use std::fmt::Write;

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde_json::{Value as Json_, json};

use super::html::{esc, page, url};
use super::sources::Sources;
use crate::sampling::{RecordingMode, RootDecisions, SamplingStats};

fn mode_name(mode: RecordingMode) -> &'static str {
    match mode {
        RecordingMode::All => "all",
        RecordingMode::SampledOnly => "sampled_only",
    }
}

/// The sum of every root name's decisions and the overflow's.
fn total(roots: &[RootDecisions], overflow: &RootDecisions) -> RootDecisions {
    let mut total = overflow.clone();
    total.name = "(all)".to_owned();
    for r in roots {
        total.seen = total.seen.saturating_add(r.seen);
        total.sampled = total.sampled.saturating_add(r.sampled);
    }
    total
}

fn counts_json(d: &RootDecisions) -> Json_ {
    json!({ "seen": d.seen, "sampled": d.sampled, "ratio": d.ratio() })
}

fn sampling_json(stats: &SamplingStats) -> Json_ {
    let roots = stats.roots();
    let overflow = stats.overflow();
    let list: Vec<Json_> = roots
        .iter()
        .map(|r| json!({ "name": r.name, "seen": r.seen, "sampled": r.sampled, "ratio": r.ratio() }))
        .collect();
    json!({
        "sampler": stats.description(),
        "recording_mode": mode_name(stats.recording_mode()),
        "max_names": stats.max_names(),
        "roots": list,
        "overflow": counts_json(&overflow),
        "total": counts_json(&total(&roots, &overflow)),
    })
}

pub(crate) async fn sampling_api(State(s): State<Sources>) -> Json<Json_> {
    Json(sampling_json(s.handle.sampling()))
}

fn ratio_text(d: &RootDecisions) -> String {
    d.ratio().map_or_else(|| "–".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

fn row(b: &mut String, class: &str, data: &str, label: &str, d: &RootDecisions) {
    let _ = write!(
        b,
        "<tr class=\"{class}\"{data}><td>{label}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
         <td class=\"num\">{}</td></tr>",
        d.seen,
        d.sampled,
        ratio_text(d)
    );
}

pub(crate) async fn sampling(State(s): State<Sources>) -> Response {
    let service = s.handle.resource().service_name().to_owned();
    let mut b = String::from("<h1>Sampling</h1>");
    let stats = s.handle.sampling();
    let mut roots = stats.roots();
    let overflow = stats.overflow();
    let all = total(&roots, &overflow);
    let mode = match stats.recording_mode() {
        RecordingMode::All => "every span recorded; sampling decides what is exported",
        RecordingMode::SampledOnly => "only sampled traces recorded",
    };
    let _ = write!(
        b,
        "<div class=\"kv\"><span class=\"muted\">sampler</span><span><code class=\"sampler\">{}</code></span>\
         <span class=\"muted\">recording mode</span><span>{mode}</span>\
         <span class=\"muted\">decisions</span><span>{} roots, {} sampled ({})</span></div>",
        esc(&stats.description()),
        all.seen,
        all.sampled,
        ratio_text(&all)
    );
    b.push_str(
        "<p class=\"muted\">One decision per root span started in this process (a remote parent's child \
         included); children follow their parent. <a href=\"/debug/api/sampling\">JSON</a></p>",
    );
    b.push_str(
        "<table><tr><th>root span</th><th class=\"num\">seen</th><th class=\"num\">sampled</th>\
         <th class=\"num\">ratio</th></tr>",
    );
    roots.sort_by(|a, b| b.seen.cmp(&a.seen).then_with(|| a.name.cmp(&b.name)));
    for r in &roots {
        let label = format!("<a href=\"/debug/traces?name={}\"><code>{}</code></a>", url(&r.name), esc(&r.name));
        row(&mut b, "root", &format!(" data-root=\"{}\"", esc(&r.name)), &label, r);
    }
    if overflow.seen > 0 {
        let label = format!("<span class=\"muted\">other names (past the {}-name cap)</span>", stats.max_names());
        row(&mut b, "root overflow", "", &label, &overflow);
    }
    b.push_str("</table>");
    if roots.is_empty() && overflow.seen == 0 {
        b.push_str("<p class=\"muted\">No root span yet.</p>");
    }
    page("sampling", &service, &b)
}
