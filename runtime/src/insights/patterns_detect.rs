//! The detectors of [`super::patterns`], one method each, over a trace
//! indexed once ([`TraceTree`]). Times are nanoseconds after the trace's
//! earliest start, and a span that ends before it starts is taken to end
//! when it starts. Each detector is one pass over the spans and their
//! children plus a sort: O(n log n) for n spans, with no recursion, and
//! every walk up the parents is capped, so parent-id cycles terminate.
//! The rules are in the [module docs](crate::insights#trace-patterns).

use std::time::Duration;

use super::patterns::{Finding, PatternConfig, PatternKind, name, short};
use super::tree::TraceTree;
use crate::record::Status;

/// Two same-named siblings are back to back when the second starts after
/// the first ends, within this (timer and scheduling noise)...
const STEP_SLACK_NS: u64 = 100_000;
/// ...or within this share of their mean duration.
const STEP_GAP_SHARE: f64 = 0.25;
/// Parents walked up from an error source, at most.
const MAX_WALK: usize = 1000;

/// One trace, ready for the detectors.
pub(crate) struct Detect<'t, 'a> {
    tree: &'t TraceTree<'a>,
    critical: &'t [bool],
    config: &'t PatternConfig,
    /// Each span's start and end, in ns after the earliest start.
    start: Vec<u64>,
    end: Vec<u64>,
    /// The latest end.
    total: u64,
}

fn ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn dur(ns: u64) -> Duration {
    Duration::from_nanos(ns)
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 * 100.0 }
}

impl<'t, 'a> Detect<'t, 'a> {
    /// `tree` must have at least one span, and `critical` one flag a span.
    pub(crate) fn new(tree: &'t TraceTree<'a>, critical: &'t [bool], config: &'t PatternConfig) -> Self {
        let t0 = tree.spans.first().map(|s| s.start);
        let (mut start, mut end) = (Vec::with_capacity(tree.spans.len()), Vec::with_capacity(tree.spans.len()));
        for s in &tree.spans {
            let from = t0.map_or(0, |t0| ns(s.start.saturating_duration_since(t0)));
            start.push(from);
            end.push(from.saturating_add(ns(s.duration())));
        }
        let total = end.iter().copied().max().unwrap_or(0);
        Detect { tree, critical, config, start, end, total }
    }

    fn n(&self) -> usize {
        self.tree.spans.len()
    }

    fn name(&self, i: usize) -> String {
        name(&self.tree.spans[i].name)
    }

    fn finding(&self, kind: PatternKind, spans: &[usize], message: String, time: u64) -> Finding {
        let ids = spans.iter().take(self.config.max_spans_per_finding).map(|&i| self.tree.spans[i].span_id).collect();
        Finding { kind, spans: ids, message, time: dur(time) }
    }

    /// Failing spans none of whose children fail, by start.
    pub(crate) fn error_sources(&self) -> Vec<Finding> {
        let spans = &self.tree.spans;
        let mut out = Vec::new();
        for i in 0..self.n() {
            if out.len() >= self.config.max_per_kind {
                break;
            }
            if !spans[i].is_error() || self.tree.children(i).iter().any(|&c| spans[c].is_error()) {
                continue;
            }
            let why = match &spans[i].status {
                Status::Error(Some(m)) if !m.is_empty() => format!(" ({})", crate::text::cut(m, 120)),
                _ => String::new(),
            };
            let passing = self.failing_ancestors(i);
            let after = match passing {
                0 => String::new(),
                1 => "; its failing parent only passes it on".to_owned(),
                k => format!("; its {k} failing ancestors only pass it on"),
            };
            let message =
                format!("{} failed{why} and none of its children did: the error starts here{after}", self.name(i));
            out.push(self.finding(PatternKind::ErrorSource, &[i], message, 0));
        }
        out
    }

    /// Failing ancestors of `i` in a row, up to [`MAX_WALK`].
    fn failing_ancestors(&self, i: usize) -> usize {
        let mut count = 0;
        let mut at = self.tree.parent[i];
        for _ in 0..MAX_WALK {
            match at {
                Some(p) if p != i && self.tree.spans[p].is_error() => {
                    count += 1;
                    at = self.tree.parent[p];
                }
                _ => break,
            }
        }
        count
    }

    /// The critical span with the most self time, when it is a large
    /// enough share of the path.
    pub(crate) fn longest_self_time(&self) -> Vec<Finding> {
        let (tree, critical) = (self.tree, self.critical);
        let on_path_parent = |i: usize| tree.parent[i].filter(|&p| critical[p]);
        let Some(root) = (0..self.n()).find(|&i| critical[i] && on_path_parent(i).is_none()) else {
            return Vec::new();
        };
        let path = self.end[root] - self.start[root];
        if self.n() < 2 || path == 0 {
            return Vec::new();
        }
        let mut best: Option<(u64, usize)> = None;
        for i in (0..self.n()).filter(|&i| critical[i]) {
            // Seen through its parent's window, as the critical path is.
            let (mut lo, mut hi) = (self.start[i], self.end[i]);
            if let Some(p) = on_path_parent(i) {
                (lo, hi) = (lo.max(self.start[p]), hi.min(self.end[p]));
            }
            if hi <= lo {
                continue;
            }
            // Children by start: their clamped starts are ordered too.
            let (mut covered, mut cursor) = (0, lo);
            for &c in tree.children(i).iter().filter(|&&c| critical[c] && c != i) {
                let (a, b) = (self.start[c].max(cursor), self.end[c].min(hi));
                if b > a {
                    covered += b - a;
                    cursor = b;
                }
            }
            let own = (hi - lo).saturating_sub(covered);
            if best.is_none_or(|(t, _)| own > t) {
                best = Some((own, i));
            }
        }
        match best {
            Some((own, i)) if own > 0 && own as f64 >= self.config.min_self_share * path as f64 => {
                let message = format!(
                    "{} has the most self time on the critical path: {} of {} ({:.0}%)",
                    self.name(i),
                    short(dur(own)),
                    short(dur(path)),
                    percent(own, path)
                );
                vec![self.finding(PatternKind::LongestSelfTime, &[i], message, own)]
            }
            _ => Vec::new(),
        }
    }

    /// Spans with children and a long stretch covered by no child and no
    /// log: the largest gap of each, the largest first.
    pub(crate) fn missing_details(&self) -> Vec<Finding> {
        let spans = &self.tree.spans;
        let t0 = spans[0].start;
        let min = ns(self.config.min_duration);
        let mut covers: Vec<(u64, u64)> = Vec::new();
        let mut found: Vec<(u64, usize, u64)> = Vec::new();
        for (i, span) in spans.iter().enumerate() {
            let children = self.tree.children(i);
            let (lo, hi) = (self.start[i], self.end[i]);
            // A leaf is opaque by design (a database call, a computation),
            // with or without a log at its start: not missing details.
            if children.is_empty() || hi - lo < min {
                continue;
            }
            covers.clear();
            for &c in children {
                let (a, b) = (self.start[c].max(lo), self.end[c].min(hi));
                if a <= b {
                    covers.push((a, b));
                }
            }
            for e in &span.events {
                let at = ns(e.time.saturating_duration_since(t0));
                if (lo..=hi).contains(&at) {
                    covers.push((at, at));
                }
            }
            covers.sort_unstable();
            let (mut cursor, mut gap, mut from) = (lo, 0, lo);
            for &(a, b) in covers.iter().chain(std::iter::once(&(hi, hi))) {
                if a > cursor && a - cursor > gap {
                    (gap, from) = (a - cursor, cursor);
                }
                cursor = cursor.max(b);
            }
            if gap >= min && gap as f64 > self.config.missing_share * (hi - lo) as f64 {
                found.push((gap, i, from - lo));
            }
        }
        found.sort_unstable_by_key(|&(gap, i, _)| (std::cmp::Reverse(gap), i));
        found.truncate(self.config.max_per_kind);
        let len = |i: usize| self.end[i] - self.start[i];
        found
            .into_iter()
            .map(|(gap, i, from)| {
                let message = format!(
                    "{} of {}'s {} ({:.0}%), from {} into it, has no child span and no log: work that is not instrumented?",
                    short(dur(gap)),
                    self.name(i),
                    short(dur(len(i))),
                    percent(gap, len(i)),
                    short(dur(from)),
                );
                self.finding(PatternKind::MissingDetails, &[i], message, gap)
            })
            .collect()
    }

    /// Whether sibling `b` follows sibling `a` back to back.
    fn back_to_back(&self, a: usize, b: usize) -> bool {
        let Some(gap) = self.start[b].checked_sub(self.end[a]) else { return false };
        let mean = (self.end[a] - self.start[a]).saturating_add(self.end[b] - self.start[b]) / 2;
        gap <= STEP_SLACK_NS || gap as f64 <= STEP_GAP_SHARE * mean as f64
    }

    /// Runs of same-named siblings, one after the other and back to back:
    /// the longest first.
    pub(crate) fn staircases(&self) -> Vec<Finding> {
        let spans = &self.tree.spans;
        let steps_min = self.config.min_steps.max(2);
        let min = ns(self.config.min_duration);
        let mut group: Vec<usize> = Vec::new();
        // (time, parent, steps (cut), steps in all)
        let mut found: Vec<(u64, usize, Vec<usize>, usize)> = Vec::new();
        for p in 0..self.n() {
            let children = self.tree.children(p);
            if children.len() < steps_min {
                continue;
            }
            group.clear();
            group.extend(children.iter().copied().filter(|&c| c != p));
            group.sort_unstable_by(|&a, &b| {
                spans[a].name.cmp(&spans[b].name).then(self.start[a].cmp(&self.start[b])).then(a.cmp(&b))
            });
            let mut run = 0;
            for x in 1..=group.len() {
                let goes_on = x < group.len()
                    && spans[group[x]].name == spans[group[x - 1]].name
                    && self.back_to_back(group[x - 1], group[x]);
                if goes_on {
                    continue;
                }
                let steps = &group[run..x];
                let time = self.end[steps[steps.len() - 1]].saturating_sub(self.start[steps[0]]);
                if steps.len() >= steps_min && time >= min {
                    let kept = steps.iter().copied().take(self.config.max_spans_per_finding).collect();
                    found.push((time, p, kept, steps.len()));
                }
                run = x;
            }
        }
        found.sort_unstable_by_key(|f| (std::cmp::Reverse(f.0), f.1));
        found.truncate(self.config.max_per_kind);
        found
            .into_iter()
            .map(|(time, p, steps, count)| {
                let message = format!(
                    "{count} {} spans under {} ran one after another, back to back, for {}: could they run in parallel?",
                    self.name(steps[0]),
                    self.name(p),
                    short(dur(time))
                );
                self.finding(PatternKind::Staircase, &steps, message, time)
            })
            .collect()
    }

    /// Spans that started apart and ended within one window, none of
    /// them ending because a child of theirs did: the largest groups
    /// first.
    pub(crate) fn simultaneous_finishes(&self) -> Vec<Finding> {
        let window = ns(self.config.finish_window).max(self.total / 100).max(1);
        let needed = self.config.min_finishing.max(2);
        // A span that ended with (or after) one of its children only
        // waited for it: the child speaks for both.
        let ended_by_child = |i: usize| {
            self.tree
                .children(i)
                .iter()
                .any(|&c| c != i && self.end[c].min(self.end[i]).saturating_add(window) >= self.end[i])
        };
        let mut ends: Vec<usize> =
            (0..self.n()).filter(|&i| self.end[i] - self.start[i] > window && !ended_by_child(i)).collect();
        ends.sort_unstable_by_key(|&i| (self.end[i], i));
        let mut found: Vec<Vec<usize>> = Vec::new();
        let mut starts: Vec<u64> = Vec::new();
        let mut i = 0;
        while i < ends.len() {
            let mut j = i + 1;
            while j < ends.len() && self.end[ends[j]] - self.end[ends[i]] <= window {
                j += 1;
            }
            if j - i >= needed {
                starts.clear();
                starts.extend(ends[i..j].iter().map(|&s| self.start[s]));
                starts.sort_unstable();
                // Starts more than a window apart, counted greedily.
                let mut apart = 1;
                let mut last = starts[0];
                for &s in &starts[1..] {
                    if s - last > window {
                        apart += 1;
                        last = s;
                    }
                }
                if apart >= needed {
                    found.push(ends[i..j].to_vec());
                }
            }
            i = j;
        }
        found.sort_by_key(|g| std::cmp::Reverse(g.len()));
        found.truncate(self.config.max_per_kind);
        found
            .into_iter()
            .map(|mut group| {
                let spread = self.end[group[group.len() - 1]] - self.end[group[0]];
                let at = self.end[group[0]];
                group.sort_unstable_by_key(|&s| (self.start[s], s));
                let mut names: Vec<String> = group.iter().take(3).map(|&s| self.name(s)).collect();
                if group.len() > 3 {
                    names.push("…".to_owned());
                }
                let message = format!(
                    "{} spans ({}) started apart and ended within {} of each other, {} into the trace: a shared timeout or lock?",
                    group.len(),
                    names.join(", "),
                    short(dur(spread)),
                    short(dur(at)),
                );
                self.finding(PatternKind::SimultaneousFinish, &group, message, spread)
            })
            .collect()
    }
}
