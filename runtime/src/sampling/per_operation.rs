//! Samplers that treat each root operation on its own: [`PerOperation`]
//! (a probability per root span name) and [`GuaranteedThroughput`] (a
//! probability plus a lower-bound rate per name, so that rare operations are
//! still seen).
//!
//! # Why per operation
//!
//! One probability for a whole service fits no operation well: `GET /health`
//! at 1000 requests a second drowns the export at 10%, while `POST /refund`
//! at one request a minute is almost never seen at 0.1%. Jaeger's
//! `operationSampling` strategy answers with a probability per operation and
//! a default for the rest; its guaranteed-throughput form adds, per
//! operation, a rate limiter that samples a trace the probability dropped
//! whenever the operation has had fewer than its lower bound of traces per
//! second. The two samplers here are those two strategies.
//!
//! # Bounded by construction
//!
//! Both key their state by the root span name that the sampler is asked
//! with ([`SamplingParams::name`], which an `otel.name` field may set at run
//! time), and both cap the number of names they hold
//! ([`DEFAULT_MAX_OPERATIONS`] unless set): names past the cap share the
//! default. [`PerOperation`] holds only the names it was built with.
//! [`GuaranteedThroughput`] adds a name on its first root, for its lower-bound
//! limiter, keyed by the name's first 256 bytes; past the cap, a new name gets
//! the default probability and no lower bound. Its table of operations is
//! allocated once, at the first decision: 16 bytes a slot, two slots an
//! operation (64 KiB at the default cap), and about 120 bytes plus the name
//! for each operation seen.
//!
//! # Cost of a decision
//!
//! No lock and no allocation, except the one allocation when a name is first
//! seen:
//! - [`PerOperation`]: one hash of the name and one map lookup; then the
//!   trace id rule of [`TraceIdRatio`].
//! - [`GuaranteedThroughput`]: one hash of the name and a probe of a
//!   lock-free open-addressing table (atomic loads only), the trace id rule,
//!   a clock read and the operation's token bucket: one atomic load, and a
//!   compare-and-swap only when a token is taken (an upper bound adds a
//!   second clock read and bucket for the traces sampled). A busy operation whose
//!   lower bound is used up writes no shared memory at all.

use std::collections::HashMap;
use std::hash::BuildHasher;

// Names are hashed on every decision: foldhash, seeded per table (several
// times faster than std's SipHash on short names, and still seeded against
// crafted collisions).
use foldhash::fast::RandomState;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use super::bucket::{Clock, ManualClock, TokenBucket, clamp_rate};
use super::ratio::TraceIdRatio;
use super::sampler::{Sampler, SamplingDecision, SamplingParams, SamplingResult};
use super::state::{OperationState, SamplerState};
use super::tag::SamplerTag;
use crate::ids::TraceId;
use crate::record::SpanKind;
use crate::text::{MAX_NAME_BYTES, cut};

/// How many operations [`PerOperation`] and [`GuaranteedThroughput`] hold
/// unless told otherwise, as in Jaeger's clients.
///
/// ```
/// assert_eq!(lantern::sampling::DEFAULT_MAX_OPERATIONS, 2000);
/// ```
pub const DEFAULT_MAX_OPERATIONS: usize = 2000;

/// The highest cap either sampler accepts: `with_max_operations` clamps to it.
pub(crate) const MAX_OPERATIONS_LIMIT: usize = 1 << 16;

/// A probability per root span name, and a default for every other name.
///
/// Each probability is applied with the rule of [`TraceIdRatio`]: from the
/// trace id, so every process with the same configuration decides alike.
/// At most [`DEFAULT_MAX_OPERATIONS`] names are held (see
/// [`PerOperation::with_max_operations`]); a name added past the cap is
/// ignored and shares the default. A sampled root is tagged
/// `sampler.type = probabilistic` with its operation's probability, and its
/// `tracestate` carries that threshold, as [`TraceIdRatio`]'s do.
///
/// ```
/// use lantern::sampling::{ParentBased, PerOperation, Sampler};
/// let sampler = PerOperation::new(0.1)
///     .with_operation("GET /health", 0.0)
///     .with_operation("POST /refund", 1.0);
/// assert_eq!(sampler.probability("GET /health"), 0.0);
/// assert_eq!(sampler.probability("GET /cart"), 0.1, "the default");
/// assert_eq!(sampler.description(), "PerOperation{default=0.1, operations=2}");
/// let lantern = lantern::builder().sampler(ParentBased::new(sampler)).try_init_local();
/// tracing::info_span!("POST /refund").in_scope(|| {});
/// tracing::info_span!("GET /health").in_scope(|| {});
/// let roots = lantern.handle().sampling().roots();
/// let sampled = |name: &str| roots.iter().find(|r| r.name == name).unwrap().sampled;
/// assert_eq!((sampled("POST /refund"), sampled("GET /health")), (1, 0));
/// ```
#[derive(Clone, Debug)]
pub struct PerOperation {
    default: TraceIdRatio,
    /// Each name with its place in the order of addition, which decides
    /// what a lowered cap keeps.
    operations: HashMap<Box<str>, (usize, TraceIdRatio), RandomState>,
    max_operations: usize,
}

impl PerOperation {
    /// `default_probability` for every name; clamped to `[0, 1]`, NaN is 0,
    /// as in [`TraceIdRatio::new`].
    ///
    /// ```
    /// assert_eq!(lantern::sampling::PerOperation::new(2.0).default_probability(), 1.0);
    /// ```
    pub fn new(default_probability: f64) -> Self {
        PerOperation {
            default: TraceIdRatio::new(default_probability),
            operations: HashMap::default(),
            max_operations: DEFAULT_MAX_OPERATIONS,
        }
    }

    /// Samples roots named `name` with `probability` (clamped as the
    /// default is). Adding a name again replaces its probability; a new name
    /// past the cap is ignored.
    ///
    /// ```
    /// use lantern::sampling::PerOperation;
    /// let s = PerOperation::new(0.5).with_operation("a", 0.1).with_operation("a", 0.2);
    /// assert_eq!((s.probability("a"), s.operations()), (0.2, 1));
    /// ```
    pub fn with_operation(mut self, name: impl Into<Box<str>>, probability: f64) -> Self {
        let ratio = TraceIdRatio::new(probability);
        let order = self.operations.len();
        let name = name.into();
        if let Some(entry) = self.operations.get_mut(&name) {
            entry.1 = ratio;
        } else if order < self.max_operations {
            self.operations.insert(name, (order, ratio));
        }
        self
    }

    /// Holds at most `max` names (clamped to 65 536). Lowering the cap keeps
    /// the names added first.
    ///
    /// ```
    /// use lantern::sampling::PerOperation;
    /// let s = PerOperation::new(0.0).with_operation("a", 1.0).with_operation("b", 1.0).with_max_operations(1);
    /// assert_eq!((s.probability("a"), s.probability("b")), (1.0, 0.0));
    /// ```
    pub fn with_max_operations(mut self, max: usize) -> Self {
        self.max_operations = max.min(MAX_OPERATIONS_LIMIT);
        // Places are 0..len with no gap, so the kept ones still are.
        self.operations.retain(|_, (order, _)| *order < self.max_operations);
        self
    }

    /// How many names have a probability of their own.
    ///
    /// ```
    /// assert_eq!(lantern::sampling::PerOperation::new(0.1).operations(), 0);
    /// ```
    pub fn operations(&self) -> usize {
        self.operations.len()
    }

    /// The probability applied to roots named `name`.
    ///
    /// ```
    /// let s = lantern::sampling::PerOperation::new(0.25);
    /// assert_eq!(s.probability("anything"), 0.25);
    /// ```
    pub fn probability(&self, name: &str) -> f64 {
        self.ratio(name).ratio()
    }

    /// The probability of names without one of their own.
    ///
    /// ```
    /// assert_eq!(lantern::sampling::PerOperation::new(f64::NAN).default_probability(), 0.0);
    /// ```
    pub fn default_probability(&self) -> f64 {
        self.default.ratio()
    }

    #[inline]
    fn ratio(&self, name: &str) -> TraceIdRatio {
        self.operations.get(name).map_or(self.default, |&(_, ratio)| ratio)
    }
}

impl Sampler for PerOperation {
    #[inline]
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingDecision {
        SamplingDecision::from_bool(self.ratio(params.name).samples(params))
    }

    #[inline]
    fn decide(&self, params: &SamplingParams<'_>) -> SamplingResult {
        self.ratio(params.name).decide(params)
    }

    fn description(&self) -> String {
        format!("PerOperation{{default={}, operations={}}}", self.default.ratio(), self.operations.len())
    }

    /// The default, and each configured name in the order of addition.
    fn inspect(&self, state: &mut SamplerState) {
        state.probability = Some(self.default.ratio());
        if !state.wants_operations() {
            return;
        }
        let mut named: Vec<_> = self.operations.iter().map(|(name, &(order, ratio))| (order, name, ratio)).collect();
        named.sort_unstable_by_key(|&(order, ..)| order);
        for (_, name, ratio) in named {
            state.push(OperationState::new(&**name, ratio.ratio()));
        }
    }
}

/// Jaeger's `operationSampling` strategy: per root span name, a probability
/// and a lower-bound rate limiter, so that rare operations are still seen.
///
/// A trace is sampled when the operation's probability samples it (the rule
/// of [`TraceIdRatio`]), or else when the operation's lower-bound limiter
/// has a token: each operation gets at least `lower_bound_per_second` traces
/// a second (a burst of `max(lower_bound, 1)`, so with a lower bound above 0
/// a new operation's first root is always sampled). As in Jaeger's clients, a trace sampled by the
/// probability spends a token too: the lower bound is a floor under the
/// operation's sampled rate, not an addition to it.
///
/// The parameters map onto Jaeger's: `defaultSamplingProbability` and
/// `defaultLowerBoundTracesPerSecond` are [`GuaranteedThroughput::new`]'s,
/// `perOperationStrategies` are [`GuaranteedThroughput::with_operation`]s.
/// `defaultUpperBoundTracesPerSecond`, which Jaeger's clients ignore, is
/// [`GuaranteedThroughput::with_upper_bound`]: a per-operation ceiling.
///
/// As in Jaeger's clients, a sampled root is tagged `sampler.type =
/// probabilistic` when the probability sampled it (with its threshold in the
/// `tracestate`), and `lowerbound` when the lower bound let it in; either
/// way `sampler.param` is the operation's probability.
///
/// Operations are tracked from their first root up to
/// [`DEFAULT_MAX_OPERATIONS`] (configured ones first); a name first seen past
/// the cap gets the default probability and no lower bound. See the module
/// docs for the memory and the cost of a decision.
///
/// ```
/// use lantern::sampling::{GuaranteedThroughput, ParentBased, Sampler};
/// let sampler = GuaranteedThroughput::new(0.001, 1.0).with_operation("GET /cart", 0.01);
/// assert_eq!(sampler.description(), "GuaranteedThroughput{default=0.001, lowerBound=1, configured=1}");
/// let lantern = lantern::builder().sampler(ParentBased::new(sampler)).try_init_local();
/// tracing::info_span!("POST /refund").in_scope(|| {});
/// let refund = &lantern.handle().sampling().roots()[0];
/// assert_eq!(refund.sampled, 1, "a new operation is seen at once");
/// ```
pub struct GuaranteedThroughput {
    probabilities: PerOperation,
    lower_bound: f64,
    upper_bound: Option<f64>,
    clock: Clock,
    /// Built at the first decision, from the configuration above.
    table: OnceLock<Table<Operation>>,
}

impl GuaranteedThroughput {
    /// `default_probability` (clamped to `[0, 1]`, NaN is 0) and a lower
    /// bound of `lower_bound_per_second` traces a second for every operation
    /// (NaN and negative are 0: no lower bound).
    ///
    /// ```
    /// use lantern::sampling::{GuaranteedThroughput, Sampler};
    /// let s = GuaranteedThroughput::new(f64::NAN, -1.0);
    /// assert_eq!(s.description(), "GuaranteedThroughput{default=0, lowerBound=0, configured=0}");
    /// ```
    pub fn new(default_probability: f64, lower_bound_per_second: f64) -> Self {
        GuaranteedThroughput {
            probabilities: PerOperation::new(default_probability),
            lower_bound: clamp_rate(lower_bound_per_second),
            upper_bound: None,
            clock: Clock::monotonic(),
            table: OnceLock::new(),
        }
    }

    /// Samples roots named `name` with `probability` instead of the default
    /// (the lower bound still applies). As [`PerOperation::with_operation`].
    ///
    /// ```
    /// let s = lantern::sampling::GuaranteedThroughput::new(0.001, 1.0).with_operation("checkout", 0.5);
    /// assert_eq!(s.operations(), 1);
    /// ```
    pub fn with_operation(mut self, name: impl Into<Box<str>>, probability: f64) -> Self {
        self.probabilities = self.probabilities.with_operation(name, probability);
        self.reset()
    }

    /// At most `per_second` sampled traces a second for each operation
    /// (burst `max(per_second, 1)`). Raised to the lower bound if below it;
    /// NaN and negative count as 0, so raised too.
    ///
    /// ```
    /// use lantern::sampling::{GuaranteedThroughput, Sampler};
    /// let s = GuaranteedThroughput::new(0.5, 2.0).with_upper_bound(1.0);
    /// assert!(s.description().ends_with("upperBound=2}"), "raised to the lower bound");
    /// ```
    pub fn with_upper_bound(mut self, per_second: f64) -> Self {
        self.upper_bound = Some(clamp_rate(per_second).max(self.lower_bound));
        self.reset()
    }

    /// Tracks at most `max` operations (clamped to 65 536), as
    /// [`PerOperation::with_max_operations`].
    ///
    /// ```
    /// let s = lantern::sampling::GuaranteedThroughput::new(0.1, 1.0).with_max_operations(10);
    /// assert_eq!(s.operations(), 0);
    /// ```
    pub fn with_max_operations(mut self, max: usize) -> Self {
        self.probabilities = self.probabilities.with_max_operations(max);
        self.reset()
    }

    /// Reads `clock` instead of the monotonic clock, with full buckets: for
    /// tests. Not part of the stable API.
    ///
    /// ```
    /// let clock = lantern::sampling::ManualClock::new();
    /// let _ = lantern::sampling::GuaranteedThroughput::new(0.1, 1.0).with_manual_clock(&clock);
    /// ```
    #[doc(hidden)]
    pub fn with_manual_clock(mut self, clock: &ManualClock) -> Self {
        self.clock = Clock::Manual(clock.clone());
        self.reset()
    }

    /// How many operations are tracked: the configured ones, and those seen
    /// since, up to the cap.
    ///
    /// ```
    /// use lantern::sampling::{GuaranteedThroughput, Sampler};
    /// let s = GuaranteedThroughput::new(0.1, 1.0).with_operation("a", 0.5);
    /// let meta = lantern::sampling::test_metadata();
    /// s.should_sample(&lantern::sampling::test_params(lantern::TraceId::random(), meta));
    /// assert_eq!(s.operations(), 2, "\"a\" and \"root\"");
    /// ```
    pub fn operations(&self) -> usize {
        self.table.get().map_or(self.probabilities.operations(), |t| t.len.load(Relaxed))
    }

    /// Forgets the table (and the buckets' state) after a change of setting.
    fn reset(mut self) -> Self {
        self.table = OnceLock::new();
        self
    }

    fn table(&self) -> &Table<Operation> {
        self.table.get_or_init(|| {
            let table = Table::new(self.probabilities.max_operations);
            for (name, &(_, ratio)) in &self.probabilities.operations {
                table.get_or_insert(cut(name, MAX_NAME_BYTES), || self.operation(name, ratio));
            }
            table
        })
    }

    fn operation(&self, name: &str, ratio: TraceIdRatio) -> Operation {
        Operation {
            name: cut(name, MAX_NAME_BYTES).into(),
            ratio,
            lower: TokenBucket::new(self.lower_bound),
            upper: self.upper_bound.map(TokenBucket::new),
        }
    }
}

impl Sampler for GuaranteedThroughput {
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingDecision {
        self.decide(params).decision()
    }

    fn decide(&self, params: &SamplingParams<'_>) -> SamplingResult {
        let name = cut(params.name, MAX_NAME_BYTES);
        // A name seen for the first time was not configured (those are in
        // the table from the start): it gets the default probability.
        let default = self.probabilities.default;
        match self.table().get_or_insert(name, || self.operation(name, default)) {
            Some(op) => op.decide(params, &self.clock),
            None => default.decide(params),
        }
    }

    fn description(&self) -> String {
        let mut s = format!(
            "GuaranteedThroughput{{default={}, lowerBound={}, configured={}",
            self.probabilities.default.ratio(),
            self.lower_bound,
            self.probabilities.operations()
        );
        if let Some(upper) = self.upper_bound {
            s += &format!(", upperBound={upper}");
        }
        s + "}"
    }

    /// The default probability, and each tracked operation with its
    /// probability and lower bound (configured ones included before their
    /// first root).
    fn inspect(&self, state: &mut SamplerState) {
        let Some(table) = self.table.get() else {
            // No root yet: the configured operations, without building the table.
            self.probabilities.inspect(state);
            state.operations_mut().for_each(|op| op.lower_bound_per_second = Some(self.lower_bound));
            return;
        };
        state.probability = Some(self.probabilities.default.ratio());
        if !state.wants_operations() {
            return;
        }
        for op in table.iter() {
            let mut shown = OperationState::new(&*op.name, op.ratio.ratio());
            shown.lower_bound_per_second = Some(self.lower_bound);
            state.push(shown);
        }
    }
}

impl std::fmt::Debug for GuaranteedThroughput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description())
    }
}

/// One tracked operation.
struct Operation {
    name: Box<str>,
    ratio: TraceIdRatio,
    lower: TokenBucket,
    upper: Option<TokenBucket>,
}

impl Operation {
    #[inline]
    fn decide(&self, params: &SamplingParams<'_>, clock: &Clock) -> SamplingResult {
        let p = self.ratio.ratio();
        let (sampled, tag) = if self.ratio.samples(params) {
            // Spent even so, as Jaeger's clients do: the bound is a floor.
            self.lower.take(clock);
            (true, SamplerTag::probabilistic(p))
        } else {
            (self.lower.take(clock), SamplerTag::lower_bound(p))
        };
        let sampled = sampled && self.upper.as_ref().is_none_or(|upper| upper.take(clock));
        SamplingResult::sampled_by(sampled, tag)
    }
}

/// What a [`Table`] holds: a value found by its name.
pub(crate) trait Named {
    /// The key, already cut to [`MAX_NAME_BYTES`].
    fn name(&self) -> &str;
}

impl Named for Operation {
    fn name(&self) -> &str {
        &self.name
    }
}

/// A fixed-size, insert-only hash table of operations, read without locks:
/// open addressing with linear probing over `OnceLock` slots, at least twice
/// as many slots as the cap, so a probe ends at an empty slot soon.
pub(crate) struct Table<T> {
    slots: Box<[OnceLock<Box<T>>]>,
    hasher: RandomState,
    /// Operations held (or being inserted), never above `cap`.
    len: AtomicUsize,
    cap: usize,
}

impl<T: Named> Table<T> {
    pub(crate) fn new(cap: usize) -> Self {
        let slots = (cap * 2).next_power_of_two();
        Table {
            slots: (0..slots).map(|_| OnceLock::new()).collect(),
            hasher: RandomState::default(),
            len: AtomicUsize::new(0),
            cap,
        }
    }

    /// The slots a probe for `name` visits, in order: every slot at most
    /// once, so a probe always ends.
    fn probe(&self, name: &str) -> impl Iterator<Item = &OnceLock<Box<T>>> {
        let mask = self.slots.len() - 1;
        let start = self.hasher.hash_one(name) as usize;
        (0..self.slots.len()).map(move |i| &self.slots[(start + i) & mask])
    }

    /// The operation named `name`, added with `make` if it is new and the
    /// table has room; `None` past the cap.
    #[inline]
    pub(crate) fn get_or_insert(&self, name: &str, make: impl FnOnce() -> T) -> Option<&T> {
        for slot in self.probe(name) {
            match slot.get() {
                Some(op) if op.name() == name => return Some(op),
                Some(_) => continue,
                // An empty slot ends the search; so may one being filled
                // right now, which `insert` then waits for.
                None => break,
            }
        }
        if self.len.load(Relaxed) >= self.cap {
            return None;
        }
        self.insert(name, make)
    }

    #[cold]
    fn insert(&self, name: &str, make: impl FnOnce() -> T) -> Option<&T> {
        if self.len.fetch_add(1, Relaxed) >= self.cap {
            self.len.fetch_sub(1, Relaxed);
            return None;
        }
        let mut pending = Box::new(make());
        for slot in self.probe(name) {
            if slot.get().is_none() {
                // Waits only for another thread filling this very slot.
                match slot.set(pending) {
                    Ok(()) => return slot.get().map(|op| &**op),
                    Err(back) => pending = back,
                }
            }
            match slot.get() {
                // Another thread added the same name first.
                Some(op) if op.name() == name => {
                    self.len.fetch_sub(1, Relaxed);
                    return Some(op);
                }
                _ => continue,
            }
        }
        // Unreachable: the table has twice the cap in slots.
        self.len.fetch_sub(1, Relaxed);
        None
    }

    /// Every value held, in slot order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().filter_map(|slot| slot.get().map(|op| &**op))
    }

    /// How many values are held (or being inserted).
    pub(crate) fn len(&self) -> usize {
        self.len.load(Relaxed)
    }
}

/// Sampling parameters for a new root named `name` with no remote parent:
/// for testing per-operation samplers outside a subscriber. Not part of the
/// stable API.
///
/// ```
/// use lantern::sampling::{PerOperation, Sampler};
/// let sampler = PerOperation::new(0.0).with_operation("checkout", 1.0);
/// let meta = lantern::sampling::test_metadata();
/// let params = lantern::sampling::test_params_named("checkout", lantern::TraceId::random(), meta);
/// assert!(sampler.should_sample(&params).is_sampled());
/// ```
#[doc(hidden)]
pub fn test_params_named<'a>(
    name: &'a str,
    trace_id: TraceId,
    metadata: &'static tracing::Metadata<'static>,
) -> SamplingParams<'a> {
    SamplingParams {
        remote_parent: None,
        trace_id,
        name,
        kind: SpanKind::Internal,
        metadata,
        attributes: &[],
        baggage: None,
        links: &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(name: &str) -> Operation {
        Operation { name: name.into(), ratio: TraceIdRatio::new(0.0), lower: TokenBucket::new(0.0), upper: None }
    }

    #[test]
    fn the_table_holds_up_to_its_cap_and_finds_every_name() {
        let t = Table::new(100);
        let names: Vec<String> = (0..150).map(|i| format!("op{i}")).collect();
        let held = names.iter().filter(|n| t.get_or_insert(n, || op(n)).is_some()).count();
        assert_eq!((held, t.len.load(Relaxed)), (100, 100));
        for n in &names[..100] {
            assert_eq!(&*t.get_or_insert(n, || unreachable!()).unwrap().name, n.as_str());
        }
        assert!(t.get_or_insert("op120", || op("op120")).is_none());
        let empty = Table::new(0);
        assert!(empty.get_or_insert("a", || op("a")).is_none());
    }

    #[test]
    fn a_state_holds_as_many_operations_as_a_sampler_tracks() {
        assert_eq!(SamplerState::MAX_OPERATIONS, DEFAULT_MAX_OPERATIONS);
    }

    #[test]
    fn inspect_lists_configured_and_seen_operations_with_their_lower_bound() {
        let s = GuaranteedThroughput::new(0.1, 2.0).with_operation("a", 0.5).with_operation("b", 0.25);
        let listed = |s: &GuaranteedThroughput| {
            let mut state = SamplerState::new();
            s.inspect(&mut state);
            let mut ops: Vec<_> =
                state.operations().iter().map(|o| (o.name.clone(), o.probability, o.lower_bound_per_second)).collect();
            ops.sort_by(|x, y| x.0.cmp(&y.0));
            (state.probability, ops)
        };
        let before = (Some(0.1), vec![("a".into(), 0.5, Some(2.0)), ("b".into(), 0.25, Some(2.0))]);
        assert_eq!(listed(&s), before, "before any root, without building the table");
        assert!(s.table.get().is_none());
        s.should_sample(&test_params_named("c", TraceId::random(), super::super::sampler::test_metadata()));
        assert_eq!(listed(&s).1[2], ("c".into(), 0.1, Some(2.0)), "a seen name gets the default");
        let mut capped = SamplerState::new().with_max_operations(1);
        s.inspect(&mut capped);
        assert_eq!((capped.operations().len(), capped.omitted()), (1, 2));
    }

    #[test]
    fn a_slot_is_16_bytes_as_the_module_docs_say() {
        assert_eq!(std::mem::size_of::<OnceLock<Box<Operation>>>(), 16);
        assert!(std::mem::size_of::<Operation>() <= 120);
        assert_eq!(Table::<Operation>::new(DEFAULT_MAX_OPERATIONS).slots.len(), 4096);
    }

    #[test]
    fn threads_adding_the_same_names_add_each_once() {
        let t = Table::new(64);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for i in 0..100 {
                        let n = format!("op{i}");
                        if let Some(found) = t.get_or_insert(&n, || op(&n)) {
                            assert_eq!(&*found.name, n.as_str());
                        }
                    }
                });
            }
        });
        assert_eq!(t.len.load(Relaxed), 64);
        let found = (0..100).filter(|i| t.get_or_insert(&format!("op{i}"), || op("x")).is_some()).count();
        assert_eq!(found, 64);
    }

    #[test]
    fn configured_operations_keep_their_probability_and_long_names_are_cut() {
        let long = "x".repeat(1000);
        let s = GuaranteedThroughput::new(0.0, 0.0).with_operation(long.as_str(), 1.0).with_operation("b", 1.0);
        assert_eq!(s.operations(), 2);
        let decide = |name: &str| {
            s.should_sample(&test_params_named(name, TraceId::random(), super::super::sampler::test_metadata()))
                .is_sampled()
        };
        assert!(decide(&long) && decide("b") && !decide("c"));
        assert!(decide(&"x".repeat(300)), "kept by its first 256 bytes");
        assert_eq!(s.operations(), 3, "\"c\" is tracked, with the default probability");
    }
}
