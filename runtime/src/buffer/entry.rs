//! What the application's threads hand to the ingest thread, the counters
//! they bump when the hand-over queue overflows, and what the ingest thread
//! hands on to an exporter.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use crate::record::{LogRecord, OpenSpan, SpanRecord};

/// What travels from the application to the ingest thread.
/// Records travel as the `Arc` the store will keep: a hand-off moves a
/// pointer, and the record is allocated once, on the thread that made it.
pub(crate) enum Entry {
    Start(OpenSpan),
    Span(Arc<SpanRecord>),
    Log(Arc<LogRecord>),
}

/// Counted on the application's threads, only when the queue overflows: the
/// usual path touches no shared counter.
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) overwritten_spans: AtomicU64,
    pub(crate) overwritten_logs: AtomicU64,
    pub(crate) overwritten_starts: AtomicU64,
}

/// One record for an exporter.
///
/// ```
/// use lantern::export::ExportRecord;
/// fn spans_only(record: &ExportRecord) -> bool {
///     matches!(record, ExportRecord::Span(_))
/// }
/// # let _ = spans_only;
/// ```
#[derive(Clone, Debug)]
pub enum ExportRecord {
    /// A finished span of a sampled trace, with its events and final status.
    Span(Arc<SpanRecord>),
    /// A log record.
    Log(Arc<LogRecord>),
}

/// Where the ingest thread hands exported records: the exporter's
/// `export`, wrapped so that the buffer need not know the exporter trait.
pub(crate) type ExportFn = Arc<dyn Fn(ExportRecord) + Send + Sync>;
