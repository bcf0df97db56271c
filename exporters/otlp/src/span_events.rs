//! Which of a span's events go out with the span.
//!
//! Lantern joins every log record made inside a span to that span as a span
//! event, and the exporter also sends every log record as a log. Sending
//! both would make a backend store each log twice, so by default
//! ([`SpanEvents::Auto`]) a span carries only its *exception* events (those
//! `#[traced(err)]` records, or any ERROR-level event) while logs are
//! exported, and all its events when the logs signal is off.

use lantern::record::{LogRecord, Severity};

/// Which span events are exported with their spans.
///
/// ```
/// let config = lantern_otlp::OtlpConfig { span_events: lantern_otlp::SpanEvents::All, ..Default::default() };
/// # drop(config);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpanEvents {
    /// Exceptions only while logs are exported, everything otherwise (the
    /// default; `LANTERN_OTLP_SPAN_EVENTS=auto`).
    #[default]
    Auto,
    /// Every event (`all`): logs inside spans are then stored twice by a
    /// backend that keeps both signals.
    All,
    /// Exception and ERROR events only (`exceptions`).
    Exceptions,
    /// None (`none`): spans go out without events.
    None,
}

impl SpanEvents {
    /// The setting named by `LANTERN_OTLP_SPAN_EVENTS`, if `value` is one.
    pub(crate) fn parse(value: &str) -> Option<SpanEvents> {
        match value.to_ascii_lowercase().as_str() {
            "auto" => Some(SpanEvents::Auto),
            "all" => Some(SpanEvents::All),
            "exceptions" => Some(SpanEvents::Exceptions),
            "none" => Some(SpanEvents::None),
            _ => None,
        }
    }

    /// What `Auto` means when the logs signal is (or is not) exported.
    pub(crate) fn resolve(self, logs_exported: bool) -> SpanEvents {
        match self {
            SpanEvents::Auto if logs_exported => SpanEvents::Exceptions,
            SpanEvents::Auto => SpanEvents::All,
            other => other,
        }
    }

    /// Whether `event` goes out (after [`resolve`](Self::resolve)).
    pub(crate) fn keeps(self, event: &LogRecord) -> bool {
        match self {
            SpanEvents::All | SpanEvents::Auto => true,
            SpanEvents::None => false,
            SpanEvents::Exceptions => {
                event.severity >= Severity::Error || event.attribute("exception.message").is_some()
            }
        }
    }
}
