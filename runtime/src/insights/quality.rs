//! Tracing quality as a reader gets it: a [`QualityReport`] with one
//! [`ServiceQuality`] per service, each with its [`CheckStats`] (see the
//! [module docs](super#tracing-quality) for the checks and the score).

use crate::ids::TraceId;

/// One tracing-quality check: a defect of instrumentation that a span can
/// have. Every check counts spans, and a span with one defect or more is a
/// *defective* span of its service's [score](ServiceQuality::score).
///
/// ```
/// use lantern::insights::Check;
/// assert_eq!(Check::MissingAttributes.as_str(), "missing_attributes");
/// assert_eq!(Check::ALL.len(), 6);
/// assert!(Check::ALL.iter().all(|c| !c.explanation().is_empty()));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Check {
    /// A server or consumer span that started a new trace although its
    /// caller is known to be instrumented: the middleware found tracing
    /// headers but no valid `traceparent` (the attribute
    /// `lantern.context_lost` says which).
    ContextLost,
    /// A client or producer span with no server or consumer child in the
    /// trace and no peer attribute (`peer.service`, `db.system`,
    /// `server.address`, ...): nobody can tell what it called.
    UnpairedClient,
    /// A span whose parent (in this process, not remote) is not in its
    /// trace although the trace completed.
    Orphan,
    /// A span missing an attribute the semantic conventions require of its
    /// kind and family (an HTTP server span without `http.route`, say).
    MissingAttributes,
    /// A span whose parent had not ended when its trace was closed by the
    /// maximum age.
    Unended,
    /// A span that starts before its parent or ends after it, or ends
    /// before it starts.
    ClockSkew,
}

impl Check {
    /// Every check, in the order of the pages and the report.
    ///
    /// ```
    /// assert_eq!(lantern::insights::Check::ALL[0], lantern::insights::Check::ContextLost);
    /// ```
    pub const ALL: [Check; 6] = [
        Check::ContextLost,
        Check::UnpairedClient,
        Check::Orphan,
        Check::MissingAttributes,
        Check::Unended,
        Check::ClockSkew,
    ];

    /// The `check` label value: `context_lost`, `unpaired_client`,
    /// `orphan`, `missing_attributes`, `unended` or `clock_skew`.
    ///
    /// ```
    /// assert_eq!(lantern::insights::Check::Orphan.as_str(), "orphan");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Check::ContextLost => "context_lost",
            Check::UnpairedClient => "unpaired_client",
            Check::Orphan => "orphan",
            Check::MissingAttributes => "missing_attributes",
            Check::Unended => "unended",
            Check::ClockSkew => "clock_skew",
        }
    }

    /// One sentence on what the check finds, as the page shows it.
    ///
    /// ```
    /// assert!(lantern::insights::Check::ClockSkew.explanation().contains("parent"));
    /// ```
    pub fn explanation(self) -> &'static str {
        match self {
            Check::ContextLost => {
                "Server or consumer spans that started a new trace although the request carried tracing \
                 headers (a malformed traceparent, a tracestate or baggage alone, B3 or Jaeger headers): \
                 the caller is instrumented, but its context was lost on the way."
            }
            Check::UnpairedClient => {
                "Client or producer spans with no server or consumer child in the trace and no peer \
                 attribute (peer.service, db.system, server.address, messaging.system): what they called \
                 cannot be named. Give them a peer attribute, or propagate the context to the callee."
            }
            Check::Orphan => {
                "Spans whose parent in this process is missing from their completed trace: the parent \
                 never ended, was recorded elsewhere, or ended after the trace completed."
            }
            Check::MissingAttributes => {
                "Spans missing an attribute the semantic conventions require of their kind \
                 (an HTTP server span without http.route, a database client without db.system, ...)."
            }
            Check::Unended => {
                "Spans whose parent had not ended when their trace was closed by the maximum age: \
                 a span left open (never dropped, or held by a task that never finishes)."
            }
            Check::ClockSkew => {
                "Spans that start before their parent or end after it (more than 1 ms for a remote \
                 parent), or end before they start: the waterfall and the critical path cannot be trusted."
            }
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// What one check found in one service.
///
/// ```
/// # use lantern::insights::{Check, QualityReport};
/// fn orphans(report: &QualityReport) -> u64 {
///     report.services.iter().map(|s| s.check(Check::Orphan).spans).sum()
/// }
/// # let _ = orphans;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckStats {
    /// The check.
    pub check: Check,
    /// Spans it found.
    pub spans: u64,
    /// Traces where it found some, the most recent first (at most 5): see
    /// them on `/debug/traces/{id}` while the ring buffer holds them.
    pub examples: Vec<TraceId>,
}

/// A required attribute missing from spans of one kind and family
/// ([`Check::MissingAttributes`] in detail).
///
/// ```
/// # use lantern::insights::ServiceQuality;
/// fn routes_missing(s: &ServiceQuality) -> u64 {
///     s.missing_attributes.iter().filter(|m| m.attribute == "http.route").map(|m| m.spans).sum()
/// }
/// # let _ = routes_missing;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MissingAttribute {
    /// The convention family: `http`, `rpc`, `db` or `messaging`.
    pub family: &'static str,
    /// The span kind: `server`, `client`, `producer` or `consumer`.
    pub kind: &'static str,
    /// The attribute (its current name; older names count as present).
    pub attribute: &'static str,
    /// Spans without it.
    pub spans: u64,
}

/// The tracing quality of one service, over every trace analysed.
///
/// ```
/// # use lantern::insights::ServiceQuality;
/// fn summary(s: &ServiceQuality) -> String {
///     format!("{}: {:.1} ({} of {} spans defective)", s.service, s.score, s.defective_spans, s.spans)
/// }
/// # let _ = summary;
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ServiceQuality {
    /// The service: a span's `service.name` field, else the resource's.
    pub service: String,
    /// Spans analysed.
    pub spans: u64,
    /// Spans with at least one defect.
    pub defective_spans: u64,
    /// The completeness score, 0 to 100: `100 × (1 − defective_spans /
    /// spans)`, rounded to a tenth; 100 before any span.
    pub score: f64,
    /// Server and consumer spans.
    pub server_spans: u64,
    /// Of those, the ones with no parent at all: entries into the trace
    /// with no context (expected at the edge; compare with
    /// [`Check::ContextLost`]).
    pub entries_without_context: u64,
    /// Traces closed by the maximum age whose earliest span is this
    /// service's: their root, or a span of theirs, never ended here.
    pub max_age_traces: u64,
    /// Each check of [`Check::ALL`], in that order.
    pub checks: Vec<CheckStats>,
    /// The attributes [`Check::MissingAttributes`] found missing.
    pub missing_attributes: Vec<MissingAttribute>,
}

impl ServiceQuality {
    /// What `check` found.
    ///
    /// ```
    /// # use lantern::insights::{Check, ServiceQuality};
    /// fn skewed(s: &ServiceQuality) -> u64 { s.check(Check::ClockSkew).spans }
    /// # let _ = skewed;
    /// ```
    pub fn check(&self, check: Check) -> &CheckStats {
        &self.checks[check.index()]
    }
}

/// Tracing quality per service, from
/// [`Handle::quality`](crate::Handle::quality) when
/// [`Builder::insights`](crate::Builder::insights) turned it on.
///
/// ```
/// let lantern = lantern::builder().insights(true).try_init_local();
/// let report = lantern.handle().quality().unwrap();
/// assert_eq!(report.traces, 0);
/// assert!(report.service("checkout").is_none());
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct QualityReport {
    /// Completed traces analysed.
    pub traces: u64,
    /// The services, in the order they were first seen (at most 200).
    pub services: Vec<ServiceQuality>,
    /// Spans of services past the cap of 200, not counted.
    pub overflow_spans: u64,
}

impl QualityReport {
    /// The service called `name`.
    ///
    /// ```
    /// let report = lantern::insights::QualityReport::default();
    /// assert!(report.service("frontend").is_none());
    /// ```
    pub fn service(&self, name: &str) -> Option<&ServiceQuality> {
        self.services.iter().find(|s| s.service == name)
    }
}
