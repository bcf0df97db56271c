//! What the exporter did: exported, dropped (by reason), retried, failed,
//! and what is queued now.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use parking_lot::Mutex;

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

#[derive(Default)]
pub(crate) struct Counters {
    exported: AtomicU64,
    queue_full: AtomicU64,
    rejected: AtomicU64,
    permanent: AtomicU64,
    exhausted: AtomicU64,
    shutdown: AtomicU64,
    retries: AtomicU64,
    failed: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl Counters {
    pub(crate) fn exported(&self, n: u64) {
        self.exported.fetch_add(n, Relaxed);
    }

    pub(crate) fn lost(&self, why: Loss, n: u64) {
        let c = match why {
            Loss::QueueFull => &self.queue_full,
            Loss::Rejected => &self.rejected,
            Loss::PermanentError => &self.permanent,
            Loss::RetriesExhausted => &self.exhausted,
            Loss::Shutdown => &self.shutdown,
        };
        c.fetch_add(n, Relaxed);
    }

    pub(crate) fn retried(&self) {
        self.retries.fetch_add(1, Relaxed);
    }

    pub(crate) fn failed(&self, error: String) {
        self.failed.fetch_add(1, Relaxed);
        *self.last_error.lock() = Some(error);
    }

    pub(crate) fn note_error(&self, error: String) {
        *self.last_error.lock() = Some(error);
    }

    pub(crate) fn snapshot(&self, queued: usize) -> SignalStats {
        SignalStats {
            exported: self.exported.load(Relaxed),
            queued,
            dropped_queue_full: self.queue_full.load(Relaxed),
            rejected: self.rejected.load(Relaxed),
            dropped_permanent_error: self.permanent.load(Relaxed),
            dropped_retries_exhausted: self.exhausted.load(Relaxed),
            dropped_shutdown: self.shutdown.load(Relaxed),
            retries: self.retries.load(Relaxed),
            failed_requests: self.failed.load(Relaxed),
            last_error: self.last_error.lock().clone(),
        }
    }
}
