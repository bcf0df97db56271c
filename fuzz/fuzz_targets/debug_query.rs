//! `debug_query`: the embedded server's pages (`/metrics`, `/debug/...`)
//! with any path and query. One server (`lantern::server::serve`) is started
//! once, on a loopback port, over a layer holding a few spans, logs and
//! metrics; each input becomes one raw HTTP/1.1 request over a `TcpStream`.
//! Every request gets a well-formed status line (never a 5xx for a
//! well-formed request); no HTML page echoes an injected tag; and every
//! 1000 requests `GET /debug` still answers 200. A panic anywhere in the
//! process, the server's thread included, aborts it: libFuzzer reports it.
//!
//! Input: byte 0 picks a route (low 5 bits), raw mode (bit 5: the rest sent
//! as is but for CR and LF, instead of percent-encoded outside the URI
//! characters), an `Accept` header (bit 6) and `HEAD` (bit 7). The rest is
//! appended to the route; after a `\n`, the `Accept` value.
#![no_main]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use tracing_subscriber::layer::SubscriberExt;

/// A trace that is in the buffer, so its pages have something to show.
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

const ROUTES: &[&str] = &[
    "",
    "/metrics",
    "/debug",
    "/debug/",
    "/debug/traces",
    "/debug/traces/",
    "/debug/traces/4bf92f3577b34da6a3ce929d0e0e4736",
    "/debug/logs",
    "/debug/tracez",
    "/debug/api/tracez",
    "/debug/metrics",
    "/debug/sampling",
    "/debug/api/metrics",
    "/debug/api/sampling",
    "/debug/api/logs",
    "/debug/api/overview",
    "/debug/api/traces",
    "/debug/api/traces/",
    "/debug/api/traces/4bf92f3577b34da6a3ce929d0e0e4736",
];

/// Starts the server once, over a layer with some data in it.
fn server() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| {
        let layer = lantern::layer();
        let handle = layer.handle();
        let recorder = layer.recorder();
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer)).unwrap();
        metrics::set_global_recorder(recorder).unwrap();
        record_some_data();
        let config = lantern::server::HttpConfig::new("127.0.0.1:0".parse().unwrap());
        let server = lantern::server::serve(config, handle).expect("the server starts");
        let addr = server.local_addr();
        // It lives as long as the process.
        std::mem::forget(server);
        addr
    })
}

fn record_some_data() {
    let headers = std::collections::HashMap::from([
        ("traceparent".to_owned(), format!("00-{TRACE_ID}-00f067aa0ba902b7-01")),
        ("baggage".to_owned(), "tenant=acme,user=<fz>".to_owned()),
    ]);
    let parent = lantern::propagation::extract(&headers);
    let root = parent.child_span(|| tracing::info_span!("GET /checkout", otel.kind = "server", http.route = "<b>"));
    root.in_scope(|| {
        tracing::info!(user = "ann <fz>", "checkout started");
        tracing::info_span!("db query", db.statement = "select '<fz>'").in_scope(|| {
            tracing::warn!("slow & \"odd\" <query>");
        });
        tracing::error!(error = "boom", "payment failed");
    });
    drop(root);
    for i in 0..5 {
        tracing::info_span!("job", n = i).in_scope(|| tracing::debug!(target: "worker", i, "tick"));
    }
    // A span still open, for the running view of /debug/tracez.
    std::mem::forget(tracing::info_span!("long job", n = 99));
    metrics::counter!("requests_total", "route" => "/checkout", "odd" => "a\"b\\c\n").increment(3);
    metrics::gauge!("queue_depth").set(4.5);
    metrics::histogram!("latency_seconds", "route" => "<fz>").record(0.25);
}

/// Bytes allowed unencoded in a request target (RFC 3986 pchar, `/`, `?`, and
/// `%` itself, so that broken escapes get through).
fn uri_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&b)
}

fn push_encoded(out: &mut Vec<u8>, b: u8) {
    out.extend_from_slice(format!("%{b:02X}").as_bytes());
}

/// One request on a new connection; the whole response (the server closes).
fn request(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).expect("the server accepts connections");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    // A request the server refuses may be cut short: a failed write is fine,
    // what matters is the answer.
    let _ = stream.write_all(request);
    let mut response = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                response.extend_from_slice(&buf[..n]);
                assert!(response.len() < 64 << 20, "a response over 64 MiB");
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => {
                panic!("no complete answer within 10 s to {:?}", String::from_utf8_lossy(request))
            }
            // Reset after a refused request: what was read is the answer.
            Err(_) => break,
        }
    }
    response
}

/// The status code, if `response` starts with a well-formed status line.
fn status(response: &[u8]) -> Option<u16> {
    let line_end = response.windows(2).position(|w| w == b"\r\n")?;
    let line = std::str::from_utf8(&response[..line_end]).ok()?;
    let rest = line.strip_prefix("HTTP/1.1 ")?;
    let code = rest.get(..3)?;
    if !code.bytes().all(|b| b.is_ascii_digit()) || !(rest.len() == 3 || rest.as_bytes()[3] == b' ') {
        return None;
    }
    code.parse().ok().filter(|c| (100..600).contains(c))
}

fn split_head(response: &[u8]) -> (&[u8], &[u8]) {
    match response.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(i) => (&response[..i], &response[i + 4..]),
        None => (response, &[]),
    }
}

static RUNS: AtomicU64 = AtomicU64::new(0);

/// `LANTERN_FUZZ_VERBOSE=1`: print each request line and the status it got.
fn verbose() -> bool {
    static VERBOSE: OnceLock<bool> = OnceLock::new();
    *VERBOSE.get_or_init(|| std::env::var_os("LANTERN_FUZZ_VERBOSE").is_some())
}

fuzz_target!(|data: &[u8]| {
    let addr = server();
    if RUNS.fetch_add(1, Ordering::Relaxed) % 1000 == 0 {
        let r = request(addr, b"GET /debug HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assert_eq!(status(&r), Some(200), "GET /debug: {:?}", String::from_utf8_lossy(&r));
    }
    let Some((&control, rest)) = data.split_first() else { return };
    let route = ROUTES[(control & 0x1f) as usize % ROUTES.len()];
    let raw = control & 0x20 != 0;
    let with_accept = control & 0x40 != 0;
    let head = control & 0x80 != 0;
    let (tail, accept) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };

    let mut target = route.as_bytes().to_vec();
    if route.is_empty() && tail.first() != Some(&b'/') {
        target.push(b'/');
    }
    for &b in tail {
        match b {
            b'\r' | b'\n' => push_encoded(&mut target, b),
            _ if raw || uri_char(b) => target.push(b),
            _ => push_encoded(&mut target, b),
        }
    }
    let mut req = Vec::with_capacity(target.len() + accept.len() + 96);
    req.extend_from_slice(if head { b"HEAD " } else { b"GET " });
    req.extend_from_slice(&target);
    req.extend_from_slice(b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    if with_accept {
        req.extend_from_slice(b"Accept: ");
        req.extend(
            accept.iter().copied().filter(|&b| if raw { b != b'\r' && b != b'\n' } else { (b' '..=b'~').contains(&b) }),
        );
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"\r\n");

    let response = request(addr, &req);
    let Some(code) = status(&response) else {
        panic!("not an HTTP response to {:?}: {:?}", String::from_utf8_lossy(&req), String::from_utf8_lossy(&response))
    };
    if verbose() {
        let line_end = req.iter().position(|&b| b == b'\r').unwrap_or(req.len());
        eprintln!("{code} {} ({} bytes)", String::from_utf8_lossy(&req[..line_end]), response.len());
    }
    if !raw {
        assert!(code < 500, "{code} for {:?}: {:?}", String::from_utf8_lossy(&req), String::from_utf8_lossy(&response));
    }
    let (head_bytes, body) = split_head(&response);
    if head {
        assert!(body.is_empty(), "a body in the answer to HEAD");
    }
    let head_text = String::from_utf8_lossy(head_bytes).to_ascii_lowercase();
    if head_text.contains("content-type: text/html") {
        let body = String::from_utf8_lossy(body).to_ascii_lowercase();
        assert!(!body.contains("<fz"), "an injected tag in {:?}: {body}", String::from_utf8_lossy(&req));
        assert!(!body.contains("<script"), "a script in {:?}: {body}", String::from_utf8_lossy(&req));
    }
});
