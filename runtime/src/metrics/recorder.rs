//! The `metrics::Recorder`, and how one measurement reaches its series.
//!
//! A measurement made through the facade looks at the current span only when
//! it has to: when labels come from the context (an allowlist is set), or
//! when an exemplar slot is due (at most every 100 ms per slot, on a clock
//! that costs one atomic load).

use std::sync::atomic::Ordering::Relaxed;
use std::time::SystemTime;

use metrics::{Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramFn, Key, KeyName, Metadata, SharedString, Unit};

use super::family::MetricKind;
use super::labels::{ContextValues, LabelPlan, MetricContext};
use super::registry::{Cell, KeyHandle, Registry, Series};
use super::series::Exemplar;
use super::store::Metrics;

/// Lantern's [`metrics::Recorder`]: `counter!`, `gauge!` and `histogram!`
/// land in Lantern's series store, labelled from the current span's baggage
/// allowlist, with exemplars that point at sampled traces.
///
/// [`crate::init`] installs it; for a subscriber of your own, take it from
/// the layer and install it yourself:
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
/// let layer = lantern::layer();
/// let recorder = layer.recorder();
/// let metrics = recorder.metrics();
/// let subscriber = tracing_subscriber::registry().with(layer);
/// tracing::subscriber::with_default(subscriber, || {
///     metrics::with_local_recorder(&recorder, || metrics::counter!("jobs").increment(2));
/// });
/// assert!(metrics.prometheus_text().contains("jobs_total 2"));
/// ```
#[derive(Clone)]
pub struct LanternRecorder {
    pub(crate) metrics: Metrics,
}

impl LanternRecorder {
    /// The store this recorder writes to.
    ///
    /// ```
    /// let recorder = lantern::layer().recorder();
    /// assert_eq!(recorder.metrics().stats().kind_conflicts, 0);
    /// ```
    pub fn metrics(&self) -> Metrics {
        self.metrics.clone()
    }

    fn registry(&self) -> &Registry {
        &self.metrics.0
    }
}

impl std::fmt::Debug for LanternRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LanternRecorder").finish_non_exhaustive()
    }
}

impl metrics::Recorder for LanternRecorder {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.registry().describe(key.as_str(), unit, &description);
    }

    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.registry().describe(key.as_str(), unit, &description);
    }

    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.registry().describe(key.as_str(), unit, &description);
    }

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        self.registry().handle(key, MetricKind::Counter, true).map_or_else(|_| Counter::noop(), Counter::from_arc)
    }

    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        self.registry().handle(key, MetricKind::Gauge, true).map_or_else(|_| Gauge::noop(), Gauge::from_arc)
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        self.registry().handle(key, MetricKind::Histogram, true).map_or_else(|_| Histogram::noop(), Histogram::from_arc)
    }
}

/// One measurement.
#[derive(Clone, Copy)]
pub(crate) enum Op {
    Increment(u64),
    Absolute(u64),
    GaugeAdd(f64),
    GaugeSet(f64),
    Record(f64),
}

/// The context of a measurement, looked up at most once, and only if needed.
pub(crate) enum Source<'a> {
    /// Whatever span is current on this thread.
    Current(Option<Option<MetricContext>>),
    /// A context the caller already has (RED metrics at span close).
    Given(&'a MetricContext),
}

impl Source<'_> {
    fn get(&mut self, plan: &LabelPlan) -> Option<&MetricContext> {
        match self {
            Source::Given(cx) => Some(cx),
            Source::Current(slot) => slot.get_or_insert_with(|| current_context(plan)).as_ref(),
        }
    }
}

/// The labels and exemplar ids of the current span, through the Lantern
/// layer of the current subscriber.
fn current_context(plan: &LabelPlan) -> Option<MetricContext> {
    tracing::dispatcher::get_default(|d| crate::context::Hooks::of(d).and_then(|hooks| (hooks.metric_context)(d, plan)))
}

/// The plan of a handle without context labels: only exemplar ids are
/// looked up.
static NO_LABELS: LabelPlan = LabelPlan { baggage: Vec::new(), fields: Vec::new() };

type Ids = Option<(crate::ids::TraceId, crate::ids::SpanId)>;

impl KeyHandle {
    /// Applies `op` to the series the context selects.
    pub(crate) fn apply(&self, op: Op, mut source: Source<'_>) {
        let now = crate::clock::coarse_millis();
        match &self.plan {
            None => {
                let (base, overflow) = self.base();
                if overflow {
                    self.family.overflowed.fetch_add(1, Relaxed);
                }
                apply_to(base, op, now, &mut || source.get(&NO_LABELS).and_then(|cx| cx.exemplar))
            }
            Some(plan) => {
                let empty = ContextValues::new();
                let (values, ids) = match source.get(plan) {
                    Some(cx) => {
                        if cx.truncated {
                            self.family.label_values_truncated.fetch_add(1, Relaxed);
                        }
                        (&cx.values, cx.exemplar)
                    }
                    None => (&empty, None),
                };
                self.with_series(values, |series, overflowed| {
                    if overflowed {
                        self.family.overflowed.fetch_add(1, Relaxed);
                    }
                    apply_to(series, op, now, &mut || ids)
                })
            }
        }
    }
}

/// Applies `op` to `series`; `ids` gives the current span's ids when an
/// exemplar slot is due.
fn apply_to(series: &Series, op: Op, now: u64, ids: &mut dyn FnMut() -> Ids) {
    let mut exemplar = |gate: &super::series::ExemplarGate, value: f64| -> Option<Exemplar> {
        match ids() {
            Some((trace_id, span_id)) => Some(Exemplar { trace_id, span_id, value, time: SystemTime::now() }),
            None => {
                gate.reopen(now);
                None
            }
        }
    };
    match (&series.cell, op) {
        (Cell::Counter(c), Op::Increment(v)) => {
            c.add(v);
            if c.gate.due(now) {
                if let Some(e) = exemplar(&c.gate, v as f64) {
                    c.set_exemplar(e);
                }
            }
        }
        (Cell::Counter(c), Op::Absolute(v)) => c.absolute(v),
        (Cell::Gauge(g), Op::GaugeAdd(d)) => g.add(d),
        (Cell::Gauge(g), Op::GaugeSet(v)) => g.set(v),
        (Cell::Histogram(h), Op::Record(v)) => {
            if let Some(bucket) = h.record(v) {
                if h.gate(bucket).due(now) {
                    if let Some(e) = exemplar(h.gate(bucket), v) {
                        h.set_exemplar(bucket, e);
                    }
                }
            }
        }
        // Registration checks the kind, so an op never meets another kind's cell.
        _ => {}
    }
}

impl CounterFn for KeyHandle {
    fn increment(&self, value: u64) {
        self.apply(Op::Increment(value), Source::Current(None));
    }

    fn absolute(&self, value: u64) {
        self.apply(Op::Absolute(value), Source::Current(None));
    }
}

impl GaugeFn for KeyHandle {
    fn increment(&self, value: f64) {
        self.apply(Op::GaugeAdd(value), Source::Current(None));
    }

    fn decrement(&self, value: f64) {
        self.apply(Op::GaugeAdd(-value), Source::Current(None));
    }

    fn set(&self, value: f64) {
        self.apply(Op::GaugeSet(value), Source::Current(None));
    }
}

impl HistogramFn for KeyHandle {
    fn record(&self, value: f64) {
        self.apply(Op::Record(value), Source::Current(None));
    }
}

impl Metrics {
    /// A recorder writing into this store.
    ///
    /// ```
    /// let recorder = lantern::metrics::Metrics::new(Default::default()).recorder();
    /// # drop(recorder);
    /// ```
    pub fn recorder(&self) -> LanternRecorder {
        LanternRecorder { metrics: self.clone() }
    }
}
