//! The [`Sampler`] trait, what it is asked with and what it answers, and
//! the [`RecordingMode`].

use super::state::SamplerState;
use super::tag::SamplerTag;
use super::threshold;
use crate::baggage::Baggage;
use crate::ids::TraceId;
use crate::record::{KeyValue, SpanKind};
use crate::span_context::SpanContext;

/// What a sampler sees when a trace starts in this process.
#[derive(Debug)]
#[non_exhaustive]
pub struct SamplingParams<'a> {
    /// The remote parent, when the trace came from another process.
    pub remote_parent: Option<&'a SpanContext>,
    /// The trace id (new, or the remote parent's).
    pub trace_id: TraceId,
    /// The span name.
    pub name: &'a str,
    /// The span kind.
    pub kind: SpanKind,
    /// The callsite's metadata.
    pub metadata: &'static tracing::Metadata<'static>,
    /// The root span's attributes: its fields at creation.
    pub attributes: &'a [KeyValue],
    /// The baggage that came with the remote parent, if any.
    pub baggage: Option<&'a Baggage>,
    /// The links the span is created with
    /// ([`context::linked_span`](crate::context::linked_span)), before the
    /// cap of links a span: the producers of a batch, say.
    pub links: &'a [SpanContext],
}

impl SamplingParams<'_> {
    /// The 56 random bits a probability sampler compares with its
    /// threshold (OpenTelemetry's consistent probability sampling): the
    /// remote parent's explicit randomness, `rv` in the `ot` member of its
    /// `tracestate`, when it sent one, else the trace id's right-most 56
    /// bits. Every process deciding from the same bits with the same
    /// probability decides alike.
    ///
    /// ```
    /// let id = lantern::TraceId::from_u128(0xffff_0000_0000_0000_0000_0000_0000_0042).unwrap();
    /// let params = lantern::sampling::test_params(id, lantern::sampling::test_metadata());
    /// assert_eq!(params.randomness(), 0x42);
    /// ```
    pub fn randomness(&self) -> u64 {
        threshold::randomness(self.trace_id, self.remote_parent.map(SpanContext::trace_state))
    }
}

/// A sampler's answer.
///
/// ```
/// assert!(lantern::sampling::SamplingDecision::Sample.is_sampled());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SamplingDecision {
    /// Export this trace.
    Sample,
    /// Do not export it (it still propagates, with flags `00`).
    Drop,
}

impl SamplingDecision {
    /// Whether this is [`SamplingDecision::Sample`].
    ///
    /// ```
    /// assert!(!lantern::sampling::SamplingDecision::Drop.is_sampled());
    /// ```
    pub fn is_sampled(self) -> bool {
        self == SamplingDecision::Sample
    }

    pub(crate) fn from_bool(sampled: bool) -> Self {
        if sampled { SamplingDecision::Sample } else { SamplingDecision::Drop }
    }
}

/// A decision and what made it: the answer of [`Sampler::decide`].
///
/// The tag says which sampler decided and with what parameter; the layer
/// keeps it on the root span of a sampled trace, whence readers and
/// exporters write the attributes `sampler.type` and `sampler.param`, and a
/// `probabilistic` tag writes the trace's threshold into its `tracestate`
/// (see the [module docs](super)).
///
/// ```
/// use lantern::sampling::{SamplerTag, SamplingDecision, SamplingResult};
/// let result = SamplingResult::new(SamplingDecision::Sample, Some(SamplerTag::probabilistic(0.5)));
/// assert!(result.is_sampled());
/// assert_eq!(result.tag().unwrap().kind(), "probabilistic");
/// let bare = SamplingResult::from(SamplingDecision::Drop);
/// assert_eq!((bare.decision(), bare.tag()), (SamplingDecision::Drop, None));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SamplingResult {
    decision: SamplingDecision,
    tag: Option<SamplerTag>,
}

impl SamplingResult {
    /// A decision, made by the sampler `tag` names (`None`: nothing to
    /// record, as when a parent's decision is followed).
    ///
    /// ```
    /// use lantern::sampling::{SamplerTag, SamplingDecision, SamplingResult};
    /// let r = SamplingResult::new(SamplingDecision::Sample, Some(SamplerTag::constant(true)));
    /// assert_eq!(r.tag(), Some(SamplerTag::constant(true)));
    /// ```
    pub const fn new(decision: SamplingDecision, tag: Option<SamplerTag>) -> Self {
        SamplingResult { decision, tag }
    }

    /// The decision.
    ///
    /// ```
    /// use lantern::sampling::{SamplingDecision, SamplingResult};
    /// assert_eq!(SamplingResult::from(SamplingDecision::Sample).decision(), SamplingDecision::Sample);
    /// ```
    pub fn decision(&self) -> SamplingDecision {
        self.decision
    }

    /// Whether the decision is to sample.
    ///
    /// ```
    /// use lantern::sampling::{SamplingDecision, SamplingResult};
    /// assert!(!SamplingResult::from(SamplingDecision::Drop).is_sampled());
    /// ```
    pub fn is_sampled(&self) -> bool {
        self.decision.is_sampled()
    }

    /// Which sampler decided, with its parameter.
    ///
    /// ```
    /// use lantern::sampling::{SamplingDecision, SamplingResult};
    /// assert_eq!(SamplingResult::from(SamplingDecision::Sample).tag(), None);
    /// ```
    pub fn tag(&self) -> Option<SamplerTag> {
        self.tag
    }

    pub(crate) fn sampled_by(sampled: bool, tag: SamplerTag) -> Self {
        SamplingResult::new(SamplingDecision::from_bool(sampled), Some(tag))
    }
}

impl From<SamplingDecision> for SamplingResult {
    /// The decision with no tag.
    fn from(decision: SamplingDecision) -> Self {
        SamplingResult::new(decision, None)
    }
}

/// Decides, at the root of a trace in this process, whether it is sampled.
///
/// The layer asks [`Sampler::decide`], whose default answers
/// [`Sampler::should_sample`] with no tag; a sampler that wants its
/// decisions recorded (`sampler.type`, `sampler.param`, the `tracestate`
/// threshold of a probability) implements `decide` too, and a sampler that
/// wraps others forwards `decide` to the one that decides.
///
/// ```
/// use lantern::sampling::{Sampler, SamplingDecision, SamplingParams};
///
/// /// Samples only spans named "checkout".
/// struct OnlyCheckout;
/// impl Sampler for OnlyCheckout {
///     fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingDecision {
///         if params.name == "checkout" { SamplingDecision::Sample } else { SamplingDecision::Drop }
///     }
///     fn description(&self) -> String {
///         "OnlyCheckout".into()
///     }
/// }
/// ```
pub trait Sampler: Send + Sync + 'static {
    /// The decision for a new trace.
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingDecision;

    /// The decision for a new trace and the sampler that made it: what the
    /// layer asks. The default is [`Sampler::should_sample`]'s decision with
    /// no tag.
    ///
    /// ```
    /// use lantern::sampling::{Sampler, SamplerTag, SamplingDecision, SamplingParams, SamplingResult};
    ///
    /// /// Samples one trace in two by the trace id, and says so.
    /// struct Half;
    /// impl Sampler for Half {
    ///     fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingDecision {
    ///         self.decide(params).decision()
    ///     }
    ///     fn decide(&self, params: &SamplingParams<'_>) -> SamplingResult {
    ///         let sampled = params.randomness() >= 1 << 55;
    ///         let decision = if sampled { SamplingDecision::Sample } else { SamplingDecision::Drop };
    ///         SamplingResult::new(decision, Some(SamplerTag::probabilistic(0.5)))
    ///     }
    ///     fn description(&self) -> String {
    ///         "Half".into()
    ///     }
    /// }
    /// let lantern = lantern::builder().sampler(Half).try_init_local();
    /// for _ in 0..20 {
    ///     tracing::info_span!("job").in_scope(|| {});
    /// }
    /// let sampled = lantern.buffer().snapshot().spans_named("job", 20).into_iter().find(|s| s.is_sampled()).unwrap();
    /// assert_eq!(sampled.sampler_tag(), Some(SamplerTag::probabilistic(0.5)));
    /// assert_eq!(sampled.trace_state.get("ot"), Some("th:8"));
    /// ```
    fn decide(&self, params: &SamplingParams<'_>) -> SamplingResult {
        self.should_sample(params).into()
    }

    /// A short human-readable description, e.g. `TraceIdRatio{0.1}`.
    fn description(&self) -> String;

    /// Tells `state` what the sampler knows of itself: the probability of
    /// roots without an operation of their own, each operation it tracks
    /// (probability, target, lower bound, history), and behind a
    /// `RemoteSampler`, the last fetch (see [`SamplerState`]). Asked when
    /// `/debug/sampling` or `/metrics` is read, never on the span path. The
    /// default tells nothing; a sampler that wraps others passes the
    /// question to the one that decides.
    ///
    /// ```
    /// use lantern::sampling::{OperationState, Sampler, SamplerState, SamplingDecision, SamplingParams};
    ///
    /// /// Samples "checkout" always, nothing else.
    /// struct OnlyCheckout;
    /// impl Sampler for OnlyCheckout {
    ///     fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingDecision {
    ///         if params.name == "checkout" { SamplingDecision::Sample } else { SamplingDecision::Drop }
    ///     }
    ///     fn description(&self) -> String {
    ///         "OnlyCheckout".into()
    ///     }
    ///     fn inspect(&self, state: &mut SamplerState) {
    ///         state.probability = Some(0.0);
    ///         state.push(OperationState::new("checkout", 1.0));
    ///     }
    /// }
    /// let lantern = lantern::builder().sampler(OnlyCheckout).try_init_local();
    /// let state = lantern.handle().sampling().sampler_state(10);
    /// assert_eq!((state.probability, state.operations()[0].probability), (Some(0.0), 1.0));
    /// ```
    fn inspect(&self, state: &mut SamplerState) {
        let _ = state;
    }
}

/// How much work unsampled spans cost (see the module docs).
///
/// ```
/// let mode = lantern::sampling::RecordingMode::default();
/// assert_eq!(mode, lantern::sampling::RecordingMode::All);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RecordingMode {
    /// Record every span and log; sampling decides only export.
    #[default]
    All,
    /// Record only sampled traces.
    SampledOnly,
}

/// Sampling parameters for a new root with no remote parent: for testing
/// samplers outside a subscriber. Not part of the stable API.
///
/// ```
/// use lantern::sampling::{AlwaysOn, Sampler};
/// # static CS: tracing::callsite::DefaultCallsite = tracing::callsite::DefaultCallsite::new(&META);
/// # static META: tracing::Metadata<'static> = tracing::Metadata::new("op", "t", tracing::Level::INFO,
/// #     None, None, None, tracing::field::FieldSet::new(&[], tracing::callsite::Identifier(&CS)),
/// #     tracing::metadata::Kind::SPAN);
/// let params = lantern::sampling::test_params(lantern::TraceId::random(), &META);
/// assert!(AlwaysOn.should_sample(&params).is_sampled());
/// ```
#[doc(hidden)]
pub fn test_params(trace_id: TraceId, metadata: &'static tracing::Metadata<'static>) -> SamplingParams<'static> {
    SamplingParams {
        remote_parent: None,
        trace_id,
        name: metadata.name(),
        kind: SpanKind::Internal,
        metadata,
        attributes: &[],
        baggage: None,
        links: &[],
    }
}

/// The metadata of a span callsite named `root`: for testing samplers
/// outside a subscriber, with [`test_params`]. Not part of the stable API.
///
/// ```
/// use lantern::sampling::{AlwaysOn, Sampler};
/// let params = lantern::sampling::test_params(lantern::TraceId::random(), lantern::sampling::test_metadata());
/// assert_eq!(params.name, "root");
/// assert!(AlwaysOn.should_sample(&params).is_sampled());
/// ```
#[doc(hidden)]
pub fn test_metadata() -> &'static tracing::Metadata<'static> {
    static CALLSITE: tracing::callsite::DefaultCallsite = tracing::callsite::DefaultCallsite::new(&META);
    static META: tracing::Metadata<'static> = tracing::Metadata::new(
        "root",
        "t",
        tracing::Level::INFO,
        None,
        None,
        None,
        tracing::field::FieldSet::new(&[], tracing::callsite::Identifier(&CALLSITE)),
        tracing::metadata::Kind::SPAN,
    );
    &META
}
