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
//! The head samplers, each usable alone or as the root sampler of a
//! [`ParentBased`]:
//! - [`AlwaysOn`], [`AlwaysOff`]: every trace, or none.
//! - [`TraceIdRatio`]: a fixed fraction, decided from the trace id.
//! - [`RateLimiting`]: at most N new traces a second (Jaeger's `rateLimiting`).
//! - [`PerOperation`]: a fraction per root span name, and a default.
//! - [`GuaranteedThroughput`]: a fraction per root span name plus a lower
//!   bound of traces a second, so that rare operations are still seen
//!   (Jaeger's `operationSampling`).
//! - [`Adaptive`]: a probability per root span name, recomputed every
//!   interval so that each operation is sampled at a target rate, with a
//!   lower bound (Jaeger's adaptive sampling, computed in this process).
//! - [`ContextRules`]: ordered rules on the root span's attributes and the
//!   incoming baggage (`customer.tier=premium` → sample, `synthetic=true` →
//!   drop), then any sampler for the rest.
//! - [`RemoteSampler`] (feature `remote-sampling`, on by default): the
//!   strategy a Jaeger remote sampling endpoint or a file gives for this
//!   service, polled at an interval and applied with the samplers above.
//!
//! # Head or tail
//!
//! Everything in this module is *head* sampling: the decision is made when
//! a trace starts, from what is known then (its root's name, fields and
//! baggage, the remote parent's flag), and it costs a few nanoseconds per
//! root (`benches/README.md`: +9 to +40 ns over `AlwaysOn`). It cannot know
//! whether the trace will fail or be slow: a 1% sampler drops 99% of the
//! errors too. *Tail* sampling ([`crate::tail`]) decides when the trace has
//! completed, from what happened in it, and keeps failed and slow traces
//! that the head sampler dropped. Its price is memory, not latency: the
//! dropped traces must be recorded in the ring buffer until they complete
//! ([`RecordingMode::All`], the default, whose unsampled spans cost about
//! what sampled ones do), plus a table entry per running trace on the
//! ingest thread. Use both: a head sampler for the steady share, tail
//! policies for what must not be missed.
//!
//! [`SamplingStats`] counts the decisions per root span name
//! ([`crate::Handle::sampling`], `/debug/sampling`).

mod adaptive;
pub(crate) mod always;
pub(crate) mod bucket;
mod context_rules;
mod parent_based;
mod per_operation;
mod rate_limiting;
mod ratio;
#[cfg(feature = "remote-sampling")]
mod remote;
#[cfg(feature = "remote-sampling")]
pub(crate) mod remote_fetch;
mod sampler;
mod stats;
#[cfg(feature = "remote-sampling")]
mod strategy;

pub use adaptive::Adaptive;
pub use always::{AlwaysOff, AlwaysOn};
pub use bucket::ManualClock;
pub use context_rules::ContextRules;
pub use parent_based::ParentBased;
pub use per_operation::{DEFAULT_MAX_OPERATIONS, GuaranteedThroughput, PerOperation, test_params_named};
pub use rate_limiting::RateLimiting;
pub use ratio::TraceIdRatio;
#[cfg(feature = "remote-sampling")]
#[cfg_attr(docsrs, doc(cfg(feature = "remote-sampling")))]
pub use remote::{InvalidEndpoint, RemoteSampler, RemoteStatus};
pub use sampler::{RecordingMode, Sampler, SamplingDecision, SamplingParams, test_metadata, test_params};
pub use stats::{DEFAULT_MAX_FORCED_PER_SECOND, MAX_ROOT_NAMES, RootDecisions, SamplingStats};
