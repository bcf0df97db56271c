//! # Lantern
//!
//! An embedded, in-process observability runtime for Rust services. Lantern
//! captures `tracing` spans and events as span and log records with W3C trace
//! ids, keeps the recent past in a bounded in-memory ring buffer, samples
//! what it exports, and carries trace context and baggage across processes.
//!
//! ```
//! let lantern = lantern::builder().service_name("hello").try_init_local();
//! tracing::info_span!("checkout", customer = 42).in_scope(|| {
//!     lantern::context::set_baggage("customer", "42").unwrap();
//!     tracing::info!(items = 3, "paid");
//! });
//! let snap = lantern.buffer().snapshot();
//! let summary = &snap.traces(&Default::default())[0];
//! assert_eq!(summary.root_name, "checkout");
//! let logs = snap.logs(&Default::default());
//! assert_eq!(logs[0].trace_id, Some(summary.trace_id));
//! ```
//!
//! ## Where things are
//!
//! - [`layer()`], [`init()`], [`builder()`]: capture, set-up.
//! - [`context`]: the current trace context, baggage, remote parents.
//! - [`propagation`]: W3C Trace Context and Baggage, inject and extract.
//! - [`sampling`]: head samplers and the recording mode.
//! - [`Buffer`] and [`Snapshot`]: the ring buffer and its read API.
//! - [`traced`]: the attribute macro.
//!
//! ## Design decisions
//!
//! - Trace identity is kept in each span's registry extensions, so it follows
//!   the span, not the thread: parents hold across `.await`, spawned
//!   instrumented tasks, `spawn_blocking` and threads handed a span.
//! - The application's threads only ever push into a lock-free bounded
//!   queue; a named ingest thread builds the indexed store that readers use.
//!   Full queues overwrite their oldest entry and count it.
//! - Remote parents are given at span creation ([`Context::child_span`]),
//!   never patched in afterwards.

mod baggage;
pub mod buffer;
mod clock;
mod config;
pub mod context;
mod env;
pub mod export;
mod ids;
mod init;
mod layer;
pub mod metrics;
pub mod propagation;
pub mod record;
mod resource;
pub mod sampling;
#[cfg(feature = "server")]
pub mod server;
mod span_context;
mod trace_state;

pub use baggage::{Baggage, BaggageEntry, BaggageError};
pub use buffer::{Buffer, BufferStats, LogQuery, OpenSpan, Snapshot, Trace, TraceQuery, TraceSummary};
pub use config::BufferConfig;
pub use context::Context;
pub use ids::{ParseIdError, SpanId, TraceId};
pub use init::{Builder, Guard, InitError, buffer, builder, init, layer};
pub use lantern_macros::traced;
pub use layer::LanternLayer;
pub use record::{KeyValue, LogRecord, Severity, SpanKind, SpanRecord, Status, Value};
pub use resource::Resource;
pub use span_context::{SpanContext, TraceFlags};
pub use trace_state::{TraceState, TraceStateError};
