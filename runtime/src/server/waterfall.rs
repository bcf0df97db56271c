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
//! same algorithm as Jaeger's UI). It starts at the root ([`Trace::root`], or
//! the earliest span when the root is not in the buffer), which is on the
//! path, and walks back in time from the root's end:
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

use std::cmp::Reverse;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::buffer::Trace;
use crate::clock::Timestamp;
use crate::ids::SpanId;
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
pub(crate) fn waterfall(trace: &Trace, max_rows: usize) -> Waterfall {
    let tree = Tree::new(trace);
    let n = tree.spans.len();
    let Some(first) = tree.spans.first() else {
        return Waterfall { rows: Vec::new(), total: Duration::ZERO, omitted: 0, critical_path: Vec::new() };
    };
    let t0 = first.start;
    let last_end = tree.spans.iter().map(|s| s.end).max().unwrap_or(t0);
    let critical = tree.critical();
    let critical_path = tree.spans.iter().zip(&critical).filter(|(_, on)| **on).map(|(s, _)| s.span_id).collect();

    let mut walk = DepthFirst {
        tree: &tree,
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
    tree: &'t Tree<'a>,
    critical: Vec<bool>,
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
                critical: self.critical[i],
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

/// The trace's spans by start, with a parent -> children index (compressed:
/// the children of span `i` are `children[offsets[i]..offsets[i + 1]]`, by
/// start).
struct Tree<'a> {
    spans: Vec<&'a Arc<SpanRecord>>,
    /// The index of each span's parent, when it is in the trace.
    parent: Vec<Option<usize>>,
    offsets: Vec<usize>,
    children: Vec<usize>,
}

impl<'a> Tree<'a> {
    fn new(trace: &'a Trace) -> Self {
        let mut spans: Vec<&Arc<SpanRecord>> = trace.spans.iter().collect();
        // Stable, and the trace is already in this order: linear in practice.
        spans.sort_by_key(|s| s.start);
        let n = spans.len();
        let mut by_id = HashMap::with_capacity(n);
        for (i, s) in spans.iter().enumerate() {
            // A duplicated id names the earliest span that has it.
            by_id.entry(s.span_id).or_insert(i);
        }
        // Any parent held, remote or not: services in one process nest.
        let parent: Vec<Option<usize>> =
            spans.iter().map(|s| s.parent_span_id.and_then(|p| by_id.get(&p).copied())).collect();
        let mut offsets = vec![0; n + 1];
        for &p in parent.iter().flatten() {
            offsets[p + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut next = offsets.clone();
        let mut children = vec![0; offsets[n]];
        for (i, p) in parent.iter().enumerate() {
            if let Some(p) = *p {
                children[next[p]] = i;
                next[p] += 1;
            }
        }
        Tree { spans, parent, offsets, children }
    }

    fn children(&self, i: usize) -> &[usize] {
        &self.children[self.offsets[i]..self.offsets[i + 1]]
    }

    /// Which spans (by index) are on the critical path.
    fn critical(&self) -> Vec<bool> {
        let n = self.spans.len();
        let mut on_path = vec![false; n];
        let root = (0..n)
            .find(|&i| self.spans[i].parent_span_id.is_none() || self.spans[i].parent_is_remote)
            .or(if n > 0 { Some(0) } else { None });
        let Some(root) = root else { return on_path };
        on_path[root] = true;
        let (start, end) = (self.spans[root].start, self.spans[root].end);
        let mut stack = vec![self.frame(root, start, end.max(start))];
        while let Some(frame) = stack.last_mut() {
            let mut chosen = None;
            // Children by end, latest first: one that ends after `until` never
            // qualifies later, as `until` only moves back.
            while let Some(&c) = frame.children.get(frame.next) {
                frame.next += 1;
                if c.end <= frame.until && !on_path[c.index] {
                    chosen = Some(c);
                    break;
                }
            }
            match chosen {
                Some(c) => {
                    on_path[c.index] = true;
                    frame.until = c.start;
                    let child = self.frame(c.index, c.start, c.end);
                    stack.push(child);
                }
                None => {
                    stack.pop();
                }
            }
        }
        on_path
    }

    /// The critical-path walk inside span `i`, seen through the window
    /// `[lo, hi]` (its own interval, clamped to its parent's).
    fn frame(&self, i: usize, lo: Timestamp, hi: Timestamp) -> Frame {
        let mut children: Vec<Window> = self
            .children(i)
            .iter()
            .map(|&c| (c, &self.spans[c]))
            .filter(|(_, s)| s.start <= hi && s.end >= lo)
            .map(|(c, s)| Window { index: c, start: s.start.max(lo), end: s.end.min(hi) })
            .collect();
        // Latest end first; on equal ends, the later start.
        children.sort_unstable_by_key(|w| (Reverse(w.end), Reverse(w.start), Reverse(w.index)));
        Frame { children, next: 0, until: hi }
    }
}

/// A child as its parent sees it: clamped to the parent's window.
#[derive(Clone, Copy)]
struct Window {
    index: usize,
    start: Timestamp,
    end: Timestamp,
}

/// One level of the critical-path walk.
struct Frame {
    /// Children, latest end first.
    children: Vec<Window>,
    /// The next child to consider.
    next: usize,
    /// Only children ending no later than this qualify.
    until: Timestamp,
}

#[cfg(test)]
#[path = "waterfall_tests.rs"]
mod tests;
