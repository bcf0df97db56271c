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
#[cfg(test)]
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use crate::SpanId;
use crate::buffer::Trace;
use crate::clock::Timestamp;
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

/// The ids of the spans on the critical path of `trace` (see the
/// [module docs](self)); empty for an empty trace.
#[cfg(test)]
pub(crate) fn critical_path(trace: &Trace) -> HashSet<SpanId> {
    waterfall(trace, 0).critical_path.into_iter().collect()
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
mod tests {
    use std::borrow::Cow;
    use std::thread::sleep;
    use std::time::Instant;

    use super::*;
    use crate::{BufferConfig, Guard, TraceId};

    fn lantern() -> Guard {
        crate::builder().http_addr(None).try_init_local()
    }

    fn big_lantern() -> Guard {
        let buffer = BufferConfig {
            max_spans_per_trace: 100_000,
            max_bytes: 512 << 20,
            queue_capacity: 1 << 20,
            max_open_spans: 200_000,
            ..Default::default()
        };
        crate::builder().http_addr(None).buffer(buffer).try_init_local()
    }

    fn only_trace(guard: &Guard) -> Trace {
        let snap = guard.buffer().snapshot();
        let traces = snap.traces(&Default::default());
        assert_eq!(traces.len(), 1, "{traces:?}");
        snap.trace(traces[0].trace_id).unwrap()
    }

    fn ms(n: u64) {
        sleep(Duration::from_millis(n));
    }

    /// Names of the critical spans, sorted.
    fn critical_names(trace: &Trace) -> Vec<String> {
        let ids = critical_path(trace);
        let mut names: Vec<String> =
            trace.spans.iter().filter(|s| ids.contains(&s.span_id)).map(|s| s.name.to_string()).collect();
        names.sort();
        names
    }

    fn rows(w: &Waterfall) -> Vec<(&str, usize)> {
        w.rows.iter().map(|r| (&*r.span.name, r.depth)).collect()
    }

    #[test]
    fn critical_path_follows_last_finishing_children() {
        let guard = lantern();
        {
            let root = tracing::info_span!("root");
            let _r = root.enter();
            let a = tracing::info_span!(parent: &root, "A"); // 0..10
            ms(2);
            let c = tracing::info_span!(parent: &root, "C"); // 2..4
            ms(2);
            drop(c);
            ms(1);
            let b = tracing::info_span!(parent: &root, "B"); // 5..30
            ms(5);
            drop(a);
            let b1 = tracing::info_span!(parent: &b, "B1"); // 10..25
            ms(15);
            drop(b1);
            ms(5);
            drop(b);
        }
        let t = only_trace(&guard);
        // B finished last; inside it B1. Back in root, A ended after B
        // started, but C ended before: C is next.
        assert_eq!(critical_names(&t), ["B", "B1", "C", "root"]);
        let w = waterfall(&t, 100);
        let critical: Vec<&str> = w.rows.iter().filter(|r| r.critical).map(|r| &*r.span.name).collect();
        assert_eq!(critical, ["root", "C", "B", "B1"]);
    }

    #[test]
    fn critical_path_takes_sibling_ending_before_chosen_child_starts() {
        let guard = lantern();
        {
            let root = tracing::info_span!("root");
            let a = tracing::info_span!(parent: &root, "A"); // 0..10
            ms(2);
            let c = tracing::info_span!(parent: &root, "C"); // 2..4
            ms(2);
            drop(c);
            ms(6);
            drop(a);
            ms(1);
            let b = tracing::info_span!(parent: &root, "B"); // 11..30
            let b1 = tracing::info_span!(parent: &b, "B1");
            ms(5);
            drop(b1);
            ms(2);
            drop(b);
        }
        let t = only_trace(&guard);
        // A ends before B starts, so it is on the path; C ended after A
        // started, so it is not.
        assert_eq!(critical_names(&t), ["A", "B", "B1", "root"]);
    }

    #[test]
    fn rows_are_depth_first_by_start() {
        let guard = lantern();
        {
            let root = tracing::info_span!("root");
            let _r = root.enter();
            ms(1);
            {
                let _a = tracing::info_span!("a").entered();
                tracing::info_span!("a1").in_scope(|| ms(1));
                let _a2 = tracing::info_span!("a2").entered();
                tracing::info_span!("a2x").in_scope(|| ms(1));
            }
            {
                let _b = tracing::info_span!("b").entered();
                tracing::info_span!("b1").in_scope(|| ms(1));
            }
        }
        let t = only_trace(&guard);
        let w = waterfall(&t, 100);
        assert_eq!(rows(&w), [("root", 0), ("a", 1), ("a1", 2), ("a2", 2), ("a2x", 3), ("b", 1), ("b1", 2)]);
        assert_eq!(w.omitted, 0);
        assert_eq!(w.rows[0].offset, Duration::ZERO);
        assert_eq!(w.rows[0].duration, w.rows[0].span.duration());
        assert!(w.total >= w.rows[0].duration);
        assert!(w.rows[1].offset >= Duration::from_millis(1));
        assert!(w.rows[5].offset > w.rows[1].offset);
        assert!(w.rows.iter().all(|r| !r.orphan && !r.remote_parent && !r.error));
    }

    #[test]
    fn max_rows_truncates_and_counts_the_rest() {
        let guard = lantern();
        tracing::info_span!("root").in_scope(|| {
            for _ in 0..5 {
                tracing::info_span!("child").in_scope(|| tracing::info_span!("grandchild").in_scope(|| {}));
            }
        });
        let t = only_trace(&guard);
        let w = waterfall(&t, 4);
        assert_eq!(rows(&w), [("root", 0), ("child", 1), ("grandchild", 2), ("child", 1)]);
        assert_eq!(w.omitted, 7);
        assert_eq!(waterfall(&t, 11).omitted, 0);
        assert_eq!(waterfall(&t, 1000).rows.len(), 11);
        let none = waterfall(&t, 0);
        assert!(none.rows.is_empty());
        assert_eq!(none.omitted, 11);
        assert_eq!(none.total, waterfall(&t, 1).total);
    }

    #[test]
    fn remote_parent_is_a_root() {
        let guard = lantern();
        let mut headers = http::HeaderMap::new();
        headers.insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
        crate::propagation::extract(&headers)
            .child_span(|| tracing::info_span!("server"))
            .in_scope(|| tracing::info_span!("handler").in_scope(|| ms(1)));
        let t = only_trace(&guard);
        assert_eq!(t.trace_id, TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap());
        let w = waterfall(&t, 100);
        assert_eq!(rows(&w), [("server", 0), ("handler", 1)]);
        assert!(w.rows[0].remote_parent && !w.rows[0].orphan);
        assert!(!w.rows[1].remote_parent);
        assert!(w.rows.iter().all(|r| r.critical));
    }

    #[test]
    fn a_remote_parent_held_in_the_trace_nests_and_carries_the_critical_path() {
        let guard = lantern();
        tracing::info_span!("GET /dispatch").in_scope(|| {
            let mut headers = http::HeaderMap::new();
            let client = tracing::info_span!("GET /customer", otel.kind = "client");
            client.in_scope(|| crate::propagation::inject_current(&mut headers));
            let _client = client.enter();
            crate::propagation::extract(&headers)
                .child_span(|| tracing::info_span!("server GET /customer", service.name = "customer"))
                .in_scope(|| tracing::info_span!("SQL SELECT").in_scope(|| ms(2)));
        });
        let t = only_trace(&guard);
        let w = waterfall(&t, 100);
        assert_eq!(
            rows(&w),
            [("GET /dispatch", 0), ("GET /customer", 1), ("server GET /customer", 2), ("SQL SELECT", 3)]
        );
        assert!(w.rows[2].remote_parent && !w.rows[2].orphan);
        assert!(w.rows.iter().all(|r| r.critical), "the path runs through the server into the query");
    }

    #[test]
    fn error_span_is_flagged() {
        let guard = lantern();
        tracing::info_span!("root").in_scope(|| {
            tracing::info_span!("x", error = "boom").in_scope(|| {});
            tracing::info_span!("y").in_scope(|| {});
        });
        let t = only_trace(&guard);
        let w = waterfall(&t, 100);
        let errors: Vec<(&str, bool)> = w.rows.iter().map(|r| (&*r.span.name, r.error)).collect();
        assert_eq!(errors, [("root", false), ("x", true), ("y", false)]);
    }

    #[test]
    fn empty_trace() {
        let t = Trace { trace_id: TraceId::random(), spans: Vec::new(), dropped_spans: 0 };
        let w = waterfall(&t, 10);
        assert!(w.rows.is_empty());
        assert_eq!((w.total, w.omitted), (Duration::ZERO, 0));
        assert!(critical_path(&t).is_empty());
    }

    // Synthetic traces: records cloned from a real one, with ids, parents
    // and times rearranged.

    /// `n` increasing timestamps.
    fn ticks(n: usize) -> Vec<Timestamp> {
        (0..n)
            .map(|_| {
                sleep(Duration::from_micros(100));
                Timestamp::now()
            })
            .collect()
    }

    /// Spans `(name, id, parent id, start tick, end tick)`.
    fn synthetic(spans: &[(&'static str, u64, Option<u64>, usize, usize)]) -> Trace {
        let guard = lantern();
        tracing::info_span!("template").in_scope(|| {});
        let template = only_trace(&guard).spans[0].clone();
        let t = ticks(spans.iter().map(|s| s.4.max(s.3)).max().unwrap_or(0) + 1);
        let mut records: Vec<Arc<SpanRecord>> = spans
            .iter()
            .map(|&(name, id, parent, start, end)| {
                let mut r = (*template).clone();
                r.name = Cow::Borrowed(name);
                r.span_id = SpanId::from_u64(id).unwrap();
                r.parent_span_id = parent.map(|p| SpanId::from_u64(p).unwrap());
                r.start = t[start];
                r.end = t[end];
                Arc::new(r)
            })
            .collect();
        records.sort_by_key(|r| r.start);
        Trace { trace_id: template.trace_id, spans: records, dropped_spans: 0 }
    }

    #[test]
    fn child_ending_after_its_parent_is_clamped() {
        let t = synthetic(&[("root", 1, None, 0, 10), ("Y", 2, Some(1), 1, 9), ("X", 3, Some(1), 2, 15)]);
        // X, clamped to end at 10, finished last; Y ended after X started.
        assert_eq!(critical_names(&t), ["X", "root"]);
    }

    #[test]
    fn child_outside_its_parent_is_not_critical() {
        let t = synthetic(&[("root", 1, None, 0, 10), ("W", 2, Some(1), 1, 9), ("Z", 3, Some(1), 12, 14)]);
        assert_eq!(critical_names(&t), ["W", "root"]);
        let w = waterfall(&t, 10);
        assert_eq!(rows(&w), [("root", 0), ("W", 1), ("Z", 1)]);
        assert_eq!(w.total, t.spans[2].end.saturating_duration_since(t.spans[0].start));
    }

    #[test]
    fn equal_ends_take_the_later_start() {
        let t = synthetic(&[("root", 1, None, 0, 10), ("P", 2, Some(1), 1, 8), ("Q", 3, Some(1), 3, 8)]);
        assert_eq!(critical_names(&t), ["Q", "root"]);
    }

    #[test]
    fn sequential_children_are_all_critical() {
        let t = synthetic(&[
            ("root", 1, None, 0, 10),
            ("a", 2, Some(1), 1, 3),
            ("b", 3, Some(1), 3, 5),
            ("short", 4, Some(1), 4, 4),
            ("c", 5, Some(1), 6, 9),
            ("c1", 6, Some(5), 6, 7),
            ("c2", 7, Some(5), 7, 8),
        ]);
        // `short` (zero length) ended after b started: not on the path.
        assert_eq!(critical_names(&t), ["a", "b", "c", "c1", "c2", "root"]);
    }

    #[test]
    fn orphans_are_top_level() {
        let t = synthetic(&[("o1", 2, Some(99), 0, 5), ("o1a", 3, Some(2), 1, 4), ("o2", 4, Some(98), 2, 8)]);
        let w = waterfall(&t, 10);
        assert_eq!(rows(&w), [("o1", 0), ("o1a", 1), ("o2", 0)]);
        let orphans: Vec<bool> = w.rows.iter().map(|r| r.orphan).collect();
        assert_eq!(orphans, [true, false, true]);
        // No root: the path starts at the earliest span.
        assert_eq!(critical_names(&t), ["o1", "o1a"]);
    }

    #[test]
    fn parent_cycles_terminate_and_show_every_span_once() {
        let t = synthetic(&[
            ("root", 1, None, 0, 20),
            ("child", 7, Some(1), 1, 2),
            ("under_cycle", 5, Some(3), 2, 3),
            ("cycle_a", 3, Some(4), 3, 9),
            ("cycle_b", 4, Some(3), 4, 8),
            ("self", 6, Some(6), 5, 6),
        ]);
        let w = waterfall(&t, 100);
        assert_eq!(
            rows(&w),
            [("root", 0), ("child", 1), ("cycle_a", 0), ("under_cycle", 1), ("cycle_b", 1), ("self", 0)]
        );
        assert_eq!(critical_names(&t), ["child", "root"]);

        // Only a cycle: the path starts at the earliest span and stops.
        let t = synthetic(&[("a", 1, Some(2), 0, 10), ("b", 2, Some(1), 1, 9)]);
        assert_eq!(critical_names(&t), ["a", "b"]);
        assert_eq!(rows(&waterfall(&t, 10)), [("a", 0), ("b", 1)]);
    }

    #[test]
    fn duplicate_ids_still_give_one_row_per_span() {
        let t = synthetic(&[("root", 1, None, 0, 10), ("a", 2, Some(1), 1, 5), ("dup", 2, Some(1), 6, 9)]);
        let w = waterfall(&t, 10);
        assert_eq!(rows(&w), [("root", 0), ("a", 1), ("dup", 1)]);
    }

    #[test]
    fn flat_trace_of_50_000_spans() {
        let guard = big_lantern();
        tracing::info_span!("root").in_scope(|| {
            for _ in 0..50_000 {
                tracing::info_span!("s").in_scope(|| {});
            }
        });
        let t = only_trace(&guard);
        assert_eq!(t.spans.len(), 50_001);
        let started = Instant::now();
        let w = waterfall(&t, 1000);
        let path = critical_path(&t);
        eprintln!("waterfall + critical path of 50 001 flat spans: {:?}", started.elapsed());
        assert_eq!(w.rows.len(), 1000);
        assert_eq!(w.omitted, 49_001);
        assert!(w.rows[1..].iter().all(|r| r.depth == 1));
        assert!(w.rows.windows(2).skip(1).all(|p| p[0].offset <= p[1].offset));
        // Sequential children: each ended no later than the next started, so
        // every one is on the path.
        assert_eq!(path.len(), 50_001);
        assert!(w.rows.iter().all(|r| r.critical));
    }

    #[test]
    fn chain_of_20_000_spans() {
        let guard = big_lantern();
        {
            let mut chain = vec![tracing::info_span!("s")];
            for _ in 0..20_000 {
                let next = tracing::info_span!(parent: chain.last().unwrap(), "s");
                chain.push(next);
            }
            // Deepest first, so each close is shallow.
            while let Some(span) = chain.pop() {
                drop(span);
            }
        }
        let t = only_trace(&guard);
        assert_eq!(t.spans.len(), 20_001);
        let started = Instant::now();
        let w = waterfall(&t, usize::MAX);
        let path = critical_path(&t);
        eprintln!("waterfall + critical path of a 20 001-deep chain: {:?}", started.elapsed());
        assert_eq!(w.rows.len(), 20_001);
        assert_eq!(w.omitted, 0);
        assert!(w.rows.iter().enumerate().all(|(i, r)| r.depth == i && r.critical));
        assert_eq!(path.len(), 20_001);
    }
}
