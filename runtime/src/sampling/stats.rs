//! What the head sampler decided so far, per root span name.
//!
//! The layer counts one decision each time the sampler is asked: at every
//! local root, including a root whose parent is remote. Children follow
//! their parent's decision and are never counted, and so are roots whose
//! sampling was forced (`lantern.debug`, the middleware's debug header, a
//! `lantern-debug` baggage entry where honoured): the sampler was not asked. Names are kept by their first 256 bytes. The
//! counts are read by [`SamplingStats::roots`] and shown on
//! `/debug/sampling`.
//!
//! # Cost on the write path
//!
//! A decision costs one read lock of a `parking_lot::RwLock` around a map
//! from name to a pair of atomics, one hash of the name and two relaxed
//! atomic additions, once per root span, never per child or event. The write
//! lock is taken only the first time a name is seen, so at most
//! [`MAX_ROOT_NAMES`] times in the life of the process: once the map is full,
//! a flag sends roots of further names to one overflow counter without
//! locking. The map is keyed by the name the sampler sees (an `otel.name`
//! field included), not by the callsite: a per-thread cache keyed by the
//! `&'static Metadata` pointer would miss renamed roots and would hold one
//! copy of the counters per thread and layer, to save a read lock that is
//! cheap next to what a root already costs (a trace id, a clock read, the
//! span's state).
//!
//! Readers take the read lock too, only to copy the names and counts out
//! (at most [`MAX_ROOT_NAMES`] of them): a root waits for a reader only while
//! another thread inserts a new name. A reader may catch a decision half
//! counted (seen, but not yet sampled); it never sees more sampled than seen.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

use parking_lot::RwLock;

use super::bucket::{Clock, TokenBucket};
use super::sampler::{RecordingMode, Sampler};

/// Root span names counted one by one; roots of further names are counted
/// together in [`SamplingStats::overflow`].
///
/// ```
/// assert_eq!(lantern::sampling::MAX_ROOT_NAMES, 1000);
/// ```
pub const MAX_ROOT_NAMES: usize = 1000;

/// Forced (debug) traces let through a second unless the builder says
/// otherwise ([`crate::Builder::max_forced_per_second`]): a caller allowed to
/// send the debug header cannot flood the exporter with it.
///
/// ```
/// assert_eq!(lantern::sampling::DEFAULT_MAX_FORCED_PER_SECOND, 10.0);
/// ```
pub const DEFAULT_MAX_FORCED_PER_SECOND: f64 = 10.0;

/// The sampler in force, the recording mode and the decisions so far: a
/// cheap handle, shared by the layer that counts and the readers.
///
/// Reach it through the read handle, [`crate::Handle::sampling`]:
///
/// ```
/// use lantern::sampling::TraceIdRatio;
/// let lantern = lantern::builder().sampler(TraceIdRatio::new(1.0)).try_init_local();
/// tracing::info_span!("job").in_scope(|| tracing::info_span!("step").in_scope(|| {}));
/// let stats = lantern.handle().sampling();
/// assert_eq!(stats.description(), "TraceIdRatio{1}");
/// let roots = stats.roots();
/// assert_eq!((roots[0].name.as_str(), roots[0].seen, roots[0].sampled), ("job", 1, 1));
/// assert_eq!(roots.len(), 1, "children are not decisions");
/// ```
#[derive(Clone)]
pub struct SamplingStats(Arc<Inner>);

struct Inner {
    sampler: Arc<dyn Sampler>,
    /// Forced (debug) traces: the cap, and what it let through or refused.
    forced: TokenBucket,
    clock: Clock,
    forced_honoured: AtomicU64,
    forced_over_cap: AtomicU64,
    mode: RecordingMode,
    max_names: usize,
    names: RwLock<HashMap<Box<str>, Counts>>,
    /// Set once `names` holds `max_names` names: from then on unknown names
    /// go to `overflow` without taking the write lock.
    full: AtomicBool,
    overflow: Counts,
}

#[derive(Default)]
struct Counts {
    seen: AtomicU64,
    sampled: AtomicU64,
}

impl Counts {
    #[inline]
    fn count(&self, sampled: bool) {
        self.seen.fetch_add(1, Relaxed);
        if sampled {
            self.sampled.fetch_add(1, Relaxed);
        }
    }

    fn read(&self, name: &str) -> RootDecisions {
        let seen = self.seen.load(Relaxed);
        // `sampled` is added after `seen`; clamp a half-counted decision.
        let sampled = self.sampled.load(Relaxed).min(seen);
        RootDecisions { name: name.to_owned(), seen, sampled }
    }
}

impl SamplingStats {
    /// Counts for `sampler`, at most [`MAX_ROOT_NAMES`] names.
    pub(crate) fn new(sampler: Arc<dyn Sampler>, mode: RecordingMode) -> Self {
        Self::with_max_names(sampler, mode, MAX_ROOT_NAMES, DEFAULT_MAX_FORCED_PER_SECOND)
    }

    pub(crate) fn with_max_names(
        sampler: Arc<dyn Sampler>,
        mode: RecordingMode,
        max_names: usize,
        max_forced_per_second: f64,
    ) -> Self {
        SamplingStats(Arc::new(Inner {
            sampler,
            forced: TokenBucket::new(max_forced_per_second),
            clock: Clock::monotonic(),
            forced_honoured: AtomicU64::new(0),
            forced_over_cap: AtomicU64::new(0),
            mode,
            max_names,
            names: RwLock::new(HashMap::new()),
            full: AtomicBool::new(max_names == 0),
            overflow: Counts::default(),
        }))
    }

    /// Counts one decision of the sampler at a root named `name`.
    #[inline]
    pub(crate) fn count(&self, name: &str, sampled: bool) {
        // Names are kept by their first bytes, as tracez keeps them.
        let name = crate::text::cut(name, crate::text::MAX_NAME_BYTES);
        {
            let names = self.0.names.read();
            if let Some(counts) = names.get(name) {
                counts.count(sampled);
                return;
            }
        }
        // The read lock is released: `count_new` takes the write lock.
        if self.0.full.load(Relaxed) {
            self.0.overflow.count(sampled);
        } else {
            self.count_new(name, sampled);
        }
    }

    #[cold]
    fn count_new(&self, name: &str, sampled: bool) {
        let inner = &*self.0;
        let mut names = inner.names.write();
        if let Some(counts) = names.get(name) {
            counts.count(sampled);
        } else if names.len() < inner.max_names {
            names.entry(name.into()).or_default().count(sampled);
            if names.len() >= inner.max_names {
                inner.full.store(true, Relaxed);
            }
        } else {
            inner.overflow.count(sampled);
        }
    }

    /// Whether a trace that asks to be forced (debug) is, within the cap of
    /// forced traces a second; counts the answer.
    pub(crate) fn try_force(&self) -> bool {
        let inner = &*self.0;
        let honoured = inner.forced.take(&inner.clock);
        if honoured { &inner.forced_honoured } else { &inner.forced_over_cap }.fetch_add(1, Relaxed);
        honoured
    }

    /// Traces sampled because they asked to be (`lantern.debug`, set by the
    /// middleware's debug header, or a `lantern-debug` baggage entry where
    /// [`crate::Builder::debug_baggage`] honours it), within the cap
    /// ([`crate::Builder::max_forced_per_second`]).
    ///
    /// ```
    /// let lantern = lantern::builder().try_init_local();
    /// tracing::info_span!("checkout", lantern.debug = true).in_scope(|| {});
    /// assert_eq!(lantern.handle().sampling().forced(), 1);
    /// ```
    pub fn forced(&self) -> u64 {
        self.0.forced_honoured.load(Relaxed)
    }

    /// Traces that asked to be forced past the cap: the sampler decided
    /// them as any other.
    ///
    /// ```
    /// let lantern = lantern::builder().max_forced_per_second(0.0).try_init_local();
    /// tracing::info_span!("checkout", lantern.debug = true).in_scope(|| {});
    /// assert_eq!(lantern.handle().sampling().forced_over_cap(), 1);
    /// ```
    pub fn forced_over_cap(&self) -> u64 {
        self.0.forced_over_cap.load(Relaxed)
    }

    /// The sampler's own description, e.g. `ParentBased{root=AlwaysOn}`.
    ///
    /// ```
    /// let stats = lantern::layer().handle().sampling().clone();
    /// assert_eq!(stats.description(), "ParentBased{root=AlwaysOn}");
    /// ```
    pub fn description(&self) -> String {
        self.0.sampler.description()
    }

    /// Whether unsampled traces are recorded locally.
    ///
    /// ```
    /// use lantern::sampling::RecordingMode;
    /// let lantern = lantern::builder().recording_mode(RecordingMode::SampledOnly).try_init_local();
    /// assert_eq!(lantern.handle().sampling().recording_mode(), RecordingMode::SampledOnly);
    /// ```
    pub fn recording_mode(&self) -> RecordingMode {
        self.0.mode
    }

    /// The decisions per root span name, by name. At most
    /// [`SamplingStats::max_names`] names; the rest are in
    /// [`SamplingStats::overflow`].
    ///
    /// ```
    /// let lantern = lantern::builder().sampler(lantern::sampling::AlwaysOff).try_init_local();
    /// tracing::info_span!("a").in_scope(|| {});
    /// tracing::info_span!("a").in_scope(|| {});
    /// let roots = lantern.handle().sampling().roots();
    /// assert_eq!((roots[0].seen, roots[0].sampled, roots[0].ratio()), (2, 0, Some(0.0)));
    /// ```
    pub fn roots(&self) -> Vec<RootDecisions> {
        let mut roots: Vec<RootDecisions> = self.0.names.read().iter().map(|(name, c)| c.read(name)).collect();
        roots.sort_by(|a, b| a.name.cmp(&b.name));
        roots
    }

    /// The decisions at roots whose name came after the map of names was
    /// full, all together, named [`SamplingStats::OVERFLOW_NAME`].
    ///
    /// ```
    /// let stats = lantern::layer().handle().sampling().clone();
    /// assert_eq!(stats.overflow().seen, 0);
    /// ```
    pub fn overflow(&self) -> RootDecisions {
        self.0.overflow.read(Self::OVERFLOW_NAME)
    }

    /// The name [`SamplingStats::overflow`] carries.
    ///
    /// ```
    /// use lantern::sampling::SamplingStats;
    /// let stats = lantern::layer().handle().sampling().clone();
    /// assert_eq!(stats.overflow().name, SamplingStats::OVERFLOW_NAME);
    /// ```
    pub const OVERFLOW_NAME: &'static str = "(other names)";

    /// How many root names are counted one by one ([`MAX_ROOT_NAMES`]).
    ///
    /// ```
    /// let stats = lantern::layer().handle().sampling().clone();
    /// assert_eq!(stats.max_names(), lantern::sampling::MAX_ROOT_NAMES);
    /// ```
    pub fn max_names(&self) -> usize {
        self.0.max_names
    }
}

impl std::fmt::Debug for SamplingStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SamplingStats")
            .field("sampler", &self.description())
            .field("mode", &self.0.mode)
            .field("names", &self.0.names.read().len())
            .finish_non_exhaustive()
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::always::{AlwaysOff, AlwaysOn};

    fn stats(max_names: usize) -> SamplingStats {
        SamplingStats::with_max_names(Arc::new(AlwaysOn), RecordingMode::All, max_names, 1.0)
    }

    #[test]
    fn names_past_the_cap_go_to_the_overflow_counter() {
        let s = stats(3);
        for i in 0..10 {
            s.count(&format!("root-{i}"), i % 2 == 0);
        }
        let roots = s.roots();
        assert_eq!(roots.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["root-0", "root-1", "root-2"]);
        assert_eq!(roots.iter().map(|r| (r.seen, r.sampled)).collect::<Vec<_>>(), [(1, 1), (1, 0), (1, 1)]);
        let overflow = s.overflow();
        assert_eq!((overflow.name.as_str(), overflow.seen, overflow.sampled), ("(other names)", 7, 3));
    }

    #[test]
    fn names_held_before_the_cap_keep_counting_after_it() {
        let s = stats(2);
        s.count("a", true);
        s.count("b", false);
        s.count("c", true);
        s.count("a", false);
        s.count("b", true);
        let roots = s.roots();
        assert_eq!((roots[0].seen, roots[0].sampled, roots[1].seen, roots[1].sampled), (2, 1, 2, 1));
        assert_eq!((s.overflow().seen, s.overflow().sampled), (1, 1));
    }

    #[test]
    fn the_map_never_grows_past_the_cap() {
        let s = stats(MAX_ROOT_NAMES);
        for i in 0..(MAX_ROOT_NAMES + 500) {
            s.count(&i.to_string(), false);
        }
        assert_eq!(s.roots().len(), MAX_ROOT_NAMES);
        assert_eq!(s.overflow().seen, 500);
        assert_eq!(s.roots().iter().map(|r| r.seen).sum::<u64>() + s.overflow().seen, MAX_ROOT_NAMES as u64 + 500);
    }

    #[test]
    fn a_cap_of_zero_counts_everything_as_overflow() {
        let s = stats(0);
        s.count("a", true);
        assert!(s.roots().is_empty());
        assert_eq!(s.overflow().seen, 1);
    }

    #[test]
    fn counts_from_many_threads_add_up() {
        let s = stats(4);
        std::thread::scope(|scope| {
            for t in 0..4 {
                let s = &s;
                scope.spawn(move || {
                    for i in 0..1000 {
                        s.count(["x", "y", "z", "w", "v"][(t + i) % 5], i % 4 == 0);
                    }
                });
            }
        });
        let total = s.roots().iter().map(|r| r.seen).sum::<u64>() + s.overflow().seen;
        let sampled = s.roots().iter().map(|r| r.sampled).sum::<u64>() + s.overflow().sampled;
        assert_eq!((total, sampled), (4000, 1000));
        assert_eq!(s.roots().len(), 4);
    }

    #[test]
    fn the_description_is_the_samplers() {
        let s = SamplingStats::new(Arc::new(AlwaysOff), RecordingMode::SampledOnly);
        assert_eq!(s.description(), "AlwaysOff");
        assert_eq!(s.recording_mode(), RecordingMode::SampledOnly);
        assert_eq!(RootDecisions { name: "n".into(), seen: 0, sampled: 0 }.ratio(), None);
    }
}
