#![allow(missing_docs)] // criterion's macros generate undocumented items
//! What a debug page costs to serve: `GET /debug/traces/{id}` (the
//! waterfall, its critical path and its hints) and its JSON twin for one
//! trace of 100 000 spans, over a loopback connection to the embedded
//! server, as a person's browser asks for it. Issue 13 asked for the
//! render time before and after the pages moved to `maud`.
//!
//! Group `page_render`: `trace_100k_html`, `trace_100k_json`. After each
//! case, the bench prints the size of the answer, so that a case that
//! served an error shows.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use lantern::buffer::BufferConfig;
use tracing::info_span;

const SPANS: usize = 100_000;

/// `GET path`: the status line and the body's length.
fn get(addr: SocketAddr, path: &str) -> (String, usize) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response);
    let status = text.lines().next().unwrap_or("").to_owned();
    let body = text.find("\r\n\r\n").map_or(0, |at| text.len() - at - 4);
    (status, body)
}

fn pages(c: &mut Criterion) {
    let buffer = BufferConfig { max_spans_per_trace: 2 * SPANS, max_bytes: 512 << 20, ..BufferConfig::default() };
    let lantern = lantern::builder()
        .service_name("pages")
        .buffer(buffer)
        .http_addr(Some(([127, 0, 0, 1], 0).into()))
        .try_init_local();
    let addr = lantern.http_addr().expect("the server is on");
    let root = info_span!("GET /huge", otel.kind = "server");
    let trace_id = root.in_scope(|| {
        for i in 0..SPANS - 1 {
            info_span!("work", i = i as u64).in_scope(|| {});
        }
        lantern::context::current().span_context().map(|cx| cx.trace_id()).unwrap()
    });
    drop(root);
    lantern.buffer().flush();
    std::thread::sleep(Duration::from_millis(100));

    let mut group = c.benchmark_group("page_render");
    group.sample_size(10);
    for (case, path) in [
        ("trace_100k_html", format!("/debug/traces/{trace_id}")),
        ("trace_100k_json", format!("/debug/api/traces/{trace_id}")),
    ] {
        group.bench_function(case, |b| b.iter(|| get(addr, &path)));
        let (status, bytes) = get(addr, &path);
        eprintln!("page_render/{case}: {status}, {bytes} bytes");
    }
    group.finish();
}

criterion_group!(benches, pages);
criterion_main!(benches);
