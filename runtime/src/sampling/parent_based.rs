//! [`ParentBased`]: follow the caller's decision, ask a root sampler for
//! new traces.

use super::always::AlwaysOn;
use super::sampler::{Sampler, SamplingDecision, SamplingParams, SamplingResult};
use super::state::SamplerState;

/// Follows a remote parent's sampled flag; asks `root` for new traces.
///
/// A trace that follows its parent carries no `sampler.type` of its own and
/// keeps the parent's `tracestate` as it came, threshold (`ot=th`)
/// included: its adjusted count is the parent's. A new trace is tagged by
/// `root`.
///
/// ```
/// use lantern::sampling::{ParentBased, Sampler, TraceIdRatio};
/// let s = ParentBased::new(TraceIdRatio::new(0.25));
/// assert_eq!(s.description(), "ParentBased{root=TraceIdRatio{0.25}}");
/// ```
pub struct ParentBased {
    root: Box<dyn Sampler>,
}

impl ParentBased {
    /// Wraps the sampler used for traces with no upstream.
    ///
    /// ```
    /// let _ = lantern::sampling::ParentBased::new(lantern::sampling::AlwaysOn);
    /// ```
    pub fn new(root: impl Sampler) -> Self {
        ParentBased { root: Box::new(root) }
    }
}

impl Default for ParentBased {
    fn default() -> Self {
        ParentBased::new(AlwaysOn)
    }
}

impl std::fmt::Debug for ParentBased {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description())
    }
}

impl Sampler for ParentBased {
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingDecision {
        self.decide(params).decision()
    }
    fn decide(&self, params: &SamplingParams<'_>) -> SamplingResult {
        match params.remote_parent {
            Some(parent) => SamplingDecision::from_bool(parent.is_sampled()).into(),
            None => self.root.decide(params),
        }
    }
    fn description(&self) -> String {
        format!("ParentBased{{root={}}}", self.root.description())
    }
    fn inspect(&self, state: &mut SamplerState) {
        state.follows_remote_parent = true;
        self.root.inspect(state);
    }
}
