//! Trace completion and tail sampling: keeping, after the fact, the traces
//! the head sampler dropped but someone will want: the failed and the slow.
//!
//! # Head and tail
//!
//! A head sampler ([`crate::sampling`]) decides when a trace starts, before
//! anything is known about it; a 1% sampler drops 99% of the errors too.
//! Tail sampling decides when the trace has ended, from what happened in
//! it. Collectors do it by holding every span of every trace in memory for a
//! while, after every service has paid to export them all. Lantern already
//! holds the recent past of this process in its ring buffer
//! ([`RecordingMode::All`](crate::sampling::RecordingMode::All), the
//! default), so it can do it in process: only the traces kept leave it.
//!
//! # Completion
//!
//! A trace is *complete in this process* when its local root span has ended
//! and no span of it has ended for a quiet period; one whose root never ends
//! here is closed at a maximum age, and counted ([`CompletionConfig`]). The
//! ingest thread watches traces as their spans reach the ring buffer, so the
//! application pays nothing; each watched trace costs about 100 bytes, in a
//! table of bounded size ([`CompletionConfig::max_traces`]), and what does
//! not fit is counted ([`TailStats::tracker_full`]).
//!
//! Each completed trace goes to the [`TraceListener`]s
//! ([`Builder::trace_listener`](crate::Builder::trace_listener)): the hook
//! for feature extraction, service graphs and quality checks.
//!
//! # Tail policies
//!
//! A [`TailPolicy`] ([`Builder::tail_sampling`](crate::Builder::tail_sampling))
//! judges each completed trace the head sampler dropped. It keeps a trace
//! with an error, one slower than a threshold (per root operation or a
//! default), one with a span or baggage entry matching a rule, or one among
//! the slowest k% of its operation, at most `max_per_second` of them. A kept
//! trace is exported whole, every span the ring buffer holds of it with its
//! events, marked `sampler.type = tail` and sampled; spans of it that end
//! later go too.
//!
//! # Costs and limits
//!
//! - Watching costs the ingest thread a hash-map update per span; judging,
//!   a pass over the trace's spans when it completes. Nothing runs on the
//!   application's threads (see `benches/README.md` for the figures).
//! - Only what this process recorded can be kept: spans that other
//!   processes recorded and dropped are gone (their services would have to
//!   tail-sample too). Services hosted in the same process share the ring
//!   buffer, so their spans are kept together.
//! - A trace is judged on what the ring buffer still holds when it
//!   completes: under a ceiling too small for the quiet period, its oldest
//!   spans may be evicted first.
//! - Logs are exported as they are recorded, whatever the sampling; a kept
//!   trace brings its spans' events.
//! - With [`RecordingMode::SampledOnly`](crate::sampling::RecordingMode::SampledOnly)
//!   unsampled spans are not recorded, so there is nothing to keep:
//!   [`Builder::try_init`](crate::Builder::try_init) refuses tail policies
//!   there, and the other set-ups say so on stderr and run without them.
//!
//! ```
//! use std::time::Duration;
//! use lantern::sampling::{AlwaysOff, ParentBased};
//! use lantern::tail::{CompletionConfig, TailPolicy};
//!
//! let lantern = lantern::builder()
//!     .sampler(ParentBased::new(AlwaysOff))
//!     .tail_sampling(TailPolicy::new().errors().slower_than(Duration::from_millis(300)))
//!     .completion(CompletionConfig { quiet_period: Duration::from_millis(20), ..Default::default() })
//!     .try_init_local();
//! tracing::info_span!("checkout").in_scope(|| tracing::error!("card declined"));
//! let deadline = std::time::Instant::now() + Duration::from_secs(10);
//! while lantern.handle().tail().kept() == 0 && std::time::Instant::now() < deadline {
//!     std::thread::sleep(Duration::from_millis(5));
//! }
//! assert_eq!(lantern.handle().tail().kept_for(lantern::tail::KeepReason::Error), 1);
//! ```

pub(crate) mod config;
pub(crate) mod listener;
pub(crate) mod policy;

pub use config::{CloseReason, CompletionConfig};
pub use listener::{CompletedTrace, NoopListener, TailStats, TraceListener};
pub use policy::{KeepReason, TailPolicy};
