//! When a trace counts as complete in this process, and why it was closed.

use std::time::Duration;

/// When the ring buffer calls a trace complete, and how many traces it
/// watches at once.
///
/// A trace is complete in this process when its local root span (no
/// parent, or a remote one) has ended and no span of it has ended for
/// `quiet_period`. A trace whose root never ends here is closed anyway at
/// `max_age` after its first span ended (and counted), so that a perpetual
/// trace, or one whose root ran in another process, still completes.
///
/// ```
/// use std::time::Duration;
/// let config = lantern::tail::CompletionConfig { quiet_period: Duration::from_millis(500), ..Default::default() };
/// assert_eq!(config.max_age, Duration::from_secs(60));
/// assert_eq!(config.max_traces, 50_000);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletionConfig {
    /// How long after its root ended, with no span of it ending, a trace is
    /// complete (default 2 s).
    pub quiet_period: Duration,
    /// How long after its first span ended a trace is closed at the latest
    /// (default 60 s).
    pub max_age: Duration,
    /// Traces watched at once (default 50 000; each costs about 100 bytes,
    /// so about 5 MiB at most). A trace that finds the table full is not
    /// watched, and is counted in `TailStats::tracker_full`.
    pub max_traces: usize,
}

impl Default for CompletionConfig {
    fn default() -> Self {
        CompletionConfig { quiet_period: Duration::from_secs(2), max_age: Duration::from_secs(60), max_traces: 50_000 }
    }
}

/// Why a trace was called complete.
///
/// ```
/// assert_eq!(lantern::tail::CloseReason::Quiet.as_str(), "quiet");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseReason {
    /// Its root ended and it was quiet for the quiet period.
    Quiet,
    /// It reached the maximum age.
    MaxAge,
}

impl CloseReason {
    /// `quiet` or `max_age`.
    ///
    /// ```
    /// assert_eq!(lantern::tail::CloseReason::MaxAge.as_str(), "max_age");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::Quiet => "quiet",
            CloseReason::MaxAge => "max_age",
        }
    }
}
