//! The completion hook: [`TraceListener`] receives each trace as it
//! completes, and [`TailStats`] counts what completion and the tail policies
//! did.

use super::config::CloseReason;
use super::policy::KeepReason;
use crate::buffer::snapshot::Trace;

/// A trace that completed in this process, as a [`TraceListener`] sees it.
///
/// ```
/// fn slow(done: &lantern::tail::CompletedTrace) -> bool {
///     done.trace.root().is_some_and(|root| root.duration().as_millis() > 300)
/// }
/// # let _ = slow;
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CompletedTrace {
    /// Its spans in the ring buffer (those evicted before it completed are
    /// missing), earliest start first.
    pub trace: Trace,
    /// Why it was called complete.
    pub reason: CloseReason,
    /// Whether the head sampler chose it.
    pub head_sampled: bool,
    /// Why the tail policies kept it, if they did (then it was exported).
    pub tail_kept: Option<KeepReason>,
}

/// Receives each trace as it completes in this process (see
/// [`CompletionConfig`](super::CompletionConfig)): the hook for feature
/// extraction, service graphs and the like.
///
/// Called on Lantern's ingest thread, outside every lock, with that
/// thread's own tracing suppressed. Keep it quick: while it runs, records
/// wait in the queue (and the oldest are overwritten if it fills). A
/// listener that panics is not called again.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use lantern::tail::{CompletedTrace, CompletionConfig, TraceListener};
///
/// #[derive(Default)]
/// struct Count(AtomicUsize);
/// impl TraceListener for Count {
///     fn on_trace(&self, _trace: &CompletedTrace) {
///         self.0.fetch_add(1, Ordering::Relaxed);
///     }
/// }
///
/// let count = Arc::new(Count::default());
/// let quick = CompletionConfig { quiet_period: std::time::Duration::from_millis(10), ..Default::default() };
/// let lantern = lantern::builder().completion(quick).trace_listener(count.clone()).try_init_local();
/// tracing::info_span!("work").in_scope(|| {});
/// let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
/// while count.0.load(Ordering::Relaxed) == 0 && std::time::Instant::now() < deadline {
///     std::thread::sleep(std::time::Duration::from_millis(5));
/// }
/// assert_eq!(count.0.load(Ordering::Relaxed), 1);
/// ```
pub trait TraceListener: Send + Sync + 'static {
    /// One completed trace.
    fn on_trace(&self, trace: &CompletedTrace);
}

impl<T: TraceListener + ?Sized> TraceListener for std::sync::Arc<T> {
    fn on_trace(&self, trace: &CompletedTrace) {
        (**self).on_trace(trace)
    }
}

/// A listener that does nothing: what a listener costs Lantern, measured.
///
/// ```
/// let lantern = lantern::builder().trace_listener(lantern::tail::NoopListener).try_init_local();
/// # drop(lantern);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct NoopListener;

impl TraceListener for NoopListener {
    fn on_trace(&self, _trace: &CompletedTrace) {}
}

/// What trace completion and the tail policies did, from
/// [`Handle::tail`](crate::Handle::tail).
///
/// ```
/// let lantern = lantern::builder().try_init_local();
/// let tail = lantern.handle().tail();
/// assert!(!tail.enabled);
/// assert_eq!(tail.kept(), 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TailStats {
    /// Whether traces are watched for completion (tail policies or trace
    /// listeners are set).
    pub enabled: bool,
    /// Traces watched now.
    pub watching: u64,
    /// Traces completed.
    pub completed: u64,
    /// Of those, closed by the maximum age.
    pub closed_by_max_age: u64,
    /// Traces not watched because the table was full.
    pub tracker_full: u64,
    /// Spans that ended after their trace completed.
    pub late_spans: u64,
    /// Traces kept by the tail policies, by reason: error, slow, rule,
    /// slowest (see [`KeepReason`]).
    pub kept_by_reason: [u64; 4],
    /// Traces a rule would have kept, over the rate cap.
    pub over_cap: u64,
    /// Spans exported because their trace was kept (late ones included).
    pub spans_exported: u64,
    /// Traces kept, per root operation (at most 512 names; the rest
    /// under `""`), most first.
    pub kept_by_operation: Vec<(String, u64)>,
}

impl TailStats {
    /// Traces kept by the tail policies, all reasons.
    ///
    /// ```
    /// assert_eq!(lantern::tail::TailStats::default().kept(), 0);
    /// ```
    pub fn kept(&self) -> u64 {
        self.kept_by_reason.iter().sum()
    }

    /// Traces kept for this reason.
    ///
    /// ```
    /// use lantern::tail::{KeepReason, TailStats};
    /// assert_eq!(TailStats::default().kept_for(KeepReason::Error), 0);
    /// ```
    pub fn kept_for(&self, reason: KeepReason) -> u64 {
        self.kept_by_reason[reason_index(reason)]
    }
}

pub(crate) fn reason_index(reason: KeepReason) -> usize {
    match reason {
        KeepReason::Error => 0,
        KeepReason::Slow => 1,
        KeepReason::Rule => 2,
        KeepReason::Slowest => 3,
    }
}
