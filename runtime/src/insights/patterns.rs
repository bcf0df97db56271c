//! Trace patterns (*Mastering Distributed Tracing*, ch. 9, "Recognizing
//! trace patterns"), what a person learns to spot on a waterfall, found by
//! the machine: what a finding is. They are found by
//! [`super::patterns_find`] with the detectors of
//! [`super::patterns_detect`], and counted across traces in
//! [`super::patterns_state`].

use std::time::Duration;

use crate::ids::SpanId;

/// A pattern of [`find_patterns`](super::find_patterns).
///
/// ```
/// use lantern::insights::PatternKind;
/// assert_eq!(PatternKind::Staircase.as_str(), "staircase");
/// assert_eq!(PatternKind::ALL.len(), 5);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum PatternKind {
    /// A span where an error starts: its status is an error and none of
    /// its children's is (its failing ancestors only pass it on).
    ErrorSource,
    /// The span on the critical path with the most self time (its time on
    /// the path not spent in its critical children), when it is at least
    /// [`PatternConfig::min_self_share`] of the trace.
    LongestSelfTime,
    /// A span with child spans and a long stretch in which none of them
    /// ran and nothing was logged: work that is not instrumented.
    MissingDetails,
    /// Same-named sibling spans run one after the other, back to back,
    /// that might have run in parallel.
    Staircase,
    /// Spans that started at different times and ended together: a shared
    /// timeout or lock.
    SimultaneousFinish,
}

impl PatternKind {
    /// Every kind, in the order findings are listed.
    pub const ALL: [PatternKind; 5] = [
        PatternKind::ErrorSource,
        PatternKind::LongestSelfTime,
        PatternKind::MissingDetails,
        PatternKind::Staircase,
        PatternKind::SimultaneousFinish,
    ];

    /// The snake-case name, as in the JSON and the `pattern` label of
    /// `lantern_trace_patterns_total`.
    ///
    /// ```
    /// assert_eq!(lantern::insights::PatternKind::ErrorSource.as_str(), "error_source");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            PatternKind::ErrorSource => "error_source",
            PatternKind::LongestSelfTime => "longest_self_time",
            PatternKind::MissingDetails => "missing_details",
            PatternKind::Staircase => "staircase",
            PatternKind::SimultaneousFinish => "simultaneous_finish",
        }
    }

    /// A short title for a person.
    ///
    /// ```
    /// assert_eq!(lantern::insights::PatternKind::Staircase.title(), "staircase");
    /// assert_eq!(lantern::insights::PatternKind::ErrorSource.title(), "error starts here");
    /// ```
    pub fn title(self) -> &'static str {
        match self {
            PatternKind::ErrorSource => "error starts here",
            PatternKind::LongestSelfTime => "longest on the critical path",
            PatternKind::MissingDetails => "missing details",
            PatternKind::Staircase => "staircase",
            PatternKind::SimultaneousFinish => "simultaneous finish",
        }
    }

    pub(crate) fn index(self) -> usize {
        PatternKind::ALL.iter().position(|&k| k == self).unwrap_or(0)
    }
}

impl std::fmt::Display for PatternKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One pattern found in one trace.
///
/// ```
/// use std::time::Duration;
/// use lantern::insights::{PatternConfig, PatternKind, find_patterns};
///
/// let lantern = lantern::builder().try_init_local();
/// tracing::info_span!("GET /dispatch").in_scope(|| {
///     tracing::info_span!("SQL SELECT").in_scope(|| std::thread::sleep(Duration::from_millis(5)));
/// });
/// let snap = lantern.buffer().snapshot();
/// let trace = snap.trace(snap.spans_named("GET /dispatch", 1)[0].trace_id).unwrap();
/// let findings = find_patterns(&trace, &PatternConfig::default());
/// let longest = findings.iter().find(|f| f.kind == PatternKind::LongestSelfTime).unwrap();
/// assert_eq!(longest.spans, [snap.spans_named("SQL SELECT", 1)[0].span_id]);
/// assert!(longest.message.contains("SQL SELECT"));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Finding {
    /// Which pattern.
    pub kind: PatternKind,
    /// The spans it concerns: the failing span, the longest span, the span
    /// with the gap, the steps of the staircase, the spans that finished
    /// together (at most [`PatternConfig::max_spans_per_finding`]).
    pub spans: Vec<SpanId>,
    /// What was found, for a person.
    pub message: String,
    /// How much time it concerns: the self time, the gap, the staircase
    /// from its first start to its last end, the window the spans ended
    /// in; zero for an error source.
    pub time: Duration,
}

/// The thresholds of [`find_patterns`](super::find_patterns); the defaults are those the
/// analysis of completed traces and the waterfall page use.
///
/// ```
/// use std::time::Duration;
/// let strict = lantern::insights::PatternConfig { missing_share: 0.8, ..Default::default() };
/// assert_eq!(strict.min_duration, Duration::from_millis(1));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PatternConfig {
    /// Findings of one trace, at most (32).
    pub max_findings: usize,
    /// Findings of one kind in one trace, at most (8): the largest.
    pub max_per_kind: usize,
    /// Span ids listed in one finding, at most (64); the message counts
    /// them all.
    pub max_spans_per_finding: usize,
    /// The longest span by self time is reported when its self time is at
    /// least this share of the critical path (0.15).
    pub min_self_share: f64,
    /// A gap with no child span and no log is missing details when it is
    /// more than this share of its span (0.4)...
    pub missing_share: f64,
    /// ...and at least this long; a staircase too must last this long
    /// from its first start to its last end (1 ms).
    pub min_duration: Duration,
    /// Sequential same-named siblings that make a staircase, at least (3).
    pub min_steps: usize,
    /// Spans ending within this window (or 1% of the trace, when that is
    /// longer) finish simultaneously (1 ms).
    pub finish_window: Duration,
    /// Spans that finish simultaneously, at least (3).
    pub min_finishing: usize,
}

impl Default for PatternConfig {
    fn default() -> Self {
        PatternConfig {
            max_findings: 32,
            max_per_kind: 8,
            max_spans_per_finding: 64,
            min_self_share: 0.15,
            missing_share: 0.4,
            min_duration: Duration::from_millis(1),
            min_steps: 3,
            finish_window: Duration::from_millis(1),
            min_finishing: 3,
        }
    }
}

/// A duration for a message: `850 µs`, `12.3 ms`, `1.25 s`.
pub(crate) fn short(d: Duration) -> String {
    crate::text::human_duration(d)
}

/// A span name for a message, cut to 120 bytes.
pub(crate) fn name(s: &str) -> String {
    let kept = crate::text::cut(s, 120);
    if kept.len() < s.len() { format!("\"{kept}…\"") } else { format!("\"{kept}\"") }
}
