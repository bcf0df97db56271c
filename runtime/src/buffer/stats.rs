//! The ring buffer's counters, as readers see them.

/// The ring buffer's counters and fill, at one moment.
///
/// ```
/// let stats = lantern::layer().buffer().stats();
/// assert_eq!(stats.bytes, 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BufferStats {
    /// Spans handed to the buffer (held, evicted, capped or overwritten).
    pub spans_recorded: u64,
    /// Logs handed to the buffer (held, evicted or overwritten).
    pub logs_recorded: u64,
    /// Spans of sampled traces among those ingested (the others are kept
    /// locally only, in `RecordingMode::All`).
    pub spans_sampled: u64,
    /// Records (sampled spans and logs) handed to the exporter, if one is
    /// set; what it did with them is in its own counters (`otlp.*` metrics).
    pub records_exported: u64,
    /// Spans lost because the queue was full (oldest first).
    pub spans_overwritten: u64,
    /// Logs lost because the queue was full (oldest first).
    pub logs_overwritten: u64,
    /// Spans evicted by the ceilings.
    pub spans_evicted: u64,
    /// Logs evicted by the ceilings.
    pub logs_evicted: u64,
    /// Spans dropped by the per-trace cap.
    pub spans_dropped_trace_cap: u64,
    /// Events dropped by the per-span cap.
    pub events_dropped: u64,
    /// Text values (attributes, log bodies, event fields) cut to
    /// [`BufferConfig::max_attribute_value_bytes`](super::BufferConfig::max_attribute_value_bytes).
    pub values_truncated: u64,
    /// Bytes of events waiting for their span to close (held besides the
    /// ceiling's records, at most an eighth of `max_bytes`; events past
    /// that stay logs only and count in `events_dropped`).
    pub pending_event_bytes: u64,
    /// Open spans not tracked because the open-span table was full.
    pub open_spans_untracked: u64,
    /// Spans held now.
    pub spans: u64,
    /// Logs held now.
    pub logs: u64,
    /// Traces held now.
    pub traces: u64,
    /// Bytes held now, as accounted.
    pub bytes: u64,
    /// The byte ceiling.
    pub max_bytes: u64,
}
