//! Consistent probability sampling from the trace id.

use super::sampler::{Sampler, SamplingDecision, SamplingParams};

/// Samples a fixed fraction of traces, decided from the trace id alone.
///
/// Every process using the same ratio makes the same decision for the same
/// trace. The decision reads the trace id's right-most 56 bits, the part that
/// W3C Trace Context Level 2 guarantees random (the `random` flag), and samples
/// when they fall below `ratio * 2^56`.
///
/// ```
/// use lantern::sampling::{Sampler, TraceIdRatio};
/// assert_eq!(TraceIdRatio::new(0.5).description(), "TraceIdRatio{0.5}");
/// assert_eq!(TraceIdRatio::new(7.0).ratio(), 1.0); // clamped to [0, 1]
/// ```
#[derive(Clone, Copy, Debug)]
pub struct TraceIdRatio {
    ratio: f64,
    threshold: u64,
}

const RANDOM_BITS: u32 = 56;

impl TraceIdRatio {
    /// A sampler keeping `ratio` of traces; NaN counts as 0, the ratio is
    /// clamped to `[0, 1]`.
    ///
    /// ```
    /// assert_eq!(lantern::sampling::TraceIdRatio::new(f64::NAN).ratio(), 0.0);
    /// ```
    pub fn new(ratio: f64) -> Self {
        let ratio = if ratio.is_nan() { 0.0 } else { ratio.clamp(0.0, 1.0) };
        let threshold = (ratio * (1u64 << RANDOM_BITS) as f64) as u64;
        TraceIdRatio { ratio, threshold }
    }

    /// The fraction kept.
    ///
    /// ```
    /// assert_eq!(lantern::sampling::TraceIdRatio::new(0.1).ratio(), 0.1);
    /// ```
    pub fn ratio(&self) -> f64 {
        self.ratio
    }

    pub(crate) fn samples(&self, trace_id: crate::ids::TraceId) -> bool {
        let random = (trace_id.to_u128() as u64) & ((1u64 << RANDOM_BITS) - 1);
        random < self.threshold
    }
}

impl Sampler for TraceIdRatio {
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingDecision {
        SamplingDecision::from_bool(self.samples(params.trace_id))
    }
    fn description(&self) -> String {
        format!("TraceIdRatio{{{}}}", self.ratio)
    }
}
