//! The two constant samplers.

use super::sampler::{Sampler, SamplingDecision, SamplingParams, SamplingResult};
use super::state::SamplerState;
use super::tag::SamplerTag;

/// Samples every trace; a sampled root is tagged `sampler.type = const`,
/// `sampler.param = 1`.
///
/// ```
/// use lantern::sampling::{AlwaysOn, Sampler};
/// assert_eq!(AlwaysOn.description(), "AlwaysOn");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct AlwaysOn;

impl Sampler for AlwaysOn {
    fn should_sample(&self, _: &SamplingParams<'_>) -> SamplingDecision {
        SamplingDecision::Sample
    }
    fn decide(&self, _: &SamplingParams<'_>) -> SamplingResult {
        SamplingResult::sampled_by(true, SamplerTag::constant(true))
    }
    fn description(&self) -> String {
        "AlwaysOn".into()
    }
    fn inspect(&self, state: &mut SamplerState) {
        state.probability = Some(1.0);
    }
}

/// Samples no trace.
///
/// ```
/// use lantern::sampling::{AlwaysOff, Sampler};
/// assert_eq!(AlwaysOff.description(), "AlwaysOff");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct AlwaysOff;

impl Sampler for AlwaysOff {
    fn should_sample(&self, _: &SamplingParams<'_>) -> SamplingDecision {
        SamplingDecision::Drop
    }
    fn decide(&self, _: &SamplingParams<'_>) -> SamplingResult {
        SamplingResult::sampled_by(false, SamplerTag::constant(false))
    }
    fn description(&self) -> String {
        "AlwaysOff".into()
    }
    fn inspect(&self, state: &mut SamplerState) {
        state.probability = Some(0.0);
    }
}
