//! The series store: metric names (families), their series, and the handles
//! the `metrics` facade holds.
//!
//! A handle is found by the facade's `Key` (name and static labels) in a
//! sharded map, with the key's precomputed hash. A handle owns the series of
//! that key without context labels (`base`) and, when labels come from the
//! context, one series per combination of label values, created on first
//! use. Every series of a name counts towards `max_series_per_metric`; past
//! it, records go to the name's single overflow series. Keys past the cap are
//! never stored, so a key explosion costs no memory.

use std::collections::HashMap as StdHashMap;
use std::hash::{BuildHasherDefault, DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};

use metrics::{Key, Unit};
use parking_lot::RwLock;
use smallvec::SmallVec;

use super::config::MetricsConfig;
use super::family::{MetricKind, OVERFLOW_LABEL, OwnFamilies};
use super::labels::{ContextValues, LabelPlan};
use super::series::{CounterCell, GaugeCell, HistogramCell};
use crate::ids::IdHasher;

type IdMap<K, V> = StdHashMap<K, V, BuildHasherDefault<IdHasher>>;

const SHARDS: usize = 16;

/// Bytes charged per series besides its labels and histogram (the `Series`,
/// its `Arc`, the cell's atomics and exemplar slot).
const SERIES_OVERHEAD: usize = 256;
/// Bytes charged per label besides its name and value (two `String`s).
const SERIES_LABEL_OVERHEAD: usize = 48;
/// Bytes charged for a histogram series' hdrhistogram.
const HISTOGRAM_BYTES: usize = 16 << 10;

/// One shard of the key-to-handle map.
type Shard = RwLock<IdMap<Key, Arc<KeyHandle>>>;

pub(crate) enum Cell {
    Counter(CounterCell),
    Gauge(GaugeCell),
    Histogram(HistogramCell),
}

pub(crate) struct Series {
    pub(crate) labels: Vec<(String, String)>,
    context: ContextValues,
    pub(crate) cell: Cell,
}

pub(crate) struct Family {
    pub(crate) name: String,
    pub(crate) kind: MetricKind,
    config: Arc<MetricsConfig>,
    bounds: Arc<[f64]>,
    pub(crate) series: RwLock<Vec<Arc<Series>>>,
    overflow: OnceLock<Arc<KeyHandle>>,
    pub(crate) overflowed: AtomicU64,
    /// Measurements whose context label values were cut to length.
    pub(crate) label_values_truncated: AtomicU64,
    /// Bytes of `series` (label names and values, and the cell), against
    /// `max_series_bytes_per_metric`; changed under the `series` lock.
    label_bytes: AtomicUsize,
    /// The same, over every metric of the store, against `max_series_bytes`.
    all_label_bytes: Arc<AtomicUsize>,
}

impl Family {
    fn new(name: &str, kind: MetricKind, config: Arc<MetricsConfig>, all_label_bytes: Arc<AtomicUsize>) -> Family {
        let bounds: Arc<[f64]> = config.histograms.boundaries(name).into();
        Family {
            name: name.to_owned(),
            kind,
            config,
            bounds,
            series: RwLock::new(Vec::new()),
            overflow: OnceLock::new(),
            overflowed: AtomicU64::new(0),
            label_values_truncated: AtomicU64::new(0),
            label_bytes: AtomicUsize::new(0),
            all_label_bytes,
        }
    }

    fn cell(&self) -> Cell {
        match self.kind {
            MetricKind::Counter => Cell::Counter(CounterCell::new()),
            MetricKind::Gauge => Cell::Gauge(GaugeCell::new()),
            MetricKind::Histogram => Cell::Histogram(HistogramCell::new(self.bounds.clone(), &self.config.histograms)),
        }
    }

    /// What one series' cell is charged against the byte budgets: a
    /// histogram's hdrhistogram grows with the range it sees, about 16 KiB
    /// for a few decades at two significant figures, plus its buckets.
    fn cell_bytes(&self) -> usize {
        match self.kind {
            MetricKind::Counter | MetricKind::Gauge => SERIES_OVERHEAD,
            MetricKind::Histogram => SERIES_OVERHEAD + HISTOGRAM_BYTES + self.bounds.len() * 16,
        }
    }

    fn is_full(&self) -> bool {
        self.series.read().len() >= self.config.max_series_per_metric
    }

    /// A new series, unless the name has reached its cap in series or in
    /// label bytes.
    fn new_series(&self, labels: Vec<(String, String)>, context: ContextValues) -> Option<Arc<Series>> {
        let mut all = self.series.write();
        if all.len() >= self.config.max_series_per_metric {
            return None;
        }
        let bytes =
            labels.iter().map(|(k, v)| k.len() + v.len() + SERIES_LABEL_OVERHEAD).sum::<usize>() + self.cell_bytes();
        let held = self.label_bytes.load(Relaxed);
        if held.saturating_add(bytes) > self.config.max_series_bytes_per_metric {
            return None;
        }
        let total = &self.all_label_bytes;
        if total
            .fetch_update(Relaxed, Relaxed, |n| n.checked_add(bytes).filter(|&t| t <= self.config.max_series_bytes))
            .is_err()
        {
            return None;
        }
        self.label_bytes.store(held + bytes, Relaxed);
        let series = Arc::new(Series { labels, context, cell: self.cell() });
        all.push(series.clone());
        Some(series)
    }

    /// The name's one overflow series, as a handle.
    pub(crate) fn overflow_handle(self: &Arc<Self>) -> Arc<KeyHandle> {
        self.overflow
            .get_or_init(|| {
                let labels = vec![(OVERFLOW_LABEL.to_owned(), "true".to_owned())];
                let series = Arc::new(Series { labels, context: ContextValues::new(), cell: self.cell() });
                Arc::new(KeyHandle::new(self.clone(), Vec::new(), Some(series), None, true))
            })
            .clone()
    }

    pub(crate) fn overflow_series(&self) -> Option<&Arc<Series>> {
        self.overflow.get().and_then(|h| h.base.get()).map(|b| &b.0)
    }
}

/// What a facade handle points at: the series of one key.
pub(crate) struct KeyHandle {
    pub(crate) family: Arc<Family>,
    static_labels: Vec<(String, String)>,
    /// The series without context labels, made on first use: a handle that
    /// only ever records in labelled contexts shows no empty series. The
    /// flag says it is the overflow series.
    base: OnceLock<(Arc<Series>, bool)>,
    /// The allowlists, when this handle takes labels from the context.
    pub(crate) plan: Option<Arc<LabelPlan>>,
    /// Whether every record here counts as overflow.
    pub(crate) overflow: bool,
    contextual: RwLock<IdMap<u64, SmallVec<[Arc<Series>; 1]>>>,
}

impl KeyHandle {
    fn new(
        family: Arc<Family>,
        static_labels: Vec<(String, String)>,
        base: Option<Arc<Series>>,
        plan: Option<Arc<LabelPlan>>,
        overflow: bool,
    ) -> KeyHandle {
        let cell = OnceLock::new();
        if let Some(b) = base {
            let _ = cell.set((b, overflow));
        }
        KeyHandle { family, static_labels, base: cell, plan, overflow, contextual: RwLock::new(IdMap::default()) }
    }

    /// The series without context labels, and whether it is the overflow one.
    pub(crate) fn base(&self) -> (&Series, bool) {
        let (series, overflow) =
            self.base.get_or_init(|| match self.family.new_series(self.static_labels.clone(), ContextValues::new()) {
                Some(s) => (s, false),
                None => {
                    let overflow = self.family.overflow_handle();
                    (overflow.base.get().expect("made with its series").0.clone(), true)
                }
            });
        (series, *overflow)
    }

    /// Runs `f` on the series for these context values: the base series when
    /// none is set, else the labelled one (created on first use, or the
    /// overflow series once the name is full).
    pub(crate) fn with_series<R>(&self, values: &ContextValues, f: impl FnOnce(&Series, bool) -> R) -> R {
        if self.overflow || values.iter().all(Option::is_none) {
            let (base, overflow) = self.base();
            return f(base, overflow);
        }
        let mut h = DefaultHasher::new();
        values.hash(&mut h);
        let hash = h.finish();
        if let Some(s) = self.contextual.read().get(&hash).and_then(|v| v.iter().find(|s| s.context == *values)) {
            return f(s, false);
        }
        let mut map = self.contextual.write();
        let slot = map.entry(hash).or_default();
        if let Some(s) = slot.iter().find(|s| s.context == *values) {
            return f(s, false);
        }
        let plan = self.plan.as_deref().expect("context values come from a plan");
        let mut labels = self.static_labels.clone();
        for (name, value) in plan.names().zip(values) {
            if let Some(v) = value {
                labels.retain(|(n, _)| n != name);
                labels.push((name.to_owned(), v.clone()));
            }
        }
        match self.family.new_series(labels, values.clone()) {
            Some(series) => {
                slot.push(series.clone());
                drop(map);
                f(&series, false)
            }
            None => {
                drop(map);
                let overflow = self.family.overflow_handle();
                f(overflow.base().0, true)
            }
        }
    }
}

/// Why a registration got a handle that records nothing.
pub(crate) enum Refused {
    KindConflict,
    TooManyMetrics,
}

/// All metrics of one Lantern instance.
pub(crate) struct Registry {
    pub(crate) config: Arc<MetricsConfig>,
    pub(crate) plan: Arc<LabelPlan>,
    families: RwLock<StdHashMap<String, Arc<Family>>>,
    handles: Box<[Shard]>,
    pub(crate) descriptions: RwLock<StdHashMap<String, (Option<Unit>, String)>>,
    pub(crate) dropped_metrics: AtomicU64,
    pub(crate) kind_conflicts: AtomicU64,
    /// Label bytes held by every family's series.
    label_bytes: Arc<AtomicUsize>,
    /// Whether snapshots add the process-wide counters (a layer's store).
    pub(crate) process_counters: AtomicBool,
    /// The layer's own families that snapshots add (sampling, the service
    /// graph), in the order they were added.
    pub(crate) own: RwLock<Vec<Box<dyn OwnFamilies>>>,
}

impl Registry {
    pub(crate) fn new(config: MetricsConfig) -> Registry {
        let plan = LabelPlan { baggage: config.baggage_labels.clone(), fields: config.span_field_labels.clone() };
        Registry {
            config: Arc::new(config),
            plan: Arc::new(plan),
            families: RwLock::new(StdHashMap::new()),
            handles: (0..SHARDS).map(|_| RwLock::new(IdMap::default())).collect(),
            descriptions: RwLock::new(StdHashMap::new()),
            dropped_metrics: AtomicU64::new(0),
            kind_conflicts: AtomicU64::new(0),
            process_counters: AtomicBool::new(false),
            own: RwLock::new(Vec::new()),
            label_bytes: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// The handle for `key`; `contextual` says whether it takes labels from
    /// the context (facade metrics do; Lantern's own counters do not).
    #[inline]
    pub(crate) fn handle(&self, key: &Key, kind: MetricKind, contextual: bool) -> Result<Arc<KeyHandle>, Refused> {
        let shard = &self.handles[key.get_hash() as usize % SHARDS];
        if let Some(h) = shard.read().get(key) {
            return if h.family.kind == kind { Ok(h.clone()) } else { Err(self.conflict()) };
        }
        self.new_handle(key, kind, contextual)
    }

    #[cold]
    fn new_handle(&self, key: &Key, kind: MetricKind, contextual: bool) -> Result<Arc<KeyHandle>, Refused> {
        let family = self.family(key.name(), kind)?;
        let shard = &self.handles[key.get_hash() as usize % SHARDS];
        let mut map = shard.write();
        if let Some(h) = map.get(key) {
            return if h.family.kind == kind { Ok(h.clone()) } else { Err(self.conflict()) };
        }
        let labels: Vec<(String, String)> = key.labels().map(|l| (l.key().to_owned(), l.value().to_owned())).collect();
        let plan = (contextual && !self.plan.is_empty()).then(|| self.plan.clone());
        // A handle with context labels makes its series on first use; one
        // without makes it now. Either way a name that is full takes no keys.
        let base = match plan {
            Some(_) if family.is_full() => return Ok(family.overflow_handle()),
            Some(_) => None,
            None => match family.new_series(labels.clone(), ContextValues::new()) {
                Some(base) => Some(base),
                None => return Ok(family.overflow_handle()),
            },
        };
        let handle = Arc::new(KeyHandle::new(family, labels, base, plan, false));
        map.insert(key.clone(), handle.clone());
        Ok(handle)
    }

    fn conflict(&self) -> Refused {
        self.kind_conflicts.fetch_add(1, Relaxed);
        Refused::KindConflict
    }

    fn family(&self, name: &str, kind: MetricKind) -> Result<Arc<Family>, Refused> {
        if let Some(f) = self.families.read().get(name) {
            return if f.kind == kind { Ok(f.clone()) } else { Err(self.conflict()) };
        }
        let mut families = self.families.write();
        if let Some(f) = families.get(name) {
            return if f.kind == kind { Ok(f.clone()) } else { Err(self.conflict()) };
        }
        if families.len() >= self.config.max_metrics {
            self.dropped_metrics.fetch_add(1, Relaxed);
            return Err(Refused::TooManyMetrics);
        }
        let family = Arc::new(Family::new(name, kind, self.config.clone(), self.label_bytes.clone()));
        families.insert(name.to_owned(), family.clone());
        Ok(family)
    }

    /// Every family, sorted by name.
    pub(crate) fn families(&self) -> Vec<Arc<Family>> {
        let mut all: Vec<_> = self.families.read().values().cloned().collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all
    }

    pub(crate) fn describe(&self, name: &str, unit: Option<Unit>, description: &str) {
        let mut d = self.descriptions.write();
        if d.len() < self.config.max_metrics || d.contains_key(name) {
            d.insert(name.to_owned(), (unit, description.to_owned()));
        }
    }
}
