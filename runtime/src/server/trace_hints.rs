//! The trace patterns ([`crate::insights::find_patterns`]) as hints on the
//! waterfall of `/debug/traces/{trace_id}`, found on demand for the trace
//! shown, complete or not. Markup (maud, escaped by construction):
//!
//! - above the waterfall, `<ol class="hints">` with one
//!   `<li class="hint" id="hint-{k}" data-pattern="{kind}">` per finding:
//!   its title, its message, and links to the rows of its spans
//!   (`href="#span-{span_id}"`; rows left out of the page are named but
//!   not linked);
//! - in the row of each span a finding concerns,
//!   `<a class="hint-mark" data-pattern="{kind}" href="#hint-{k}" title="{message}">`.
//!
//! The JSON twin has the same findings in `findings`.

use std::collections::HashMap;

use maud::{Markup, PreEscaped, html};
use serde_json::{Value as Json_, json};

use crate::buffer::Trace;
use crate::ids::SpanId;
use crate::insights::patterns::Finding;

/// The hints' styles, beside them (the page shell is shared).
const STYLE: &str = "\
ol.hints { background:#fff; border:1px solid var(--line); padding:.5em .8em .5em 2.2em; margin:.6em 0 1em; }\
ol.hints li { margin:.25em 0; } ol.hints li b { margin-right:.4em; }\
.hint-mark { display:inline-block; font-size:.75em; padding:0 .4em; margin-left:.3em; border-radius:3px; \
background:#efe6fb; color:#5a2d91; text-decoration:none; }\
.hint-mark[data-pattern=error_source] { background:#fbe4e6; color:var(--err); }";

/// Where each finding's spans are: the rows the page shows.
pub(crate) struct Hints<'f> {
    findings: &'f [Finding],
    /// For each span a finding names, the findings (by index).
    by_span: HashMap<SpanId, Vec<usize>>,
}

impl<'f> Hints<'f> {
    pub(crate) fn new(findings: &'f [Finding]) -> Hints<'f> {
        let mut by_span: HashMap<SpanId, Vec<usize>> = HashMap::new();
        for (k, f) in findings.iter().enumerate() {
            for id in &f.spans {
                let list = by_span.entry(*id).or_default();
                if list.last() != Some(&k) {
                    list.push(k);
                }
            }
        }
        Hints { findings, by_span }
    }

    /// The list above the waterfall; empty when nothing was found.
    /// `shown` tells the rows on the page; `trace` names the spans.
    pub(crate) fn list(&self, trace: &Trace, shown: impl Fn(SpanId) -> bool) -> Markup {
        if self.findings.is_empty() {
            return html! {};
        }
        // The names of the spans the findings concern: one pass.
        let mut names: HashMap<SpanId, &str> = HashMap::with_capacity(self.by_span.len());
        for s in &trace.spans {
            if self.by_span.contains_key(&s.span_id) {
                names.entry(s.span_id).or_insert(&*s.name);
            }
        }
        html! {
            style { (PreEscaped(STYLE)) }
            ol.hints {
                @for (k, f) in self.findings.iter().enumerate() {
                    li.hint id=(format!("hint-{k}")) data-pattern=(f.kind.as_str()) {
                        b { (f.kind.title()) }
                        (f.message)
                        " · "
                        @for (n, id) in f.spans.iter().enumerate() {
                            @if n > 0 { ", " }
                            @let name = names.get(id).copied().unwrap_or("?");
                            @if shown(*id) {
                                a href=(format!("#span-{id}")) { (name) }
                            } @else {
                                span.muted title="not shown on this page" { (name) }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The marks in the row of span `id`.
    pub(crate) fn marks(&self, id: SpanId) -> Markup {
        let Some(list) = self.by_span.get(&id) else { return html! {} };
        html! {
            @for &k in list {
                @let f = &self.findings[k];
                a.hint-mark data-pattern=(f.kind.as_str()) href=(format!("#hint-{k}")) title=(f.message) {
                    (f.kind.title())
                }
            }
        }
    }
}

/// The findings for the JSON twin.
pub(crate) fn findings_json(findings: &[Finding]) -> Json_ {
    findings
        .iter()
        .map(|f| {
            json!({
                "kind": f.kind.as_str(),
                "title": f.kind.title(),
                "spans": f.spans.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                "message": f.message,
                "time_us": f.time.as_micros() as u64,
            })
        })
        .collect()
}
