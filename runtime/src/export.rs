//! The hand-off to exporters: one trait, called off the application's
//! threads.
//!
//! An [`Exporter`] sees every finished span of a sampled trace and every log
//! record, as the ingest thread files them into the ring buffer: after a
//! span's events are joined to it and its status is final. `export` runs on
//! the ingest thread, so it must only enqueue (and count what it cannot
//! keep): encoding and network work belong on the exporter's own thread.
//! Metrics are pulled, not pushed: [`ExportContext::metrics`] gives the
//! store to read on the exporter's own schedule.
//!
//! ```
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use std::sync::Arc;
//! use lantern::export::{ExportRecord, Exporter};
//!
//! #[derive(Default)]
//! struct CountingExporter(AtomicUsize);
//!
//! impl Exporter for CountingExporter {
//!     fn export(&self, record: ExportRecord) {
//!         if let ExportRecord::Span(_) = record {
//!             self.0.fetch_add(1, Ordering::Relaxed);
//!         }
//!     }
//! }
//!
//! let exporter = Arc::new(CountingExporter::default());
//! let lantern = lantern::builder().exporter(exporter.clone()).try_init_local();
//! tracing::info_span!("work").in_scope(|| {});
//! drop(lantern); // flushes the buffer, then shuts the exporter down
//! assert_eq!(exporter.0.load(Ordering::Relaxed), 1);
//! ```

use std::sync::Arc;
use std::time::Duration;

use crate::Resource;
use crate::metrics::Metrics;
use crate::record::{LogRecord, SpanRecord};

/// One record for an exporter.
#[derive(Clone, Debug)]
pub enum ExportRecord {
    /// A finished span of a sampled trace, with its events and final status.
    Span(Arc<SpanRecord>),
    /// A log record.
    Log(Arc<LogRecord>),
}

/// What an exporter is told once, before the first record.
#[derive(Clone, Debug)]
pub struct ExportContext {
    /// Who produces the telemetry.
    pub resource: Resource,
    /// The metrics store, to read on the exporter's own schedule.
    pub metrics: Metrics,
}

/// Receives finished spans and logs. Implementations must never block in
/// [`Exporter::export`]: enqueue, or drop and count.
///
/// ```
/// let _lantern = lantern::builder().exporter(lantern::export::NoopExporter).try_init_local();
/// ```
pub trait Exporter: Send + Sync + 'static {
    /// Takes one record. Called on Lantern's ingest thread.
    fn export(&self, record: ExportRecord);

    /// Called once when Lantern starts, before any record.
    fn start(&self, context: &ExportContext) {
        let _ = context;
    }

    /// Sends what is queued, waiting at most `timeout`, then stops. Called
    /// when the [`crate::Guard`] drops, after the buffer is flushed.
    fn shutdown(&self, timeout: Duration) {
        let _ = timeout;
    }
}

impl<E: Exporter + ?Sized> Exporter for Arc<E> {
    fn export(&self, record: ExportRecord) {
        (**self).export(record)
    }

    fn start(&self, context: &ExportContext) {
        (**self).start(context)
    }

    fn shutdown(&self, timeout: Duration) {
        (**self).shutdown(timeout)
    }
}

/// An exporter that drops everything: the default.
///
/// ```
/// use lantern::export::Exporter;
/// lantern::export::NoopExporter.shutdown(std::time::Duration::ZERO);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct NoopExporter;

impl Exporter for NoopExporter {
    fn export(&self, _: ExportRecord) {}
}

/// How long [`crate::Guard`] gives an exporter to flush when it drops.
pub(crate) const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);
