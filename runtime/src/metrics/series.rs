//! One time series: a counter, a gauge or a histogram, with its exemplars.
//!
//! Counters and gauges are single atomics. A histogram is a mutex around an
//! hdrhistogram (for percentiles) and exact explicit-bucket counts (for
//! export); the lock is held for a few nanoseconds and never while anything
//! else is looked up.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::SystemTime;

use hdrhistogram::Histogram;
use parking_lot::Mutex;

use super::config::HistogramConfig;
use crate::ids::{SpanId, TraceId};

/// A measurement kept with its trace: the link from a metric to a trace.
///
/// ```
/// # use lantern::metrics::Exemplar;
/// fn trace_of(e: &Exemplar) -> String { e.trace_id.to_string() }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Exemplar {
    /// The trace the measurement was made in.
    pub trace_id: TraceId,
    /// The span the measurement was made in.
    pub span_id: SpanId,
    /// The measured value (for a counter, the increment).
    pub value: f64,
    /// When it was measured.
    pub time: SystemTime,
}

/// How often one exemplar slot looks for a new exemplar, in milliseconds.
/// Looking means finding the current span, so it is rationed.
const EXEMPLAR_INTERVAL_MS: u64 = 100;

/// When an exemplar slot may next look for a span.
#[derive(Default)]
pub(crate) struct ExemplarGate(AtomicU64);

impl ExemplarGate {
    /// True at most once per interval per slot.
    #[inline]
    pub(crate) fn due(&self, now_ms: u64) -> bool {
        let next = self.0.load(Relaxed);
        now_ms >= next && self.0.compare_exchange(next, now_ms + EXEMPLAR_INTERVAL_MS, Relaxed, Relaxed).is_ok()
    }

    /// Lets the next measurement look again, after a look that found no
    /// sampled span: the next one inside a span should not wait.
    pub(crate) fn reopen(&self, now_ms: u64) {
        self.0.store(now_ms + 1, Relaxed);
    }
}

pub(crate) struct CounterCell {
    value: AtomicU64,
    pub(crate) gate: ExemplarGate,
    exemplar: Mutex<Option<Exemplar>>,
}

impl CounterCell {
    pub(crate) fn new() -> Self {
        CounterCell { value: AtomicU64::new(0), gate: ExemplarGate::default(), exemplar: Mutex::new(None) }
    }

    #[inline]
    pub(crate) fn add(&self, v: u64) {
        self.value.fetch_add(v, Relaxed);
    }

    pub(crate) fn absolute(&self, v: u64) {
        self.value.fetch_max(v, Relaxed);
    }

    pub(crate) fn set_exemplar(&self, e: Exemplar) {
        *self.exemplar.lock() = Some(e);
    }

    pub(crate) fn get(&self) -> (u64, Option<Exemplar>) {
        (self.value.load(Relaxed), self.exemplar.lock().clone())
    }
}

pub(crate) struct GaugeCell(AtomicU64);

impl GaugeCell {
    pub(crate) fn new() -> Self {
        GaugeCell(AtomicU64::new(0f64.to_bits()))
    }

    pub(crate) fn set(&self, v: f64) {
        self.0.store(v.to_bits(), Relaxed);
    }

    pub(crate) fn add(&self, d: f64) {
        let _ = self.0.fetch_update(Relaxed, Relaxed, |bits| Some((f64::from_bits(bits) + d).to_bits()));
    }

    pub(crate) fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Relaxed))
    }
}

/// The percentiles a histogram snapshot carries.
pub(crate) const QUANTILES: [f64; 5] = [0.5, 0.9, 0.95, 0.99, 0.999];

/// One histogram's state. Bucket `i` counts values `<= bounds[i]` and
/// `> bounds[i-1]`; the last bucket is everything above the last bound.
struct HistState {
    hdr: Histogram<u64>,
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
    buckets: Vec<u64>,
    exemplars: Vec<Option<Exemplar>>,
    clamped: u64,
}

pub(crate) struct HistogramCell {
    bounds: Arc<[f64]>,
    resolution: f64,
    max_units: u64,
    state: Mutex<HistState>,
    gates: Box<[ExemplarGate]>,
}

impl HistogramCell {
    pub(crate) fn new(bounds: Arc<[f64]>, cfg: &HistogramConfig) -> Self {
        let sigfig = cfg.significant_figures.clamp(1, 5);
        let resolution = if cfg.resolution > 0.0 && cfg.resolution.is_finite() { cfg.resolution } else { 1e-6 };
        let max_units = (cfg.max_value / resolution).clamp(2.0, (u64::MAX >> 2) as f64) as u64;
        let mut hdr = Histogram::new(sigfig).expect("1..=5 significant figures is valid");
        hdr.auto(true);
        let n = bounds.len() + 1;
        HistogramCell {
            state: Mutex::new(HistState {
                hdr,
                count: 0,
                sum: 0.0,
                min: f64::INFINITY,
                max: f64::NEG_INFINITY,
                buckets: vec![0; n],
                exemplars: vec![None; n],
                clamped: 0,
            }),
            gates: (0..n).map(|_| ExemplarGate::default()).collect(),
            bounds,
            resolution,
            max_units,
        }
    }

    /// The bucket `v` falls in.
    #[inline]
    pub(crate) fn bucket_of(&self, v: f64) -> usize {
        self.bounds.partition_point(|b| *b < v)
    }

    /// Records `v`; returns its bucket. NaN is ignored (and `None` returned).
    pub(crate) fn record(&self, v: f64) -> Option<usize> {
        if v.is_nan() {
            return None;
        }
        let bucket = self.bucket_of(v);
        let units = (v.max(0.0) / self.resolution).round();
        let (units, clamped) =
            if units > self.max_units as f64 { (self.max_units, true) } else { (units as u64, false) };
        let mut s = self.state.lock();
        if s.hdr.record(units).is_err() {
            s.hdr.saturating_record(units);
        }
        s.clamped += u64::from(clamped);
        s.count += 1;
        s.sum += v;
        s.min = s.min.min(v);
        s.max = s.max.max(v);
        s.buckets[bucket] += 1;
        Some(bucket)
    }

    pub(crate) fn gate(&self, bucket: usize) -> &ExemplarGate {
        &self.gates[bucket]
    }

    pub(crate) fn set_exemplar(&self, bucket: usize, e: Exemplar) {
        self.state.lock().exemplars[bucket] = Some(e);
    }

    /// The value at quantile `q` (0..=1), within the configured precision
    /// and never outside the values observed (hdrhistogram reports a
    /// bucket's upper edge, which can lie above the largest value).
    pub(crate) fn quantile(&self, q: f64) -> Option<f64> {
        let s = self.state.lock();
        (s.count > 0).then(|| self.observed(&s, q))
    }

    /// The value at quantile `q` of `s` (which has values), clamped to the
    /// observed minimum and maximum.
    fn observed(&self, s: &HistState, q: f64) -> f64 {
        let v = s.hdr.value_at_quantile(q.clamp(0.0, 1.0)) as f64 * self.resolution;
        v.clamp(s.min, s.max.max(s.min))
    }

    pub(crate) fn point(&self) -> HistogramPoint {
        let s = self.state.lock();
        let buckets = s
            .buckets
            .iter()
            .zip(&s.exemplars)
            .enumerate()
            .map(|(i, (&count, ex))| Bucket {
                upper: self.bounds.get(i).copied().unwrap_or(f64::INFINITY),
                count,
                exemplar: ex.clone(),
            })
            .collect();
        let quantiles =
            if s.count == 0 { Vec::new() } else { QUANTILES.iter().map(|&q| (q, self.observed(&s, q))).collect() };
        HistogramPoint {
            count: s.count,
            sum: s.sum,
            min: (s.count > 0).then_some(s.min),
            max: (s.count > 0).then_some(s.max),
            buckets,
            quantiles,
            clamped: s.clamped,
        }
    }
}

/// One explicit export bucket of a histogram snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct Bucket {
    /// Inclusive upper bound; `f64::INFINITY` for the last bucket.
    pub upper: f64,
    /// Values in this bucket alone (not cumulative).
    pub count: u64,
    /// A recent measurement in this bucket made inside a sampled span.
    pub exemplar: Option<Exemplar>,
}

/// A histogram series at one moment.
///
/// ```
/// # use lantern::metrics::HistogramPoint;
/// fn mean(h: &HistogramPoint) -> f64 { h.sum / h.count.max(1) as f64 }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct HistogramPoint {
    /// Values recorded.
    pub count: u64,
    /// Their sum.
    pub sum: f64,
    /// The smallest, if any.
    pub min: Option<f64>,
    /// The largest, if any.
    pub max: Option<f64>,
    /// Explicit buckets, the last one unbounded above.
    pub buckets: Vec<Bucket>,
    /// `(quantile, value)` for p50, p90, p95, p99 and p99.9, from the
    /// hdrhistogram; empty when nothing was recorded.
    pub quantiles: Vec<(f64, f64)>,
    /// Values above `HistogramConfig::max_value`, clamped for percentiles.
    pub clamped: u64,
}
