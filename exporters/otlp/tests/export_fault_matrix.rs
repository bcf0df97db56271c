//! The fault matrix of issue 10: a collector that is dead (the port is
//! bound, nothing listens), hangs (never answers: every request is held
//! until the exporter's 10 s request timeout), flaps (a proxy that
//! alternately forwards and resets connections, every 100 ms) or throttles
//! (429, then 503, with `Retry-After: 1`). Against each, with the exporter
//! working hard (1 ms schedule delay, small batches and queues, metrics
//! every 100 ms):
//!
//! - the application's request latency is that of a run without an
//!   exporter, within noise: the same handler loop (a span with a few
//!   fields, an event in it) runs under a Lantern with a `NoopExporter` and
//!   under one with the OTLP exporter, in interleaved rounds, and the
//!   per-request median, p90 and p99 are compared (and printed);
//! - the queues stay within `max_queue_size`;
//! - every record the exporter was handed is exported, dropped (and
//!   counted) or still queued: mid-run, none is missing beyond what the
//!   requests in flight hold; once shutdown returned, none at all;
//! - dropping the Lantern guard (flush, then `shutdown(5 s)`) returns within
//!   6.5 s; and `OtlpExporter::shutdown(500 ms)` within 1.5 s while
//!   requests hang.
//!
//! The latency measurements of the tests running in parallel take turns
//! (`MEASURING`); their shutdowns, which mostly wait, overlap.

mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use lantern::export::{ExportRecord, Exporter, NoopExporter};
use lantern_otlp::{ExportStats, OtlpConfig, OtlpExporter, Protocol, SignalStats};
use support::{Fault, Receiver};

/// Handler calls per round, and rounds per side (after one warm-up each).
const ITERATIONS: usize = 2000;
const ROUNDS: usize = 12;
const MAX_QUEUE: usize = 256;
const MAX_BATCH: usize = 32;
/// Requests of one signal in flight at once (the pipeline's `SLOTS`).
const SLOTS: usize = 4;
/// The guard gives the exporter 5 s; this leaves 1.5 s for the flush and
/// the exporter's last bookkeeping.
const GUARD_DEADLINE: Duration = Duration::from_millis(6500);

/// Bounds on the latency ratios (OTLP over no-op) on a loaded CI machine.
const MAX_MEDIAN_RATIO: f64 = 1.5;
const MAX_P90_RATIO: f64 = 4.0;
const MAX_P99_RATIO: f64 = 10.0;

/// Serializes the latency measurements of the tests running in parallel.
static MEASURING: Mutex<()> = Mutex::new(());

fn config(endpoint: String, protocol: Protocol) -> OtlpConfig {
    let mut cfg = OtlpConfig {
        protocol,
        endpoint: Some(endpoint),
        timeout: Duration::from_secs(10),
        metric_interval: Duration::from_millis(100),
        ..Default::default()
    };
    cfg.batch.schedule_delay = Duration::from_millis(1);
    cfg.batch.max_queue_size = MAX_QUEUE;
    cfg.batch.max_export_batch_size = MAX_BATCH;
    cfg.batch.export_timeout = Duration::from_secs(30);
    cfg
}

/// The OTLP exporter, counting the spans and logs Lantern hands it.
#[derive(Clone)]
struct Counted {
    otlp: OtlpExporter,
    spans: Arc<AtomicU64>,
    logs: Arc<AtomicU64>,
}

impl Counted {
    fn new(cfg: OtlpConfig) -> Counted {
        Counted { otlp: OtlpExporter::new(cfg).unwrap(), spans: Default::default(), logs: Default::default() }
    }

    /// Spans and logs handed over so far.
    fn offered(&self) -> (u64, u64) {
        (self.spans.load(Relaxed), self.logs.load(Relaxed))
    }

    fn stats(&self) -> ExportStats {
        self.otlp.stats()
    }
}

impl Exporter for Counted {
    fn export(&self, record: ExportRecord) {
        // Counted before it is queued: `offered` read before `stats` never
        // misses a record that `stats` shows.
        match &record {
            ExportRecord::Span(_) => self.spans.fetch_add(1, Relaxed),
            ExportRecord::Log(_) => self.logs.fetch_add(1, Relaxed),
        };
        self.otlp.export(record);
    }

    fn start(&self, handle: &lantern::Handle) {
        self.otlp.start(handle);
    }

    fn shutdown(&self, timeout: Duration) {
        self.otlp.shutdown(timeout);
    }
}

/// Exported, dropped or queued.
fn accounted(s: &SignalStats) -> u64 {
    s.exported + s.dropped() + s.queued as u64
}

/// Mid-run: the queues are bounded, and what is not accounted for is at
/// most what the requests in flight hold (plus the record being queued).
fn check_bounds(case: &str, exporter: &Counted) {
    let (spans, logs) = exporter.offered();
    let stats = exporter.stats();
    for (signal, offered, s) in [("traces", spans, &stats.traces), ("logs", logs, &stats.logs)] {
        assert!(s.queued <= MAX_QUEUE, "{case}: the {signal} queue is bounded: {s:?}");
        let missing = offered.saturating_sub(accounted(s));
        assert!(
            missing <= (SLOTS * MAX_BATCH + 1) as u64,
            "{case}: {missing} {signal} neither exported, dropped nor queued, of {offered}: {s:?}"
        );
    }
    assert_eq!(stats.metrics.queued, 0);
}

/// Once shutdown returned, every record is exported or dropped and counted.
fn check_accounts(case: &str, exporter: &Counted) {
    let (spans, logs) = exporter.offered();
    let stats = exporter.stats();
    assert!(spans > 0 && logs > 0, "{case}: the exporter got spans and logs: {spans}, {logs}");
    for (signal, offered, s) in [("traces", spans, &stats.traces), ("logs", logs, &stats.logs)] {
        assert_eq!(accounted(s), offered, "{case}: every {signal} record is accounted for: {s:?}");
        assert_eq!(s.queued, 0, "{case}: {s:?}");
    }
}

/// One request of the application: a span with a few fields, and an event
/// in it. Returns how long it took, in nanoseconds.
fn handle_request(i: usize) -> u64 {
    let start = Instant::now();
    tracing::info_span!("GET /items/{id}", http.method = "GET", http.route = "/items/{id}", item.id = i).in_scope(
        || {
            tracing::info!(http.status_code = 200, bytes = 512u32, "handled");
        },
    );
    start.elapsed().as_nanos() as u64
}

enum Reply {
    Round(Vec<u64>),
    Stopped(Duration),
}

/// An application thread under its own (thread-local) Lantern: runs rounds
/// of requests on demand, and drops its guard when told to stop.
struct App {
    rounds: mpsc::Sender<()>,
    replies: mpsc::Receiver<Reply>,
    thread: Option<JoinHandle<()>>,
}

impl App {
    fn start(exporter: impl Exporter) -> App {
        let (rounds, round) = mpsc::channel::<()>();
        let (reply, replies) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            let lantern = lantern::builder().exporter(exporter).http_addr(None).try_init_local();
            while round.recv().is_ok() {
                let times = (0..ITERATIONS).map(handle_request).collect();
                reply.send(Reply::Round(times)).unwrap();
                // What the round left in this thread's batch goes on too.
                lantern.buffer().flush();
            }
            let start = Instant::now();
            drop(lantern);
            let _ = reply.send(Reply::Stopped(start.elapsed()));
        });
        App { rounds, replies, thread: Some(thread) }
    }

    fn round(&self) -> Vec<u64> {
        self.rounds.send(()).unwrap();
        match self.replies.recv().unwrap() {
            Reply::Round(times) => times,
            Reply::Stopped(_) => unreachable!(),
        }
    }

    /// Drops the guard; how long that took.
    fn stop(mut self) -> Duration {
        let (closed, _) = mpsc::channel();
        self.rounds = closed;
        let elapsed = match self.replies.recv().unwrap() {
            Reply::Stopped(elapsed) => elapsed,
            Reply::Round(_) => unreachable!(),
        };
        self.thread.take().unwrap().join().unwrap();
        elapsed
    }
}

impl Drop for App {
    fn drop(&mut self) {
        // A failed test still ends the thread (its guard drops too).
        let (closed, _) = mpsc::channel();
        self.rounds = closed;
    }
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize] as f64
}

/// Median, p90 and p99 in microseconds.
fn summary(mut times: Vec<u64>) -> [f64; 3] {
    times.sort_unstable();
    [0.5, 0.9, 0.99].map(|p| percentile(&times, p) / 1000.0)
}

/// Runs the handler loop under a no-op exporter and under `exporter`, in
/// interleaved rounds (calling `before_round` before each pair), checking
/// the bounds after each; prints and checks the latencies. Returns the
/// application under `exporter`, still running.
fn measure_latency(case: &str, exporter: &Counted, mut before_round: impl FnMut(usize)) -> App {
    let noop = App::start(NoopExporter);
    let otlp = App::start(exporter.clone());
    let _turn = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    // Warm-up: thread-local batches, callsite registration, connections.
    noop.round();
    otlp.round();
    let (mut without, mut with) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        before_round(round);
        if round % 2 == 0 {
            without.extend(noop.round());
            with.extend(otlp.round());
        } else {
            with.extend(otlp.round());
            without.extend(noop.round());
        }
        check_bounds(case, exporter);
    }
    drop(_turn);
    let (base, otlp_times) = (summary(without), summary(with));
    let ratios = [0, 1, 2].map(|i| otlp_times[i] / base[i]);
    println!(
        "{case}: per request (µs) median/p90/p99 no-op {:.2}/{:.2}/{:.2}, OTLP {:.2}/{:.2}/{:.2}; \
         ratios {:.2}/{:.2}/{:.2}",
        base[0], base[1], base[2], otlp_times[0], otlp_times[1], otlp_times[2], ratios[0], ratios[1], ratios[2]
    );
    assert!(ratios[0] < MAX_MEDIAN_RATIO, "{case}: median ratio {:.2}", ratios[0]);
    assert!(ratios[1] < MAX_P90_RATIO, "{case}: p90 ratio {:.2}", ratios[1]);
    assert!(ratios[2] < MAX_P99_RATIO, "{case}: p99 ratio {:.2}", ratios[2]);
    noop.stop();
    otlp
}

/// Drops the exporter's guard; checks its deadline and the accounts.
fn stop(case: &str, exporter: &Counted, otlp: App) {
    let elapsed = otlp.stop();
    let stats = exporter.stats();
    let (spans, logs) = exporter.offered();
    println!(
        "{case}: guard dropped in {elapsed:.2?}; traces {spans} offered, {} exported, {} dropped ({} queue full), \
         {} retries; logs {logs} offered, {} exported, {} dropped; metric points {} exported, {} dropped",
        stats.traces.exported,
        stats.traces.dropped(),
        stats.traces.dropped_queue_full,
        stats.traces.retries,
        stats.logs.exported,
        stats.logs.dropped(),
        stats.metrics.exported,
        stats.metrics.dropped(),
    );
    assert!(elapsed < GUARD_DEADLINE, "{case}: the guard took {elapsed:?}");
    check_accounts(case, exporter);
}

#[test]
fn a_dead_collector() {
    let case = "dead collector (HTTP)";
    // Bound and not listening: connections are refused, and no other test
    // can take the port meanwhile.
    let dead = tokio::net::TcpSocket::new_v4().unwrap();
    dead.bind(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
    let endpoint = format!("http://{}", dead.local_addr().unwrap());
    let exporter = Counted::new(config(endpoint, Protocol::HttpProtobuf));
    let app = measure_latency(case, &exporter, |_| {});
    stop(case, &exporter, app);
    let stats = exporter.stats();
    assert_eq!(stats.traces.exported + stats.logs.exported + stats.metrics.exported, 0, "{stats:?}");
    assert!(stats.traces.dropped_queue_full > 0 && stats.logs.dropped_queue_full > 0, "{stats:?}");
    assert!(stats.traces.retries > 0, "{stats:?}");
    drop(dead);
}

#[test]
fn a_hanging_collector() {
    let case = "hanging collector (gRPC)";
    let receiver = Receiver::grpc();
    receiver.fail_next(usize::MAX, Fault::Hang);
    let exporter = Counted::new(config(receiver.endpoint(), Protocol::Grpc));
    let app = measure_latency(case, &exporter, |_| {});
    stop(case, &exporter, app);
    let stats = exporter.stats();
    assert!(receiver.requests() > 0, "the requests went to the hanging collector");
    assert_eq!(stats.traces.exported + stats.logs.exported, 0, "{stats:?}");
    assert!(stats.traces.dropped_queue_full > 0, "{stats:?}");
}

#[test]
fn a_flapping_collector() {
    let case = "flapping collector (gRPC)";
    let receiver = Receiver::grpc();
    let flapper = Flapper::start(receiver.addr(), Duration::from_millis(100));
    let exporter = Counted::new(config(format!("http://{}", flapper.addr), Protocol::Grpc));
    let app = measure_latency(case, &exporter, |_| {});
    stop(case, &exporter, app);
    let stats = exporter.stats();
    let (forwarded, reset) = (flapper.forwarded.load(Relaxed), flapper.reset.load(Relaxed));
    println!("{case}: {forwarded} connections forwarded, {reset} reset; {} requests arrived", receiver.requests());
    assert!(forwarded > 0 && reset > 0, "it flapped: {forwarded} forwarded, {reset} reset");
    assert!(stats.traces.exported > 0, "some data got through: {stats:?}");
}

#[test]
fn a_throttling_collector() {
    let case = "429/503 collector (HTTP)";
    let receiver = Receiver::http();
    receiver.fail_next(usize::MAX, Fault::RetryAfter(Duration::from_secs(1)));
    let exporter = Counted::new(config(receiver.endpoint(), Protocol::HttpProtobuf));
    let start = Instant::now();
    // The first half of the rounds get 429s, the second half 503s.
    let switch = |round| {
        if round == ROUNDS / 2 {
            receiver.fail_next(usize::MAX, Fault::UnavailableRetryAfter(Duration::from_secs(1)));
        }
    };
    let app = measure_latency(case, &exporter, switch);
    let (elapsed, requests) = (start.elapsed().as_secs_f64(), receiver.requests());
    stop(case, &exporter, app);
    let stats = exporter.stats();
    println!(
        "{case}: {requests} requests in {elapsed:.1} s before shutdown, {} in all; last error {:?}",
        receiver.requests(),
        stats.traces.last_error
    );
    assert_eq!(stats.traces.exported + stats.logs.exported + stats.metrics.exported, 0, "{stats:?}");
    assert!(stats.traces.retries > 0, "{stats:?}");
    assert!(stats.traces.last_error.is_some(), "{stats:?}");
    // Until shutdown, each request slot (four each for traces and logs,
    // one for metrics) waits the second it is told between attempts.
    let bound = (2 * SLOTS + 1) as f64 * (elapsed + 1.0);
    assert!((requests as f64) <= bound, "Retry-After is honoured: {requests} requests in {elapsed:.1} s");
}

#[test]
fn a_short_shutdown_keeps_its_deadline_with_a_hanging_collector() {
    let receiver = Receiver::http();
    receiver.fail_next(usize::MAX, Fault::Hang);
    let exporter = Counted::new(config(receiver.endpoint(), Protocol::HttpProtobuf));
    let lantern = lantern::builder().exporter(exporter.clone()).http_addr(None).try_init_local();
    for i in 0..500 {
        handle_request(i);
    }
    lantern.buffer().flush();
    assert!(receiver.wait_for(Duration::from_secs(5), |r| r.requests >= 2 * SLOTS), "requests hang in every slot");
    let start = Instant::now();
    exporter.otlp.shutdown(Duration::from_millis(500));
    let elapsed = start.elapsed();
    let stats = exporter.stats();
    println!("shutdown(500 ms) with a hanging collector returned in {elapsed:.2?}: {stats:?}");
    assert!(elapsed < Duration::from_millis(1500), "shutdown(500 ms) took {elapsed:?}");
    check_accounts("shutdown(500 ms)", &exporter);
    assert!(stats.traces.dropped_retries_exhausted + stats.traces.dropped_shutdown > 0, "{stats:?}");
    let start = Instant::now();
    drop(lantern);
    assert!(start.elapsed() < Duration::from_millis(500), "the exporter is stopped already");
}

/// A TCP proxy in front of `backend` that flaps: for one `period` it
/// forwards the connections it accepts, for the next it resets them (the
/// open ones and the new ones), and so on. Stops when dropped.
struct Flapper {
    addr: SocketAddr,
    forwarded: Arc<AtomicUsize>,
    reset: Arc<AtomicUsize>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Flapper {
    fn start(backend: SocketAddr, period: Duration) -> Flapper {
        let (forwarded, reset) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (bound_tx, bound_rx) = mpsc::channel();
        let counts = (forwarded.clone(), reset.clone());
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                bound_tx.send(listener.local_addr().unwrap()).unwrap();
                let epoch = tokio::time::Instant::now();
                // The phase now (even: up), and when it ends.
                let phase = move || {
                    let n = epoch.elapsed().as_nanos() / period.as_nanos();
                    (n % 2 == 0, epoch + period * (n as u32 + 1))
                };
                let accept = async move {
                    loop {
                        let Ok((client, _)) = listener.accept().await else { continue };
                        let (up, ends) = phase();
                        if !up {
                            counts.1.fetch_add(1, Relaxed);
                            let _ = client.set_zero_linger();
                            continue;
                        }
                        counts.0.fetch_add(1, Relaxed);
                        let reset = counts.1.clone();
                        tokio::spawn(async move {
                            let mut client = client;
                            let Ok(mut server) = tokio::net::TcpStream::connect(backend).await else { return };
                            tokio::select! {
                                _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                                () = tokio::time::sleep_until(ends) => {
                                    reset.fetch_add(1, Relaxed);
                                    let _ = client.set_zero_linger();
                                }
                            }
                        });
                    }
                };
                tokio::select! {
                    () = accept => {}
                    _ = stopped => {}
                }
            });
            runtime.shutdown_background();
        });
        let addr = bound_rx.recv().expect("the proxy binds");
        Flapper { addr, forwarded, reset, stop: Some(stop), thread: Some(thread) }
    }
}

impl Drop for Flapper {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
