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
//! ([`crate::Handle::sampling`], `/debug/sampling`).

pub(crate) mod always;
mod parent_based;
mod ratio;
mod sampler;
mod stats;

pub use always::{AlwaysOff, AlwaysOn};
pub use parent_based::ParentBased;
pub use ratio::TraceIdRatio;
pub use sampler::{RecordingMode, Sampler, SamplingDecision, SamplingParams, test_params};
pub use stats::{MAX_ROOT_NAMES, RootDecisions, SamplingStats};
