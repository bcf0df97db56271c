//! Limits of the ring buffer and of each record.

/// Bounds of the in-process ring buffer and of each record.
///
/// Every limit is a ceiling, and everything beyond it is counted, never
/// silently lost (see [`crate::buffer::BufferStats`]).
///
/// ```
/// let cfg = lantern::buffer::BufferConfig { max_bytes: 8 << 20, ..Default::default() };
/// assert_eq!(cfg.max_spans_per_trace, 10_000);
/// ```
#[derive(Clone, Debug)]
pub struct BufferConfig {
    /// Ceiling of the bytes held by finished spans and logs (default 64 MiB).
    pub max_bytes: usize,
    /// Ceiling of the number of finished spans and logs (default 1 000 000).
    pub max_records: usize,
    /// Slots in the lock-free queue between the application and the ingest
    /// thread (default 8192). When it is full the oldest entry is overwritten.
    pub queue_capacity: usize,
    /// Spans kept per trace (default 10 000); later ones are dropped and
    /// counted (0 keeps none, and no per-trace state at all).
    ///
    /// Any client that knows a trace id can add spans to that trace (a
    /// `traceparent` names it). The cap keeps a trace's *first* spans, so a
    /// flood aimed at a trace cannot push out its root and early spans, the
    /// ones that explain it; the price is that a flooded trace's later
    /// spans, legitimate ones too, are dropped (counted in
    /// [`BufferStats::spans_dropped_trace_cap`](super::BufferStats::spans_dropped_trace_cap)).
    /// Whole traces still age out of the ring buffer oldest first.
    pub max_spans_per_trace: usize,
    /// Events kept per span (default 128).
    pub max_events_per_span: usize,
    /// Attributes kept per span and per log (default 128).
    pub max_attributes: usize,
    /// Bytes kept of a text value (default 4096): span attributes and
    /// names given as fields, log bodies, log and event fields. A longer
    /// value is cut at a character boundary and counted in
    /// [`BufferStats::values_truncated`](super::BufferStats::values_truncated).
    /// `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT` or
    /// `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT` set it for [`crate::Builder`].
    pub max_attribute_value_bytes: usize,
    /// Links kept per span (default 128).
    pub max_links_per_span: usize,
    /// Open spans tracked for the "running" view, all threads together
    /// (default 100 000); more are counted in `open_spans_untracked`.
    pub max_open_spans: usize,
    /// Whether open spans are tracked at all (default true).
    pub track_open_spans: bool,
}

impl Default for BufferConfig {
    fn default() -> Self {
        BufferConfig {
            max_bytes: 64 << 20,
            max_records: 1_000_000,
            queue_capacity: 8192,
            max_spans_per_trace: 10_000,
            max_events_per_span: 128,
            max_attributes: 128,
            max_attribute_value_bytes: 4096,
            max_links_per_span: 128,
            max_open_spans: 100_000,
            track_open_spans: true,
        }
    }
}
