//! What a sampler tells the debug pages about itself: [`SamplerState`],
//! filled by [`Sampler::inspect`](super::sampler::Sampler::inspect).
//!
//! `inspect` is asked only when `/debug/sampling`, its JSON twin or
//! `/metrics` is read, never on the span path; a sampler fills in what it
//! knows:
//!
//! | sampler | probability | per operation |
//! |---|---|---|
//! | [`AlwaysOn`](super::always::AlwaysOn), [`AlwaysOff`](super::always::AlwaysOff) | 1, 0 | none |
//! | [`TraceIdRatio`](super::ratio::TraceIdRatio) | its ratio | none |
//! | [`RateLimiting`](super::rate_limiting::RateLimiting) | none | none |
//! | [`PerOperation`](super::per_operation::PerOperation) | the default | each configured name, its probability |
//! | [`GuaranteedThroughput`](super::per_operation::GuaranteedThroughput) | the default | each tracked name, its probability and lower bound |
//! | [`Adaptive`](super::adaptive::Adaptive) | a new name's | each tracked name, its probability, target, lower bound and the last hour's history |
//!
//! [`ParentBased`](super::parent_based::ParentBased) and
//! [`ContextRules`](super::context_rules::ContextRules) pass the question to
//! the sampler behind them; a `RemoteSampler` adds its fetch status
//! ([`SamplerState::remote`]) and passes it to the sampler in force.
//!
//! The list of operations is bounded ([`SamplerState::MAX_OPERATIONS`] unless
//! [`SamplerState::with_max_operations`] says fewer): [`SamplerState::push`]
//! refuses past it and counts what it refused.

use std::time::SystemTime;

/// What a sampler says about itself: the probability of names without an
/// entry of their own, the state of each operation it tracks (at most
/// [`SamplerState::max_operations`]), and, behind a `RemoteSampler`, the
/// last fetch of the strategy.
///
/// ```
/// use lantern::sampling::{Adaptive, ParentBased, Sampler, SamplerState, TraceIdRatio};
/// let mut state = SamplerState::new();
/// ParentBased::new(TraceIdRatio::new(0.25)).inspect(&mut state);
/// assert_eq!(state.probability, Some(0.25));
/// assert!(state.operations().is_empty());
///
/// let adaptive = Adaptive::new(2.0);
/// let meta = lantern::sampling::test_metadata();
/// adaptive.should_sample(&lantern::sampling::test_params_named("GET /cart", lantern::TraceId::random(), meta));
/// let mut state = SamplerState::new();
/// adaptive.inspect(&mut state);
/// let cart = &state.operations()[0];
/// assert_eq!((cart.name.as_str(), cart.probability, cart.target_per_second), ("GET /cart", 0.001, Some(2.0)));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SamplerState {
    /// The probability a root gets when no operation below covers it (a
    /// fixed ratio, the default of a per-operation sampler, a new name's
    /// probability under `Adaptive`); `None` when the sampler decides by
    /// something else (a rate) or says nothing.
    pub probability: Option<f64>,
    /// Roots with a remote parent take their caller's decision, not this
    /// probability (the sampler is [`ParentBased`](super::parent_based::ParentBased)).
    pub follows_remote_parent: bool,
    /// The `RemoteSampler` in force and how its last fetch went, if one is.
    #[cfg(feature = "remote-sampling")]
    #[cfg_attr(docsrs, doc(cfg(feature = "remote-sampling")))]
    pub remote: Option<RemoteStatus>,
    operations: Vec<OperationState>,
    max_operations: usize,
    omitted: usize,
}

impl Default for SamplerState {
    fn default() -> Self {
        SamplerState::new()
    }
}

impl SamplerState {
    /// The most operations a state holds: as many as a per-operation
    /// sampler tracks by default
    /// ([`DEFAULT_MAX_OPERATIONS`](super::per_operation::DEFAULT_MAX_OPERATIONS)).
    ///
    /// ```
    /// assert_eq!(lantern::sampling::SamplerState::MAX_OPERATIONS, 2000);
    /// ```
    pub const MAX_OPERATIONS: usize = 2000;

    /// Empty, taking up to [`SamplerState::MAX_OPERATIONS`] operations.
    ///
    /// ```
    /// let state = lantern::sampling::SamplerState::new();
    /// assert_eq!((state.probability, state.operations().len()), (None, 0));
    /// ```
    pub fn new() -> Self {
        SamplerState {
            probability: None,
            follows_remote_parent: false,
            #[cfg(feature = "remote-sampling")]
            remote: None,
            operations: Vec::new(),
            max_operations: Self::MAX_OPERATIONS,
            omitted: 0,
        }
    }

    /// Takes at most `max` operations (at most [`SamplerState::MAX_OPERATIONS`]);
    /// 0 asks only for the sampler-wide fields, and a sampler then skips the
    /// work of listing its operations.
    ///
    /// ```
    /// use lantern::sampling::{OperationState, SamplerState};
    /// let mut state = SamplerState::new().with_max_operations(1);
    /// assert!(state.push(OperationState::new("a", 0.5)));
    /// assert!(!state.push(OperationState::new("b", 0.5)));
    /// assert_eq!((state.operations().len(), state.omitted()), (1, 1));
    /// ```
    pub fn with_max_operations(mut self, max: usize) -> Self {
        self.max_operations = max.min(Self::MAX_OPERATIONS);
        self
    }

    /// How many operations this state takes.
    ///
    /// ```
    /// assert_eq!(lantern::sampling::SamplerState::new().max_operations(), 2000);
    /// ```
    pub fn max_operations(&self) -> usize {
        self.max_operations
    }

    /// Whether another operation would be taken: a sampler checks it
    /// before building one.
    ///
    /// ```
    /// use lantern::sampling::SamplerState;
    /// assert!(SamplerState::new().wants_operations());
    /// assert!(!SamplerState::new().with_max_operations(0).wants_operations());
    /// ```
    pub fn wants_operations(&self) -> bool {
        self.operations.len() < self.max_operations
    }

    /// Adds one operation; past [`SamplerState::max_operations`] it is
    /// refused (false) and counted in [`SamplerState::omitted`].
    ///
    /// ```
    /// use lantern::sampling::{OperationState, SamplerState};
    /// let mut state = SamplerState::new();
    /// assert!(state.push(OperationState::new("checkout", 0.1)));
    /// assert_eq!(state.operations()[0].name, "checkout");
    /// ```
    pub fn push(&mut self, operation: OperationState) -> bool {
        if self.wants_operations() {
            self.operations.push(operation);
            true
        } else {
            self.omitted = self.omitted.saturating_add(1);
            false
        }
    }

    /// The operations pushed, in the order the sampler gave them.
    ///
    /// ```
    /// assert!(lantern::sampling::SamplerState::new().operations().is_empty());
    /// ```
    pub fn operations(&self) -> &[OperationState] {
        &self.operations
    }

    /// Operations refused past the cap.
    ///
    /// ```
    /// assert_eq!(lantern::sampling::SamplerState::new().omitted(), 0);
    /// ```
    pub fn omitted(&self) -> usize {
        self.omitted
    }

    /// The operations pushed, to complete them.
    pub(crate) fn operations_mut(&mut self) -> impl Iterator<Item = &mut OperationState> {
        self.operations.iter_mut()
    }
}

/// One root operation as its sampler sees it.
///
/// ```
/// use lantern::sampling::OperationState;
/// let mut op = OperationState::new("GET /cart", 0.01);
/// op.lower_bound_per_second = Some(1.0 / 60.0);
/// assert!(op.history.is_empty());
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct OperationState {
    /// The root span name (cut to 256 bytes, as samplers key it).
    pub name: String,
    /// The probability a root of this name gets now.
    pub probability: f64,
    /// The sampled traces a second the sampler aims at for this operation
    /// (`Adaptive`'s target).
    pub target_per_second: Option<f64>,
    /// The traces a second sampled whatever the probability (the lower
    /// bound of `GuaranteedThroughput` and `Adaptive`).
    pub lower_bound_per_second: Option<f64>,
    /// Roots a second the sampler measured for this operation, if it
    /// measures (`Adaptive`: over its last interval).
    pub measured_per_second: Option<f64>,
    /// The probability at past moments, oldest first, at most one point a
    /// minute over the last hour; empty for a sampler whose probabilities
    /// do not change. The current value is [`OperationState::probability`].
    pub history: Vec<(SystemTime, f64)>,
}

impl OperationState {
    /// An operation with its probability and nothing else known.
    ///
    /// ```
    /// let op = lantern::sampling::OperationState::new("checkout", 0.5);
    /// assert_eq!((op.probability, op.target_per_second), (0.5, None));
    /// ```
    pub fn new(name: impl Into<String>, probability: f64) -> Self {
        OperationState {
            name: name.into(),
            probability,
            target_per_second: None,
            lower_bound_per_second: None,
            measured_per_second: None,
            history: Vec::new(),
        }
    }
}

/// How a [`RemoteSampler`](super::remote::RemoteSampler) is doing: counts
/// of its polls, the last error, and the sampler in force.
///
/// ```
/// use std::time::Duration;
/// use lantern::sampling::{AlwaysOff, RemoteSampler};
/// let remote = RemoteSampler::from_file("/nonexistent/strategy.json", Duration::from_secs(60), AlwaysOff);
/// remote.poll_now();
/// let status = remote.status();
/// assert_eq!(status.strategy, "AlwaysOff", "the initial sampler, kept");
/// assert!(!status.applied);
/// assert!(status.fetch_failures >= 1 && status.last_fetch.is_some());
/// assert!(status.last_result.unwrap_err().contains("/nonexistent/strategy.json"));
/// ```
#[cfg(feature = "remote-sampling")]
#[cfg_attr(docsrs, doc(cfg(feature = "remote-sampling")))]
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RemoteStatus {
    /// The URL asked (service included), or the file's path.
    pub source: String,
    /// The description of the sampler in force, e.g. `TraceIdRatio{0.1}`.
    pub strategy: String,
    /// Whether a fetched strategy is in force (false: the initial sampler).
    pub applied: bool,
    /// Polls that read a valid strategy (changed or not).
    pub fetches_ok: u64,
    /// Polls that failed: no answer, an HTTP error, too large, malformed
    /// or invalid.
    pub fetch_failures: u64,
    /// When the last poll ended, if one did.
    pub last_fetch: Option<SystemTime>,
    /// The last poll's outcome (`Ok` before the first), the error text cut
    /// to 512 bytes.
    pub last_result: Result<(), String>,
}
