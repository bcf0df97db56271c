//! What the exporter did: exported, dropped (by reason), retried, failed,
//! and what is queued now.
//!
//! Every count is made where its event happens (the enqueue on Lantern's
//! ingest thread, a request's task on the exporter thread), into an atomic
//! and, once the exporter started, into its `otlp.*` metric
//! ([`self_metrics`]): both are current at any moment, whatever the
//! exporter thread is waiting for.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use parking_lot::{Mutex, RwLock};

use super::self_metrics::{self, Published};
use crate::transport::Signal;

/// Counters of one signal, at one moment.
///
/// ```
/// let s = lantern_otlp::SignalStats::default();
/// assert_eq!(s.dropped(), 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignalStats {
    /// Items the receiver accepted.
    pub exported: u64,
    /// Items waiting in the queue now.
    pub queued: usize,
    /// Items dropped because the queue was full (the newest are dropped).
    pub dropped_queue_full: u64,
    /// Items the receiver rejected in a partial success.
    pub rejected: u64,
    /// Items dropped after a non-retryable error.
    pub dropped_permanent_error: u64,
    /// Items dropped when retries ran out of time.
    pub dropped_retries_exhausted: u64,
    /// Items still queued when shutdown gave up.
    pub dropped_shutdown: u64,
    /// Attempts that were retried.
    pub retries: u64,
    /// Requests that finally failed.
    pub failed_requests: u64,
    /// The latest error, if any.
    pub last_error: Option<String>,
}

impl SignalStats {
    /// Every item lost, whatever the reason.
    pub fn dropped(&self) -> u64 {
        self.dropped_queue_full
            + self.rejected
            + self.dropped_permanent_error
            + self.dropped_retries_exhausted
            + self.dropped_shutdown
    }
}

/// The exporter's counters, per signal.
///
/// ```
/// let stats = lantern_otlp::ExportStats::default();
/// assert_eq!(stats.traces.exported, 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportStats {
    /// Spans.
    pub traces: SignalStats,
    /// Metric data points.
    pub metrics: SignalStats,
    /// Log records.
    pub logs: SignalStats,
}

impl ExportStats {
    /// The counters of one signal.
    pub fn signal(&self, signal: Signal) -> &SignalStats {
        match signal {
            Signal::Traces => &self.traces,
            Signal::Metrics => &self.metrics,
            Signal::Logs => &self.logs,
        }
    }
}

/// Why items were lost.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Loss {
    QueueFull,
    Rejected,
    PermanentError,
    RetriesExhausted,
    Shutdown,
}

/// What [`Counters`] counts: the index of each count, in the order of
/// [`self_metrics::COUNTERS`].
#[derive(Clone, Copy)]
enum Count {
    Exported,
    QueueFull,
    Rejected,
    PermanentError,
    RetriesExhausted,
    Shutdown,
    Retries,
    Failed,
}

impl From<Loss> for Count {
    fn from(loss: Loss) -> Count {
        match loss {
            Loss::QueueFull => Count::QueueFull,
            Loss::Rejected => Count::Rejected,
            Loss::PermanentError => Count::PermanentError,
            Loss::RetriesExhausted => Count::RetriesExhausted,
            Loss::Shutdown => Count::Shutdown,
        }
    }
}

/// The counters of one signal: its own atomics, which
/// [`OtlpExporter::stats`](super::OtlpExporter::stats) reads, and, once the
/// exporter started, their `otlp.*` metrics in Lantern's store, moved by
/// the same calls.
#[derive(Default)]
pub(crate) struct Counters {
    counts: [AtomicU64; self_metrics::COUNTERS.len()],
    last_error: Mutex<Option<String>>,
    published: RwLock<Option<Published>>,
}

impl Counters {
    fn add(&self, count: Count, n: u64) {
        let total = self.counts[count as usize].fetch_add(n, Relaxed) + n;
        if let Some(published) = &*self.published.read() {
            // The running total, not the increment: `absolute` keeps the
            // largest, so racing updates and a late registration agree.
            published.counters[count as usize].absolute(total);
        }
    }

    fn get(&self, count: Count) -> u64 {
        self.counts[count as usize].load(Relaxed)
    }

    pub(crate) fn exported(&self, n: u64) {
        self.add(Count::Exported, n);
    }

    pub(crate) fn lost(&self, why: Loss, n: u64) {
        self.add(why.into(), n);
    }

    pub(crate) fn retried(&self) {
        self.add(Count::Retries, 1);
    }

    pub(crate) fn failed(&self, error: String) {
        self.add(Count::Failed, 1);
        *self.last_error.lock() = Some(error);
    }

    pub(crate) fn note_error(&self, error: String) {
        *self.last_error.lock() = Some(error);
    }

    /// `n` records entered the queue (before they are pushed, so that the
    /// gauge never reads less than the queue holds once they are taken).
    pub(crate) fn enqueued(&self, n: u64) {
        if let Some(published) = &*self.published.read() {
            published.queue_length.increment(n as f64);
        }
    }

    /// `n` records left the queue (taken into a batch, or given up).
    pub(crate) fn dequeued(&self, n: u64) {
        if n > 0 {
            if let Some(published) = &*self.published.read() {
                published.queue_length.decrement(n as f64);
            }
        }
    }

    /// From now on, moves these metrics too; they start at the totals so
    /// far, and the queue length at `queued`.
    pub(crate) fn publish(&self, metrics: Published, queued: usize) {
        let mut published = self.published.write();
        for (counter, count) in metrics.counters.iter().zip(&self.counts) {
            counter.absolute(count.load(Relaxed));
        }
        metrics.queue_length.set(queued as f64);
        *published = Some(metrics);
    }

    pub(crate) fn snapshot(&self, queued: usize) -> SignalStats {
        SignalStats {
            exported: self.get(Count::Exported),
            queued,
            dropped_queue_full: self.get(Count::QueueFull),
            rejected: self.get(Count::Rejected),
            dropped_permanent_error: self.get(Count::PermanentError),
            dropped_retries_exhausted: self.get(Count::RetriesExhausted),
            dropped_shutdown: self.get(Count::Shutdown),
            retries: self.get(Count::Retries),
            failed_requests: self.get(Count::Failed),
            last_error: self.last_error.lock().clone(),
        }
    }
}
