//! What the head sampler decided so far, per root span name.
//!
//! The layer counts one decision each time the sampler is asked: at every
//! local root, including a root whose parent is remote. Children follow
//! their parent's decision and are never counted, and so are roots whose
//! sampling was forced (`lantern.debug`, the middleware's debug header, a
//! `lantern-debug` baggage entry where honoured): the sampler was not asked;
//! those are counted apart, as `forced`. Names are kept by their first 256
//! bytes. The counts are read by [`SamplingStats::roots`] and shown on
//! `/debug/sampling` and, as `lantern.sampling.decisions`, on `/metrics`.
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
//! For the recent rate of each name, a decision also reads the coarse clock
//! and the time of the next mark (two relaxed loads and a compare); every
//! 10 s one decision copies each name's count aside (see
//! [`root_counts`](super::root_counts)).
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
use super::root_counts::{Counts, Marks, RootDecisions};
use super::sampler::{RecordingMode, Sampler};
use super::state::SamplerState;
use crate::clock::{coarse_millis, fresh_millis};

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
    /// The marks of the recent rate.
    marks: Marks,
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
        let now = coarse_millis();
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
            overflow: Counts::new(now, max_names),
            marks: Marks::new(now),
        }))
    }

    /// Counts one decision of the sampler at a root named `name`, whose
    /// parent is remote or not.
    #[inline]
    pub(crate) fn count(&self, name: &str, sampled: bool, remote_parent: bool) {
        self.count_with(name, |counts| counts.count(sampled, remote_parent));
    }

    /// Counts a root named `name` whose sampling was forced.
    pub(crate) fn count_forced(&self, name: &str) {
        self.count_with(name, Counts::force);
    }

    #[inline]
    fn count_with(&self, name: &str, count: impl Fn(&Counts)) {
        // Names are kept by their first bytes, as tracez keeps them.
        let name = crate::text::cut(name, crate::text::MAX_NAME_BYTES);
        let found = {
            let names = self.0.names.read();
            names.get(name).map(&count).is_some()
        };
        // The read lock is released: `count_new` takes the write lock.
        if !found {
            if self.0.full.load(Relaxed) {
                count(&self.0.overflow);
            } else {
                self.count_new(name, count);
            }
        }
        let now = coarse_millis();
        if self.0.marks.due(now) {
            self.mark(now);
        }
    }

    #[cold]
    fn count_new(&self, name: &str, count: impl Fn(&Counts)) {
        let inner = &*self.0;
        let mut names = inner.names.write();
        if let Some(counts) = names.get(name) {
            count(counts);
        } else if names.len() < inner.max_names {
            let arrival = names.len();
            count(names.entry(name.into()).or_insert_with(|| Counts::new(coarse_millis(), arrival)));
            if names.len() >= inner.max_names {
                inner.full.store(true, Relaxed);
            }
        } else {
            count(&inner.overflow);
        }
    }

    #[cold]
    fn mark(&self, now: u64) {
        let names = self.0.names.read();
        self.0.marks.mark(now, names.values().chain([&self.0.overflow]));
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
        let mut roots: Vec<RootDecisions> = self.read().into_iter().map(|(_, r)| r).collect();
        roots.sort_by(|a, b| a.name.cmp(&b.name));
        roots
    }

    /// The decisions per root span name, in the order the names came: what
    /// the metrics of the decisions bound their series by.
    pub(crate) fn roots_by_arrival(&self) -> Vec<RootDecisions> {
        let mut roots = self.read();
        roots.sort_by_key(|&(arrival, _)| arrival);
        roots.into_iter().map(|(_, r)| r).collect()
    }

    fn read(&self) -> Vec<(usize, RootDecisions)> {
        let now = fresh_millis();
        let names = self.0.names.read();
        names.iter().map(|(name, c)| (c.arrival, c.read(name, &self.0.marks, now))).collect()
    }

    /// What the sampler says of itself ([`Sampler::inspect`]), with at
    /// most `max_operations` operations (0: the sampler-wide fields only).
    ///
    /// ```
    /// use lantern::sampling::{Adaptive, ParentBased};
    /// let lantern = lantern::builder().sampler(ParentBased::new(Adaptive::new(1.0))).try_init_local();
    /// tracing::info_span!("GET /cart").in_scope(|| {});
    /// let state = lantern.handle().sampling().sampler_state(100);
    /// assert_eq!(state.operations()[0].name, "GET /cart");
    /// assert_eq!(state.operations()[0].target_per_second, Some(1.0));
    /// ```
    pub fn sampler_state(&self, max_operations: usize) -> SamplerState {
        let mut state = SamplerState::new().with_max_operations(max_operations);
        self.0.sampler.inspect(&mut state);
        state
    }

    /// The decisions at roots whose name came after the map of names was
    /// full, all together, named [`SamplingStats::OVERFLOW_NAME`].
    ///
    /// ```
    /// let stats = lantern::layer().handle().sampling().clone();
    /// assert_eq!(stats.overflow().seen, 0);
    /// ```
    pub fn overflow(&self) -> RootDecisions {
        self.0.overflow.read(Self::OVERFLOW_NAME, &self.0.marks, fresh_millis())
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
            s.count(&format!("root-{i}"), i % 2 == 0, false);
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
        s.count("a", true, false);
        s.count("b", false, false);
        s.count("c", true, false);
        s.count("a", false, false);
        s.count("b", true, false);
        let roots = s.roots();
        assert_eq!((roots[0].seen, roots[0].sampled, roots[1].seen, roots[1].sampled), (2, 1, 2, 1));
        assert_eq!((s.overflow().seen, s.overflow().sampled), (1, 1));
    }

    #[test]
    fn the_map_never_grows_past_the_cap() {
        let s = stats(MAX_ROOT_NAMES);
        for i in 0..(MAX_ROOT_NAMES + 500) {
            s.count(&i.to_string(), false, false);
        }
        assert_eq!(s.roots().len(), MAX_ROOT_NAMES);
        assert_eq!(s.overflow().seen, 500);
        assert_eq!(s.roots().iter().map(|r| r.seen).sum::<u64>() + s.overflow().seen, MAX_ROOT_NAMES as u64 + 500);
    }

    #[test]
    fn a_cap_of_zero_counts_everything_as_overflow() {
        let s = stats(0);
        s.count("a", true, false);
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
                        s.count(["x", "y", "z", "w", "v"][(t + i) % 5], i % 4 == 0, false);
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
    }
}
