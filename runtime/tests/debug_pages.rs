//! The debug pages and their JSON twins, served by the embedded server.

mod pages_support;
use pages_support::*;

use std::net::SocketAddr;
use std::time::Duration;

fn start() -> lantern::Guard {
    lantern::builder().service_name("pages-test").http_addr(Some(([127, 0, 0, 1], 0).into())).try_init_local()
}

/// A server span whose slow child (with its own child) runs while a short
/// `background` span runs on another thread: the critical path is the server
/// span, `slow` and `inner`, not `background`.
fn shaped_trace() -> lantern::TraceId {
    use std::sync::mpsc::channel;
    let root = tracing::info_span!("GET /dispatch", otel.kind = "server");
    let dispatch = tracing::dispatcher::get_default(|d| d.clone());
    // Channels order the two threads: background starts, slow starts,
    // background ends, slow ends.
    let (started, bg_started) = channel();
    let (slow_started, go) = channel();
    let (ended, bg_ended) = channel();
    root.in_scope(|| {
        let parent = root.clone();
        let background = std::thread::spawn(move || {
            tracing::dispatcher::with_default(&dispatch, || {
                tracing::info_span!(parent: &parent, "background").in_scope(|| {
                    started.send(()).unwrap();
                    go.recv().unwrap();
                    std::thread::sleep(Duration::from_millis(1));
                });
                ended.send(()).unwrap();
            })
        });
        bg_started.recv().unwrap();
        tracing::info_span!("slow", note = "<script>alert(1)</script>").in_scope(|| {
            slow_started.send(()).unwrap();
            bg_ended.recv().unwrap();
            tracing::info_span!("inner").in_scope(|| std::thread::sleep(Duration::from_millis(10)));
        });
        background.join().unwrap();
        lantern::context::current().span_context().unwrap().trace_id()
    })
}

#[test]
fn the_overview_and_trace_list_have_json_twins() {
    let lantern = start();
    let addr = lantern.http_addr().unwrap();
    let id = shaped_trace();
    tracing::info_span!("failing", error = "boom").in_scope(|| {});
    let o = json(addr, "/debug/api/overview");
    assert_eq!(o["service"], "pages-test");
    assert_eq!(o["buffer"]["spans"], 5);
    let list = json(addr, "/debug/api/traces");
    let traces = list["traces"].as_array().unwrap();
    assert_eq!(traces.len(), 2);
    assert_eq!(traces[0]["root_name"], "failing", "newest first");
    assert_eq!(traces[1]["trace_id"], id.to_string());
    assert_eq!(traces[1]["span_count"], 4);
    let errors = json(addr, "/debug/api/traces?errors=1");
    assert_eq!(errors["traces"].as_array().unwrap().len(), 1);
    let slow = json(addr, "/debug/api/traces?min_ms=9&name=inner");
    assert_eq!(slow["traces"][0]["trace_id"], id.to_string());
    let paged = json(addr, "/debug/api/traces?limit=1&offset=1");
    assert_eq!(paged["traces"][0]["trace_id"], id.to_string());
    let (status, head, body) = get(addr, "/debug");
    assert_eq!(status, 200);
    assert!(head.contains("content-security-policy: default-src 'none'"));
    assert!(body.contains("pages-test"));
    let (_, _, page) = get(addr, "/debug/traces");
    assert!(page.contains(&format!("/debug/traces/{id}")));
}

#[test]
fn a_trace_shows_as_a_waterfall_with_its_critical_path() {
    let lantern = start();
    let addr = lantern.http_addr().unwrap();
    let id = shaped_trace();
    let t = json(addr, &format!("/debug/api/traces/{id}"));
    let spans = t["spans"].as_array().unwrap();
    let depth = |name: &str| spans.iter().find(|s| s["name"] == name).unwrap()["depth"].as_u64().unwrap();
    assert_eq!(spans[0]["name"], "GET /dispatch");
    assert_eq!([depth("GET /dispatch"), depth("background"), depth("slow"), depth("inner")], [0, 1, 1, 2]);
    let inner = spans.iter().position(|s| s["name"] == "inner").unwrap();
    assert_eq!(spans[inner - 1]["name"], "slow", "children follow their parent");
    let mut critical: Vec<&str> =
        spans.iter().filter(|s| s["critical"] == true).map(|s| s["name"].as_str().unwrap()).collect();
    critical.sort();
    assert_eq!(critical, ["GET /dispatch", "inner", "slow"], "background ran alongside slow");
    let slow = spans.iter().find(|s| s["name"] == "slow").unwrap();
    assert_eq!(slow["attributes"]["note"], "<script>alert(1)</script>");
    let (status, head, html) = get(addr, &format!("/debug/traces/{id}"));
    assert_eq!(status, 200);
    assert!(head.contains("script-src 'none'"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "recorded text is escaped");
    assert!(!html.contains("<script>"));
    assert_eq!(html.matches("class=\"row critical").count(), 3);
}

#[test]
fn bad_and_unknown_trace_ids_are_clear_errors() {
    let lantern = start();
    let addr = lantern.http_addr().unwrap();
    assert_eq!(get(addr, "/debug/api/traces/not-an-id").0, 400);
    assert_eq!(get(addr, "/debug/api/traces/4bf92f3577b34da6a3ce929d0e0e4736").0, 404);
    assert_eq!(get(addr, "/debug/traces/4bf92f3577b34da6a3ce929d0e0e4736").0, 404);
}

#[test]
fn logs_filter_by_level_target_and_trace_and_link_to_their_trace() {
    let lantern = start();
    let addr = lantern.http_addr().unwrap();
    tracing::info!("before any span");
    let id = tracing::info_span!("request").in_scope(|| {
        tracing::warn!(user = "<b>eve</b>", "suspicious <script>x</script>");
        tracing::debug!("detail");
        lantern::context::current().span_context().unwrap().trace_id()
    });
    let all = json(addr, "/debug/api/logs");
    assert_eq!(all["logs"].as_array().unwrap().len(), 3);
    assert_eq!(all["logs"][0]["body"], "detail", "newest first");
    let warn = json(addr, "/debug/api/logs?level=warn");
    assert_eq!(warn["logs"].as_array().unwrap().len(), 1);
    assert_eq!(warn["logs"][0]["trace_id"], id.to_string());
    assert_eq!(warn["logs"][0]["attributes"]["user"], "<b>eve</b>");
    let in_trace = json(addr, &format!("/debug/api/logs?trace_id={id}"));
    assert_eq!(in_trace["logs"].as_array().unwrap().len(), 2);
    let by_target = json(addr, &format!("/debug/api/logs?target={}", module_path!()));
    assert_eq!(by_target["logs"].as_array().unwrap().len(), 3);
    assert_eq!(get(addr, "/debug/api/logs?level=LOUD").0, 400);
    let (status, _, html) = get(addr, "/debug/logs?level=WARN");
    assert_eq!(status, 200);
    assert!(html.contains(&format!("href=\"/debug/traces/{id}\"")));
    assert!(html.contains("suspicious &lt;script&gt;x&lt;/script&gt;"));
    assert!(html.contains("&lt;b&gt;eve&lt;/b&gt;"));
    assert!(!html.contains("<script>"));
}

fn get_with(addr: SocketAddr, path: &str, authorization: Option<&str>) -> u16 {
    let auth = authorization.map(|a| format!("Authorization: {a}\r\n")).unwrap_or_default();
    get_with_headers(addr, path, &auth).0
}

#[test]
fn a_configured_token_is_required_on_every_page() {
    let guard =
        lantern::builder().http_addr(Some(([127, 0, 0, 1], 0).into())).http_bearer_token("s3cret").try_init_local();
    let addr = guard.http_addr().expect("serving");
    for path in ["/debug", "/debug/traces", "/debug/api/overview", "/metrics"] {
        assert_eq!(get_with(addr, path, None), 401, "{path} without a token");
        assert_eq!(get_with(addr, path, Some("Bearer wrong")), 401, "{path} with a wrong token");
        assert_eq!(get_with(addr, path, Some("Basic czNjcmV0")), 401, "{path} with another scheme");
        assert_eq!(get_with(addr, path, Some("Bearer s3cret")), 200, "{path} with the token");
        assert_eq!(get_with(addr, path, Some("bearer  s3cret")), 200, "{path}: the scheme is case-insensitive");
    }
}

#[test]
fn a_non_loopback_address_without_a_token_is_refused() {
    let layer = lantern::layer();
    let config = lantern::server::HttpConfig::new(([0, 0, 0, 0], 0).into());
    let err = lantern::server::serve(config, layer.handle()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied);
    assert!(err.to_string().contains("LANTERN_HTTP_TOKEN"), "{err}");
    let guard = lantern::builder().http_addr(Some(([0, 0, 0, 0], 0).into())).try_init_local();
    assert_eq!(guard.http_addr(), None);
}

#[test]
fn traces_filter_by_attribute_or_baggage_value() {
    let guard = start();
    let addr = guard.http_addr().unwrap();
    for (customer, region) in [("ann", "eu"), ("bob", "us"), ("cy", "eu")] {
        tracing::info_span!("order", region).in_scope(|| {
            lantern::context::set_baggage("customer", customer).unwrap();
            tracing::info_span!("charge", attempt = 2_u64).in_scope(|| {});
        });
    }
    guard.buffer().flush();
    let roots = |q: &str| -> Vec<String> {
        let v = json(addr, &format!("/debug/api/traces?{q}"));
        v["traces"].as_array().unwrap().iter().map(|t| t["trace_id"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(roots("attr=region%3Deu").len(), 2, "two orders in eu");
    assert_eq!(roots("attr=customer%3Dbob").len(), 1, "baggage matches on the child too");
    assert_eq!(roots("attr=attempt%3D2").len(), 3, "typed values match as they print");
    assert!(roots("attr=customer%3Ddan").is_empty());
    let bob = &roots("attr=customer%3Dbob")[0];
    let trace = json(addr, &format!("/debug/api/traces/{bob}"));
    assert!(trace["spans"].as_array().unwrap().iter().any(|s| s["baggage"]["customer"] == "bob"));
    let (status, _, body) = get(addr, "/debug/api/traces?attr=novalue");
    assert_eq!(status, 400, "{body}");
    let (_, _, page) = get(addr, "/debug/traces?attr=customer%3D%3Cb%3E");
    assert!(page.contains("value=\"customer=&lt;b&gt;\""), "the filter is echoed escaped");
}

#[test]
fn the_overview_counts_sampled_and_exported_records() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[derive(Default)]
    struct Counting(AtomicU64);
    impl lantern::export::Exporter for Counting {
        fn export(&self, _: lantern::export::ExportRecord) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
    let exporter = Arc::new(Counting::default());
    let guard = lantern::builder()
        .service_name("pages-test")
        .sampler(lantern::sampling::TraceIdRatio::new(0.5))
        .exporter(exporter.clone())
        .http_addr(Some(([127, 0, 0, 1], 0).into()))
        .try_init_local();
    let addr = guard.http_addr().unwrap();
    let mut sampled_spans = 0;
    for i in 0..200 {
        tracing::info_span!("root", i).in_scope(|| {
            let sampled = lantern::context::current().span_context().unwrap().is_sampled();
            tracing::info_span!("child").in_scope(|| tracing::info!("inside"));
            sampled_spans += if sampled { 2 } else { 0 };
        });
    }
    guard.buffer().flush();
    let o = json(addr, "/debug/api/overview");
    assert_eq!(o["counters"]["spans_recorded"], 400);
    assert_eq!(o["counters"]["spans_sampled"], sampled_spans);
    assert!(sampled_spans > 0 && sampled_spans < 400, "a ratio of 0.5 over 200 traces");
    // Sampled spans and every log go to the exporter.
    assert_eq!(o["counters"]["records_to_exporter"], sampled_spans + 200);
    assert_eq!(o["counters"]["records_to_exporter"], exporter.0.load(Ordering::Relaxed));
    assert_eq!(o["sampling"]["roots_seen"], 200);
    assert_eq!(o["sampling"]["roots_sampled"], sampled_spans / 2);
    let (status, _, page) = get(addr, "/debug");
    assert_eq!(status, 200);
    assert!(page.contains(&format!("{} of 200 traces started here sampled", sampled_spans / 2)), "{page}");
}

#[test]
fn the_overview_counts_rejected_and_cut_input() {
    let config = lantern::buffer::BufferConfig { max_attribute_value_bytes: 8, ..Default::default() };
    let guard = lantern::builder().buffer(config).http_addr(Some(([127, 0, 0, 1], 0).into())).try_init_local();
    let before = json(guard.http_addr().unwrap(), "/debug/api/overview");
    let mut headers = http::HeaderMap::new();
    headers.insert("traceparent", "00-garbage".parse().unwrap());
    let cx = lantern::propagation::extract(&headers);
    cx.child_span(|| tracing::info_span!("GET /", user_agent.original = "a very long agent")).in_scope(|| {});
    let o = json(guard.http_addr().unwrap(), "/debug/api/overview");
    let invalid = |o: &serde_json::Value| o["rejected"]["traceparent_invalid"].as_u64().unwrap();
    assert!(invalid(&o) > invalid(&before), "{o}");
    // Every reason of `lantern_propagation_rejected_total` is there too.
    for reason in ["tracestate_duplicate_dropped", "b3_invalid", "jaeger_invalid", "baggage_over_limit"] {
        assert!(o["rejected"][reason].is_u64(), "{reason}: {o}");
    }
    assert_eq!(o["counters"]["values_truncated"], 1);
    let (_, _, page) = get(guard.http_addr().unwrap(), "/debug");
    assert!(page.contains("<h2>Rejected input</h2>") && page.contains("traceparent_invalid"), "{page}");
}

#[test]
fn a_trace_of_100_000_spans_renders_truncated_with_a_note() {
    let config = lantern::buffer::BufferConfig {
        max_spans_per_trace: 200_000,
        max_records: 400_000,
        max_bytes: 512 << 20,
        queue_capacity: 1 << 18,
        ..Default::default()
    };
    let guard = lantern::builder().buffer(config).http_addr(Some(([127, 0, 0, 1], 0).into())).try_init_local();
    let addr = guard.http_addr().unwrap();
    let root = tracing::info_span!("batch job");
    let id = root.in_scope(|| {
        for _ in 0..99_999 {
            tracing::info_span!("item").in_scope(|| {});
        }
        lantern::context::current().span_context().unwrap().trace_id()
    });
    drop(root);
    guard.buffer().flush();
    assert_eq!(guard.buffer().snapshot().trace(id).unwrap().spans.len(), 100_000, "all held");
    let page = html(addr, &format!("/debug/traces/{id}"));
    let rows = page.matches("<tr class=\"row").count();
    assert!(rows > 0 && rows < 100_000, "{rows} rows");
    assert!(page.contains(&format!("{} more spans are not shown", 100_000 - rows)), "the note says what is missing");
    let api = json(addr, &format!("/debug/api/traces/{id}"));
    assert_eq!(api["omitted_spans"], 100_000 - rows as u64);
    assert_eq!(api["spans"].as_array().unwrap().len(), rows);
}

#[test]
fn out_of_range_filters_are_no_match_not_a_crash() {
    let guard = start();
    let addr = guard.http_addr().unwrap();
    tracing::info_span!("work").in_scope(|| {});
    for q in [
        "min_ms=1e23",
        "min_ms=1e308",
        "min_ms=-5",
        "min_ms=NaN",
        "limit=18446744073709551615&offset=18446744073709551615",
    ] {
        let (status, _, body) = get(addr, &format!("/debug/api/traces?{q}"));
        assert!(status == 200 || status == 400, "{q}: {status} {body}");
    }
    let v = json(addr, "/debug/api/traces?min_ms=1e23");
    assert!(v["traces"].as_array().unwrap().is_empty(), "nothing lasts 10^20 s");
    assert_eq!(get(addr, "/debug/traces?min_ms=1e23").0, 200);
}

#[test]
fn the_index_answers_with_a_trailing_slash_too() {
    let guard = start();
    let (status, head, _) = get(guard.http_addr().unwrap(), "/debug/");
    assert_eq!(status, 308, "{head}");
    assert!(head.contains("location: /debug\r\n"), "{head}");
}
