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
//! - `middleware` (feature `middleware`, on by default): tower layers for
//!   HTTP and gRPC servers and clients, and message-queue propagation.
//! - [`sampling`]: head samplers and the recording mode.
//! - [`metrics`]: the `metrics` recorder, RED metrics, Prometheus text.
//! - `server` (feature `server`, on by default): the embedded HTTP server:
//!   `/metrics` and the debug pages (`/debug`, traces, tracez, logs,
//!   metrics, sampling), each with a JSON twin.
//! - [`export`]: the exporter hook (`lantern-otlp` implements it).
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
//! - One process can host several services: a `service.name` field on a
//!   span makes it and its descendants part of that service
//!   ([`SpanRecord::service`]); the pages show it and exporters send each
//!   service under its own resource.
//!
//! ```
//! let lantern = lantern::builder().service_name("frontend").try_init_local();
//! tracing::info_span!("GET /customer", service.name = "customer").in_scope(|| {
//!     tracing::info_span!("SQL SELECT").in_scope(|| {});
//! });
//! let snap = lantern.buffer().snapshot();
//! let trace = snap.trace(snap.traces(&Default::default())[0].trace_id).unwrap();
//! assert!(trace.spans.iter().all(|s| s.service.as_deref() == Some("customer")));
//! ```

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
#[cfg(feature = "middleware")]
pub mod middleware;
pub mod propagation;
pub mod record;
mod resource;
pub mod sampling;
#[cfg(feature = "server")]
pub mod server;
mod span_context;
mod trace_state;

pub use baggage::{Baggage, BaggageEntry, BaggageError};
pub use buffer::{
    Buffer, BufferStats, LATENCY_BUCKET_BOUNDS, LogQuery, OpenSpan, Snapshot, Trace, TraceQuery, TraceSummary,
    TracezRow, TracezSample, TracezSamples, latency_bucket,
};
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
