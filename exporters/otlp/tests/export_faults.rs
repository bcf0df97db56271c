//! A collector that is absent, refusing, failing or hanging never hurts the
//! application: data arrives once it can, losses are bounded and counted,
//! and shutdown keeps to its deadline.

mod support;

use std::time::{Duration, Instant};

use lantern_otlp::{OtlpConfig, OtlpExporter, Protocol};
use support::{Fault, Receiver};

fn config(endpoint: String, protocol: Protocol) -> OtlpConfig {
    let mut cfg =
        OtlpConfig { protocol, endpoint: Some(endpoint), timeout: Duration::from_millis(300), ..Default::default() };
    cfg.batch.schedule_delay = Duration::from_millis(20);
    cfg.batch.export_timeout = Duration::from_secs(20);
    cfg.metric_interval = Duration::from_secs(3600);
    cfg.metrics.enabled = false;
    cfg.logs.enabled = false;
    cfg
}

fn spans(n: usize) {
    for i in 0..n {
        tracing::info_span!("job", i).in_scope(|| {});
    }
}

/// Polls `f` for up to five seconds.
fn eventually(f: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

fn span_count(receiver: &Receiver) -> usize {
    receiver
        .traces()
        .iter()
        .flat_map(|r| &r.resource_spans)
        .flat_map(|rs| &rs.scope_spans)
        .map(|ss| ss.spans.len())
        .sum()
}

#[test]
fn a_receiver_started_late_gets_the_data_after_retries() {
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf] {
        let addr = support::free_port();
        let exporter = OtlpExporter::new(config(format!("http://{addr}"), protocol)).unwrap();
        let lantern = lantern::builder().exporter(exporter.clone()).try_init_local();
        spans(10);
        lantern.buffer().flush();
        std::thread::sleep(Duration::from_millis(400));
        assert_eq!(exporter.stats().traces.exported, 0);
        let receiver = match protocol {
            Protocol::Grpc => Receiver::grpc_on(addr),
            Protocol::HttpProtobuf => Receiver::http_on(addr),
        };
        assert!(receiver.wait_for(Duration::from_secs(15), |_| span_count(&receiver) == 10), "{protocol:?}");
        assert!(eventually(|| exporter.stats().traces.exported == 10), "the response is counted");
        let stats = exporter.stats();
        assert!(stats.traces.retries > 0, "{stats:?}");
        assert_eq!((stats.traces.exported, stats.traces.dropped()), (10, 0));
        drop(lantern);
    }
}

#[test]
fn unavailable_and_503_are_retried_until_the_data_is_taken() {
    for receiver in [Receiver::grpc(), Receiver::http()] {
        let protocol = if receiver.is_grpc() { Protocol::Grpc } else { Protocol::HttpProtobuf };
        receiver.fail_next(3, Fault::Unavailable);
        let exporter = OtlpExporter::new(config(receiver.endpoint(), protocol)).unwrap();
        let lantern = lantern::builder().exporter(exporter.clone()).try_init_local();
        spans(5);
        drop(lantern);
        assert_eq!(span_count(&receiver), 5);
        let stats = exporter.stats();
        assert_eq!(stats.traces.retries, 3, "{stats:?}");
        assert_eq!(stats.traces.dropped(), 0);
    }
}

#[test]
fn retry_after_is_honoured() {
    let receiver = Receiver::http();
    receiver.fail_next(1, Fault::RetryAfter(Duration::from_secs(1)));
    let exporter = OtlpExporter::new(config(receiver.endpoint(), Protocol::HttpProtobuf)).unwrap();
    let lantern = lantern::builder().exporter(exporter.clone()).try_init_local();
    let start = Instant::now();
    spans(1);
    lantern.buffer().flush();
    assert!(receiver.wait_for(Duration::from_secs(10), |_| span_count(&receiver) == 1));
    assert!(start.elapsed() >= Duration::from_secs(1), "waited as asked");
    drop(lantern);
}

#[test]
fn permanent_errors_drop_the_batch_without_retrying_and_partial_success_is_counted() {
    for receiver in [Receiver::grpc(), Receiver::http()] {
        let protocol = if receiver.is_grpc() { Protocol::Grpc } else { Protocol::HttpProtobuf };
        receiver.fail_next(1, Fault::Permanent);
        let mut cfg = config(receiver.endpoint(), protocol);
        // Batches wait up to a second, so each phase goes out as one request.
        cfg.batch.schedule_delay = Duration::from_secs(1);
        let exporter = OtlpExporter::new(cfg).unwrap();
        let lantern = lantern::builder().exporter(exporter.clone()).try_init_local();
        spans(4);
        lantern.buffer().flush();
        assert!(receiver.wait_for(Duration::from_secs(5), |_| receiver.requests() >= 1));
        std::thread::sleep(Duration::from_millis(200));
        receiver.fail_next(1, Fault::PartialSuccess(2));
        spans(3);
        drop(lantern);
        let stats = exporter.stats();
        assert_eq!(stats.traces.retries, 0, "{stats:?}");
        assert_eq!(stats.traces.dropped_permanent_error, 4);
        assert_eq!((stats.traces.rejected, stats.traces.exported), (2, 1));
        assert!(stats.traces.last_error.is_some());
    }
}

#[test]
fn a_hanging_receiver_times_out_and_shutdown_keeps_its_deadline() {
    let receiver = Receiver::grpc();
    receiver.fail_next(usize::MAX, Fault::Hang);
    let mut cfg = config(receiver.endpoint(), Protocol::Grpc);
    cfg.batch.export_timeout = Duration::from_secs(1);
    let exporter = OtlpExporter::new(cfg).unwrap();
    let lantern = lantern::builder().exporter(exporter.clone()).try_init_local();
    let start = Instant::now();
    spans(100);
    lantern.buffer().flush();
    std::thread::sleep(Duration::from_millis(1500));
    drop(lantern);
    assert!(start.elapsed() < Duration::from_secs(10), "the guard gives up after its deadline");
    let stats = exporter.stats();
    assert_eq!(stats.traces.exported, 0);
    assert!(stats.traces.dropped_retries_exhausted > 0, "{stats:?}");
    assert!(receiver.requests() >= 2, "each attempt timed out and was retried");
}

#[test]
fn a_receiver_that_never_comes_keeps_memory_bounded_and_counts_drops() {
    let addr = support::free_port();
    let mut cfg = config(format!("http://{addr}"), Protocol::HttpProtobuf);
    cfg.batch.max_queue_size = 100;
    cfg.batch.max_export_batch_size = 50;
    let exporter = OtlpExporter::new(cfg).unwrap();
    let lantern = lantern::builder().exporter(exporter.clone()).try_init_local();
    spans(5000);
    lantern.buffer().flush();
    let stats = exporter.stats();
    assert!(stats.traces.queued <= 100, "the queue is bounded: {stats:?}");
    // At most 100 queued, and four batches of 50 in flight.
    assert!(stats.traces.dropped_queue_full >= 5000 - 100 - 4 * 50, "{stats:?}");
    assert_eq!(stats.traces.exported, 0);
    let start = Instant::now();
    drop(lantern);
    assert!(start.elapsed() < Duration::from_secs(7));
    let stats = exporter.stats();
    assert_eq!(stats.traces.dropped() + stats.traces.queued as u64, 5000, "every span is accounted for: {stats:?}");
}
