//! Finding the patterns of one trace: each detector of
//! [`super::patterns_detect`] in turn, the findings bounded.

use super::patterns::{Finding, PatternConfig, PatternKind};
use super::patterns_detect::Detect;
use super::tree::TraceTree;
use crate::buffer::Trace;

/// The patterns in `trace`: at most [`PatternConfig::max_findings`],
/// ordered by kind ([`PatternKind::ALL`]), then the largest first. Any
/// trace will do, complete or not, malformed or not (parent cycles,
/// duplicate ids, spans ending before they start); the work is
/// O(n log n) for n spans. See the [module docs](crate::insights#trace-patterns)
/// for the rules.
///
/// ```
/// use lantern::insights::{PatternConfig, PatternKind, find_patterns};
///
/// let lantern = lantern::builder().try_init_local();
/// tracing::info_span!("checkout").in_scope(|| {
///     tracing::info_span!("charge", otel.status_code = "ERROR").in_scope(|| {});
/// });
/// let snap = lantern.buffer().snapshot();
/// let trace = snap.trace(snap.spans_named("checkout", 1)[0].trace_id).unwrap();
/// let errors: Vec<_> = find_patterns(&trace, &PatternConfig::default())
///     .into_iter()
///     .filter(|f| f.kind == PatternKind::ErrorSource)
///     .collect();
/// assert_eq!(errors.len(), 1);
/// assert_eq!(errors[0].spans, [snap.spans_named("charge", 1)[0].span_id]);
/// ```
pub fn find_patterns(trace: &Trace, config: &PatternConfig) -> Vec<Finding> {
    let tree = TraceTree::new(trace);
    let critical = tree.critical();
    find_in_tree(&tree, &critical, config)
}

/// [`find_patterns`] over a trace already indexed, with its critical path.
pub(crate) fn find_in_tree(tree: &TraceTree<'_>, critical: &[bool], config: &PatternConfig) -> Vec<Finding> {
    if tree.spans.is_empty() || critical.len() != tree.spans.len() || config.max_findings == 0 {
        return Vec::new();
    }
    let detect = Detect::new(tree, critical, config);
    let mut out = Vec::new();
    for kind in PatternKind::ALL {
        let mut found = match kind {
            PatternKind::ErrorSource => detect.error_sources(),
            PatternKind::LongestSelfTime => detect.longest_self_time(),
            PatternKind::MissingDetails => detect.missing_details(),
            PatternKind::Staircase => detect.staircases(),
            PatternKind::SimultaneousFinish => detect.simultaneous_finishes(),
        };
        found.truncate(config.max_per_kind);
        out.extend(found);
    }
    out.truncate(config.max_findings);
    out
}

#[cfg(test)]
#[path = "patterns_tests.rs"]
mod tests;
