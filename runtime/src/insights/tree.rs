//! One trace as a tree: its spans by start with a parent -> children index,
//! and its critical path. Built once per trace and shared by the waterfall
//! page and by every analysis of a completed trace.
//!
//! The critical path is the chain of spans that determined the trace's
//! latency (Yuri Shkuro, *Mastering Distributed Tracing*, ch. 9; the same
//! algorithm as Jaeger's UI); the waterfall's module docs give the walk.
//! Both are iterative over an index built once: O(n log n) for n spans, no
//! recursion, so traces of 100 000 spans and chains thousands deep are safe,
//! and malformed input (parent-id cycles, duplicate ids) terminates.

use std::cmp::Reverse;
use std::collections::HashMap;
use std::sync::Arc;

use foldhash::fast::FixedState;

use crate::buffer::Trace;
use crate::clock::Timestamp;
use crate::ids::SpanId;
use crate::record::SpanRecord;

/// The trace's spans by start, with a parent -> children index (compressed:
/// the children of span `i` are `children[offsets[i]..offsets[i + 1]]`, by
/// start).
pub(crate) struct TraceTree<'a> {
    pub(crate) spans: Vec<&'a Arc<SpanRecord>>,
    /// The index of each span's parent, when it is in the trace.
    pub(crate) parent: Vec<Option<usize>>,
    offsets: Vec<usize>,
    children: Vec<usize>,
}

impl<'a> TraceTree<'a> {
    pub(crate) fn new(trace: &'a Trace) -> Self {
        let mut spans: Vec<&Arc<SpanRecord>> = trace.spans.iter().collect();
        // Stable, and the trace is already in this order: linear in practice.
        spans.sort_by_key(|s| s.start);
        let n = spans.len();
        let mut by_id: HashMap<SpanId, usize, FixedState> = HashMap::with_capacity_and_hasher(n, FixedState::default());
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
        TraceTree { spans, parent, offsets, children }
    }

    pub(crate) fn children(&self, i: usize) -> &[usize] {
        &self.children[self.offsets[i]..self.offsets[i + 1]]
    }

    /// Which spans (by index) are on the critical path.
    pub(crate) fn critical(&self) -> Vec<bool> {
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
