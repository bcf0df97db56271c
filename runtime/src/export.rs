//! The hand-off to exporters: one trait, called off the application's
//! threads.
//!
//! An [`Exporter`] sees every finished span of a sampled trace and every log
//! record, as they are filed into the ring buffer: after a span's events are
//! joined to it and its status is final. `export` runs on whichever thread
//! drains the buffer's queue (the ingest thread, or a reader taking a
//! snapshot, or the [`Guard`](crate::Guard) flushing), while the buffer's
//! store is locked: so it must only enqueue (and count what it cannot
//! keep), and it must never call the [`Buffer`](crate::buffer::Buffer)
//! (a snapshot, its stats, a flush) from inside `export`, which would
//! deadlock. Encoding and network work belong on the exporter's own thread.
//! Metrics are pulled, not pushed: [`Exporter::start`] is given the
//! [`Handle`], whose metrics store the exporter reads on its own schedule,
//! and whose [`Resource`] says who produces the telemetry.
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

pub use crate::buffer::entry::ExportRecord;
pub use crate::resource::Resource;

use crate::handle::Handle;

/// Receives finished spans and logs. Implementations must never block in
/// [`Exporter::export`]: enqueue, or drop and count.
///
/// ```
/// let _lantern = lantern::builder().exporter(lantern::export::NoopExporter).try_init_local();
/// ```
pub trait Exporter: Send + Sync + 'static {
    /// Takes one record, on the thread draining the buffer, with the
    /// buffer's store locked: enqueue and return, and never read the buffer
    /// from here (see the [module docs](self)).
    fn export(&self, record: ExportRecord);

    /// Called once when Lantern starts, before any record, with the read
    /// handle: the resource to send with every batch, the metrics to pull.
    /// Keep it for the exporter's own thread; the buffer it holds must not
    /// be read from [`Exporter::export`].
    fn start(&self, handle: &Handle) {
        let _ = handle;
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

    fn start(&self, handle: &Handle) {
        (**self).start(handle)
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
