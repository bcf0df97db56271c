//! Plain HTTP/1.1 requests to the embedded server, for the page tests: a
//! raw socket, so the tests see exactly the bytes the server sends.

#![allow(dead_code)] // each test file uses its own subset

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

/// How long a test waits for the server's answer: a server that hangs
/// (a deadlock) fails the test instead of hanging it.
const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(60);

/// `GET path` with extra header lines: status, lower-cased head, body.
pub fn get_with_headers(addr: SocketAddr, path: &str, headers: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(ANSWER_WITHIN)).unwrap();
    stream.set_write_timeout(Some(ANSWER_WITHIN)).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\n{headers}Connection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .unwrap_or_else(|e| panic!("GET {path}: no whole answer within {ANSWER_WITHIN:?}: {e}"));
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, head.to_lowercase(), body.to_owned())
}

/// `GET path`: status, lower-cased head, body.
pub fn get(addr: SocketAddr, path: &str) -> (u16, String, String) {
    get_with_headers(addr, path, "")
}

/// `GET path`, which must answer 200 with JSON.
pub fn json(addr: SocketAddr, path: &str) -> serde_json::Value {
    let (status, _, body) = get(addr, path);
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

/// `GET path`, which must answer 200 with a page served under the CSP.
pub fn html(addr: SocketAddr, path: &str) -> String {
    let (status, head, body) = get(addr, path);
    assert_eq!(status, 200, "{path}: {body}");
    assert!(head.contains("script-src 'none'"), "{path} is served with the CSP");
    body
}

/// A tiny HTTP server on loopback answering every `GET` with `body` as
/// JSON (a sampling strategy, say), on a thread of its own; dropping it
/// stops it.
pub struct JsonServer {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl JsonServer {
    pub fn start(body: &'static str) -> JsonServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let answer = move || async move { ([(http::header::CONTENT_TYPE, "application/json")], body) };
        let app = axum::Router::new().fallback(answer);
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let _ = axum::serve(listener, app).with_graceful_shutdown(async { _ = stopped.await }).await;
            });
        });
        JsonServer { addr, stop: Some(stop), thread: Some(thread) }
    }
}

impl Drop for JsonServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A loopback address where nothing listens (a port bound, then freed).
pub fn closed_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

/// The rows of `page` whose opening tag starts with `open`, each up to its `</tr>`.
pub fn rows<'a>(page: &'a str, open: &str) -> Vec<&'a str> {
    page.match_indices(open)
        .map(|(at, _)| &page[at..at + page[at..].find("</tr>").unwrap_or(page.len() - at)])
        .collect()
}

/// The points of the first `<polyline>` in `markup`, as (x, y).
pub fn polyline(markup: &str) -> Vec<(f64, f64)> {
    let at = markup.find("<polyline").expect("a polyline");
    let at = at + markup[at..].find("points=\"").unwrap() + 8;
    let list = &markup[at..at + markup[at..].find('"').unwrap()];
    list.split(' ')
        .map(|xy| xy.split_once(',').expect("x,y"))
        .map(|(x, y)| (x.parse().unwrap(), y.parse().unwrap()))
        .collect()
}

/// Waits until `f` holds, for at most 10 s.
pub fn wait_until(what: &str, f: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !f() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// A `frontend` service with the service graph on, traces completed after
/// 20 ms of quiet, and the pages on a free loopback port.
pub fn start_with_graph() -> lantern::Guard {
    let quick =
        lantern::tail::CompletionConfig { quiet_period: std::time::Duration::from_millis(20), ..Default::default() };
    lantern::builder()
        .service_name("frontend")
        .service_graph(true)
        .completion(quick)
        .http_addr(Some(([127, 0, 0, 1], 0).into()))
        .try_init_local()
}
