//! The [`Sampler`] trait, what it is asked with and what it answers, and
//! the [`RecordingMode`].

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

/// Decides, at the root of a trace in this process, whether it is sampled.
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

    /// A short human-readable description, e.g. `TraceIdRatio{0.1}`.
    fn description(&self) -> String;
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
