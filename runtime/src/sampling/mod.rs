//! Head sampling: which traces are chosen for export.
//!
//! A [`Sampler`] is asked once per trace *in this process*: when a span starts
//! with no local parent (a root, or the child of a remote parent). Local
//! children always inherit their parent's decision, so a trace is never cut in
//! half inside one process. Unsampled traces still get ids and still
//! propagate (with flags `00`), so a downstream service sees one trace.
//!
//! What "not sampled" costs depends on the [`RecordingMode`]:
//! - [`RecordingMode::All`] (the default): every span is recorded into the ring
//!   buffer; the sampled flag only decides what is exported. The debug pages
//!   and tail sampling see everything.
//! - [`RecordingMode::SampledOnly`]: unsampled spans keep only their ids; their
//!   fields, events and logs are skipped. The least overhead.
//!
//! The default sampler is `ParentBased(AlwaysOn)`: follow the upstream sampled
//! flag, sample every new root.
//!
//! [`SamplingStats`] counts the decisions per root span name
//! ([`crate::Buffer::sampling`], `/debug/sampling`).

mod ratio;
mod stats;

pub use ratio::TraceIdRatio;
pub use stats::{MAX_ROOT_NAMES, RootDecisions, SamplingStats};

use crate::{SpanContext, SpanKind, TraceId};

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

    fn from_bool(sampled: bool) -> Self {
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

/// Samples every trace.
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
    fn description(&self) -> String {
        "AlwaysOn".into()
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
    fn description(&self) -> String {
        "AlwaysOff".into()
    }
}

/// Follows a remote parent's sampled flag; asks `root` for new traces.
///
/// ```
/// use lantern::sampling::{ParentBased, Sampler, TraceIdRatio};
/// let s = ParentBased::new(TraceIdRatio::new(0.25));
/// assert_eq!(s.description(), "ParentBased{root=TraceIdRatio{0.25}}");
/// ```
pub struct ParentBased {
    root: Box<dyn Sampler>,
}

impl ParentBased {
    /// Wraps the sampler used for traces with no upstream.
    ///
    /// ```
    /// let _ = lantern::sampling::ParentBased::new(lantern::sampling::AlwaysOn);
    /// ```
    pub fn new(root: impl Sampler) -> Self {
        ParentBased { root: Box::new(root) }
    }
}

impl Default for ParentBased {
    fn default() -> Self {
        ParentBased::new(AlwaysOn)
    }
}

impl std::fmt::Debug for ParentBased {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description())
    }
}

impl Sampler for ParentBased {
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingDecision {
        match params.remote_parent {
            Some(parent) => SamplingDecision::from_bool(parent.is_sampled()),
            None => self.root.should_sample(params),
        }
    }
    fn description(&self) -> String {
        format!("ParentBased{{root={}}}", self.root.description())
    }
}

/// Sampling parameters for a new root with no remote parent: for testing
/// samplers outside a subscriber.
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
pub fn test_params(trace_id: TraceId, metadata: &'static tracing::Metadata<'static>) -> SamplingParams<'static> {
    SamplingParams { remote_parent: None, trace_id, name: metadata.name(), kind: SpanKind::Internal, metadata }
}
