//! `/debug/tracez` (and `/debug/api/tracez`): per span name, the spans open
//! now and the finished spans since start by latency bucket, and the errors
//! (see [`crate::buffer::Snapshot::tracez`]).
//!
//! - no parameters: the table, one row per name; every count above zero
//!   links to its samples or running spans.
//! - `name=N&bucket=I` (0 to 8) or `name=N&errors=1`: the sample spans kept
//!   for that bucket or the errors, newest first, each linking to its trace
//!   (or marked evicted when the trace has left the buffer).
//! - `name=N&running=1` (`limit`, default 100): the open spans of that
//!   callsite name, oldest first, with their age.
//!
//! Bad parameters are a 400 that says what is expected. `name` is cut to
//! 256 bytes, as names are where tracez counts them.

use std::fmt::Write;
use std::time::Duration;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json_, json};

use super::html::{bound, clock, dur, esc, page, url};
use super::json::nanos;
use super::sources::Sources;
use crate::buffer::OpenSpan;
use crate::buffer::{LATENCY_BUCKET_BOUNDS, TracezRow, TracezSample, TracezSamples};
use crate::ids::TraceId;
use crate::record::Status;

/// Headers of the latency buckets, in order; each includes its lower bound.
const BUCKET_LABELS: [&str; 9] =
    ["0–10µs", "10–100µs", "100µs–1ms", "1–10ms", "10–100ms", "100ms–1s", "1–10s", "10–100s", "≥100s"];
/// Open spans listed at most.
const MAX_RUNNING: usize = 1000;
/// Open spans listed unless `limit` says otherwise.
const DEFAULT_RUNNING: usize = 100;

type BadRequest = (StatusCode, String);

/// Query parameters of the tracez page.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct TracezParams {
    name: Option<String>,
    bucket: Option<String>,
    errors: Option<String>,
    running: Option<String>,
    limit: Option<String>,
}

/// What the parameters ask for.
#[derive(Debug, PartialEq)]
enum View {
    Table,
    Samples { name: String, which: TracezSamples },
    Running { name: String, limit: usize },
}

fn bad(what: &str) -> BadRequest {
    (StatusCode::BAD_REQUEST, what.to_owned())
}

fn flag(value: Option<&str>, what: &str) -> Result<bool, BadRequest> {
    match value.unwrap_or("") {
        "" | "0" | "false" | "off" => Ok(false),
        "1" | "true" | "on" => Ok(true),
        _ => Err(bad(&format!("{what} is 1 or 0"))),
    }
}

impl TracezParams {
    fn view(&self) -> Result<View, BadRequest> {
        let bucket = match self.bucket.as_deref().filter(|b| !b.is_empty()) {
            None => None,
            Some(b) => match b.parse::<usize>() {
                Ok(i) if i < BUCKET_LABELS.len() => Some(i),
                _ => return Err(bad("bucket is a number from 0 to 8")),
            },
        };
        let errors = flag(self.errors.as_deref(), "errors")?;
        let running = flag(self.running.as_deref(), "running")?;
        let limit = match self.limit.as_deref().filter(|l| !l.is_empty()) {
            None => DEFAULT_RUNNING,
            Some(l) => l.parse::<usize>().map_err(|_| bad("limit is a positive number"))?.clamp(1, MAX_RUNNING),
        };
        let mut name = self.name.clone().filter(|n| !n.is_empty());
        bound(&mut name);
        let chosen = usize::from(bucket.is_some()) + usize::from(errors) + usize::from(running);
        let Some(name) = name else {
            return if chosen == 0 { Ok(View::Table) } else { Err(bad("bucket, errors and running need a span name")) };
        };
        match (bucket, errors, running) {
            _ if chosen > 1 => Err(bad("choose one of bucket, errors=1 and running=1")),
            (Some(i), _, _) => Ok(View::Samples { name, which: TracezSamples::Bucket(i) }),
            (_, true, _) => Ok(View::Samples { name, which: TracezSamples::Errors }),
            (_, _, true) => Ok(View::Running { name, limit }),
            _ => Err(bad("with a name, choose one of bucket=0..8, errors=1 and running=1")),
        }
    }
}

/// A sample and whether its trace is still in the buffer.
type HeldSample = (TracezSample, bool);
/// An open span and whether its trace has a finished span in the buffer.
type HeldOpen = (OpenSpan, bool);

/// The data of one view, read under one snapshot.
enum Data {
    Table { rows: Vec<TracezRow>, untracked: u64 },
    Samples { name: String, which: TracezSamples, samples: Vec<HeldSample> },
    Running { name: String, total: usize, spans: Vec<HeldOpen> },
}

fn read(s: &Sources, view: View) -> Data {
    let snap = s.handle.buffer().snapshot();
    match view {
        View::Table => Data::Table { rows: snap.tracez(), untracked: snap.tracez_spans_untracked() },
        View::Samples { name, which } => {
            let samples = snap.tracez_samples(&name, which).into_iter().map(|t| {
                let held = snap.holds_trace(t.trace_id);
                (t, held)
            });
            Data::Samples { samples: samples.collect(), name, which }
        }
        View::Running { name, limit } => {
            let open: Vec<OpenSpan> = snap
                .open_spans()
                .into_iter()
                .filter(|o| crate::text::cut(&o.name, crate::text::MAX_NAME_BYTES) == name)
                .collect();
            let total = open.len();
            let spans = open
                .into_iter()
                .take(limit)
                .map(|o| {
                    let held = snap.holds_trace(o.trace_id);
                    (o, held)
                })
                .collect();
            Data::Running { name, total, spans }
        }
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

fn which_json(which: TracezSamples) -> (Json_, bool) {
    match which {
        TracezSamples::Bucket(i) => (json!(i), false),
        TracezSamples::Errors => (Json_::Null, true),
    }
}

fn status_parts(status: &Status) -> (&'static str, Option<&str>) {
    match status {
        Status::Unset => ("unset", None),
        Status::Ok => ("ok", None),
        Status::Error(message) => ("error", message.as_deref()),
    }
}

fn data_json(service: &str, data: &Data) -> Json_ {
    match data {
        Data::Table { rows, untracked } => {
            let rows: Vec<Json_> = rows
                .iter()
                .map(|r| {
                    json!({
                        "name": r.name, "running": r.running, "buckets": r.buckets,
                        "errors": r.errors, "finished": r.finished(),
                    })
                })
                .collect();
            let bounds: Vec<u64> = LATENCY_BUCKET_BOUNDS.iter().map(|b| micros(*b)).collect();
            json!({
                "service": service, "bucket_bounds_us": bounds, "bucket_labels": BUCKET_LABELS,
                "spans_untracked": untracked, "rows": rows,
            })
        }
        Data::Samples { name, which, samples } => {
            let list: Vec<Json_> = samples
                .iter()
                .map(|(t, held)| {
                    let (status, message) = status_parts(&t.status);
                    let attributes: serde_json::Map<String, Json_> =
                        t.attributes.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
                    json!({
                        "trace_id": t.trace_id.to_string(), "span_id": t.span_id.to_string(),
                        "start_unix_nanos": nanos(t.start_time()), "duration_us": micros(t.duration),
                        "status": status, "status_message": message, "attributes": attributes,
                        "trace_in_buffer": held,
                    })
                })
                .collect();
            let (bucket, errors) = which_json(*which);
            json!({ "name": name, "bucket": bucket, "errors": errors, "samples": list })
        }
        Data::Running { name, total, spans } => {
            let list: Vec<Json_> = spans
                .iter()
                .map(|(o, held)| {
                    json!({
                        "trace_id": o.trace_id.to_string(), "span_id": o.span_id.to_string(), "target": o.target,
                        "start_unix_nanos": nanos(o.start_time()), "age_us": micros(o.age()),
                        "trace_in_buffer": held,
                    })
                })
                .collect();
            json!({ "name": name, "running": total, "spans": list })
        }
    }
}

pub(crate) async fn tracez_api(State(s): State<Sources>, Query(p): Query<TracezParams>) -> Response {
    match p.view() {
        Ok(view) => {
            let data = read(&s, view);
            Json(data_json(s.handle.resource().service_name(), &data)).into_response()
        }
        Err(e) => e.into_response(),
    }
}

pub(crate) async fn tracez(State(s): State<Sources>, Query(p): Query<TracezParams>) -> Response {
    let view = match p.view() {
        Ok(view) => view,
        Err(e) => return e.into_response(),
    };
    let service = s.handle.resource().service_name().to_owned();
    let body = match read(&s, view) {
        Data::Table { rows, untracked } => table_html(&rows, untracked),
        Data::Samples { name, which, samples } => samples_html(&name, which, &samples),
        Data::Running { name, total, spans } => running_html(&name, total, &spans),
    };
    page("tracez", &service, &body)
}

/// A count, linked to `href` when above zero.
fn count_cell(count: impl Into<u64>, href: &str) -> String {
    match count.into() {
        0 => "0".to_owned(),
        n => format!("<a href=\"{href}\">{n}</a>"),
    }
}

fn table_html(rows: &[TracezRow], untracked: u64) -> String {
    let mut b = String::from(
        "<h1>Tracez</h1><p class=\"muted\">Finished spans per name since start, by latency (each bucket includes \
         its lower bound; failed spans are counted in their bucket too), and spans running now. A count links to \
         samples: at most 5 per bucket, at most one new per second. · <a href=\"/debug/api/tracez\">JSON</a></p>",
    );
    if untracked > 0 {
        let _ =
            write!(b, "<p class=\"note\">{untracked} spans are not counted: 1000 span names are tracked already.</p>");
    }
    b.push_str("<table class=\"tracez\"><tr><th>span name</th><th class=\"num\">running</th>");
    for (i, label) in BUCKET_LABELS.iter().enumerate() {
        let _ = write!(b, "<th class=\"num\" data-bucket=\"{i}\">{label}</th>");
    }
    b.push_str("<th class=\"num\">errors</th></tr>");
    for r in rows {
        let link = format!("/debug/tracez?name={}", url(&r.name));
        let _ = write!(
            b,
            "<tr class=\"tracez\" data-name=\"{}\"><td><code>{}</code></td><td class=\"num running\">{}</td>",
            esc(&r.name),
            esc(&r.name),
            count_cell(r.running as u64, &format!("{link}&amp;running=1")),
        );
        for (i, count) in r.buckets.iter().enumerate() {
            let cell = count_cell(*count, &format!("{link}&amp;bucket={i}"));
            let _ = write!(b, "<td class=\"num bucket\" data-bucket=\"{i}\">{cell}</td>");
        }
        let _ = write!(
            b,
            "<td class=\"num errors{}\">{}</td></tr>",
            if r.errors > 0 { " err" } else { "" },
            count_cell(r.errors, &format!("{link}&amp;errors=1"))
        );
    }
    b.push_str("</table>");
    if rows.is_empty() {
        b.push_str("<p class=\"muted\">No span yet.</p>");
    }
    b
}

/// A link to the trace when it is in the buffer, else what became of it.
fn trace_cell(id: TraceId, held: bool, missing: &str) -> String {
    if held {
        format!("<a class=\"mono\" href=\"/debug/traces/{id}\">{id}</a>")
    } else {
        format!("<span class=\"mono muted\">{id}</span> <span class=\"muted {missing}\">{missing}</span>")
    }
}

fn samples_html(name: &str, which: TracezSamples, samples: &[HeldSample]) -> String {
    let (what, query) = match which {
        TracezSamples::Bucket(i) => (BUCKET_LABELS.get(i).copied().unwrap_or("?"), format!("bucket={i}")),
        TracezSamples::Errors => ("errors", "errors=1".to_owned()),
    };
    let mut b = format!(
        "<h1>Tracez · <code>{}</code> · {what}</h1><p class=\"muted\">Samples, newest first (at most 5, at most one \
         new per second). · <a href=\"/debug/tracez\">all span names</a> · \
         <a href=\"/debug/api/tracez?name={}&amp;{query}\">JSON</a></p>",
        esc(name),
        url(name)
    );
    b.push_str(
        "<table class=\"samples\"><tr><th>start (UTC)</th><th class=\"num\">duration</th><th>status</th>\
         <th>attributes</th><th>trace</th></tr>",
    );
    for (t, held) in samples {
        let status = match status_parts(&t.status) {
            ("error", Some(m)) => format!("<span class=\"err\">error</span> {}", esc(m)),
            ("error", None) => "<span class=\"err\">error</span>".to_owned(),
            (s, _) => s.to_owned(),
        };
        let attributes: Vec<String> =
            t.attributes.iter().map(|(k, v)| format!("<code>{}={}</code>", esc(k), esc(v))).collect();
        let _ = write!(
            b,
            "<tr class=\"sample{}\" data-trace-id=\"{}\" data-span-id=\"{}\"><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td>{status}</td><td>{}</td><td>{}</td></tr>",
            if *held { "" } else { " evicted" },
            t.trace_id,
            t.span_id,
            clock(t.start_time()),
            dur(t.duration),
            attributes.join(" "),
            trace_cell(t.trace_id, *held, "evicted"),
        );
    }
    b.push_str("</table>");
    if samples.is_empty() {
        b.push_str("<p class=\"muted\">No sample kept.</p>");
    }
    b
}

fn running_html(name: &str, total: usize, spans: &[HeldOpen]) -> String {
    let mut b = format!(
        "<h1>Tracez · <code>{}</code> · running</h1><p class=\"muted\">{total} open now, oldest first{}. · \
         <a href=\"/debug/tracez\">all span names</a> · <a href=\"/debug/api/tracez?name={}&amp;running=1\">JSON</a></p>",
        esc(name),
        if spans.len() < total { format!(" (the first {} shown)", spans.len()) } else { String::new() },
        url(name)
    );
    b.push_str(
        "<table class=\"running\"><tr><th>start (UTC)</th><th class=\"num\">age</th><th>target</th><th>trace</th></tr>",
    );
    for (o, held) in spans {
        let _ = write!(
            b,
            "<tr class=\"running\" data-trace-id=\"{}\" data-span-id=\"{}\"><td class=\"num\">{}</td>\
             <td class=\"num age\">{}</td><td><code>{}</code></td><td>{}</td></tr>",
            o.trace_id,
            o.span_id,
            clock(o.start_time()),
            dur(o.age()),
            esc(o.target),
            trace_cell(o.trace_id, *held, "no finished span yet"),
        );
    }
    b.push_str("</table>");
    if spans.is_empty() {
        b.push_str("<p class=\"muted\">No span of this name is open.</p>");
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &str) -> TracezParams {
        let mut p = TracezParams::default();
        for (k, v) in q.split('&').filter_map(|kv| kv.split_once('=')) {
            let v = Some(v.to_owned());
            match k {
                "name" => p.name = v,
                "bucket" => p.bucket = v,
                "errors" => p.errors = v,
                "running" => p.running = v,
                "limit" => p.limit = v,
                _ => {}
            }
        }
        p
    }

    #[test]
    fn parameters_choose_one_view() {
        let name = || "a".to_owned();
        assert_eq!(params("").view(), Ok(View::Table));
        assert_eq!(
            params("name=a&bucket=8").view(),
            Ok(View::Samples { name: name(), which: TracezSamples::Bucket(8) })
        );
        assert_eq!(params("name=a&errors=1").view(), Ok(View::Samples { name: name(), which: TracezSamples::Errors }));
        assert_eq!(
            params("name=a&running=1&limit=99999").view(),
            Ok(View::Running { name: name(), limit: MAX_RUNNING })
        );
        assert_eq!(params("name=a&running=1&errors=0").view(), Ok(View::Running { name: name(), limit: 100 }));
    }

    #[test]
    fn bad_parameters_say_what_is_expected() {
        for q in [
            "name=a&bucket=9",
            "name=a&bucket=-1",
            "name=a&bucket=x",
            "bucket=1",
            "errors=1",
            "name=a",
            "name=a&bucket=1&errors=1",
            "name=a&errors=yes",
            "name=a&running=1&limit=x",
        ] {
            let (status, message) = params(q).view().unwrap_err();
            assert_eq!(status, StatusCode::BAD_REQUEST, "{q}");
            assert!(!message.is_empty());
        }
    }

    #[test]
    fn one_label_per_bucket() {
        assert_eq!(BUCKET_LABELS.len(), LATENCY_BUCKET_BOUNDS.len() + 1);
    }
}
