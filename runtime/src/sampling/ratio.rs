//! Consistent probability sampling from the trace id.

use super::sampler::{Sampler, SamplingDecision, SamplingParams, SamplingResult};
use super::state::SamplerState;
use super::tag::SamplerTag;
use super::threshold;

/// Samples a fixed fraction of traces, decided from the trace id alone.
///
/// Every process using the same ratio makes the same decision for the same
/// trace: OpenTelemetry's consistent probability sampling. The decision
/// reads the trace's randomness ([`SamplingParams::randomness`]: the trace
/// id's right-most 56 bits, the part that W3C Trace Context Level 2
/// guarantees random, unless the caller sent an explicit `rv`) and samples
/// when it is at least the rejection threshold `2^56 - round(ratio * 2^56)`.
/// A sampled root is tagged `sampler.type = probabilistic`, `sampler.param
/// = ratio`, and its `tracestate` carries the threshold (`ot=th:...`), so
/// readers downstream know what it stands for.
///
/// ```
/// use lantern::sampling::{Sampler, TraceIdRatio};
/// assert_eq!(TraceIdRatio::new(0.5).description(), "TraceIdRatio{0.5}");
/// assert_eq!(TraceIdRatio::new(7.0).ratio(), 1.0); // clamped to [0, 1]
/// ```
#[derive(Clone, Copy, Debug)]
pub struct TraceIdRatio {
    ratio: f64,
    /// The rejection threshold: sampled when the randomness is at least it.
    threshold: u64,
}

impl TraceIdRatio {
    /// A sampler keeping `ratio` of traces; NaN counts as 0, the ratio is
    /// clamped to `[0, 1]`.
    ///
    /// ```
    /// assert_eq!(lantern::sampling::TraceIdRatio::new(f64::NAN).ratio(), 0.0);
    /// ```
    pub fn new(ratio: f64) -> Self {
        let ratio = if ratio.is_nan() { 0.0 } else { ratio.clamp(0.0, 1.0) };
        TraceIdRatio { ratio, threshold: threshold::threshold(ratio) }
    }

    /// The fraction kept.
    ///
    /// ```
    /// assert_eq!(lantern::sampling::TraceIdRatio::new(0.1).ratio(), 0.1);
    /// ```
    pub fn ratio(&self) -> f64 {
        self.ratio
    }

    #[inline]
    pub(crate) fn samples(&self, params: &SamplingParams<'_>) -> bool {
        params.randomness() >= self.threshold
    }
}

impl Sampler for TraceIdRatio {
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingDecision {
        SamplingDecision::from_bool(self.samples(params))
    }
    #[inline]
    fn decide(&self, params: &SamplingParams<'_>) -> SamplingResult {
        SamplingResult::sampled_by(self.samples(params), SamplerTag::probabilistic(self.ratio))
    }
    fn description(&self) -> String {
        format!("TraceIdRatio{{{}}}", self.ratio)
    }
    fn inspect(&self, state: &mut SamplerState) {
        state.probability = Some(self.ratio);
    }
}
