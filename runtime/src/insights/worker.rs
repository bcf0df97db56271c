//! The analysis thread: completed traces are handed from the ingest thread
//! to a thread of their own (`lantern-insights`) through a bounded queue, so
//! a slow analysis never holds up recording. A full queue drops the trace
//! and counts it; an empty one leaves the thread asleep (no CPU when idle).
//!
//! Each trace is indexed once ([`TraceTree`], with its critical path) and
//! then given to every [`Analysis`] in turn.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_channel::{Receiver, Sender, TrySendError};

use super::tree::TraceTree;
use crate::tail::listener::{CompletedTrace, TraceListener};

/// Completed traces waiting for the analysis thread, at most.
pub(crate) const QUEUE_CAPACITY: usize = 256;

/// One analysis of completed traces (the service graph, the trace
/// patterns, ...), run on the analysis thread.
pub(crate) trait Analysis: Send + Sync + 'static {
    /// Reads one completed trace.
    fn analyse(&self, trace: &AnalysedTrace<'_>);
}

/// A completed trace as the analyses see it: indexed once for all of them.
pub(crate) struct AnalysedTrace<'a> {
    /// The trace as it completed.
    pub(crate) done: &'a CompletedTrace,
    /// Its spans by start with the parent -> children index.
    pub(crate) tree: TraceTree<'a>,
    /// Which spans of `tree.spans` are on the critical path.
    pub(crate) critical: Vec<bool>,
}

impl<'a> AnalysedTrace<'a> {
    pub(crate) fn new(done: &'a CompletedTrace) -> AnalysedTrace<'a> {
        let tree = TraceTree::new(&done.trace);
        let critical = tree.critical();
        AnalysedTrace { done, tree, critical }
    }
}

/// What the analysis thread did, from
/// [`Handle::insights`](crate::Handle::insights).
///
/// ```
/// let lantern = lantern::builder().service_graph(true).try_init_local();
/// let stats = lantern.handle().insights().unwrap();
/// assert_eq!((stats.analysed, stats.dropped), (0, 0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct InsightsStats {
    /// Completed traces analysed.
    pub analysed: u64,
    /// Completed traces not analysed because the queue to the analysis
    /// thread was full (it holds 256).
    pub dropped: u64,
    /// Analyses that panicked and were switched off.
    pub failed_analyses: u64,
}

#[derive(Default)]
pub(crate) struct WorkerCounters {
    analysed: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
}

impl WorkerCounters {
    pub(crate) fn stats(&self) -> InsightsStats {
        InsightsStats {
            analysed: self.analysed.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            failed_analyses: self.failed.load(Ordering::Relaxed),
        }
    }
}

/// The trace listener that feeds the analysis thread: `try_send`, never a
/// wait.
pub(crate) struct InsightsFeed {
    queue: Sender<CompletedTrace>,
    counters: Arc<WorkerCounters>,
}

impl TraceListener for InsightsFeed {
    fn on_trace(&self, trace: &CompletedTrace) {
        match self.queue.try_send(trace.clone()) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Starts the analysis thread over `analyses`; it runs until the returned
/// feed (held by the ingest thread) is dropped. `None` when the thread could
/// not be started (then nothing is analysed, and the reason is printed).
pub(crate) fn start(analyses: Vec<Arc<dyn Analysis>>, counters: Arc<WorkerCounters>) -> Option<InsightsFeed> {
    let (queue, traces) = crossbeam_channel::bounded(QUEUE_CAPACITY);
    let thread_counters = Arc::clone(&counters);
    let spawned = std::thread::Builder::new()
        .name("lantern-insights".into())
        .spawn(move || run(traces, analyses.into_iter().map(Some).collect(), &thread_counters));
    match spawned {
        Ok(_) => Some(InsightsFeed { queue, counters }),
        Err(e) => {
            eprintln!("lantern: the insights thread could not start ({e}); traces will not be analysed");
            None
        }
    }
}

fn run(traces: Receiver<CompletedTrace>, mut analyses: Vec<Option<Arc<dyn Analysis>>>, counters: &WorkerCounters) {
    // The analyses never trace themselves.
    let _quiet = tracing::dispatcher::set_default(&tracing::Dispatch::none());
    for done in traces {
        analyse_one(&done, &mut analyses, counters);
    }
}

/// Runs every analysis still on over one trace; one that panics is
/// switched off and counted.
pub(crate) fn analyse_one(
    done: &CompletedTrace,
    analyses: &mut [Option<Arc<dyn Analysis>>],
    counters: &WorkerCounters,
) {
    let trace = AnalysedTrace::new(done);
    for slot in analyses.iter_mut() {
        let Some(analysis) = slot else { continue };
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| analysis.analyse(&trace)));
        if result.is_err() {
            *slot = None;
            counters.failed.fetch_add(1, Ordering::Relaxed);
        }
    }
    counters.analysed.fetch_add(1, Ordering::Relaxed);
}
