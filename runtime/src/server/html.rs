//! HTML for the debug pages: one page shell, escaping, and a few helpers.
//!
//! Every string a page shows may come from the application's spans and
//! logs, so all of it is escaped: by construction in the pages written with
//! `maud` (`html!`), through [`esc`] in those still built with `format!`
//! (metrics, sampling, tracez). Pages carry no script and load
//! nothing: the Content-Security-Policy forbids both, and the styles are
//! inline in the shell.

use std::fmt::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// No script, no remote anything; inline styles only.
pub(crate) const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; script-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const STYLE: &str = r#"
:root { --fg:#1d2430; --muted:#5b6576; --line:#e3e7ee; --accent:#2f6fdf; --err:#c8323c; --crit:#e8a317; --bg:#fbfcfe; }
* { box-sizing: border-box; }
body { margin:0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }
header { display:flex; gap:1.2em; align-items:baseline; padding:.7em 1.4em; border-bottom:1px solid var(--line); background:#fff; }
header b { font-size:1.05em; } header a { color:var(--muted); text-decoration:none; } header a:hover { color:var(--accent); }
main { padding:1em 1.4em 3em; max-width:1400px; }
h1 { font-size:1.3em; margin:.3em 0 .8em; } h2 { font-size:1.05em; margin:1.6em 0 .5em; }
table { border-collapse:collapse; width:100%; background:#fff; border:1px solid var(--line); }
th, td { padding:.35em .7em; border-bottom:1px solid var(--line); text-align:left; vertical-align:top; }
th { font-weight:600; color:var(--muted); background:#f4f6fa; }
td.num, th.num { text-align:right; font-variant-numeric: tabular-nums; white-space:nowrap; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size:.92em; }
a { color:var(--accent); }
.err { color:var(--err); font-weight:600; }
.svc { display:inline-block; font-size:.8em; padding:0 .4em; margin-right:.2em; border-radius:3px; background:#e8eefb; color:#2a4a8a; }
.muted { color:var(--muted); }
.note { background:#fff7e0; border:1px solid #f0d88a; padding:.5em .8em; margin:.8em 0; }
form.filters { display:flex; flex-wrap:wrap; gap:.6em; align-items:end; margin:.4em 0 1em; }
form.filters label { display:flex; flex-direction:column; font-size:.85em; color:var(--muted); }
form.filters input, form.filters select { font:inherit; padding:.25em .4em; border:1px solid var(--line); border-radius:3px; }
.bar { position:relative; height:1.1em; background:#f1f4f9; min-width:320px; }
.bar span { position:absolute; top:0; bottom:0; background:var(--accent); border-radius:2px; min-width:2px; }
tr.critical .bar span { background:var(--crit); }
tr.error .bar span { background:var(--err); }
.kv { display:grid; grid-template-columns:max-content 1fr; gap:.2em 1em; }
details summary { cursor:pointer; }
"#;

/// A full page: the shell, the navigation, `body`.
pub(crate) fn page(title: &str, service: &str, body: &str) -> Response {
    let mut out = String::with_capacity(body.len() + 3000);
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · {}</title><style>{STYLE}</style></head><body><header><b>{}</b>\
         <a href=\"/debug\">overview</a><a href=\"/debug/traces\">traces</a><a href=\"/debug/tracez\">tracez</a>\
         <a href=\"/debug/logs\">logs</a><a href=\"/debug/metrics\">metrics</a><a href=\"/debug/sampling\">sampling</a>\
         <a href=\"/debug/graph\">graph</a><a href=\"/debug/insights\">insights</a><a href=\"/debug/quality\">quality</a>\
         <a href=\"/metrics\">/metrics</a>\
         </header><main>{body}</main></body></html>",
        esc(title),
        esc(service),
        esc(service),
    );
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        out,
    )
        .into_response()
}

/// Escapes text for HTML content and quoted attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The most of a text query parameter a page takes, matches on and shows
/// back: the same as the most of a name that is counted or shown.
pub(crate) const MAX_PARAM_BYTES: usize = crate::text::MAX_NAME_BYTES;

/// Cuts a text query parameter to [`MAX_PARAM_BYTES`] (at a character
/// boundary), so that what a page echoes is bounded whatever was asked.
pub(crate) fn bound(param: &mut Option<String>) {
    if let Some(p) = param {
        let keep = crate::text::cut(p, MAX_PARAM_BYTES).len();
        p.truncate(keep);
    }
}

/// Percent-encodes a query parameter value.
pub(crate) fn url(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A duration as people read it: `850 µs`, `12.3 ms`, `4.20 s`.
pub(crate) fn dur(d: Duration) -> String {
    crate::text::human_duration(d)
}

/// A wall-clock time as UTC `HH:MM:SS.mmm`.
pub(crate) fn clock(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let s = d.as_secs();
    format!("{:02}:{:02}:{:02}.{:03}", (s / 3600) % 24, (s / 60) % 60, s % 60, d.subsec_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_recorded_text_is_escaped() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }

    #[test]
    fn long_parameters_are_cut_at_a_character_boundary() {
        let mut p = Some("é".repeat(MAX_PARAM_BYTES));
        bound(&mut p);
        assert_eq!(p.as_deref(), Some("é".repeat(MAX_PARAM_BYTES / 2).as_str()));
        let mut p = Some(format!("a{}", "é".repeat(MAX_PARAM_BYTES)));
        bound(&mut p);
        assert_eq!(p.unwrap().len(), MAX_PARAM_BYTES - 1);
        let mut none = None;
        bound(&mut none);
        assert_eq!(none, None);
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(dur(Duration::from_micros(850)), "850 µs");
        assert_eq!(dur(Duration::from_micros(12_300)), "12.3 ms");
        assert_eq!(dur(Duration::from_millis(4200)), "4.20 s");
    }
}
