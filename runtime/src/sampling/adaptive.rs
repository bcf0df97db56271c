//! [`Adaptive`]: a probability per root operation that follows the traffic,
//! so that each operation is sampled at a target rate.
//!
//! # Jaeger's method, computed locally
//!
//! A fixed probability is right for one traffic level only: 1% of a quiet
//! endpoint is nothing, 1% of a busy one floods the exporter, and the busy
//! one's traffic changes through the day. Jaeger's adaptive sampling aims
//! instead at a *target* of sampled traces per second for each operation
//! (1 by default) and corrects each operation's probability every interval
//! from what it observed:
//!
//! ```text
//! p' = p * target / sampled_per_second
//! ```
//!
//! An increase is damped to at most +50% a step, so that a lull does not open
//! the gates before the next burst; a decrease applies at once, so that a
//! spike is cut within one interval. The probability stays in
//! `[min_probability, 1]` (Jaeger's `1e-5`), and a new operation starts low
//! (Jaeger's `0.001`).
//!
//! Jaeger's collector sees only the *sampled* spans, so it estimates the rate
//! from them, with noise, and keeps the old probability while the estimate
//! is within a tolerance (30%) of the target. Here the sampler counts every
//! root it is asked about, sampled or not, so the rate it divides by is
//! exact: with `seen` roots in `elapsed` seconds, the expected sampled rate
//! is `p * seen / elapsed`, and the formula above becomes
//!
//! ```text
//! p' = min(target * elapsed / seen, 1.5 * p), clamped to [min_probability, 1]
//! ```
//!
//! with no tolerance band. An operation with no root in the interval keeps
//! its probability. An operation first seen during the interval is measured
//! from its first root, not from the interval's start.
//!
//! # Never starved, never flooding
//!
//! Each operation also has a lower-bound token bucket (default one trace a
//! minute, Jaeger's `minSamplesPerSecond`), as in
//! [`GuaranteedThroughput`](super::per_operation::GuaranteedThroughput): a
//! root the probability dropped is still sampled when the bucket has a token,
//! so a new or rare operation is seen at once (its bucket starts full), long
//! before its probability has climbed. A trace the probability sampled
//! spends a token too: the lower bound is a floor under the operation's
//! sampled rate, not an addition to it. An optional per-service ceiling
//! ([`Adaptive::with_max_total_per_second`]) bounds the traces sampled by all
//! operations together.
//!
//! # Cost
//!
//! A decision does no lock and no allocation (one allocation when a name is
//! first seen): a clock read, one atomic load of the next update time, a
//! probe of the lock-free operation table shared with
//! [`GuaranteedThroughput`](super::per_operation::GuaranteedThroughput), one
//! `fetch_add` on the operation's root counter, one atomic load of its
//! probability (the bits of an `f64`) with the trace id rule of
//! [`TraceIdRatio`](super::ratio::TraceIdRatio), and the lower-bound bucket
//! (one load; a compare-and-swap only when a token is taken).
//!
//! There is no background thread, so an idle process spends nothing on
//! sampling. The update is lazy: the first decision that finds the interval
//! over wins a compare-and-swap on the next update time and recomputes every
//! operation's probability, once per interval, by one thread. That one
//! decision pays `O(max_operations)` (a pass over the table's slots, about
//! 4096 at the default cap of 2000 operations); the others do not wait.
//!
//! Memory is bounded: at most [`DEFAULT_MAX_OPERATIONS`] names (set with
//! [`Adaptive::with_max_operations`]), keyed by their first 256 bytes; names
//! past the cap share one default operation, with its own probability and
//! lower bound adapted to their total traffic. Each operation also keeps its
//! probability over the last hour, one point a minute (60 `f32`s, 240
//! bytes), for `/debug/sampling` ([`Sampler::inspect`]): the update writes
//! a point for every operation when a minute has passed since the last one,
//! so recording costs a decision that does not update nothing at all.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, SystemTime};

use super::bucket::{Clock, ManualClock, TokenBucket, clamp_rate};
use super::history::{self, Times, Values, WINDOW_NANOS};
use super::per_operation::{DEFAULT_MAX_OPERATIONS, MAX_OPERATIONS_LIMIT, Named, Table};
use super::sampler::{Sampler, SamplingDecision, SamplingParams, SamplingResult};
use super::state::{OperationState, SamplerState};
use super::tag::SamplerTag;
use super::threshold::threshold;
use crate::text::{MAX_NAME_BYTES, cut};

/// The largest step up a probability takes in one interval: +50%, Jaeger's
/// `percentIncreaseCap`.
const MAX_INCREASE: f64 = 1.5;

/// The shortest interval accepted: a shorter one would make every decision
/// pay for an update.
const MIN_INTERVAL: Duration = Duration::from_millis(100);

/// Jaeger's adaptive sampling, computed in this process: per root span name,
/// a probability that is recomputed every interval so that the operation is
/// sampled at `target` traces a second, plus a lower bound so that no
/// operation is starved. See the module docs for the method and its cost.
///
/// Defaults, as Jaeger's adaptive sampling processor has them unless said:
/// - minimum probability `1e-5` ([`Adaptive::with_min_probability`]);
/// - initial probability of a new operation `0.001`
///   ([`Adaptive::with_initial_probability`]);
/// - lower bound of one trace a minute per operation
///   ([`Adaptive::with_lower_bound`]);
/// - an update every 10 s ([`Adaptive::with_interval`]; Jaeger's collector
///   recomputes every minute, but a local sampler counts every root, so a
///   shorter interval measures as well and reacts sooner);
/// - at most [`DEFAULT_MAX_OPERATIONS`] operations
///   ([`Adaptive::with_max_operations`]);
/// - no per-service ceiling ([`Adaptive::with_max_total_per_second`]).
///
/// A sampled root is tagged as Jaeger's clients tag it: `sampler.type =
/// probabilistic` when the operation's probability sampled it (with that
/// threshold in its `tracestate`), `lowerbound` when the lower bound let it
/// in; `sampler.param` is the operation's probability at the decision.
///
/// ```
/// use lantern::sampling::{Adaptive, ParentBased, Sampler};
/// let sampler = Adaptive::new(1.0);
/// assert_eq!(sampler.description(), "Adaptive{target=1/s, operations=0}");
/// let lantern = lantern::builder().sampler(ParentBased::new(sampler)).try_init_local();
/// tracing::info_span!("POST /refund").in_scope(|| {});
/// let refund = &lantern.handle().sampling().roots()[0];
/// assert_eq!(refund.sampled, 1, "a new operation gets its lower bound at once");
/// ```
pub struct Adaptive {
    target: f64,
    min_probability: f64,
    initial_probability: f64,
    lower_bound: f64,
    interval: u64,
    max_operations: usize,
    max_total: Option<f64>,
    clock: Clock,
    /// Built at the first decision, from the configuration above.
    state: OnceLock<State>,
}

impl Adaptive {
    /// Aims at `target_traces_per_second_per_operation` sampled traces a
    /// second for each root operation (NaN and negative are 0: every
    /// operation falls to the minimum probability and its lower bound).
    ///
    /// ```
    /// use lantern::sampling::{Adaptive, Sampler};
    /// assert_eq!(Adaptive::new(f64::NAN).description(), "Adaptive{target=0/s, operations=0}");
    /// ```
    pub fn new(target_traces_per_second_per_operation: f64) -> Self {
        Adaptive {
            target: clamp_rate(target_traces_per_second_per_operation),
            min_probability: 1e-5,
            initial_probability: 0.001,
            lower_bound: 1.0 / 60.0,
            interval: 10_000_000_000,
            max_operations: DEFAULT_MAX_OPERATIONS,
            max_total: None,
            clock: Clock::monotonic(),
            state: OnceLock::new(),
        }
    }

    /// The lowest probability an operation falls to (clamped to `[0, 1]`,
    /// NaN is the default, `1e-5`). The initial probability is raised to it.
    ///
    /// ```
    /// let s = lantern::sampling::Adaptive::new(1.0).with_min_probability(0.01);
    /// assert_eq!(s.probability("new"), 0.01, "the initial 0.001, raised");
    /// ```
    pub fn with_min_probability(mut self, probability: f64) -> Self {
        self.min_probability = clamp_probability(probability, 1e-5);
        self.reset()
    }

    /// The probability a new operation starts at (clamped to `[0, 1]`, NaN
    /// is the default, `0.001`; never below the minimum).
    ///
    /// ```
    /// let s = lantern::sampling::Adaptive::new(1.0).with_initial_probability(0.5);
    /// assert_eq!(s.probability("new"), 0.5);
    /// ```
    pub fn with_initial_probability(mut self, probability: f64) -> Self {
        self.initial_probability = clamp_probability(probability, 0.001);
        self.reset()
    }

    /// At least `per_second` traces a second for each operation, whatever its
    /// probability (burst `max(per_second, 1)`; NaN and negative are 0, no
    /// lower bound). The default is one a minute.
    ///
    /// ```
    /// let _ = lantern::sampling::Adaptive::new(1.0).with_lower_bound(0.1);
    /// ```
    pub fn with_lower_bound(mut self, per_second: f64) -> Self {
        self.lower_bound = clamp_rate(per_second);
        self.reset()
    }

    /// Recomputes the probabilities every `interval` (default 10 s; at least
    /// 100 ms).
    ///
    /// ```
    /// let _ = lantern::sampling::Adaptive::new(1.0).with_interval(std::time::Duration::from_secs(1));
    /// ```
    pub fn with_interval(mut self, interval: Duration) -> Self {
        self.interval = u64::try_from(interval.max(MIN_INTERVAL).as_nanos()).unwrap_or(u64::MAX);
        self.reset()
    }

    /// Tracks at most `max` operations (clamped to 65 536); names first seen
    /// past the cap share one default operation.
    ///
    /// ```
    /// let _ = lantern::sampling::Adaptive::new(1.0).with_max_operations(100);
    /// ```
    pub fn with_max_operations(mut self, max: usize) -> Self {
        self.max_operations = max.min(MAX_OPERATIONS_LIMIT);
        self.reset()
    }

    /// At most `per_second` sampled traces a second for all operations
    /// together (burst `max(per_second, 1)`; NaN and negative are 0).
    ///
    /// ```
    /// use lantern::sampling::{Adaptive, Sampler};
    /// let s = Adaptive::new(1.0).with_max_total_per_second(50.0);
    /// assert_eq!(s.description(), "Adaptive{target=1/s, operations=0, maxTotal=50/s}");
    /// ```
    pub fn with_max_total_per_second(mut self, per_second: f64) -> Self {
        self.max_total = Some(clamp_rate(per_second));
        self.reset()
    }

    /// Reads `clock` instead of the monotonic clock, with fresh state: for
    /// tests. Not part of the stable API.
    ///
    /// ```
    /// let clock = lantern::sampling::ManualClock::new();
    /// let _ = lantern::sampling::Adaptive::new(1.0).with_manual_clock(&clock);
    /// ```
    #[doc(hidden)]
    pub fn with_manual_clock(mut self, clock: &ManualClock) -> Self {
        self.clock = Clock::Manual(clock.clone());
        self.reset()
    }

    /// Each tracked operation's name and current probability, sorted by
    /// name (the default operation shared past the cap is not listed).
    ///
    /// ```
    /// use lantern::sampling::{Adaptive, Sampler};
    /// let s = Adaptive::new(1.0);
    /// let meta = lantern::sampling::test_metadata();
    /// s.should_sample(&lantern::sampling::test_params_named("b", lantern::TraceId::random(), meta));
    /// s.should_sample(&lantern::sampling::test_params_named("a", lantern::TraceId::random(), meta));
    /// assert_eq!(s.probabilities(), [("a".to_string(), 0.001), ("b".to_string(), 0.001)]);
    /// ```
    pub fn probabilities(&self) -> Vec<(String, f64)> {
        let Some(state) = self.state.get() else { return Vec::new() };
        let mut all: Vec<_> = state.table.iter().map(|op| (op.name.to_string(), op.probability())).collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    /// The probability that a root named `name` gets now: its operation's,
    /// the shared default's if the name is past the cap, the initial one if
    /// the name was never seen.
    ///
    /// ```
    /// assert_eq!(lantern::sampling::Adaptive::new(1.0).probability("never seen"), 0.001);
    /// ```
    pub fn probability(&self, name: &str) -> f64 {
        let Some(state) = self.state.get() else { return self.initial() };
        let name = cut(name, MAX_NAME_BYTES);
        match state.table.iter().find(|op| &*op.name == name) {
            Some(op) => op.probability(),
            None if state.table.len() >= self.max_operations => state.default.probability(),
            None => self.initial(),
        }
    }

    fn initial(&self) -> f64 {
        self.initial_probability.max(self.min_probability)
    }

    /// Forgets the state after a change of setting.
    fn reset(mut self) -> Self {
        self.state = OnceLock::new();
        self
    }

    fn state(&self, now: u64) -> &State {
        self.state.get_or_init(|| State {
            table: Table::new(self.max_operations),
            default: self.operation("", now),
            next_update: AtomicU64::new(now.saturating_add(self.interval)),
            window_start: AtomicU64::new(now),
            total: self.max_total.map(TokenBucket::new),
            history: Times::new(),
        })
    }

    fn operation(&self, name: &str, now: u64) -> Operation {
        Operation {
            name: name.into(),
            probability: AtomicU64::new(self.initial().to_bits()),
            threshold: AtomicU64::new(threshold(self.initial())),
            seen: AtomicU64::new(0),
            first_seen: now,
            lower: TokenBucket::new(self.lower_bound),
            measured: AtomicU64::new(f64::NAN.to_bits()),
            history: Values::new(),
        }
    }

    /// One tracked operation as the debug pages show it; times in the
    /// sampler's clock are turned into wall-clock times through `now`.
    fn shown(&self, state: &State, op: &Operation, now: u64, wall: SystemTime) -> OperationState {
        let at = |t: u64| wall.checked_sub(Duration::from_nanos(now.saturating_sub(t))).unwrap_or(wall);
        let points = history::read(&state.history, &op.history, now);
        let mut shown = OperationState::new(&*op.name, op.probability());
        shown.target_per_second = Some(self.target);
        shown.lower_bound_per_second = Some(self.lower_bound);
        let measured = f64::from_bits(op.measured.load(Relaxed));
        shown.measured_per_second = (!measured.is_nan()).then_some(measured);
        // Its first root, at the initial probability, unless a point is older.
        let first = (now.saturating_sub(op.first_seen) <= WINDOW_NANOS
            && points.first().is_none_or(|&(t, _)| t > op.first_seen))
        .then_some((op.first_seen, self.initial()));
        shown.history = first.into_iter().chain(points).map(|(t, p)| (at(t), p)).collect();
        shown
    }

    /// Recomputes every operation's probability if the interval is over and
    /// this thread wins the update.
    #[inline]
    fn maybe_update(&self, state: &State, now: u64) {
        let next = state.next_update.load(Relaxed);
        if now >= next
            && state.next_update.compare_exchange(next, now.saturating_add(self.interval), Relaxed, Relaxed).is_ok()
        {
            self.update(state, now);
        }
    }

    #[cold]
    fn update(&self, state: &State, now: u64) {
        let start = state.window_start.swap(now, Relaxed);
        // A point of the history is due once a minute.
        let point = state.history.due(now);
        for op in state.table.iter().chain([&state.default]) {
            let seen = op.seen.swap(0, Relaxed);
            let elapsed = now.saturating_sub(start.max(op.first_seen));
            if elapsed > 0 {
                let seconds = elapsed as f64 / 1e9;
                op.measured.store((seen as f64 / seconds).to_bits(), Relaxed);
                // No traffic: keep the probability.
                if seen > 0 {
                    let old = op.probability();
                    let wanted = self.target * seconds / seen as f64;
                    let new = wanted.min(old * MAX_INCREASE).clamp(self.min_probability, 1.0);
                    op.probability.store(new.to_bits(), Relaxed);
                    op.threshold.store(threshold(new), Relaxed);
                }
            }
            if let Some(slot) = point {
                op.history.set(slot, op.probability());
            }
        }
        if let Some(slot) = point {
            state.history.commit(slot, now);
        }
    }
}

impl Sampler for Adaptive {
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingDecision {
        self.decide(params).decision()
    }

    fn decide(&self, params: &SamplingParams<'_>) -> SamplingResult {
        let now = self.clock.now_nanos();
        let state = self.state(now);
        self.maybe_update(state, now);
        let name = cut(params.name, MAX_NAME_BYTES);
        let op = state.table.get_or_insert(name, || self.operation(name, now)).unwrap_or(&state.default);
        op.seen.fetch_add(1, Relaxed);
        let p = op.probability();
        // The threshold that goes with `p`, computed when `p` was set.
        let by_probability = params.randomness() >= op.threshold.load(Relaxed);
        // Spent even when the probability samples: the bound is a floor.
        let by_lower_bound = op.lower.try_take(now);
        let sampled = (by_probability || by_lower_bound) && state.total.as_ref().is_none_or(|t| t.try_take(now));
        let tag = if by_probability { SamplerTag::probabilistic(p) } else { SamplerTag::lower_bound(p) };
        SamplingResult::sampled_by(sampled, tag)
    }

    fn description(&self) -> String {
        let operations = self.state.get().map_or(0, |s| s.table.len());
        let mut s = format!("Adaptive{{target={}/s, operations={operations}", self.target);
        if let Some(total) = self.max_total {
            s += &format!(", maxTotal={total}/s");
        }
        s + "}"
    }

    /// The probability a new name gets, and each tracked operation with its
    /// probability, target, lower bound, the rate measured over the last
    /// interval and its history (the first root at the initial
    /// probability, then one point a minute).
    fn inspect(&self, state: &mut SamplerState) {
        let now = self.clock.now_nanos();
        let Some(shared) = self.state.get() else {
            state.probability = Some(self.initial());
            return;
        };
        let full = shared.table.len() >= self.max_operations;
        state.probability = Some(if full { shared.default.probability() } else { self.initial() });
        if !state.wants_operations() {
            return;
        }
        let wall = SystemTime::now();
        for op in shared.table.iter() {
            // Past the state's cap an operation is only counted (refused):
            // its history is not read.
            let shown = if state.wants_operations() {
                self.shown(shared, op, now, wall)
            } else {
                OperationState::new(&*op.name, op.probability())
            };
            state.push(shown);
        }
    }
}

impl std::fmt::Debug for Adaptive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description())
    }
}

/// The sampler's shared state, built at its first decision.
struct State {
    table: Table<Operation>,
    /// Shared by the names first seen past the cap.
    default: Operation,
    /// When the next update is due, in the clock's nanoseconds.
    next_update: AtomicU64,
    /// When the current interval began.
    window_start: AtomicU64,
    /// The per-service ceiling.
    total: Option<TokenBucket>,
    /// When the points of the operations' histories were taken.
    history: Times,
}

/// One tracked operation.
struct Operation {
    name: Box<str>,
    /// The current probability, as `f64` bits.
    probability: AtomicU64,
    /// Its rejection threshold (see `TraceIdRatio`): set with it, so that a
    /// decision computes nothing from it. A decision may read a new
    /// probability with the old threshold, or the reverse, for one root.
    threshold: AtomicU64,
    /// Roots seen since the last update.
    seen: AtomicU64,
    /// When the operation was first seen: its first interval is measured
    /// from there.
    first_seen: u64,
    lower: TokenBucket,
    /// Roots a second over the last interval (`f64` bits; NaN before the
    /// first update).
    measured: AtomicU64,
    /// Its probability at the points of `State::history`.
    history: Values,
}

impl Operation {
    #[inline]
    fn probability(&self) -> f64 {
        f64::from_bits(self.probability.load(Relaxed))
    }
}

impl Named for Operation {
    fn name(&self) -> &str {
        &self.name
    }
}

/// A probability as given: clamped to `[0, 1]`, NaN is `default`.
fn clamp_probability(probability: f64, default: f64) -> f64 {
    if probability.is_nan() { default } else { probability.clamp(0.0, 1.0) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TraceId;

    fn decide(s: &Adaptive, name: &str) -> bool {
        let meta = super::super::sampler::test_metadata();
        s.should_sample(&super::super::per_operation::test_params_named(name, TraceId::random(), meta)).is_sampled()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= b * 1e-9
    }

    #[test]
    fn bad_settings_neither_panic_nor_stick() {
        let clock = ManualClock::new();
        let s = Adaptive::new(f64::INFINITY)
            .with_min_probability(f64::NAN)
            .with_initial_probability(-3.0)
            .with_lower_bound(f64::NAN)
            .with_interval(Duration::ZERO)
            .with_max_total_per_second(f64::INFINITY)
            .with_manual_clock(&clock);
        assert_eq!(s.probability("x"), 1e-5, "initial raised to the minimum");
        decide(&s, "x");
        clock.advance(Duration::from_millis(100));
        decide(&s, "x");
        assert!(close(s.probability("x"), 1.5e-5), "an infinite target: +50% a step, no more");
        let empty = Adaptive::new(1.0).with_max_operations(0).with_manual_clock(&clock);
        assert!(decide(&empty, "y"), "the default operation's lower bound");
        assert!(empty.probabilities().is_empty());
        assert_eq!(empty.probability("y"), 0.001, "the default operation's");
    }

    #[test]
    fn an_idle_gap_keeps_the_probability() {
        let clock = ManualClock::new();
        let s = Adaptive::new(1.0).with_interval(Duration::from_secs(1)).with_manual_clock(&clock);
        decide(&s, "x");
        clock.advance(Duration::from_secs(3600));
        decide(&s, "y");
        assert!(close(s.probability("x"), 0.0015), "one root an hour: up, damped");
        clock.advance(Duration::from_secs(1));
        decide(&s, "y");
        assert!(close(s.probability("x"), 0.0015), "no root: kept");
        assert!(close(s.probability("y"), 0.0015), "measured from its first root");
    }
}
