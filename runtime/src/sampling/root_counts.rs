//! The counters of one root span name in [`SamplingStats`](super::stats::SamplingStats),
//! and what a reader gets of them, [`RootDecisions`].
//!
//! # The recent rate, without a thread
//!
//! Besides its totals, each name keeps the number of decisions it had at
//! the last two *marks*: moments at least [`MARK_MILLIS`] apart when every
//! name's count is copied aside. A mark is made lazily by a decision: each
//! root reads the coarse clock (one relaxed load, moved by the ingest
//! thread) and the time of the next mark (a second relaxed load) and
//! compares them; only the root that finds the mark due, once every
//! [`MARK_MILLIS`], copies the counts ([`Marks::due`]). A reader then knows
//! the decisions since the older mark, 10 to 20 s ago while roots come,
//! and divides by the time since then ([`RootDecisions::per_second`]).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// The least time between two marks, in milliseconds.
pub(crate) const MARK_MILLIS: u64 = 10_000;

/// One name's counters.
pub(crate) struct Counts {
    seen: AtomicU64,
    sampled: AtomicU64,
    remote_parent: AtomicU64,
    forced: AtomicU64,
    /// `seen` at the older and the newer mark.
    marks: [AtomicU64; 2],
    /// When the name was first counted (coarse milliseconds).
    first_seen: u64,
    /// How many names were counted before this one.
    pub(crate) arrival: usize,
}

impl Counts {
    pub(crate) fn new(first_seen: u64, arrival: usize) -> Self {
        Counts {
            seen: AtomicU64::new(0),
            sampled: AtomicU64::new(0),
            remote_parent: AtomicU64::new(0),
            forced: AtomicU64::new(0),
            marks: [AtomicU64::new(0), AtomicU64::new(0)],
            first_seen,
            arrival,
        }
    }

    /// One decision of the sampler, at a root whose parent is remote or not.
    #[inline]
    pub(crate) fn count(&self, sampled: bool, remote_parent: bool) {
        self.seen.fetch_add(1, Relaxed);
        if sampled {
            self.sampled.fetch_add(1, Relaxed);
        }
        if remote_parent {
            self.remote_parent.fetch_add(1, Relaxed);
        }
    }

    /// One forced trace: not the sampler's decision, so not `seen`.
    pub(crate) fn force(&self) {
        self.forced.fetch_add(1, Relaxed);
    }

    /// Copies the count aside at a mark.
    fn mark(&self) {
        self.marks[0].store(self.marks[1].load(Relaxed), Relaxed);
        self.marks[1].store(self.seen.load(Relaxed), Relaxed);
    }

    pub(crate) fn read(&self, name: &str, marks: &Marks, now: u64) -> RootDecisions {
        let seen = self.seen.load(Relaxed);
        // `sampled` is added after `seen`; clamp a half-counted decision.
        let sampled = self.sampled.load(Relaxed).min(seen);
        // A name first seen after the older mark counts from its first root.
        let since = marks.at[0].load(Relaxed).max(self.first_seen);
        let base = self.marks[0].load(Relaxed).min(seen);
        RootDecisions {
            seen,
            sampled,
            remote_parent: self.remote_parent.load(Relaxed).min(seen),
            forced: self.forced.load(Relaxed),
            recent: seen - base,
            recent_window: Duration::from_millis(now.saturating_sub(since)),
            ..RootDecisions::none(name)
        }
    }
}

/// When the last two marks were made, and when the next is due (coarse
/// milliseconds).
pub(crate) struct Marks {
    at: [AtomicU64; 2],
    next: AtomicU64,
}

impl Marks {
    pub(crate) fn new(now: u64) -> Self {
        Marks { at: [AtomicU64::new(now), AtomicU64::new(now)], next: AtomicU64::new(now + MARK_MILLIS) }
    }

    /// Whether this decision makes the mark: the mark is due at `now` and
    /// this thread won it. The hot path is one load and a compare.
    #[inline]
    pub(crate) fn due(&self, now: u64) -> bool {
        let next = self.next.load(Relaxed);
        now >= next && self.next.compare_exchange(next, now + MARK_MILLIS, Relaxed, Relaxed).is_ok()
    }

    /// Makes the mark at `now` for `counts`, every name's.
    #[cold]
    pub(crate) fn mark<'a>(&self, now: u64, counts: impl Iterator<Item = &'a Counts>) {
        counts.for_each(Counts::mark);
        self.at[0].store(self.at[1].load(Relaxed), Relaxed);
        self.at[1].store(now, Relaxed);
    }
}

/// The sampler's decisions at roots with one name.
///
/// ```
/// # use lantern::sampling::RootDecisions;
/// fn dropped(d: &RootDecisions) -> u64 { d.seen - d.sampled }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RootDecisions {
    /// The root span name, as the sampler saw it.
    pub name: String,
    /// Decisions made: roots started in this process, remote parent or not.
    pub seen: u64,
    /// Of those, sampled.
    pub sampled: u64,
    /// Of those, roots whose parent is remote (in another process, or
    /// another service of this one): under `ParentBased` they took their
    /// caller's decision.
    pub remote_parent: u64,
    /// Roots sampled because they asked to be (debug), within the cap: not
    /// decisions of the sampler, so not in `seen`.
    pub forced: u64,
    /// Decisions in the recent window, [`RootDecisions::recent_window`].
    pub recent: u64,
    /// The time `recent` covers: since the older of the last two marks
    /// (10 to 20 s while roots come), or since the name's first root.
    pub recent_window: Duration,
}

impl RootDecisions {
    /// `sampled / seen`, or `None` when nothing was seen.
    ///
    /// ```
    /// let lantern = lantern::builder().try_init_local();
    /// tracing::info_span!("a").in_scope(|| {});
    /// assert_eq!(lantern.handle().sampling().roots()[0].ratio(), Some(1.0));
    /// ```
    pub fn ratio(&self) -> Option<f64> {
        (self.seen > 0).then(|| self.sampled as f64 / self.seen as f64)
    }

    /// Decisions a second over the recent window: `recent` divided by
    /// `recent_window`, or by a second if the window is shorter.
    ///
    /// ```
    /// let lantern = lantern::builder().try_init_local();
    /// for _ in 0..3 {
    ///     tracing::info_span!("a").in_scope(|| {});
    /// }
    /// let a = &lantern.handle().sampling().roots()[0];
    /// assert!(a.per_second() > 0.0 && a.per_second() <= 3.0);
    /// ```
    pub fn per_second(&self) -> f64 {
        self.recent as f64 / self.recent_window.as_secs_f64().max(1.0)
    }

    /// No decision yet, named `name`.
    pub(crate) fn none(name: &str) -> Self {
        RootDecisions {
            name: name.to_owned(),
            seen: 0,
            sampled: 0,
            remote_parent: 0,
            forced: 0,
            recent: 0,
            recent_window: Duration::ZERO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_counts_from_the_older_mark_or_the_first_root() {
        let marks = Marks::new(0);
        let old = Counts::new(0, 0);
        (0..50).for_each(|_| old.count(true, false));
        assert!(!marks.due(MARK_MILLIS - 1));
        assert!(marks.due(MARK_MILLIS) && !marks.due(MARK_MILLIS), "one thread makes a mark");
        marks.mark(MARK_MILLIS, [&old].into_iter());
        (0..20).for_each(|_| old.count(false, false));
        let young = Counts::new(MARK_MILLIS + 5_000, 1);
        (0..10).for_each(|_| young.count(false, false));
        assert!(marks.due(2 * MARK_MILLIS));
        marks.mark(2 * MARK_MILLIS, [&old, &young].into_iter());
        (0..30).for_each(|_| old.count(false, false));
        let now = 2 * MARK_MILLIS + 2_000;
        let o = old.read("old", &marks, now);
        assert_eq!((o.seen, o.sampled, o.recent, o.recent_window), (100, 50, 50, Duration::from_millis(12_000)));
        let y = young.read("young", &marks, now);
        assert_eq!((y.recent, y.recent_window), (10, Duration::from_millis(7_000)));
        assert!((y.per_second() - 10.0 / 7.0).abs() < 1e-12);
        let fresh = Counts::new(now, 2);
        fresh.count(true, false);
        assert_eq!(fresh.read("fresh", &marks, now).per_second(), 1.0, "a window under a second counts as one");
        assert_eq!(RootDecisions::none("n").ratio(), None);
    }
}
