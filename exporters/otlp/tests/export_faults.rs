//! A collector that is absent, refusing, failing or hanging never hurts the
//! application: data arrives once it can, losses are bounded and counted,
//! shutdown keeps to its deadline, one signal's failing collector does not
//! hold up the others, and the `otlp.*` metrics stay current throughout.

mod support;

use std::time::{Duration, Instant};

use lantern::metrics::{MetricValue, Metrics};
use lantern_otlp::{OtlpConfig, OtlpExporter, Protocol, Signal};
use support::{Fault, Receiver, eventually};

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

fn span_count(receiver: &Receiver) -> usize {
    receiver
        .traces()
        .iter()
        .flat_map(|r| &r.resource_spans)
        .flat_map(|rs| &rs.scope_spans)
        .map(|ss| ss.spans.len())
        .sum()
}

fn log_count(receiver: &Receiver) -> usize {
    receiver
        .logs()
        .iter()
        .flat_map(|r| &r.resource_logs)
        .flat_map(|rl| &rl.scope_logs)
        .map(|sl| sl.log_records.len())
        .sum()
}

/// The value of the traces series of `name` (with this `reason` label, if
/// given) in Lantern's metrics store.
fn traces_metric(metrics: &Metrics, name: &str, reason: Option<&str>) -> f64 {
    let has = |labels: &[(String, String)], key: &str, value: &str| labels.iter().any(|(k, v)| k == key && v == value);
    let family = metrics.snapshot().into_iter().find(|f| f.name == name).unwrap_or_else(|| panic!("no {name}"));
    let series = family
        .series
        .iter()
        .find(|s| has(&s.labels, "signal", "traces") && reason.is_none_or(|r| has(&s.labels, "reason", r)))
        .unwrap_or_else(|| panic!("no traces series of {name} {reason:?}: {family:?}"));
    match series.value {
        MetricValue::Counter { value, .. } => value as f64,
        MetricValue::Gauge(value) => value,
        ref other => panic!("{name} is {other:?}"),
    }
}

#[test]
fn a_receiver_started_late_gets_the_data_after_retries() {
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf, Protocol::HttpJson] {
        let addr = support::free_port();
        let exporter = OtlpExporter::new(config(format!("http://{addr}"), protocol)).unwrap();
        let lantern = lantern::builder().exporter(exporter.clone()).try_init_local();
        spans(10);
        lantern.buffer().flush();
        std::thread::sleep(Duration::from_millis(400));
        assert_eq!(exporter.stats().traces.exported, 0);
        let receiver = match protocol {
            Protocol::Grpc => Receiver::grpc_on(addr),
            Protocol::HttpProtobuf | Protocol::HttpJson => Receiver::http_on(addr),
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

#[test]
fn a_hanging_traces_collector_does_not_hold_up_logs_or_metrics() {
    let (hanging, healthy) = (Receiver::grpc(), Receiver::grpc());
    hanging.fail_next(usize::MAX, Fault::Hang);
    let mut cfg = config(healthy.endpoint(), Protocol::Grpc);
    cfg.traces.endpoint = Some(hanging.endpoint());
    (cfg.logs.enabled, cfg.metrics.enabled) = (true, true);
    cfg.metric_interval = Duration::from_millis(200);
    cfg.batch.max_export_batch_size = 10;
    cfg.batch.max_queue_size = 20;
    let exporter = OtlpExporter::new(cfg).unwrap();
    let lantern = lantern::builder().exporter(exporter.clone()).try_init_local();
    // Every 100 ms, more than a full batch of spans and one log; the trace
    // batches hang (each attempt times out, and is retried for 20 s). Every
    // log must reach the healthy collector within 800 ms.
    let mut late = Vec::new();
    for i in 0..20 {
        spans(20);
        tracing::info!(i, "tick");
        lantern.buffer().flush();
        std::thread::sleep(Duration::from_millis(100));
        let arrived = log_count(&healthy);
        if i + 1 > arrived + 8 {
            late.push((i + 1, arrived));
        }
    }
    let metric_requests = healthy.metrics().len();
    let trace_attempts = hanging.requests();
    // The traces get through now, so that shutdown is quick.
    hanging.fail_next(0, Fault::Hang);
    drop(lantern);
    assert!(trace_attempts > 0, "the traces went to the hanging collector");
    assert!(late.is_empty(), "logs stalled behind the hanging traces, (sent, arrived): {late:?}");
    assert!(metric_requests >= 3, "metrics are exported while traces hang: {metric_requests} requests");
    let stats = exporter.stats();
    assert_eq!((stats.logs.exported, stats.logs.dropped()), (20, 0), "{stats:?}");
}

#[test]
fn self_metrics_are_current_while_the_collector_is_down() {
    let addr = support::free_port();
    let mut cfg = config(format!("http://{addr}"), Protocol::HttpProtobuf);
    cfg.batch.max_queue_size = 50;
    cfg.batch.max_export_batch_size = 10;
    let exporter = OtlpExporter::new(cfg).unwrap();
    let lantern = lantern::builder().exporter(exporter.clone()).try_init_local();
    let metrics = lantern.handle().metrics().clone();
    spans(500);
    lantern.buffer().flush();
    // The batches in flight are being retried (for 20 s); what did not fit
    // waits in the queue, and the rest was dropped.
    assert!(eventually(|| exporter.stats().traces.retries >= 2), "{:?}", exporter.stats());
    let before = exporter.stats().traces;
    let queue_length = traces_metric(&metrics, "otlp.queue.length", None);
    let retries = traces_metric(&metrics, "otlp.retries", None);
    let queue_full = traces_metric(&metrics, "otlp.dropped", Some("queue_full"));
    let after = exporter.stats().traces;
    assert!(before.queued > 0 && before.dropped_queue_full > 0, "{before:?}");
    assert_eq!(before.queued, exporter.queued(Signal::Traces), "nothing moves the queue now");
    assert_eq!(queue_length, before.queued as f64, "the queue length is current: {after:?}");
    assert_eq!(queue_full, before.dropped_queue_full as f64, "{after:?}");
    let (low, high) = (before.retries as f64, after.retries as f64);
    assert!(low <= retries && retries <= high, "otlp.retries {retries} is current: between {low} and {high}");
    assert!(eventually(|| traces_metric(&metrics, "otlp.retries", None) > retries), "otlp.retries moves");

    for family in metrics.snapshot().iter().filter(|f| f.name.starts_with("otlp.")) {
        assert!(family.description.as_ref().is_some_and(|d| !d.is_empty()), "{} has a description", family.name);
        assert_eq!(family.unit, Some(metrics::Unit::Count), "{} has a unit", family.name);
    }

    // The collector comes up: the retries get through, and shutdown is quick.
    let _receiver = Receiver::http_on(addr);
    drop(lantern);
    let stats = exporter.stats().traces;
    assert_eq!(stats.exported + stats.dropped(), 500, "{stats:?}");
    assert_eq!(traces_metric(&metrics, "otlp.exported", None), stats.exported as f64);
    assert_eq!(traces_metric(&metrics, "otlp.queue.length", None), 0.0);
}
