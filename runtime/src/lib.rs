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
//! ## The flow
//!
//! Data moves one way: the application writes, Lantern's own threads file
//! and ship it, and readers read through one [`Handle`].
//!
//! ```text
//!  application threads
//!  tracing spans and events, #[traced], log crate       metrics macros
//!        |                                                    |
//!        v                                                    v
//!  LanternLayer (capture: ids, parent links,          LanternRecorder (labels
//!  baggage, head sampling, RED metrics)               from allowlisted baggage
//!        | span close / event                         and span fields, exemplars)
//!        v                                                    |
//!  per-thread batch --full--> bounded queue                   |
//!        |                        |                           v
//!        +--------> ingest thread ("lantern-ingest")     series store
//!                   joins events to spans, caps,          (atomics, hdrhistogram)
//!                   evicts: the store (ring buffer)           |
//!                         |              |                    |
//!                         |              v                    |
//!                         |     Exporter (lantern-otlp:       |
//!                         |     own thread, bounded queues) <-+  (pulls metrics)
//!                         v
//!  Handle = buffer + metrics + sampling + resource
//!        |
//!        +--> Snapshot (code, tests)  --> /debug pages, /metrics (`server`)
//! ```
//!
//! The application's threads only append to their own batch and, once per
//! batch, to a lock-free queue; everything that costs runs on the ingest
//! thread. Every bounded place counts what it drops.
//!
//! ## Where things are
//!
//! | path | what |
//! |---|---|
//! | [`init()`], [`builder()`], [`Builder`], [`Guard`] | set-up in one line or a few |
//! | [`layer()`], [`LanternLayer`] | the capture layer, to compose your own subscriber |
//! | [`Handle`] | the read side: buffer, metrics, sampling, resource |
//! | [`context`] | the current [`Context`], baggage, remote parents |
//! | [`propagation`] | W3C Trace Context and Baggage, inject and extract |
//! | [`sampling`] | head samplers and the recording mode |
//! | [`tail`] | trace completion, [`tail::TraceListener`], tail sampling from the ring buffer |
//! | [`insights`] | value from completed traces: the service graph ([`insights::ServiceGraph`]), trace patterns ([`insights::find_patterns`]), trace features ([`insights::FeatureStats`]), tracing quality ([`insights::QualityReport`]) |
//! | [`buffer`] | the ring buffer and its read API ([`buffer::Snapshot`]) |
//! | [`record`] | span and log records, attributes |
//! | [`metrics`] | the `metrics` recorder, RED metrics, Prometheus text |
//! | [`export`] | the exporter hook (`lantern-otlp` implements it) |
//! | `middleware` | tower layers for HTTP and gRPC, message headers |
//! | `server` | the embedded HTTP server: `/metrics` and `/debug` pages |
//! | [`traced`] | the attribute macro |
//! | `fmt` | logs on the console with the trace and span ids: the formats `init()` prints, for a `tracing_subscriber::fmt` layer of your own too |
//! | [`prelude`] | the names most programs use |
//!
//! ## Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `console` | on | `lantern::fmt`; `init()` prints the logs on stderr (`RUST_LOG`, `LANTERN_LOG_FORMAT`) through a non-blocking writer (tracing-subscriber's `fmt` and `env-filter`, `tracing-appender`) |
//! | `server` | on | `lantern::server`: `/metrics` and the debug pages on a thread of their own (axum, a current-thread tokio runtime) |
//! | `middleware` | on | `lantern::middleware`: tower layers for HTTP and gRPC servers and clients, message-header propagation (tower's traits, `http-body`) |
//! | `axum` | with `server` | the middleware reads axum's `MatchedPath` (`http.route`) and `ConnectInfo` (`client.address`) |
//! | `remote-sampling` | on | [`sampling::RemoteSampler`]: Jaeger remote sampling strategies, polled over plain HTTP (hyper's client, no TLS) on a thread of its own, or read from a file; `OTEL_TRACES_SAMPLER=jaeger_remote` |
//!
//! Without `server` nothing in Lantern listens on a socket, and only a
//! `RemoteSampler` (yours, or the one `OTEL_TRACES_SAMPLER=jaeger_remote`
//! asks for) connects out; without `server` and `remote-sampling` the
//! runtime needs no async stack at all.
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
//!   ([`record::SpanRecord::service`]); the pages show it and exporters send
//!   each service under its own resource.
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
#![cfg_attr(docsrs, feature(doc_cfg))]

mod baggage;
pub mod buffer;
mod builder;
mod clock;
#[cfg(feature = "console")]
mod console;
pub mod context;
mod env;
pub mod export;
#[cfg(feature = "console")]
#[cfg_attr(docsrs, doc(cfg(feature = "console")))]
pub mod fmt;
mod handle;
mod ids;
mod init_error;
pub mod insights;
mod layer;
pub mod metrics;
#[cfg(feature = "middleware")]
#[cfg_attr(docsrs, doc(cfg(feature = "middleware")))]
pub mod middleware;
pub mod prelude;
pub mod propagation;
pub mod record;
mod resource;
pub mod sampling;
#[cfg(feature = "server")]
#[cfg_attr(docsrs, doc(cfg(feature = "server")))]
pub mod server;
mod span_context;
pub mod tail;
mod text;
mod trace_state;

pub use builder::{Builder, Guard, builder, init, layer};
pub use context::value::Context;
pub use handle::Handle;
pub use ids::{ParseIdError, SpanId, TraceId};
pub use init_error::InitError;
pub use lantern_macros::traced;
pub use layer::LanternLayer;

/// What `#[traced(crate = path)]` reaches through a re-exported Lantern.
/// Not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use tracing;
}

/// The README's quick start, compiled as a doctest so that it stays true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
