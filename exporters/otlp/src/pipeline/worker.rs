//! The exporter thread: waits for a full batch, the schedule delay, the
//! metrics interval or shutdown; encodes; sends with retries; publishes its
//! own counters into Lantern's metrics store.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc;

use crossbeam_queue::ArrayQueue;
use lantern::Handle;
use lantern::export::Resource;
use metrics::{Key, Label, Recorder};
use tokio::time::Instant;

use super::retry::{self, Backoff};
use super::stats::Loss;
use super::{Inner, index};
use crate::transform::{self, MetricsEncoder};
use crate::transport::{Client, ExportRequest, Signal};

pub(crate) fn spawn(inner: Arc<Inner>, handle: Handle) -> std::io::Result<mpsc::Receiver<()>> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let (done_tx, done) = mpsc::channel();
    std::thread::Builder::new().name("lantern-otlp".into()).spawn(move || {
        // Exporting never traces itself (hyper and tonic emit events too).
        let _quiet = tracing::dispatcher::set_default(&tracing::Dispatch::none());
        runtime.block_on(Worker::new(inner, handle).run());
        let _ = done_tx.send(());
    })?;
    Ok(done)
}

/// Requests of all signals outstanding at once.
const MAX_IN_FLIGHT: usize = 4;

/// How often the exporter's counters are copied into Lantern's metrics.
const PUBLISH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

fn encode_spans(resource: &Resource, spans: &[Arc<lantern::record::SpanRecord>]) -> ExportRequest {
    ExportRequest::Traces(transform::traces_request(resource, spans))
}

fn encode_logs(resource: &Resource, logs: &[Arc<lantern::record::LogRecord>]) -> ExportRequest {
    ExportRequest::Logs(transform::logs_request(resource, logs))
}

/// Empties a queue; how many it held.
fn drain<T>(queue: &ArrayQueue<T>) -> u64 {
    std::iter::from_fn(|| queue.pop()).count() as u64
}

struct Worker {
    inner: Arc<Inner>,
    /// The resource to send and the metrics store to read.
    handle: Handle,
    encoder: MetricsEncoder,
    clients: [Option<Arc<Client>>; 3],
    backoff: Backoff,
    /// Requests in flight: encoding the next batch overlaps sending this one.
    in_flight: tokio::task::JoinSet<()>,
}

impl Worker {
    fn new(inner: Arc<Inner>, handle: Handle) -> Worker {
        let encoder = MetricsEncoder::new(inner.config.temporality);
        let in_flight = tokio::task::JoinSet::new();
        Worker { inner, handle, encoder, clients: [None, None, None], backoff: Backoff::default(), in_flight }
    }

    async fn run(mut self) {
        for signal in [Signal::Traces, Signal::Metrics, Signal::Logs] {
            if let Some(cfg) = &self.inner.transports[index(signal)] {
                match Client::new(cfg) {
                    Ok(c) => self.clients[index(signal)] = Some(Arc::new(c)),
                    Err(e) => self.inner.counters(signal).failed(format!("cannot make a client: {e}")),
                }
            }
        }
        let cfg = self.inner.config.clone();
        let mut last_traces = Instant::now();
        let mut last_logs = Instant::now();
        let mut next_metrics = Instant::now() + cfg.metric_interval;
        let mut next_publish = Instant::now();
        loop {
            while self.in_flight.try_join_next().is_some() {}
            let stopping = self.inner.stopping.load(Ordering::Acquire);
            let deadline = self.shutdown_deadline();
            let now = Instant::now();
            if stopping || self.due(&self.inner.spans, last_traces, now) {
                let inner = self.inner.clone();
                self.drain(&inner.spans, Signal::Traces, encode_spans, stopping, deadline).await;
                last_traces = Instant::now();
            }
            if stopping || self.due(&self.inner.logs, last_logs, now) {
                let inner = self.inner.clone();
                self.drain(&inner.logs, Signal::Logs, encode_logs, stopping, deadline).await;
                last_logs = Instant::now();
            }
            if stopping || now >= next_metrics {
                self.export_metrics(deadline).await;
                next_metrics = Instant::now() + cfg.metric_interval;
            }
            if stopping {
                while self.in_flight.join_next().await.is_some() {}
            }
            if stopping || now >= next_publish {
                self.publish_stats();
                next_publish = now + PUBLISH_INTERVAL;
            }
            if stopping {
                // Past the deadline: what is still queued is given up.
                let left = (drain(&self.inner.spans), drain(&self.inner.logs));
                self.inner.counters(Signal::Traces).lost(Loss::Shutdown, left.0);
                self.inner.counters(Signal::Logs).lost(Loss::Shutdown, left.1);
                self.publish_stats();
                return;
            }
            let wake_at = (last_traces + cfg.batch.schedule_delay).min(last_logs + cfg.batch.schedule_delay);
            tokio::select! {
                _ = self.inner.wake.notified() => {}
                _ = tokio::time::sleep_until(wake_at.min(next_metrics)) => {}
            }
        }
    }

    /// When shutdown has to be over, once it started.
    fn shutdown_deadline(&self) -> Option<Instant> {
        self.inner.deadline.lock().map(Instant::from_std)
    }

    fn due<T>(&self, queue: &ArrayQueue<T>, last: Instant, now: Instant) -> bool {
        let batch = &self.inner.config.batch;
        queue.len() >= batch.max_export_batch_size || (!queue.is_empty() && now >= last + batch.schedule_delay)
    }

    fn batch_deadline(&self, shutdown: Option<Instant>) -> Instant {
        let own = Instant::now() + self.inner.config.batch.export_timeout;
        shutdown.map_or(own, |d| d.min(own))
    }

    /// Sends full batches of `queue`, and the last partial one when `all`.
    async fn drain<T>(
        &mut self,
        queue: &ArrayQueue<T>,
        signal: Signal,
        encode: fn(&Resource, &[T]) -> ExportRequest,
        all: bool,
        shutdown: Option<Instant>,
    ) {
        let max = self.inner.config.batch.max_export_batch_size.max(1);
        loop {
            if shutdown.is_some_and(|d| Instant::now() >= d) || queue.is_empty() {
                return;
            }
            self.wait_for_slot().await;
            let batch: Vec<T> = std::iter::from_fn(|| queue.pop()).take(max).collect();
            if batch.is_empty() {
                return;
            }
            let request = encode(self.handle.resource(), &batch);
            self.send(signal, request, batch.len() as u64, shutdown).await;
            if !all && queue.len() < max {
                return;
            }
        }
    }

    async fn export_metrics(&mut self, shutdown: Option<Instant>) {
        if self.inner.transports[index(Signal::Metrics)].is_none() {
            return;
        }
        let families = self.handle.metrics().snapshot();
        let points: usize = families.iter().map(|f| f.series.len()).sum();
        if points == 0 {
            return;
        }
        let request = ExportRequest::Metrics(self.encoder.encode(self.handle.resource(), &families));
        self.send(Signal::Metrics, request, points as u64, shutdown).await;
    }

    /// Waits until fewer than [`MAX_IN_FLIGHT`] requests are outstanding, so
    /// no batch is taken off its queue before it can be sent.
    async fn wait_for_slot(&mut self) {
        while self.in_flight.len() >= MAX_IN_FLIGHT {
            self.in_flight.join_next().await;
        }
    }

    /// Sends on a task of its own, once fewer than [`MAX_IN_FLIGHT`]
    /// requests are outstanding.
    async fn send(&mut self, signal: Signal, request: ExportRequest, items: u64, shutdown: Option<Instant>) {
        let Some(client) = self.clients[index(signal)].clone() else {
            self.inner.counters(signal).lost(Loss::PermanentError, items);
            return;
        };
        self.wait_for_slot().await;
        let deadline = self.batch_deadline(shutdown);
        let (inner, backoff) = (self.inner.clone(), self.backoff);
        self.in_flight.spawn(async move {
            let shutdown = retry::Shutdown { deadline: &inner.deadline, started: &inner.stopped };
            retry::send(&client, &request, items, inner.counters(signal), backoff, deadline, &shutdown).await;
        });
    }

    /// The exporter's own counters, as metrics next to the application's.
    fn publish_stats(&self) {
        let recorder = self.handle.metrics().recorder();
        let meta = metrics::Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));
        for (signal, name) in [(Signal::Traces, "traces"), (Signal::Metrics, "metrics"), (Signal::Logs, "logs")] {
            if self.inner.transports[index(signal)].is_none() {
                continue;
            }
            let queued = match signal {
                Signal::Traces => self.inner.spans.len(),
                Signal::Logs => self.inner.logs.len(),
                Signal::Metrics => 0,
            };
            let s = self.inner.counters(signal).snapshot(queued);
            let key = |metric: &'static str, extra: Option<(&'static str, &'static str)>| {
                let mut labels = vec![Label::new("signal", name)];
                labels.extend(extra.map(|(k, v)| Label::new(k, v)));
                Key::from_parts(metric, labels)
            };
            recorder.register_counter(&key("otlp.exported", None), &meta).absolute(s.exported);
            recorder.register_counter(&key("otlp.retries", None), &meta).absolute(s.retries);
            recorder.register_counter(&key("otlp.failed_requests", None), &meta).absolute(s.failed_requests);
            for (reason, n) in [
                ("queue_full", s.dropped_queue_full),
                ("rejected", s.rejected),
                ("permanent_error", s.dropped_permanent_error),
                ("retries_exhausted", s.dropped_retries_exhausted),
                ("shutdown", s.dropped_shutdown),
            ] {
                recorder.register_counter(&key("otlp.dropped", Some(("reason", reason))), &meta).absolute(n);
            }
            recorder.register_gauge(&key("otlp.queue.length", None), &meta).set(queued as f64);
        }
    }
}
