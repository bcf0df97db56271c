//! The token bucket behind the rate-limited samplers, and the clock it reads.
//!
//! # One atomic per bucket
//!
//! A classic token bucket keeps two numbers, the tokens left and the time of
//! the last refill, and so needs a lock or a packed word to change both at
//! once. This one keeps a single number instead: the *theoretical arrival
//! time* (TAT) of the generic cell rate algorithm, the instant at which the
//! bucket would be full again if nothing more were taken. Taking a token
//! moves it forward by one interval (`1 s / rate`); a token is there when the
//! TAT is at most `burst - 1` intervals ahead of now. That is the same
//! admission rule as a bucket holding `burst` tokens refilled at `rate` per
//! second, with one `u64` of state: a decision is one load, and one
//! compare-and-swap when it takes a token. A bucket with no token left costs
//! a load and no write, so a busy operation whose limiter is dry does not
//! bounce a cache line between cores.
//!
//! The burst is `max(rate, 1)`, as in Jaeger's clients: a rate of 10 admits
//! ten traces at once and then one every 100 ms; a rate of 0.1 admits one,
//! then one every ten seconds. A new bucket starts full.
//!
//! Time is kept in whole nanoseconds, so the interval is rounded down to a
//! nanosecond (a rate of a million per second is exact, and a rate is never
//! undershot); above 10^9 per second, a bucket admits everything.
//!
//! # The clock
//!
//! Production samplers read the kernel's monotonic clock, coarse on Linux
//! (`CLOCK_MONOTONIC_COARSE`, through the vDSO: the last tick, 1 to 4 ms
//! old, for a few nanoseconds instead of the 20 ns or more of
//! [`std::time::Instant`]; that read was most of a rate-limited decision).
//! Tests drive a [`ManualClock`] instead, so that a minute of traffic
//! runs in microseconds and the counts are exact.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

const NANOS_PER_SECOND: f64 = 1e9;

/// A clock that moves only when told to: for testing the rate-limited
/// samplers without sleeping. Clones share one time. Not part of the stable
/// API.
///
/// ```
/// use lantern::sampling::{ManualClock, RateLimiting, Sampler};
/// # static CS: tracing::callsite::DefaultCallsite = tracing::callsite::DefaultCallsite::new(&META);
/// # static META: tracing::Metadata<'static> = tracing::Metadata::new("op", "t", tracing::Level::INFO,
/// #     None, None, None, tracing::field::FieldSet::new(&[], tracing::callsite::Identifier(&CS)),
/// #     tracing::metadata::Kind::SPAN);
/// let clock = ManualClock::new();
/// let sampler = RateLimiting::new(1.0).with_manual_clock(&clock);
/// let params = lantern::sampling::test_params(lantern::TraceId::random(), &META);
/// assert!(sampler.should_sample(&params).is_sampled());
/// assert!(!sampler.should_sample(&params).is_sampled(), "the one token is spent");
/// clock.advance(std::time::Duration::from_secs(1));
/// assert!(sampler.should_sample(&params).is_sampled());
/// assert_eq!(clock.elapsed(), std::time::Duration::from_secs(1));
/// ```
#[doc(hidden)]
#[derive(Clone, Debug, Default)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A clock at zero.
    ///
    /// ```
    /// assert_eq!(lantern::sampling::ManualClock::new().elapsed(), std::time::Duration::ZERO);
    /// ```
    pub fn new() -> Self {
        ManualClock::default()
    }

    /// Moves the clock forward (saturating at about 584 years).
    ///
    /// ```
    /// let clock = lantern::sampling::ManualClock::new();
    /// clock.advance(std::time::Duration::from_millis(5));
    /// assert_eq!(clock.elapsed().as_millis(), 5);
    /// ```
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        // `fetch_update` never fails with a closure that always answers.
        let _ = self.0.fetch_update(Relaxed, Relaxed, |t| Some(t.saturating_add(by)));
    }

    /// The time since the clock was made.
    ///
    /// ```
    /// assert!(lantern::sampling::ManualClock::new().elapsed().is_zero());
    /// ```
    pub fn elapsed(&self) -> Duration {
        Duration::from_nanos(self.0.load(Relaxed))
    }
}

/// Where a sampler reads the time: nanoseconds since the sampler was made.
///
/// On Linux the monotonic clock is read coarse (`CLOCK_MONOTONIC_COARSE`:
/// the kernel's last tick, 1 to 4 ms old, a few nanoseconds to read
/// against 20 ns or more for the precise clock). A bucket that reads a
/// coarse clock still admits `rate` a second over time: within one tick it
/// admits at most its burst, and the tick's worth of tokens at the next.
#[derive(Clone, Debug)]
pub(crate) enum Clock {
    Monotonic(u64),
    Manual(ManualClock),
}

/// The coarse monotonic clock, in nanoseconds.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[inline]
fn coarse_nanos() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::MonotonicCoarse);
    (t.tv_sec as u64).saturating_mul(1_000_000_000).saturating_add(t.tv_nsec as u64)
}

/// Elsewhere: the precise one, from a process-wide origin.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
#[inline]
fn coarse_nanos() -> u64 {
    static ORIGIN: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    u64::try_from(ORIGIN.get_or_init(std::time::Instant::now).elapsed().as_nanos()).unwrap_or(u64::MAX)
}

impl Clock {
    pub(crate) fn monotonic() -> Self {
        Clock::Monotonic(coarse_nanos())
    }

    #[inline]
    pub(crate) fn now_nanos(&self) -> u64 {
        match self {
            // Saturates at zero; 584 years of nanoseconds fit a u64.
            Clock::Monotonic(origin) => coarse_nanos().saturating_sub(*origin),
            Clock::Manual(clock) => clock.0.load(Relaxed),
        }
    }
}

/// A rate, as the samplers take it: NaN and negative rates are 0 (nothing
/// admitted), +inf stays (everything admitted).
pub(crate) fn clamp_rate(per_second: f64) -> f64 {
    if per_second.is_nan() || per_second <= 0.0 { 0.0 } else { per_second }
}

/// `rate` tokens a second, a burst of `max(rate, 1)`, one atomic of state
/// (see the module docs).
#[derive(Debug)]
pub(crate) struct TokenBucket {
    /// Nanoseconds per token; 0 admits everything.
    interval: u64,
    /// How far ahead of now the TAT may be for a token to be left: the
    /// burst less one token, in nanoseconds.
    slack: u64,
    /// A rate of 0: admits nothing.
    closed: bool,
    /// The theoretical arrival time, in the clock's nanoseconds.
    tat: AtomicU64,
}

impl TokenBucket {
    /// A full bucket for `per_second` (clamped by [`clamp_rate`]).
    pub(crate) fn new(per_second: f64) -> Self {
        let rate = clamp_rate(per_second);
        // Rounded down: never fewer tokens than the rate. The cast saturates
        // (a rate of 1e-30 waits u64::MAX ns) and +inf gives 0 (unlimited).
        let interval = (NANOS_PER_SECOND / rate).floor() as u64;
        // The burst is max(rate, 1) tokens: one second's worth, or one token.
        let window = interval.max(NANOS_PER_SECOND as u64);
        TokenBucket { interval, slack: window - interval, closed: rate == 0.0, tat: AtomicU64::new(0) }
    }

    /// Takes a token if one is left at `now` (nanoseconds of the clock).
    #[inline]
    pub(crate) fn try_take(&self, now: u64) -> bool {
        if self.closed {
            return false;
        }
        if self.interval == 0 {
            return true;
        }
        let mut tat = self.tat.load(Relaxed);
        loop {
            if tat.saturating_sub(now) > self.slack {
                return false;
            }
            let next = tat.max(now).saturating_add(self.interval);
            match self.tat.compare_exchange_weak(tat, next, Relaxed, Relaxed) {
                Ok(_) => return true,
                Err(actual) => tat = actual,
            }
        }
    }

    /// Takes a token if one is left now; reads `clock` only when the answer
    /// depends on the time (not for a rate of 0 or an unlimited one).
    #[inline]
    pub(crate) fn take(&self, clock: &Clock) -> bool {
        if self.closed || self.interval == 0 {
            return !self.closed;
        }
        self.try_take(clock.now_nanos())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    fn taken(bucket: &TokenBucket, now: u64, tries: usize) -> usize {
        (0..tries).filter(|_| bucket.try_take(now)).count()
    }

    #[test]
    fn a_full_bucket_admits_the_burst_then_the_rate() {
        let b = TokenBucket::new(10.0);
        assert_eq!(taken(&b, 0, 100), 10);
        assert_eq!(taken(&b, S / 10, 100), 1);
        assert_eq!(taken(&b, 2 * S, 100), 10, "refilled, never above the burst");
    }

    #[test]
    fn whole_rates_get_their_whole_burst() {
        for rate in [1.0, 3.0, 7.0, 9.0, 13.0, 1000.0] {
            assert_eq!(taken(&TokenBucket::new(rate), 5 * S, 10_000), rate as usize, "rate {rate}");
        }
        assert_eq!(taken(&TokenBucket::new(2.5), 0, 100), 2);
    }

    #[test]
    fn fractional_rates_admit_one_then_wait() {
        let b = TokenBucket::new(0.1);
        assert_eq!(taken(&b, 0, 10), 1);
        assert_eq!(taken(&b, 9 * S, 10), 0);
        assert_eq!(taken(&b, 10 * S, 10), 1);
    }

    #[test]
    fn bad_and_extreme_rates_neither_panic_nor_overflow() {
        for rate in [f64::NAN, -1.0, 0.0, f64::NEG_INFINITY] {
            let b = TokenBucket::new(rate);
            assert_eq!(taken(&b, u64::MAX, 10), 0, "rate {rate}");
            assert!(!b.take(&Clock::monotonic()));
        }
        for rate in [f64::INFINITY, 1e9, 1e300] {
            assert_eq!(taken(&TokenBucket::new(rate), 0, 10), 10, "rate {rate}");
        }
        let tiny = TokenBucket::new(1e-300);
        assert_eq!(taken(&tiny, 0, 10), 1);
        assert_eq!(taken(&tiny, u64::MAX - 1, 10), 0, "the next token comes at the end of time");
        // At the end of time (584 years in), arithmetic saturates: no panic.
        taken(&TokenBucket::new(10.0), u64::MAX, 100);
    }

    #[test]
    fn a_clock_that_goes_back_is_harmless() {
        let b = TokenBucket::new(10.0);
        assert_eq!(taken(&b, 5 * S, 100), 10);
        assert_eq!(taken(&b, S, 100), 0);
    }

    #[test]
    fn threads_together_take_no_more_than_the_burst() {
        let b = TokenBucket::new(100.0);
        let total: usize = std::thread::scope(|s| {
            let hs: Vec<_> = (0..4).map(|_| s.spawn(|| taken(&b, 0, 1000))).collect();
            hs.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(total, 100);
    }

    #[test]
    fn the_manual_clock_moves_only_when_told() {
        let clock = ManualClock::new();
        let c = Clock::Manual(clock.clone());
        assert_eq!(c.now_nanos(), 0);
        clock.advance(Duration::from_secs(2));
        assert_eq!(c.now_nanos(), 2 * S);
        clock.advance(Duration::MAX);
        assert_eq!(c.now_nanos(), u64::MAX);
        assert!(Clock::monotonic().now_nanos() < 60 * S);
    }
}
