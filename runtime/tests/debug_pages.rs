//! The debug pages and their JSON twins, served by the embedded server.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

fn get(addr: SocketAddr, path: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, head.to_lowercase(), body.to_owned())
}

fn json(addr: SocketAddr, path: &str) -> serde_json::Value {
    let (status, _, body) = get(addr, path);
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

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
