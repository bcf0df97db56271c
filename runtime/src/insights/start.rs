//! Turning the insights on: each analysis the builder asked for, its
//! metrics, and the analysis thread that runs them.

use std::sync::Arc;

use super::aggregate::GraphState;
use super::feature_metrics::FeatureFamilies;
use super::feature_state::FeatureState;
use super::features::FeatureExtractor;
use super::own_metrics::GraphFamilies;
use super::patterns_state::{MAX_OPERATIONS, PatternFamilies, PatternState};
use super::quality_metrics::QualityFamilies;
use super::quality_state::QualityState;
use super::state::Insights;
use super::worker::{Analysis, InsightsFeed, WorkerCounters, start};
use crate::handle::Handle;
use crate::sampling::RecordingMode;

/// What the builder asked for.
pub(crate) struct Wanted {
    /// The service graph alone ([`crate::Builder::service_graph`]).
    pub(crate) service_graph: bool,
    /// Every analysis ([`crate::Builder::insights`]).
    pub(crate) all: bool,
    /// The user's feature extractors ([`crate::Builder::feature_extractor`]):
    /// any turns the trace features on.
    pub(crate) extractors: Vec<Arc<dyn FeatureExtractor>>,
}

/// Sets up the insights asked for on `handle` and starts the analysis
/// thread; the feed it returns is the trace listener to install. `None`
/// when nothing is asked for.
pub(crate) fn start_insights(handle: &Handle, wanted: &Wanted) -> Option<InsightsFeed> {
    let (analyses, insights) = analyses(handle, wanted);
    if analyses.is_empty() {
        return None;
    }
    let counters = Arc::clone(&insights.counters);
    handle.set_insights(Arc::new(insights));
    start(analyses, counters)
}

/// The analyses asked for, their metrics registered on `handle`'s store,
/// and the state the handle reads.
pub(crate) fn analyses(handle: &Handle, wanted: &Wanted) -> (Vec<Arc<dyn Analysis>>, Insights) {
    let mut analyses: Vec<Arc<dyn Analysis>> = Vec::new();
    let mut graph = None;
    if wanted.service_graph || wanted.all {
        let state = Arc::new(GraphState::new(handle.resource().service_name()));
        handle.metrics().add_own_families(GraphFamilies(Arc::clone(&state)));
        analyses.push(state.clone());
        graph = Some(state);
    }
    let mut quality = None;
    if wanted.all {
        let state = Arc::new(QualityState::new(handle.resource().service_name()));
        handle.metrics().add_own_families(QualityFamilies(Arc::clone(&state)));
        analyses.push(state.clone());
        quality = Some(state);
    }
    let mut patterns = None;
    if wanted.all {
        let state = Arc::new(PatternState::new(MAX_OPERATIONS));
        handle.metrics().add_own_families(PatternFamilies(Arc::clone(&state)));
        analyses.push(state.clone());
        patterns = Some(state);
    }
    let mut features = None;
    if wanted.all || !wanted.extractors.is_empty() {
        let sampled_only = handle.sampling().recording_mode() == RecordingMode::SampledOnly;
        let state =
            Arc::new(FeatureState::new(handle.resource().service_name(), sampled_only, wanted.extractors.clone()));
        handle.metrics().add_own_families(FeatureFamilies(Arc::clone(&state)));
        analyses.push(state.clone());
        features = Some(state);
    }
    let counters = Arc::new(WorkerCounters::default());
    (analyses, Insights { graph, quality, patterns, features, counters })
}
