//! What the builder turned on, for the handle to read: each analysis's
//! state, and the analysis thread's counters.

use std::sync::Arc;

use super::aggregate::GraphState;
use super::patterns_state::PatternState;
use super::worker::WorkerCounters;

/// The insights of one Lantern, set once when the layer is built.
pub(crate) struct Insights {
    /// The service graph, when it is on.
    pub(crate) graph: Option<Arc<GraphState>>,
    /// The trace patterns, when they are on.
    pub(crate) patterns: Option<Arc<PatternState>>,
    /// The analysis thread's counters.
    pub(crate) counters: Arc<WorkerCounters>,
}
