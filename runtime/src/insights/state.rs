//! What the builder turned on, for the handle to read: each analysis's
//! state, and the analysis thread's counters.

use std::sync::Arc;

use super::aggregate::GraphState;
use super::feature_state::FeatureState;
use super::patterns_state::PatternState;
use super::quality_state::QualityState;
use super::worker::WorkerCounters;

/// The insights of one Lantern, set once when the layer is built.
pub(crate) struct Insights {
    /// The service graph, when it is on.
    pub(crate) graph: Option<Arc<GraphState>>,
    /// Tracing quality, when it is on.
    pub(crate) quality: Option<Arc<QualityState>>,
    /// The trace features, when they are on.
    pub(crate) features: Option<Arc<FeatureState>>,
    /// The trace patterns, when they are on.
    pub(crate) patterns: Option<Arc<PatternState>>,
    /// The analysis thread's counters.
    pub(crate) counters: Arc<WorkerCounters>,
}
