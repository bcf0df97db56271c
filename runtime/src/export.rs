//! The hand-off to exporters: one trait, called off the application's
//! threads.
//!
//! An [`Exporter`] sees every finished span of a sampled trace and every log
//! record, as the ingest thread files them into the ring buffer: after a
//! span's events are joined to it and its status is final. `export` runs on
//! the ingest thread, so it must only enqueue (and count what it cannot
//! keep): encoding and network work belong on the exporter's own thread.
//! Metrics are pulled, not pushed: [`Exporter::start`] is given the
//! [`Handle`], whose metrics store the exporter reads on its own schedule,
//! and whose [`Resource`] says who produces the telemetry.
//!
//! ```
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use std::sync::Arc;
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
    /// Takes one record. Called on Lantern's ingest thread.
    fn export(&self, record: ExportRecord);

    /// Called once when Lantern starts, before any record, with the read
    /// handle: the resource to send with every batch, the metrics to pull.
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
