//! # lantern-otlp
//!
//! OTLP export of Lantern's traces, logs and metrics, over gRPC (tonic) or
//! HTTP with protobuf or JSON bodies (hyper), batched, compressed, retried
//! and bounded, over TLS with the webpki roots or a custom CA and client
//! certificate ([`TlsConfig`]).
//!
//! ```no_run
//! let exporter = lantern_otlp::OtlpExporter::from_env().expect("a valid OTEL_* configuration");
//! let _lantern = lantern::builder().exporter(exporter.clone()).init();
//! tracing::info_span!("work").in_scope(|| tracing::info!("exported"));
//! ```
//!
//! - [`OtlpConfig`]: where and how, from code or the `OTEL_*` variables.
//! - [`OtlpExporter`]: the [`lantern::export::Exporter`] that queues,
//!   batches and sends on its own thread; [`OtlpExporter::stats`] says
//!   what it exported and dropped.
//!
//! ## Never hurting the host
//!
//! The application's side of export is one push into a bounded lock-free
//! queue per signal, made by Lantern's ingest thread, not by the
//! application's threads. A full queue drops the newest record and counts
//! it. Encoding, compression, network and retries happen on the
//! `lantern-otlp` thread, with its own runtime; a dead, slow or refusing
//! collector costs drops, never latency or memory.

mod config;
mod pipeline;
mod span_events;
mod transform;
mod transport;

pub use config::{BatchConfig, ConfigError, OtlpConfig, SignalConfig};
pub use pipeline::{ExportStats, OtlpExporter, SignalStats};
pub use span_events::SpanEvents;
pub use transform::Temporality;
pub use transport::{Compression, PemSource, Protocol, Signal, TlsConfig};
