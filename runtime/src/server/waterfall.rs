//! The waterfall (Gantt) view of one trace and its critical path, for the
//! debug page `/debug/traces/{trace_id}`.
//!
//! # Waterfall
//!
//! One row per span, depth first: a span, then its children by start time,
//! recursively; the top-level spans (roots, and orphans whose local parent is
//! not in the trace) by start time. A span whose parent is remote nests under
//! that parent when the parent is in the trace too (a client span of another
//! service hosted by this process) and is top-level otherwise. Offsets are
//! measured from the earliest start of all the trace's spans.
//!
//! # Critical path
//!
//! The critical path is the chain of spans that determined the trace's
//! latency: making any span off the path faster would not have made the root
//! finish earlier (Yuri Shkuro, *Mastering Distributed Tracing*, ch. 9; the
//! same algorithm as Jaeger's UI). It starts at the root
//! ([`Trace::root`](crate::buffer::Trace::root), or the earliest span when
//! the root is not in the buffer), which is on the path, and walks back in
//! time from the root's end:
//!
//! ```text
//! critical_path(span, until) =
//!     span
//!     + for c = the child that finished last with c.end <= until:
//!           critical_path(c, c.end)
//!           + the same again in `span` with until = c.start
//! ```
//!
//! That is: the last child to finish (no later than `until`) is what the span
//! waited for last, so it is on the path, and so, inside it, is its own
//! last-finishing child, and so on; back in the parent, the next span on the
//! path is the child that finished last *before the chosen child started*,
//! and so on until no child finished before that point. Of two children that
//! finished at the same time, the later-starting one is taken.
//!
//! Children are seen through their parent's window: a child ending after its
//! parent ended (or starting before it started) is clamped to the parent's
//! interval, and one entirely outside it (a detached child that started after
//! the parent ended) is never on the parent's path.
//!
//! Both the waterfall and the critical path are iterative, with explicit
//! stacks, over a parent -> children index built once: O(n log n) for n spans
//! and no recursion, so traces of 100 000 spans and chains thousands deep are
//! safe. Malformed input — parent ids forming a cycle, duplicate span ids —
//! visits every span exactly once and terminates.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::Timestamp;
use crate::ids::SpanId;
use crate::insights::tree::TraceTree;
use crate::record::SpanRecord;

/// One row of the waterfall: a span and where it sits.
#[derive(Clone, Debug)]
pub(crate) struct WaterfallRow {
    /// The span.
    pub(crate) span: Arc<SpanRecord>,
    /// Nesting depth: 0 for spans whose parent is absent from the trace
    /// (and for the span where a parent-id cycle is broken).
    pub(crate) depth: usize,
    /// Start, after the earliest start of all the trace's spans.
    pub(crate) offset: Duration,
    /// How long it lasted.
    pub(crate) duration: Duration,
    /// Whether it is on the critical path (see the [module docs](self)).
    pub(crate) critical: bool,
    /// Whether its parent is in another process.
    pub(crate) remote_parent: bool,
    /// Whether it names a local parent that is not in the trace (evicted, or
    /// dropped by the per-trace cap).
    pub(crate) orphan: bool,
    /// Whether its status is an error.
    pub(crate) error: bool,
}

/// The waterfall of one trace.
#[derive(Clone, Debug)]
pub(crate) struct Waterfall {
    /// Rows, depth first, at most `max_rows` of them.
    pub(crate) rows: Vec<WaterfallRow>,
    /// Latest end minus earliest start of all the trace's spans.
    pub(crate) total: Duration,
    /// Rows not returned because of `max_rows`.
    pub(crate) omitted: usize,
    /// Every span on the critical path, rows left out included, by start.
    pub(crate) critical_path: Vec<SpanId>,
}

/// The waterfall of `trace`: its first `max_rows` rows in depth-first order,
/// critical spans marked.
#[cfg(test)]
pub(crate) fn waterfall(trace: &crate::buffer::Trace, max_rows: usize) -> Waterfall {
    let tree = TraceTree::new(trace);
    let critical = tree.critical();
    waterfall_of(&tree, &critical, max_rows)
}

/// [`waterfall`] over a trace already indexed, with its critical path
/// (`critical[i]` for `tree.spans[i]`).
pub(crate) fn waterfall_of(tree: &TraceTree<'_>, critical: &[bool], max_rows: usize) -> Waterfall {
    let n = tree.spans.len();
    let Some(first) = tree.spans.first() else {
        return Waterfall { rows: Vec::new(), total: Duration::ZERO, omitted: 0, critical_path: Vec::new() };
    };
    let t0 = first.start;
    let last_end = tree.spans.iter().map(|s| s.end).max().unwrap_or(t0);
    let critical_path = tree.spans.iter().zip(critical).filter(|(_, on)| **on).map(|(s, _)| s.span_id).collect();

    let mut walk = DepthFirst {
        tree,
        critical,
        t0,
        max_rows,
        rows: Vec::with_capacity(max_rows.min(n)),
        visited: vec![false; n],
        stack: Vec::new(),
    };
    // Top-level spans, by start.
    for top in (0..n).filter(|&i| tree.parent[i].is_none()) {
        walk.visit(top);
    }
    // Whatever is left hangs under a parent-id cycle (malformed input): walk
    // up from it to a span on the cycle and enter there. `seen` is shared by
    // the walks: what an earlier walk saw has been visited since.
    let mut seen = vec![false; n];
    for i in 0..n {
        if walk.rows.len() >= max_rows {
            break;
        }
        if walk.visited[i] {
            continue;
        }
        let mut j = i;
        while !seen[j] {
            seen[j] = true;
            match tree.parent[j] {
                Some(p) => j = p,
                None => break,
            }
        }
        walk.visit(j);
    }
    // Every span gets exactly one row, so the rest were cut by `max_rows`.
    let rows = walk.rows;
    let omitted = n - rows.len();
    Waterfall { rows, total: last_end.saturating_duration_since(t0), omitted, critical_path }
}

/// The depth-first walk that makes the rows.
struct DepthFirst<'t, 'a> {
    tree: &'t TraceTree<'a>,
    critical: &'t [bool],
    t0: Timestamp,
    max_rows: usize,
    rows: Vec<WaterfallRow>,
    visited: Vec<bool>,
    stack: Vec<(usize, usize)>,
}

impl DepthFirst<'_, '_> {
    /// Adds the rows of `top` (at depth 0) and of its not yet visited
    /// descendants, until `max_rows`.
    fn visit(&mut self, top: usize) {
        let tree = self.tree;
        self.stack.push((top, 0));
        while let Some((i, depth)) = self.stack.pop() {
            if self.visited[i] {
                continue;
            }
            if self.rows.len() >= self.max_rows {
                self.stack.clear();
                return;
            }
            self.visited[i] = true;
            let span = tree.spans[i];
            self.rows.push(WaterfallRow {
                span: Arc::clone(span),
                depth,
                offset: span.start.saturating_duration_since(self.t0),
                duration: span.duration(),
                critical: self.critical.get(i).copied().unwrap_or(false),
                remote_parent: span.parent_is_remote,
                orphan: local_parent(span).is_some() && tree.parent[i].is_none(),
                error: span.is_error(),
            });
            // Reversed, so the earliest child is popped first.
            let visited = &self.visited;
            self.stack.extend(tree.children(i).iter().rev().filter(|&&c| !visited[c]).map(|&c| (c, depth + 1)));
        }
    }
}

/// The parent id, when the parent is in this process.
fn local_parent(span: &SpanRecord) -> Option<SpanId> {
    if span.parent_is_remote { None } else { span.parent_span_id }
}

#[cfg(test)]
#[path = "waterfall_tests.rs"]
mod tests;
