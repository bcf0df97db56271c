//! What the application's threads hand to the ingest thread (finished
//! records), the [`OpenSpan`] a span leaves in its thread's table while it is
//! open, the counters the application's threads bump when something is lost,
//! and what the ingest thread hands on to an exporter.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, SystemTime};

use crate::clock::Timestamp;
use crate::ids::{SpanId, TraceId};
use crate::record::{LogRecord, SpanRecord};

/// What travels from the application to the ingest thread.
///
/// Records travel by value, inside the thread's batch (whose memory is
/// reused batch after batch): the application thread allocates nothing for
/// them. The ingest thread puts each into the `Arc` the store keeps, so a
/// record kept for long is allocated and freed on that one thread, never on
/// the application's (where freeing cold records cost a third of an event).
pub(crate) enum Entry {
    Span(SpanRecord),
    Log(LogRecord),
}

/// Counted on the application's threads, only when something is lost: the
/// usual path touches no shared counter.
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) overwritten_spans: AtomicU64,
    pub(crate) overwritten_logs: AtomicU64,
    /// Open spans not shown: their thread's table was full.
    pub(crate) open_untracked: AtomicU64,
    /// Text values cut to `max_attribute_value_bytes` as they were recorded.
    pub(crate) values_truncated: AtomicU64,
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

/// A span that has started and not yet closed.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct OpenSpan {
    /// Its trace.
    pub trace_id: TraceId,
    /// Its id.
    pub span_id: SpanId,
    /// Its name: `otel.name` when given at creation, else the callsite's.
    pub name: std::borrow::Cow<'static, str>,
    /// The callsite target.
    pub target: &'static str,
    pub(crate) start: Timestamp,
}

impl OpenSpan {
    /// How long it has been open.
    pub fn age(&self) -> Duration {
        Timestamp::now().saturating_duration_since(self.start)
    }

    /// When it started.
    pub fn start_time(&self) -> SystemTime {
        self.start.to_system_time()
    }
}
