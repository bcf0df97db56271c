//! [`RateLimiting`]: at most N new traces a second.

use super::bucket::{Clock, ManualClock, TokenBucket, clamp_rate};
use super::sampler::{Sampler, SamplingDecision, SamplingParams, SamplingResult};
use super::tag::SamplerTag;

/// Samples at most `max_per_second` new traces a second, whatever the
/// traffic: Jaeger's `rateLimiting {maxTracesPerSecond}` strategy.
///
/// A token bucket refilled at the rate, holding a burst of
/// `max(max_per_second, 1)` tokens, decides: a trace is sampled when a token
/// is left. The bucket starts full, so the first traces are sampled at once;
/// after that, at most one burst beyond the rate passes in any window of
/// time. The rate may be fractional: `0.1` samples one trace every ten
/// seconds. A sampled root is tagged `sampler.type = ratelimiting`,
/// `sampler.param = max_per_second`; its adjusted count is unknown (the
/// clock decided, not a probability).
///
/// Unlike [`TraceIdRatio`](super::ratio::TraceIdRatio), the decision does not
/// follow from the trace id, so two services limiting their own rate keep
/// different traces; put it under [`ParentBased`](super::parent_based::ParentBased)
/// so that traces arriving from upstream keep the upstream decision.
///
/// # Cost
///
/// A decision reads the monotonic clock and one atomic, and takes a token
/// with one compare-and-swap. It never locks and never allocates.
///
/// ```
/// use lantern::sampling::{ParentBased, RateLimiting, Sampler};
/// let sampler = RateLimiting::new(2.0);
/// assert_eq!(sampler.description(), "RateLimiting{2}");
/// let lantern = lantern::builder().sampler(ParentBased::new(sampler)).try_init_local();
/// for _ in 0..100 {
///     tracing::info_span!("request").in_scope(|| {});
/// }
/// let request = &lantern.handle().sampling().roots()[0];
/// assert_eq!(request.seen, 100);
/// // The burst of two, and one more for each half second the loop took.
/// assert!((2..=3).contains(&request.sampled), "{}", request.sampled);
/// ```
#[derive(Debug)]
pub struct RateLimiting {
    max_per_second: f64,
    bucket: TokenBucket,
    clock: Clock,
}

impl RateLimiting {
    /// At most `max_per_second` traces a second. NaN and negative rates
    /// count as 0 (nothing is sampled); `f64::INFINITY` samples everything.
    ///
    /// ```
    /// use lantern::sampling::RateLimiting;
    /// assert_eq!(RateLimiting::new(0.5).max_per_second(), 0.5);
    /// assert_eq!(RateLimiting::new(-3.0).max_per_second(), 0.0);
    /// assert_eq!(RateLimiting::new(f64::NAN).max_per_second(), 0.0);
    /// ```
    pub fn new(max_per_second: f64) -> Self {
        let max_per_second = clamp_rate(max_per_second);
        RateLimiting { max_per_second, bucket: TokenBucket::new(max_per_second), clock: Clock::monotonic() }
    }

    /// The rate, after clamping.
    ///
    /// ```
    /// assert_eq!(lantern::sampling::RateLimiting::new(25.0).max_per_second(), 25.0);
    /// ```
    pub fn max_per_second(&self) -> f64 {
        self.max_per_second
    }

    /// Reads `clock` instead of the monotonic clock, with a full bucket: for
    /// tests. Not part of the stable API.
    ///
    /// ```
    /// use lantern::sampling::{ManualClock, RateLimiting};
    /// let clock = ManualClock::new();
    /// let _sampler = RateLimiting::new(5.0).with_manual_clock(&clock);
    /// ```
    #[doc(hidden)]
    pub fn with_manual_clock(self, clock: &ManualClock) -> Self {
        RateLimiting { bucket: TokenBucket::new(self.max_per_second), clock: Clock::Manual(clock.clone()), ..self }
    }
}

impl Sampler for RateLimiting {
    #[inline]
    fn should_sample(&self, _: &SamplingParams<'_>) -> SamplingDecision {
        SamplingDecision::from_bool(self.bucket.take(&self.clock))
    }

    #[inline]
    fn decide(&self, params: &SamplingParams<'_>) -> SamplingResult {
        SamplingResult::new(self.should_sample(params), Some(SamplerTag::rate_limiting(self.max_per_second)))
    }

    fn description(&self) -> String {
        format!("RateLimiting{{{}}}", self.max_per_second)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_manual_clock_drives_the_bucket() {
        let clock = ManualClock::new();
        let s = RateLimiting::new(2.0).with_manual_clock(&clock);
        let params =
            super::super::sampler::test_params(crate::ids::TraceId::random(), super::super::sampler::test_metadata());
        let count = |n| (0..n).filter(|_| s.should_sample(&params).is_sampled()).count();
        assert_eq!(count(10), 2);
        clock.advance(Duration::from_millis(500));
        assert_eq!(count(10), 1);
        assert_eq!(RateLimiting::new(0.0).description(), "RateLimiting{0}");
        assert_eq!(RateLimiting::new(f64::INFINITY).description(), "RateLimiting{inf}");
        let all = RateLimiting::new(f64::INFINITY);
        assert!((0..100).all(|_| all.should_sample(&params).is_sampled()));
        let none = RateLimiting::new(0.0);
        assert!(!(0..100).any(|_| none.should_sample(&params).is_sampled()));
    }
}
