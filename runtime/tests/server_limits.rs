//! The embedded server's limits: connections that send nothing, or half a
//! request, are closed; a connection over the cap takes the place of one
//! that asked for nothing, or is refused at once when all were served;
//! echoed query parameters are cut and oversized requests refused; and the
//! server uses no CPU while idle.
//!
//! The tests take turns (`serial`): they measure time and CPU, and the idle
//! test reads the CPU time of every `lantern-http` thread in the process.

mod pages_support;
use pages_support::*;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use lantern::server::{HttpConfig, HttpServer};

fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether the server closes `stream` by `deadline`: a read ends (EOF) or
/// the connection is reset. Whatever the server sends first (a 408 or 431)
/// is read and skipped.
fn closed_by(stream: &mut TcpStream, deadline: Instant) -> bool {
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
        stream.set_read_timeout(Some(left)).unwrap();
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => return false,
            Err(_) => return true,
        }
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_nodelay(true).unwrap();
    stream
}

/// One response read off a kept-alive connection: status and body (the
/// server answers with `content-length`). The head is read a byte at a
/// time, so nothing of a pipelined next answer is read with it.
fn read_response(stream: &mut TcpStream) -> (u16, String) {
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8];
        let n = stream.read(&mut byte).unwrap();
        assert!(n > 0, "closed before a whole head: {}", String::from_utf8_lossy(&head));
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_lowercase();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().unwrap())
        .expect("content-length");
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn loopback() -> lantern::Guard {
    lantern::builder().service_name("limits-test").http_addr(Some(([127, 0, 0, 1], 0).into())).try_init_local()
}

/// The defaults: 64 connections at most, 5 s to send a request head; a
/// connection over the cap takes the place of the oldest one that has not
/// asked for anything, so held connections cannot keep a reader out.
#[test]
fn by_default_held_connections_are_closed_and_cannot_keep_a_request_out() {
    let _serial = serial();
    let lantern = loopback();
    let addr = lantern.http_addr().unwrap();
    let opened = Instant::now();
    let mut held: Vec<TcpStream> = (0..64).map(|_| connect(addr)).collect();
    held[0].write_all(b"GET /deb").unwrap();
    held[1].write_all(b"GET /debug HTTP/1.1\r\nHost: x\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let asked = Instant::now();
    assert_eq!(get(addr, "/debug").0, 200, "a 65th connection asking at once is served");
    assert!(asked.elapsed() < Duration::from_secs(2), "promptly: {:?}", asked.elapsed());
    assert!(closed_by(&mut held[0], asked + Duration::from_secs(1)), "the oldest held connection made room");
    for (i, stream) in held.iter_mut().enumerate().skip(1) {
        assert!(closed_by(stream, opened + Duration::from_secs(8)), "connection {i} is closed after 5 s");
    }
    assert_eq!(get(addr, "/debug").0, 200, "a request after the held connections went");
}

/// Sends `request` as is and reads until the server closes: the status of
/// the answer, if one arrived before the close or the reset.
fn status_of(addr: SocketAddr, request: &[u8]) -> Option<u16> {
    let mut stream = connect(addr);
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = stream.write_all(request);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let head = String::from_utf8_lossy(&response);
    head.strip_prefix("HTTP/1.1 ").and_then(|r| r.get(..3)).and_then(|s| s.parse().ok())
}

fn long_query_params_echo(addr: SocketAddr) {
    let long = "a".repeat(10_000);
    for path in [
        format!("/debug/traces?name={long}"),
        format!("/debug/traces?attr=k%3D{long}"),
        format!("/debug/logs?target={long}"),
        format!("/debug/tracez?name={long}&running=1"),
        format!("/debug/tracez?name={long}&bucket=2"),
        format!("/debug/tracez?name={long}&errors=1"),
        format!("/debug/api/tracez?name={long}&running=1"),
    ] {
        let (status, _, body) = get(addr, &path);
        assert_eq!(status, 200, "{}: {body}", &path[..40]);
        assert!(body.contains(&"a".repeat(100)), "{}: the filter is echoed", &path[..40]);
        assert!(!body.contains(&"a".repeat(257)), "{}: the echo is cut at 256 bytes", &path[..40]);
    }
}

#[test]
fn echoed_query_parameters_are_cut_and_oversized_requests_refused() {
    let _serial = serial();
    let lantern = loopback();
    let addr = lantern.http_addr().unwrap();
    tracing::info_span!("work").in_scope(|| tracing::info!("hello"));
    long_query_params_echo(addr);
    // A 40 KB query string costs nothing: the head is refused unread (the
    // client may see the 431, or only the reset of a close with its bytes
    // unread).
    let query =
        format!("GET /debug/traces?name={} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "a".repeat(40_000));
    let status = status_of(addr, query.as_bytes());
    assert!(matches!(status, Some(431) | None), "a 40 KB request line: {status:?}");
    let cookie =
        format!("GET /debug HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: {}\r\n\r\n", "c".repeat(100_000));
    let status = status_of(addr, cookie.as_bytes());
    assert!(matches!(status, Some(431) | None), "100 KB of headers: {status:?}");
    assert_eq!(get(addr, "/debug").0, 200);
}

#[test]
fn pages_answer_and_connections_are_kept_alive() {
    let _serial = serial();
    let lantern = loopback();
    let addr = lantern.http_addr().unwrap();
    tracing::info_span!("work").in_scope(|| {});
    let mut stream = connect(addr);
    for path in ["/debug/api/overview", "/metrics", "/debug/traces"] {
        write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
        let (status, body) = read_response(&mut stream);
        assert_eq!(status, 200, "{path}: {body}");
    }
    // Pipelined: two requests in one write, two answers in order.
    stream
        .write_all(b"GET /debug/api/overview HTTP/1.1\r\nHost: x\r\n\r\nGET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut stream).0, 200);
    assert_eq!(read_response(&mut stream).0, 404);
    assert_eq!(json(addr, "/debug/api/overview")["service"], "limits-test");
    drop(lantern);
    assert!(TcpStream::connect(addr).is_err(), "the server stops with the guard");
}

/// Clock ticks (user and system) spent by the `lantern-http` threads of
/// this process, and how many there are.
#[cfg(target_os = "linux")]
fn http_thread_ticks() -> (u64, usize) {
    let (mut ticks, mut threads) = (0, 0);
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let path = task.unwrap().path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        let Ok(stat) = std::fs::read_to_string(path.join("stat")) else { continue };
        if comm.trim() != "lantern-http" {
            continue;
        }
        // Fields after the `(comm)`: state is the 3rd of the line, utime the
        // 14th and stime the 15th.
        let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 1..].split_whitespace().collect();
        ticks += fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        threads += 1;
    }
    (ticks, threads)
}

#[cfg(target_os = "linux")]
#[test]
fn an_idle_server_uses_no_cpu() {
    let _serial = serial();
    let lantern = loopback();
    let addr = lantern.http_addr().unwrap();
    // Idle with a kept-alive connection and one that sent half a head.
    let mut kept = connect(addr);
    kept.write_all(b"GET /debug HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut kept).0, 200);
    let mut half = connect(addr);
    half.write_all(b"GET /de").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let (before, threads) = http_thread_ticks();
    assert_eq!(threads, 1, "one server thread");
    std::thread::sleep(Duration::from_secs(2));
    let (after, _) = http_thread_ticks();
    // A busy loop would spend ~200 ticks (at 100 Hz) in these 2 s.
    assert!(after - before <= 5, "the idle server thread used {} ticks in 2 s", after - before);
    drop((kept, half));
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Waits up to a second for `what` to hold: a counter moves just after the
/// client sees its connection close.
fn eventually(what: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + ms(1000);
    while !what() {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(ms(5));
    }
    true
}

/// A server on loopback with `config`'s limits, reading an empty layer.
fn serve(config: impl FnOnce(HttpConfig) -> HttpConfig) -> HttpServer {
    let config = config(HttpConfig::new(([127, 0, 0, 1], 0).into()));
    lantern::server::serve(config, lantern::layer().handle()).unwrap()
}

#[test]
fn a_connection_without_a_whole_head_is_closed_after_the_header_read_timeout() {
    let _serial = serial();
    let server = serve(|c| c.header_read_timeout(ms(300)));
    let addr = server.local_addr();
    let opened = Instant::now();
    let mut silent = connect(addr);
    let mut half = connect(addr);
    half.write_all(b"GET /debug HT").unwrap();
    let mut headers = connect(addr);
    headers.write_all(b"GET /debug HTTP/1.1\r\nHost: x\r\n").unwrap();
    assert!(!closed_by(&mut silent, opened + ms(200)), "not before the timeout");
    for (what, stream) in [("silent", &mut silent), ("half a request line", &mut half), ("no blank line", &mut headers)]
    {
        assert!(closed_by(stream, opened + ms(2000)), "{what}: closed after 300 ms");
    }
    assert!(opened.elapsed() >= ms(300));
    assert!(eventually(|| server.stats().connections_timed_out == 3), "{:?}", server.stats());
    assert_eq!(get(addr, "/debug").0, 200, "the server still answers");
}

#[test]
fn a_kept_alive_connection_waits_for_the_idle_timeout_then_closes() {
    let _serial = serial();
    let server = serve(|c| c.header_read_timeout(ms(200)).idle_timeout(ms(800)));
    let mut stream = connect(server.local_addr());
    stream.write_all(b"GET /debug HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut stream).0, 200);
    // Longer than the head timeout, shorter than the idle one.
    std::thread::sleep(ms(400));
    stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut stream).0, 200, "kept alive past the header read timeout");
    let answered = Instant::now();
    assert!(!closed_by(&mut stream, answered + ms(500)), "not before the idle timeout");
    assert!(closed_by(&mut stream, answered + ms(3000)), "closed once idle for 800 ms");
    assert!(eventually(|| server.stats().connections_timed_out == 1), "{:?}", server.stats());
}

#[test]
fn connections_over_the_cap_are_refused_at_once_and_counted() {
    let _serial = serial();
    let server = serve(|c| c.max_connections(2).bearer_token("s3cret"));
    let addr = server.local_addr();
    // Two kept-alive connections that have been served: not evictable.
    let keep_alive = b"GET /debug/api/overview HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\n\r\n";
    let mut held = [connect(addr), connect(addr)];
    for stream in &mut held {
        stream.write_all(keep_alive).unwrap();
        assert_eq!(read_response(stream).0, 200);
    }
    let mut extra = connect(addr);
    let started = Instant::now();
    assert!(closed_by(&mut extra, started + ms(1000)), "the third connection is closed at once");
    assert!(started.elapsed() < ms(900));
    let stats = server.stats();
    assert_eq!((stats.connections_refused, stats.connections_open, stats.max_connections), (1, 2, 2));
    assert_eq!(stats.connections_evicted, 0, "served connections are not evicted");
    drop(held);
    // Once the server has seen the two close, a request gets through.
    let deadline = Instant::now() + ms(3000);
    let request =
        b"GET /debug/api/overview HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\nConnection: close\r\n\r\n";
    while status_of(addr, request) != Some(200) {
        assert!(Instant::now() < deadline, "no request got through after the held connections closed");
        std::thread::sleep(ms(20));
    }
    let mut stream = connect(addr);
    stream.write_all(request).unwrap();
    let mut body = String::new();
    stream.read_to_string(&mut body).unwrap();
    let overview: serde_json::Value = serde_json::from_str(body.split_once("\r\n\r\n").unwrap().1).unwrap();
    assert!(overview["http"]["connections_refused"].as_u64().unwrap() >= 1, "{}", overview["http"]);
    assert_eq!(overview["http"]["max_connections"], 2);
}

#[test]
fn dropping_the_server_is_prompt_whatever_its_connections_do() {
    let _serial = serial();
    let server = serve(|c| c);
    let addr = server.local_addr();
    let mut kept = connect(addr);
    kept.write_all(b"GET /debug HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut kept).0, 200);
    let mut half = connect(addr);
    half.write_all(b"GET /debug HTTP/1.1\r\nHost:").unwrap();
    std::thread::sleep(ms(50));
    let started = Instant::now();
    drop(server);
    assert!(started.elapsed() < ms(2500), "drop took {:?}", started.elapsed());
    assert!(TcpStream::connect(addr).is_err(), "the port is closed");
    let now = Instant::now();
    assert!(closed_by(&mut kept, now + ms(500)) && closed_by(&mut half, now + ms(500)), "connections are closed");
}

#[test]
fn a_connection_over_the_cap_evicts_the_oldest_that_asked_for_nothing() {
    let _serial = serial();
    let server = serve(|c| c.max_connections(2));
    let addr = server.local_addr();
    let mut silent = connect(addr);
    std::thread::sleep(ms(20));
    let mut trickling = connect(addr);
    trickling.write_all(b"GET /debug HTT").unwrap();
    std::thread::sleep(ms(50));
    let asked = Instant::now();
    assert_eq!(get(addr, "/debug").0, 200, "served in the place of the oldest silent one");
    assert!(closed_by(&mut silent, asked + ms(1000)), "the oldest made room");
    assert!(!closed_by(&mut trickling, Instant::now() + ms(200)), "the younger one is still open");
    let stats = server.stats();
    assert_eq!((stats.connections_evicted, stats.connections_refused), (1, 0), "{stats:?}");
}
