//! `/debug/tracez` and its JSON twin: per span name, the running spans and
//! the finished ones by latency bucket, with errors and sample spans that
//! link to their traces.

mod pages_support;
use pages_support::*;

use std::time::Duration;

use serde_json::{Value, json};

fn start() -> lantern::Guard {
    lantern::builder().service_name("tracez-test").http_addr(Some(([127, 0, 0, 1], 0).into())).try_init_local()
}

fn current_trace_id() -> lantern::TraceId {
    lantern::context::current().span_context().unwrap().trace_id()
}

/// The JSON row of span name `name`.
fn row<'a>(tracez: &'a Value, name: &str) -> &'a Value {
    let rows = tracez["rows"].as_array().unwrap();
    rows.iter().find(|r| r["name"] == name).unwrap_or_else(|| panic!("no row {name}: {tracez}"))
}

fn buckets(row: &Value) -> Vec<u64> {
    row["buckets"].as_array().unwrap().iter().map(|b| b.as_u64().unwrap()).collect()
}

/// The one bucket holding a span of a name that ran once.
fn only_bucket(row: &Value) -> usize {
    let b = buckets(row);
    assert_eq!(b.iter().sum::<u64>(), 1, "{row}");
    b.iter().position(|&n| n == 1).unwrap()
}

/// The HTML of the table row whose `data-name` is `name` (escaped).
fn html_row<'a>(page: &'a str, name: &str) -> &'a str {
    let at = page.find(&format!("<tr class=\"tracez\" data-name=\"{name}\">")).unwrap_or_else(|| panic!("{page}"));
    let rest = &page[at..];
    &rest[..rest.find("</tr>").unwrap()]
}

/// Each bucket cell of a row: its `data-bucket` and the count it shows.
fn bucket_cells(row: &str) -> Vec<(usize, u64)> {
    row.split("<td class=\"num bucket\" data-bucket=\"")
        .skip(1)
        .map(|cell| {
            let (index, rest) = cell.split_once("\">").unwrap();
            let content = &rest[..rest.find("</td>").unwrap()];
            let text = match content.split_once('>') {
                Some((_, linked)) => linked.trim_end_matches("</a>"),
                None => content,
            };
            (index.parse().unwrap(), text.parse().unwrap())
        })
        .collect()
}

#[test]
fn finished_spans_are_counted_by_name_latency_and_error_and_open_ones_as_running() {
    let lantern = start();
    let addr = lantern.http_addr().unwrap();
    for _ in 0..3 {
        tracing::info_span!("quick").in_scope(|| {});
    }
    tracing::info_span!("sleepy").in_scope(|| std::thread::sleep(Duration::from_millis(2)));
    tracing::info_span!("charge", error = "card declined").in_scope(|| {});
    tracing::info_span!("retry").in_scope(|| tracing::error!("upstream down"));
    let open = tracing::info_span!("long_poll");
    lantern.buffer().flush();

    let t = json(addr, "/debug/api/tracez");
    assert_eq!(t["service"], "tracez-test");
    assert_eq!(t["bucket_bounds_us"], json!([10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000]));
    assert_eq!(t["spans_untracked"], 0);
    let names: Vec<&str> = t["rows"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["charge", "long_poll", "quick", "retry", "sleepy"], "one row per name, by name");

    let quick = row(&t, "quick");
    assert_eq!(
        (quick["finished"].as_u64(), quick["errors"].as_u64(), quick["running"].as_u64()),
        (Some(3), Some(0), Some(0))
    );
    assert_eq!(buckets(quick).iter().sum::<u64>(), 3);
    assert!(only_bucket(row(&t, "sleepy")) >= 3, "a 2 ms span is not under 1 ms: {t}");
    assert_eq!((row(&t, "charge")["errors"].as_u64(), row(&t, "charge")["finished"].as_u64()), (Some(1), Some(1)));
    assert_eq!(row(&t, "retry")["errors"], 1, "an ERROR event inside fails the span");
    let long_poll = row(&t, "long_poll");
    assert_eq!((long_poll["running"].as_u64(), long_poll["finished"].as_u64()), (Some(1), Some(0)));

    drop(open);
    let t = json(addr, "/debug/api/tracez");
    assert_eq!(
        (row(&t, "long_poll")["running"].as_u64(), row(&t, "long_poll")["finished"].as_u64()),
        (Some(0), Some(1))
    );
}

#[test]
fn the_page_shows_counts_in_bucket_cells_that_link_to_samples() {
    let lantern = start();
    let addr = lantern.http_addr().unwrap();
    tracing::info_span!("sleepy").in_scope(|| std::thread::sleep(Duration::from_millis(2)));
    tracing::info_span!("<script>x</script>").in_scope(|| {});
    tracing::info_span!("charge", error = "card declined").in_scope(|| {});
    lantern.buffer().flush();

    let page = html(addr, "/debug/tracez");
    assert!(page.contains("<th class=\"num\" data-bucket=\"3\">1–10ms</th>"), "buckets are labelled");
    let sleepy = html_row(&page, "sleepy");
    let cells = bucket_cells(sleepy);
    assert_eq!(cells.iter().map(|(i, _)| *i).collect::<Vec<_>>(), (0..9).collect::<Vec<_>>());
    let (bucket, _) = *cells.iter().find(|(_, n)| *n > 0).unwrap();
    assert!(bucket >= 3, "{sleepy}");
    assert_eq!(cells.iter().map(|(_, n)| n).sum::<u64>(), 1);
    assert!(sleepy.contains(&format!("href=\"/debug/tracez?name=sleepy&amp;bucket={bucket}\">1</a>")));
    assert!(sleepy.contains("<td class=\"num errors\">0</td>"), "{sleepy}");
    let charge = html_row(&page, "charge");
    assert!(charge.contains("<a href=\"/debug/tracez?name=charge&amp;errors=1\">1</a>"), "{charge}");
    assert!(html_row(&page, "&lt;script&gt;x&lt;/script&gt;").contains("<code>&lt;script&gt;x&lt;/script&gt;</code>"));
    assert!(!page.contains("<script>"), "recorded text is escaped");
}

#[test]
fn samples_link_to_their_traces() {
    let lantern = start();
    let addr = lantern.http_addr().unwrap();
    let sleepy = tracing::info_span!("sleepy", user = "ann").in_scope(|| {
        std::thread::sleep(Duration::from_millis(2));
        current_trace_id()
    });
    let charge = tracing::info_span!("charge", error = "card declined").in_scope(current_trace_id);
    lantern.buffer().flush();
    let bucket = only_bucket(row(&json(addr, "/debug/api/tracez"), "sleepy"));

    let s = json(addr, &format!("/debug/api/tracez?name=sleepy&bucket={bucket}"));
    assert_eq!(
        (s["name"].as_str(), s["bucket"].as_u64(), s["errors"].as_bool()),
        (Some("sleepy"), Some(bucket as u64), Some(false))
    );
    let sample = &s["samples"][0];
    assert_eq!(sample["trace_id"], sleepy.to_string());
    assert!(sample["duration_us"].as_u64().unwrap() >= 2_000);
    assert_eq!(sample["attributes"]["user"], "ann");
    assert_eq!(sample["trace_in_buffer"], true);
    let trace = json(addr, &format!("/debug/api/traces/{sleepy}"));
    assert_eq!(trace["spans"][0]["name"], "sleepy", "the linked trace exists");
    let page = html(addr, &format!("/debug/tracez?name=sleepy&bucket={bucket}"));
    assert!(page.contains(&format!("<tr class=\"sample\" data-trace-id=\"{sleepy}\"")));
    assert!(page.contains(&format!("href=\"/debug/traces/{sleepy}\"")));

    let e = json(addr, "/debug/api/tracez?name=charge&errors=1");
    assert_eq!(e["errors"], true);
    assert_eq!(e["samples"][0]["trace_id"], charge.to_string());
    assert_eq!(
        (e["samples"][0]["status"].as_str(), e["samples"][0]["status_message"].as_str()),
        (Some("error"), Some("card declined"))
    );
    let page = html(addr, "/debug/tracez?name=charge&errors=1");
    assert!(page.contains("card declined") && page.contains(&format!("href=\"/debug/traces/{charge}\"")));

    let none = json(addr, "/debug/api/tracez?name=never&bucket=0");
    assert_eq!(none["samples"], json!([]), "an unknown name has no samples");
}

#[test]
fn samples_outlive_their_evicted_traces_and_say_so() {
    let config = lantern::buffer::BufferConfig { max_records: 2, ..Default::default() };
    let lantern = lantern::builder().buffer(config).http_addr(Some(([127, 0, 0, 1], 0).into())).try_init_local();
    let addr = lantern.http_addr().unwrap();
    let first = tracing::info_span!("first").in_scope(current_trace_id);
    lantern.buffer().flush();
    for _ in 0..3 {
        tracing::info_span!("later").in_scope(|| {});
    }
    lantern.buffer().flush();
    assert!(lantern.buffer().snapshot().trace(first).is_none(), "evicted by the record ceiling");

    let t = json(addr, "/debug/api/tracez");
    assert_eq!(row(&t, "later")["finished"], 3);
    let bucket = only_bucket(row(&t, "first"));
    let s = json(addr, &format!("/debug/api/tracez?name=first&bucket={bucket}"));
    assert_eq!(s["samples"][0]["trace_id"], first.to_string());
    assert_eq!(s["samples"][0]["trace_in_buffer"], false);
    let page = html(addr, &format!("/debug/tracez?name=first&bucket={bucket}"));
    assert!(page.contains(&format!("<tr class=\"sample evicted\" data-trace-id=\"{first}\"")), "{page}");
    assert!(!page.contains(&format!("href=\"/debug/traces/{first}\"")), "no link to a trace that is gone");
}

#[test]
fn the_running_view_lists_open_spans_with_their_age() {
    let lantern = start();
    let addr = lantern.http_addr().unwrap();
    let open = tracing::info_span!("long_poll");
    let id = open.in_scope(current_trace_id);
    std::thread::sleep(Duration::from_millis(5));

    let r = json(addr, "/debug/api/tracez?name=long_poll&running=1");
    assert_eq!(r["running"], 1);
    let span = &r["spans"][0];
    assert_eq!(span["trace_id"], id.to_string());
    assert!(span["age_us"].as_u64().unwrap() >= 5_000, "{r}");
    assert_eq!(span["trace_in_buffer"], false, "nothing of the trace has finished");
    let page = html(addr, "/debug/tracez?name=long_poll&running=1");
    assert!(page.contains(&format!("<tr class=\"running\" data-trace-id=\"{id}\"")), "{page}");
    assert!(page.contains("<td class=\"num age\">"));
    let table = html(addr, "/debug/tracez");
    let link = "<a href=\"/debug/tracez?name=long%5Fpoll&amp;running=1\">1</a>";
    assert!(html_row(&table, "long_poll").contains(link), "names are percent-encoded in links");

    tracing::info_span!(parent: &open, "step").in_scope(|| {});
    let page = html(addr, "/debug/tracez?name=long_poll&running=1");
    assert!(page.contains(&format!("href=\"/debug/traces/{id}\"")), "links once the trace has a finished span");

    drop(open);
    let r = json(addr, "/debug/api/tracez?name=long_poll&running=1");
    assert_eq!((r["running"].as_u64(), r["spans"].as_array().map(Vec::len)), (Some(0), Some(0)));
}

#[test]
fn bad_parameters_are_a_clear_400() {
    let lantern = start();
    let addr = lantern.http_addr().unwrap();
    for (path, says) in [
        ("/debug/api/tracez?name=x&bucket=9", "bucket is a number from 0 to 8"),
        ("/debug/tracez?name=x&bucket=abc", "bucket is a number from 0 to 8"),
        ("/debug/tracez?bucket=1", "need a span name"),
        ("/debug/api/tracez?name=x&bucket=1&errors=1", "choose one of"),
        ("/debug/tracez?name=x&running=yes", "running is 1 or 0"),
        ("/debug/api/tracez?name=x&running=1&limit=-3", "limit is a positive number"),
    ] {
        let (status, _, body) = get(addr, path);
        assert_eq!(status, 400, "{path}");
        assert!(body.contains(says), "{path}: {body}");
    }
}
