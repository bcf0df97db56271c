//! What the analysis thread spends on one trace, measured on the calling
//! thread: for `benches/insights.rs`, not a stable API.

use std::sync::Arc;

use super::start::{Wanted, analyses};
use super::worker::{Analysis, WorkerCounters, analyse_one};
use crate::handle::Handle;
use crate::tail::listener::CompletedTrace;

/// Every analysis that [`Builder::insights`](crate::Builder::insights)
/// turns on, with state of its own, run on the caller's thread.
#[doc(hidden)]
pub struct BenchAnalyser {
    analyses: Vec<Option<Arc<dyn Analysis>>>,
    counters: WorkerCounters,
}

impl BenchAnalyser {
    /// The analyses, their metrics registered on `handle`'s store and
    /// their state read through it (a handle with insights of its own
    /// keeps those).
    pub fn new(handle: &Handle) -> BenchAnalyser {
        let (analyses, insights) = analyses(handle, &Wanted { service_graph: true, all: true, extractors: Vec::new() });
        handle.set_insights(Arc::new(insights));
        BenchAnalyser { analyses: analyses.into_iter().map(Some).collect(), counters: WorkerCounters::default() }
    }

    /// Analyses `trace` once, as the analysis thread does.
    pub fn analyse(&mut self, trace: &CompletedTrace) {
        analyse_one(trace, &mut self.analyses, &self.counters);
    }

    /// Traces analysed so far.
    pub fn analysed(&self) -> u64 {
        self.counters.stats().analysed
    }
}
