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
//! ([`crate::Handle::sampling`], `/debug/sampling`, and on `/metrics` as
//! `lantern.sampling.*`), and asks the sampler what it knows of itself
//! ([`Sampler::inspect`], [`SamplerState`]): per operation, its probability,
//! target and lower bound, the probability over the last hour (recorded by
//! [`Adaptive`] when it recomputes, once a minute at most), and behind a
//! [`RemoteSampler`], the last fetch of the strategy.
//!
//! # What a decision leaves behind: counts can be extrapolated
//!
//! A backend that sees only the sampled traces must know what each stands
//! for to count requests. So, as Jaeger's clients do, the root of each
//! sampled trace in this process carries its sampler's [`SamplerTag`]:
//! `sampler.type` and `sampler.param` (`probabilistic` and its probability,
//! `ratelimiting` and its rate, `lowerbound`, `const`, `debug` for a forced
//! trace; see the table on [`SamplerTag`]). Samplers return it with their
//! decision ([`Sampler::decide`], two words, no allocation); the record
//! keeps it apart from the attributes, so no attribute cap drops it
//! ([`SpanRecord::sampler_tag`](crate::record::SpanRecord::sampler_tag)),
//! and exporters and the debug pages show it as the two attributes
//! ([`SpanRecord::sampler_attributes`](crate::record::SpanRecord::sampler_attributes)).
//! [`ParentBased`] and [`ContextRules`] pass on the tag of the sampler
//! that decided; a root that follows its remote parent carries none.
//!
//! Probability samplers speak OpenTelemetry's consistent probability
//! sampling too: a trace is sampled when its 56 random bits
//! ([`SamplingParams::randomness`]: the trace id's, or the caller's explicit
//! `ot=rv:...`) are at least the rejection threshold
//! `T = 2^56 - round(p * 2^56)`, and a trace a probability sampled here
//! carries `T` in its `tracestate` as `ot=th:<hex>` (14 hex digits, the
//! trailing zeros removed: `th:0` for `p = 1`, `th:c` for `0.25`), merged
//! into the `ot` member a caller sent (its `rv` and other sub-keys kept).
//! Local children and downstream services inherit it. A root that follows
//! its remote parent keeps the parent's threshold as it came (unless it
//! contradicts the sampled flag); another decision of this process's
//! (a rate, a lower bound, a constant, a forced trace) erases it, since the
//! probability is no longer that one. A threshold that does not parse is
//! ignored and counted (`propagation::rejected().tracestate_threshold_invalid`).
//!
//! From these, [`SpanRecord::adjusted_count`](crate::record::SpanRecord::adjusted_count)
//! and [`Trace::adjusted_count`](crate::buffer::Trace::adjusted_count) give
//! how many traces a sampled one stands for: `2^56 / (2^56 - T)` from a
//! threshold, else `1 / p` from a `probabilistic` tag, 1 for `const` and
//! `debug`, and unknown (`None`) for a rate limiter or a lower bound.
//!
//! ```
//! use lantern::sampling::{ParentBased, SamplerTag, TraceIdRatio};
//! let lantern = lantern::builder().sampler(ParentBased::new(TraceIdRatio::new(0.25))).try_init_local();
//! for _ in 0..40 {
//!     tracing::info_span!("checkout").in_scope(|| {});
//! }
//! let snap = lantern.buffer().snapshot();
//! let root = snap.spans_named("checkout", 40).into_iter().find(|s| s.is_sampled()).unwrap();
//! assert_eq!(root.sampler_tag(), Some(SamplerTag::probabilistic(0.25)));
//! assert_eq!(root.trace_state.get("ot"), Some("th:c"));
//! assert_eq!(root.adjusted_count(), Some(4.0));
//! ```
//!
//! # Forced (debug) traces
//!
//! A root is sampled whatever the sampler says when it asks to be: its
//! field `lantern.debug = true` (what a server layer's debug header sets),
//! or, where the process honours it ([`crate::Builder::debug_baggage`]), a
//! [`DEBUG_BAGGAGE_KEY`] baggage entry that came with its remote parent, so
//! that one entry set upstream forces the trace in every service on its
//! path, through queues too. Forced traces are capped a second
//! ([`crate::Builder::max_forced_per_second`]) and tagged `debug`. A header
//! or baggage value other than `1` or `true` (`ticket-123`) is the trace's
//! debug id, recorded on its root as [`DEBUG_ID_ATTRIBUTE`] and searchable
//! ([`TraceQuery::debug_id`](crate::buffer::TraceQuery::debug_id),
//! `/debug/traces?debug_id=...`).

mod adaptive;
pub(crate) mod always;
pub(crate) mod bucket;
mod context_rules;
pub(crate) mod debug;
mod history;
pub(crate) mod own_metrics;
mod parent_based;
mod per_operation;
mod rate_limiting;
mod ratio;
#[cfg(feature = "remote-sampling")]
mod remote;
#[cfg(feature = "remote-sampling")]
pub(crate) mod remote_fetch;
mod root_counts;
mod sampler;
mod state;
mod stats;
#[cfg(feature = "remote-sampling")]
mod strategy;
pub(crate) mod tag;
pub(crate) mod threshold;

pub use adaptive::Adaptive;
pub use always::{AlwaysOff, AlwaysOn};
pub use bucket::ManualClock;
pub use context_rules::ContextRules;
pub use debug::{DEBUG_BAGGAGE_KEY, DEBUG_ID_ATTRIBUTE};
pub use parent_based::ParentBased;
pub use per_operation::{DEFAULT_MAX_OPERATIONS, GuaranteedThroughput, PerOperation, test_params_named};
pub use rate_limiting::RateLimiting;
pub use ratio::TraceIdRatio;
#[cfg(feature = "remote-sampling")]
#[cfg_attr(docsrs, doc(cfg(feature = "remote-sampling")))]
pub use remote::{InvalidEndpoint, RemoteSampler};
pub use root_counts::RootDecisions;
pub use sampler::{
    RecordingMode, Sampler, SamplingDecision, SamplingParams, SamplingResult, test_metadata, test_params,
};
#[cfg(feature = "remote-sampling")]
#[cfg_attr(docsrs, doc(cfg(feature = "remote-sampling")))]
pub use state::RemoteStatus;
pub use state::{OperationState, SamplerState};
pub use stats::{DEFAULT_MAX_FORCED_PER_SECOND, MAX_ROOT_NAMES, SamplingStats};
pub use tag::SamplerTag;
