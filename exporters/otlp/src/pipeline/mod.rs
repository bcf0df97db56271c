//! The export pipeline: a bounded queue per signal between Lantern's ingest
//! thread and one exporter thread, batching, retries, shutdown.
//!
//! - [`OtlpExporter::export`](lantern::export::Exporter::export) only pushes
//!   into a lock-free bounded queue. When the queue is full, the *newest*
//!   record is dropped and counted (`dropped_queue_full`): what is queued is
//!   already on its way. A dead collector therefore costs the application
//!   nothing but those drops.
//! - The exporter thread (`lantern-otlp`) has its own single-threaded tokio
//!   runtime and suppresses its own tracing, so exporting never traces
//!   itself. It sends a batch when `max_export_batch_size` records are
//!   queued or `schedule_delay` after the first of them was, and metrics
//!   every `metric_interval`. The enqueue wakes it when a queue stops being
//!   empty or holds a full batch; with nothing to send, it sleeps.
//! - Each signal has its own in-flight requests: a collector that hangs or
//!   refuses one signal holds up none of the others.
//! - Its counters are moved where the events happen, in
//!   [`OtlpExporter::stats`] and as `otlp.*` metrics in Lantern's store, so
//!   both are current at any moment, outages included.
//! - Shutdown (when the Lantern guard drops) sends what is queued, then the
//!   metrics, within the given timeout; what is left is counted as
//!   `dropped_shutdown`.

mod retry;
mod self_metrics;
mod stats;
mod worker;

pub use stats::{ExportStats, SignalStats};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crossbeam_queue::ArrayQueue;
use lantern::Handle;
use lantern::export::{ExportRecord, Exporter};
use lantern::record::{LogRecord, SpanRecord};
use parking_lot::Mutex;

use crate::config::{ConfigError, OtlpConfig};
use crate::transport::{Signal, TransportConfig};
use stats::{Counters, Loss};

/// Exports Lantern's sampled spans, logs and metrics over OTLP. Cheap to
/// clone: keep a clone to read [`OtlpExporter::stats`].
///
/// ```
/// // Nothing listens on port 9: every attempt is refused, and retried
/// // until the batch's export timeout.
/// let mut config = lantern_otlp::OtlpConfig { endpoint: Some("http://127.0.0.1:9".into()), ..Default::default() };
/// config.batch.export_timeout = std::time::Duration::from_millis(300);
/// let exporter = lantern_otlp::OtlpExporter::new(config).unwrap();
/// let lantern = lantern::builder().exporter(exporter.clone()).try_init_local();
/// tracing::info_span!("work").in_scope(|| {});
/// drop(lantern); // flushes, then tries to send within the deadline
/// let stats = exporter.stats();
/// assert_eq!((stats.traces.exported, stats.traces.dropped_retries_exhausted), (0, 1));
/// ```
#[derive(Clone)]
pub struct OtlpExporter {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: OtlpConfig,
    /// Resolved transport of each enabled signal: traces, metrics, logs.
    pub(crate) transports: [Option<TransportConfig>; 3],
    pub(crate) spans: ArrayQueue<Arc<SpanRecord>>,
    pub(crate) logs: ArrayQueue<Arc<LogRecord>>,
    pub(crate) counters: [Counters; 3],
    pub(crate) wake: tokio::sync::Notify,
    /// Wakes a retry that is waiting, when shutdown starts.
    pub(crate) stopped: tokio::sync::Notify,
    pub(crate) stopping: AtomicBool,
    pub(crate) deadline: Mutex<Option<Instant>>,
    started: Mutex<Option<mpsc::Receiver<()>>>,
}

pub(crate) fn index(signal: Signal) -> usize {
    match signal {
        Signal::Traces => 0,
        Signal::Metrics => 1,
        Signal::Logs => 2,
    }
}

impl Inner {
    pub(crate) fn counters(&self, signal: Signal) -> &Counters {
        &self.counters[index(signal)]
    }

    /// Records of `signal` waiting in its queue now (metrics have none).
    pub(crate) fn queued(&self, signal: Signal) -> usize {
        match signal {
            Signal::Traces => self.spans.len(),
            Signal::Logs => self.logs.len(),
            Signal::Metrics => 0,
        }
    }
}

/// The most records a signal's queue holds, whatever is configured
/// (about 8 MiB of pointers per queue).
pub(crate) const MAX_QUEUE_SIZE: usize = 1 << 20;

impl OtlpExporter {
    /// An exporter for this configuration; nothing is sent before Lantern
    /// starts it. Fails on an endpoint or header that cannot work.
    pub fn new(config: OtlpConfig) -> Result<OtlpExporter, ConfigError> {
        let mut transports = [None, None, None];
        for signal in [Signal::Traces, Signal::Metrics, Signal::Logs] {
            if config.signal(signal).enabled {
                transports[index(signal)] = Some(config.transport(signal)?);
            }
        }
        // The queues are allocated whole up front: a huge configured size
        // (a typo in OTEL_BSP_MAX_QUEUE_SIZE) must not take the host's memory.
        let capacity = config.batch.max_queue_size.clamp(1, MAX_QUEUE_SIZE);
        Ok(OtlpExporter {
            inner: Arc::new(Inner {
                transports,
                spans: ArrayQueue::new(capacity),
                logs: ArrayQueue::new(capacity),
                counters: Default::default(),
                wake: tokio::sync::Notify::new(),
                stopped: tokio::sync::Notify::new(),
                stopping: AtomicBool::new(false),
                deadline: Mutex::new(None),
                started: Mutex::new(None),
                config,
            }),
        })
    }

    /// An exporter configured by the `OTEL_*` environment variables (see
    /// [`OtlpConfig::from_env`]).
    ///
    /// ```no_run
    /// let exporter = lantern_otlp::OtlpExporter::from_env().expect("a valid OTEL_* configuration");
    /// let _lantern = lantern::builder().exporter(exporter).init();
    /// ```
    pub fn from_env() -> Result<OtlpExporter, ConfigError> {
        OtlpExporter::new(OtlpConfig::from_env()?)
    }

    /// The configuration it was made with.
    pub fn config(&self) -> &OtlpConfig {
        &self.inner.config
    }

    /// What it exported, dropped and retried so far, and what is queued.
    pub fn stats(&self) -> ExportStats {
        let i = &self.inner;
        ExportStats {
            traces: i.counters(Signal::Traces).snapshot(i.spans.len()),
            metrics: i.counters(Signal::Metrics).snapshot(0),
            logs: i.counters(Signal::Logs).snapshot(i.logs.len()),
        }
    }

    /// Records of `signal` waiting in its queue now (metrics have none).
    ///
    /// ```
    /// let exporter = lantern_otlp::OtlpExporter::new(Default::default()).unwrap();
    /// assert_eq!(exporter.queued(lantern_otlp::Signal::Traces), 0);
    /// ```
    pub fn queued(&self, signal: Signal) -> usize {
        self.inner.queued(signal)
    }

    /// Queues one record, or drops and counts it when the queue is full.
    /// Wakes the exporter thread when the queue stops being empty (a
    /// partial batch is due `schedule_delay` later) or holds a full batch.
    /// Lantern calls `export` under its store's lock, so there is one
    /// producer at a time, and each of those lengths is seen as it is
    /// reached (unless the exporter thread took the records first).
    fn enqueue<T>(&self, queue: &ArrayQueue<T>, signal: Signal, item: T) {
        let inner = &self.inner;
        if inner.transports[index(signal)].is_none() || inner.config.disabled {
            return;
        }
        let counters = inner.counters(signal);
        if queue.is_full() {
            counters.lost(Loss::QueueFull, 1);
            return;
        }
        counters.enqueued(1);
        if queue.push(item).is_err() {
            counters.dequeued(1);
            counters.lost(Loss::QueueFull, 1);
            return;
        }
        let len = queue.len();
        if len == 1 || len == inner.config.batch.max_export_batch_size {
            inner.wake.notify_one();
        }
    }
}

impl Exporter for OtlpExporter {
    fn export(&self, record: ExportRecord) {
        match record {
            ExportRecord::Span(span) => self.enqueue(&self.inner.spans, Signal::Traces, span),
            ExportRecord::Log(log) => self.enqueue(&self.inner.logs, Signal::Logs, log),
        }
    }

    fn start(&self, handle: &Handle) {
        let mut started = self.inner.started.lock();
        if self.inner.config.disabled || started.is_some() {
            return;
        }
        self_metrics::publish(&self.inner, handle);
        match worker::spawn(self.inner.clone(), handle.clone()) {
            Ok(done) => *started = Some(done),
            Err(e) => eprintln!("lantern-otlp: cannot start the exporter thread: {e}; nothing is exported"),
        }
    }

    fn shutdown(&self, timeout: Duration) {
        let Some(done) = self.inner.started.lock().take() else { return };
        *self.inner.deadline.lock() = Some(Instant::now() + timeout);
        self.inner.stopping.store(true, Ordering::Release);
        self.inner.wake.notify_one();
        self.inner.stopped.notify_waiters();
        // The worker keeps to the deadline itself; the margin covers its
        // last bookkeeping. Past it, the thread is left to finish alone.
        let _ = done.recv_timeout(timeout + Duration::from_millis(500));
    }
}

impl std::fmt::Debug for OtlpExporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtlpExporter").field("config", &self.inner.config).field("stats", &self.stats()).finish()
    }
}
