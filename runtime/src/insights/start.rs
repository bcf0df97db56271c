//! Turning the insights on: each analysis the builder asked for, its
//! metrics, and the analysis thread that runs them.

use std::sync::Arc;

use super::aggregate::GraphState;
use super::own_metrics::GraphFamilies;
use super::patterns_state::{MAX_OPERATIONS, PatternFamilies, PatternState};
use super::state::Insights;
use super::worker::{Analysis, InsightsFeed, WorkerCounters, start};
use crate::handle::Handle;

/// What the builder asked for.
pub(crate) struct Wanted {
    /// The service graph alone ([`crate::Builder::service_graph`]).
    pub(crate) service_graph: bool,
    /// Every analysis ([`crate::Builder::insights`]).
    pub(crate) all: bool,
}

/// Sets up the insights asked for on `handle` and starts the analysis
/// thread; the feed it returns is the trace listener to install. `None`
/// when nothing is asked for.
pub(crate) fn start_insights(handle: &Handle, wanted: &Wanted) -> Option<InsightsFeed> {
    let mut analyses: Vec<Arc<dyn Analysis>> = Vec::new();
    let mut graph = None;
    if wanted.service_graph || wanted.all {
        let state = Arc::new(GraphState::new(handle.resource().service_name()));
        handle.metrics().add_own_families(GraphFamilies(Arc::clone(&state)));
        analyses.push(state.clone());
        graph = Some(state);
    }
    let mut patterns = None;
    if wanted.all {
        let state = Arc::new(PatternState::new(MAX_OPERATIONS));
        handle.metrics().add_own_families(PatternFamilies(Arc::clone(&state)));
        analyses.push(state.clone());
        patterns = Some(state);
    }
    if analyses.is_empty() {
        return None;
    }
    let counters = Arc::new(WorkerCounters::default());
    handle.set_insights(Arc::new(Insights { graph, patterns, counters: Arc::clone(&counters) }));
    start(analyses, counters)
}
