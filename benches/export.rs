#![allow(missing_docs)] // criterion's macros generate undocumented items
//! OTLP export throughput: span records handed to `lantern-otlp`'s exporter
//! (as Lantern's ingest thread hands them), encoded to protobuf, and sent
//! over OTLP/HTTP to a receiver on loopback that decodes every request and
//! counts the spans. One iteration is one span received.
//!
//! After the criterion group, a sustained run offers 50 000 spans/s for 5 s
//! and prints how many were dropped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use lantern::export::{ExportRecord, Exporter};
use lantern_otlp::{OtlpConfig, OtlpExporter, Protocol};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

/// An OTLP/HTTP receiver that decodes each trace request and counts spans.
fn receiver() -> (SocketAddr, Arc<AtomicU64>) {
    let count = Arc::new(AtomicU64::new(0));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let c = count.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let app = axum::Router::new().route(
                "/v1/traces",
                axum::routing::post(move |body: axum::body::Bytes| {
                    let c = c.clone();
                    async move {
                        let req = ExportTraceServiceRequest::decode(body).expect("a valid request");
                        let n: usize =
                            req.resource_spans.iter().flat_map(|r| &r.scope_spans).map(|s| s.spans.len()).sum();
                        c.fetch_add(n as u64, Ordering::Relaxed);
                        ([("content-type", "application/x-protobuf")], Vec::<u8>::new())
                    }
                }),
            );
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    (addr, count)
}

/// One realistic span record: four attributes and one event.
fn sample_span() -> (Arc<lantern::record::SpanRecord>, lantern::Handle) {
    let guard = lantern::builder().service_name("bench").try_init_local();
    tracing::info_span!("GET /dispatch", otel.kind = "server", http.route = "/dispatch", customer = 123_u64)
        .in_scope(|| tracing::info!(driver = "T757183C", "driver found"));
    let snap = guard.buffer().snapshot();
    let trace = snap.trace(snap.traces(&Default::default())[0].trace_id).unwrap();
    (trace.spans[0].clone(), guard.handle().clone())
}

fn exporter(
    addr: SocketAddr,
    queue: usize,
) -> (OtlpExporter, lantern::metrics::Metrics, Arc<lantern::record::SpanRecord>) {
    let mut cfg =
        OtlpConfig { protocol: Protocol::HttpProtobuf, endpoint: Some(format!("http://{addr}")), ..Default::default() };
    cfg.batch.max_queue_size = queue;
    cfg.batch.schedule_delay = Duration::from_millis(5);
    cfg.metrics.enabled = false;
    cfg.logs.enabled = false;
    let exporter = OtlpExporter::new(cfg).unwrap();
    let (span, handle) = sample_span();
    exporter.start(&handle);
    (exporter, handle.metrics().clone(), span)
}

fn throughput(c: &mut Criterion) {
    let (addr, received) = receiver();
    let (exporter, _metrics, span) = exporter(addr, 1 << 16);
    let mut group = c.benchmark_group("otlp_export");
    group.throughput(criterion::Throughput::Elements(1));
    group.bench_function("http_protobuf_span", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            let target = received.load(Ordering::Relaxed) + iters;
            let mut offered = 0;
            while offered < iters {
                // Offer no more than the queue holds, as a paced producer would.
                if exporter.queued(lantern_otlp::Signal::Traces) < 30_000 {
                    for _ in 0..512.min(iters - offered) {
                        exporter.export(ExportRecord::Span(span.clone()));
                        offered += 1;
                    }
                } else {
                    std::thread::yield_now();
                }
            }
            while received.load(Ordering::Relaxed) < target {
                std::thread::sleep(Duration::from_micros(200));
            }
            start.elapsed()
        })
    });
    group.finish();
    assert_eq!(exporter.stats().traces.dropped(), 0, "the throughput run must not drop");
    exporter.shutdown(Duration::from_secs(5));
}

/// 50 000 spans/s for 5 s, offered in 1 ms ticks, with the default queue.
fn sustained() {
    let (addr, received) = receiver();
    let (exporter, _metrics, span) = exporter(addr, 2048);
    let rate = 50_000u64;
    let seconds = 5;
    let start = Instant::now();
    let mut offered = 0u64;
    while start.elapsed() < Duration::from_secs(seconds) {
        let due = (start.elapsed().as_secs_f64() * rate as f64) as u64;
        while offered < due {
            exporter.export(ExportRecord::Span(span.clone()));
            offered += 1;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    exporter.shutdown(Duration::from_secs(5));
    let stats = exporter.stats();
    println!(
        "sustained: offered {offered} spans at {rate}/s for {seconds} s; received {}, dropped {} ({:?})",
        received.load(Ordering::Relaxed),
        stats.traces.dropped(),
        stats.traces
    );
}

criterion_group!(benches, throughput);

fn main() {
    benches();
    criterion::Criterion::default().configure_from_args().final_summary();
    sustained();
}
