//! The exporter thread: sends a signal's batch when it is full or has
//! waited `schedule_delay`, the metrics every `metric_interval`, and what
//! is left at shutdown; encodes, and sends with retries on tasks of its own.
//!
//! Signals do not wait for each other. Each has its own in-flight slots
//! ([`SLOTS`]); a signal whose slots are all taken (its collector hangs or
//! is down, and its requests are being retried) leaves its records queued,
//! where the bounded queue drops the newest and counts them, while the
//! other signals go on. The loop never waits on one signal: it sleeps until
//! the next deadline of a signal that has a free slot (a partial batch, the
//! metrics), a wake-up from the queues, a request ending, or the shutdown
//! deadline. An empty queue has no deadline: the record that makes it
//! non-empty wakes the loop (see `OtlpExporter::enqueue`), so an idle
//! exporter sleeps.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::task::Poll;
use std::time::Duration;

use crossbeam_queue::ArrayQueue;
use lantern::Handle;
use lantern::export::Resource;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::retry::{self, Backoff};
use super::stats::Loss;
use super::{Inner, index};
use crate::config::OtlpConfig;
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

/// Requests of each signal (traces, metrics, logs) outstanding at once:
/// sending overlaps encoding the next batch. Metrics take one, so that
/// their exports stay in order; one due while it is taken is sent when it
/// frees, with the values of then.
const SLOTS: [usize; 3] = [4, 1, 4];

/// The shortest metrics interval: a zero one would export in a loop.
const MIN_METRIC_INTERVAL: Duration = Duration::from_millis(1);

fn encode_spans(config: &OtlpConfig, resource: &Resource, spans: &[Arc<lantern::record::SpanRecord>]) -> ExportRequest {
    let events = config.span_events.resolve(config.logs.enabled);
    ExportRequest::Traces(transform::traces_request(resource, spans, events))
}

fn encode_logs(_: &OtlpConfig, resource: &Resource, logs: &[Arc<lantern::record::LogRecord>]) -> ExportRequest {
    ExportRequest::Logs(transform::logs_request(resource, logs))
}

/// What one turn of the loop knows.
#[derive(Clone, Copy)]
struct Turn {
    now: Instant,
    /// Shutdown started: send everything, partial batches too.
    stopping: bool,
    /// When shutdown has to be over, once it started.
    deadline: Option<Instant>,
}

struct Worker {
    inner: Arc<Inner>,
    /// The resource to send and the metrics store to read.
    handle: Handle,
    encoder: MetricsEncoder,
    clients: [Option<Arc<Client>>; 3],
    backoff: Backoff,
    /// Requests in flight, per signal.
    in_flight: [JoinSet<()>; 3],
    /// Per signal: since when its queue is known not to be empty; its
    /// partial batch is due `schedule_delay` later.
    waiting_since: [Option<Instant>; 3],
}

impl Worker {
    fn new(inner: Arc<Inner>, handle: Handle) -> Worker {
        let encoder = MetricsEncoder::new(inner.config.temporality);
        Worker {
            inner,
            handle,
            encoder,
            clients: [None, None, None],
            backoff: Backoff::default(),
            in_flight: Default::default(),
            waiting_since: [None; 3],
        }
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
        let interval = self.inner.config.metric_interval.max(MIN_METRIC_INTERVAL);
        let mut metrics_due = Instant::now() + interval;
        let mut final_metrics_sent = false;
        let inner = self.inner.clone();
        loop {
            for requests in &mut self.in_flight {
                while requests.try_join_next().is_some() {}
            }
            let stopping = inner.stopping.load(Ordering::Acquire);
            let turn = Turn { now: Instant::now(), stopping, deadline: inner.deadline.lock().map(Instant::from_std) };
            if stopping && turn.deadline.is_none_or(|d| turn.now >= d) {
                return self.finish().await;
            }
            self.send_batches(&inner.spans, Signal::Traces, encode_spans, turn);
            self.send_batches(&inner.logs, Signal::Logs, encode_logs, turn);
            let metrics_wanted = if stopping { !final_metrics_sent } else { turn.now >= metrics_due };
            if metrics_wanted && self.has_slot(Signal::Metrics) {
                self.export_metrics(turn.deadline);
                metrics_due = turn.now + interval;
                final_metrics_sent = stopping;
            }
            if stopping && final_metrics_sent && self.all_sent() {
                return self.finish().await;
            }
            let wake_at = if stopping { turn.deadline } else { self.next_deadline(metrics_due) };
            // Nothing due: sleep until a record or a request ends the wait.
            let wake_at = wake_at.unwrap_or(turn.now + Duration::from_secs(3600));
            tokio::select! {
                _ = inner.wake.notified() => {}
                _ = tokio::time::sleep_until(wake_at) => {}
                _ = any_ended(&mut self.in_flight) => {}
            }
        }
    }

    /// Whether `signal` may send one more request now.
    fn has_slot(&self, signal: Signal) -> bool {
        self.in_flight[index(signal)].len() < SLOTS[index(signal)]
    }

    /// Both queues are empty and no request is outstanding.
    fn all_sent(&self) -> bool {
        self.inner.spans.is_empty() && self.inner.logs.is_empty() && self.in_flight.iter().all(JoinSet::is_empty)
    }

    /// The earliest deadline of a signal that could act on it: its partial
    /// batch or the metrics, if it has a free slot. A signal without one
    /// waits for a request to end instead.
    fn next_deadline(&self, metrics_due: Instant) -> Option<Instant> {
        let delay = self.inner.config.batch.schedule_delay;
        let batches = [Signal::Traces, Signal::Logs]
            .into_iter()
            .filter(|&s| self.has_slot(s))
            .filter_map(|s| self.waiting_since[index(s)].map(|since| since + delay));
        let metrics = (self.inner.transports[index(Signal::Metrics)].is_some() && self.has_slot(Signal::Metrics))
            .then_some(metrics_due);
        batches.chain(metrics).min()
    }

    /// Sends `queue`'s full batches, and its partial one once it is due
    /// (or shutdown started), while `signal` has free slots. Never waits:
    /// what does not fit stays queued.
    fn send_batches<T>(
        &mut self,
        queue: &ArrayQueue<T>,
        signal: Signal,
        encode: fn(&OtlpConfig, &Resource, &[T]) -> ExportRequest,
        turn: Turn,
    ) {
        let since = &mut self.waiting_since[index(signal)];
        if queue.is_empty() {
            *since = None;
            return;
        }
        let due = turn.stopping || turn.now >= *since.get_or_insert(turn.now) + self.inner.config.batch.schedule_delay;
        let max = self.inner.config.batch.max_export_batch_size.max(1);
        while self.has_slot(signal) && (queue.len() >= max || (due && !queue.is_empty())) {
            let batch: Vec<T> = std::iter::from_fn(|| queue.pop()).take(max).collect();
            self.inner.counters(signal).dequeued(batch.len() as u64);
            if batch.is_empty() {
                break;
            }
            let request = encode(&self.inner.config, self.handle.resource(), &batch);
            self.send(signal, request, batch.len() as u64, turn.deadline);
        }
        if queue.is_empty() {
            self.waiting_since[index(signal)] = None;
        }
    }

    fn export_metrics(&mut self, shutdown: Option<Instant>) {
        if self.inner.transports[index(Signal::Metrics)].is_none() {
            return;
        }
        let families = self.handle.metrics().snapshot();
        let points: usize = families.iter().map(|f| f.series.len()).sum();
        if points == 0 {
            return;
        }
        let request = ExportRequest::Metrics(self.encoder.encode(self.handle.resource(), &families));
        self.send(Signal::Metrics, request, points as u64, shutdown);
    }

    /// Sends on a task of its own, in one of `signal`'s slots.
    fn send(&mut self, signal: Signal, request: ExportRequest, items: u64, shutdown: Option<Instant>) {
        let Some(client) = self.clients[index(signal)].clone() else {
            self.inner.counters(signal).lost(Loss::PermanentError, items);
            return;
        };
        let own = Instant::now() + self.inner.config.batch.export_timeout;
        let deadline = shutdown.map_or(own, |d| d.min(own));
        let (inner, backoff) = (self.inner.clone(), self.backoff);
        self.in_flight[index(signal)].spawn(async move {
            let shutdown = retry::Shutdown { deadline: &inner.deadline, started: &inner.stopped };
            retry::send(&client, &request, items, inner.counters(signal), backoff, deadline, &shutdown).await;
        });
    }

    /// Ends shutdown: waits for the requests in flight (they keep to the
    /// deadline themselves), and gives up what is still queued.
    async fn finish(mut self) {
        for requests in &mut self.in_flight {
            while requests.join_next().await.is_some() {}
        }
        let inner = &self.inner;
        let left = (give_up(&inner.spans), give_up(&inner.logs));
        inner.counters(Signal::Traces).lost(Loss::Shutdown, left.0);
        inner.counters(Signal::Traces).dequeued(left.0);
        inner.counters(Signal::Logs).lost(Loss::Shutdown, left.1);
        inner.counters(Signal::Logs).dequeued(left.1);
    }
}

/// Empties a queue; how many it held.
fn give_up<T>(queue: &ArrayQueue<T>) -> u64 {
    std::iter::from_fn(|| queue.pop()).count() as u64
}

/// Resolves when a request of any signal ends; never, while none is in
/// flight.
fn any_ended(in_flight: &mut [JoinSet<()>; 3]) -> impl Future<Output = ()> + '_ {
    std::future::poll_fn(move |cx| {
        for requests in in_flight.iter_mut() {
            if let Poll::Ready(Some(_)) = requests.poll_join_next(cx) {
                return Poll::Ready(());
            }
        }
        Poll::Pending
    })
}
