//! Sampling's counters as metrics of the layer's store, read where they are
//! kept each time the store is read, as `propagation.rejected` is: so they
//! are on `/metrics` (dots become `_`, counters end in `_total`), on
//! `/debug/metrics` and in the OTLP metrics export, and never go stale.
//!
//! | metric | labels | what |
//! |---|---|---|
//! | `lantern.sampling.decisions` | `operation`, `decision` (`sampled`, `dropped`, `forced`) | roots decided, by root span name |
//! | `lantern.sampling.forced_over_cap` | | roots that asked to be forced past the cap |
//! | `lantern.sampling.remote.fetches` | `result` (`ok`, `failed`) | polls of a `RemoteSampler` in force |
//! | `lantern.sampling.tail.kept` | `reason` (`error`, `slow`, `rule`, `slowest`) | traces tail sampling kept |
//! | `lantern.sampling.tail.over_cap` | | traces a tail policy would have kept, over its rate cap |
//! | `lantern.sampling.tail.tracker_full` | | traces not watched for completion: the tracker was full |
//! | `lantern.sampling.tail.closed_by_max_age` | | traces completed by their maximum age |
//! | `lantern.sampling.tail.completed` | | traces completed |
//!
//! The remote family shows only while a `RemoteSampler` is in force, the
//! tail families only when tail sampling or a trace listener is set.
//!
//! # Bounded
//!
//! `operation` is a root span name, which the application (or a caller,
//! through `otel.name`) chooses: its values are cut to 256 bytes (the
//! store's bound on label values from outside) and there are at most as
//! many as [`SamplingStats`] counts one by one
//! ([`MAX_ROOT_NAMES`](super::stats::MAX_ROOT_NAMES), then the overflow
//! name `(other names)`). Within the store's `max_series_per_metric`, each
//! name has three series; the names that came first keep theirs, and the
//! decisions of the names that came later are added up in series labelled
//! `otel.metric.overflow="true"` (by `decision`). The names that have
//! series of their own never change, so every series only grows.

use metrics::Unit;

use super::stats::SamplingStats;
use crate::handle::WeakHandle;
use crate::metrics::family::{MetricFamily, MetricKind, MetricSeries, MetricValue, OVERFLOW_LABEL, OwnFamilies};
use crate::metrics::labels::bounded_value;
use crate::tail::listener::TailStats;
use crate::tail::policy::KeepReason;

/// The families of one layer, read through its handle.
pub(crate) struct SamplingFamilies(pub(crate) WeakHandle);

impl OwnFamilies for SamplingFamilies {
    fn families(&self, max_series: usize, out: &mut Vec<MetricFamily>) {
        let Some(handle) = self.0.upgrade() else { return };
        let sampling = handle.sampling();
        decisions(sampling, max_series, out);
        out.push(counter(
            "lantern.sampling.forced_over_cap",
            "Roots that asked to be sampled (debug) past the cap of forced traces a second.",
            vec![plain(sampling.forced_over_cap())],
        ));
        remote(sampling, out);
        // Not `Handle::tail`: that takes the store's lock, which the thread
        // reading the metrics may hold (a buffer snapshot alive).
        tail(&handle.buffer().tail_stats(), out);
    }
}

fn counter(name: &str, description: &str, series: Vec<MetricSeries>) -> MetricFamily {
    MetricFamily {
        name: name.to_owned(),
        kind: MetricKind::Counter,
        unit: Some(Unit::Count),
        description: Some(description.to_owned()),
        series,
    }
}

fn series(labels: &[(&str, &str)], value: u64) -> MetricSeries {
    MetricSeries {
        labels: labels.iter().map(|&(k, v)| (k.to_owned(), v.to_owned())).collect(),
        value: MetricValue::Counter { value, exemplar: None },
    }
}

fn plain(value: u64) -> MetricSeries {
    series(&[], value)
}

/// `lantern.sampling.decisions`, bounded as the module docs say.
fn decisions(sampling: &SamplingStats, max_series: usize, out: &mut Vec<MetricFamily>) {
    let mut roots = sampling.roots_by_arrival();
    let overflow = sampling.overflow();
    if overflow.seen > 0 || overflow.forced > 0 {
        roots.push(overflow);
    }
    if roots.is_empty() {
        return;
    }
    // Three series a name; the overflow's three are kept room for.
    let own = if roots.len() * 3 <= max_series { roots.len() } else { (max_series / 3).saturating_sub(1) };
    let mut list = Vec::with_capacity(3 * own.min(roots.len()) + 3);
    let mut folded = [0_u64; 3];
    for (i, r) in roots.iter().enumerate() {
        let values = [r.sampled, r.seen - r.sampled, r.forced];
        if i < own {
            let (name, _) = bounded_value(&r.name);
            for (decision, value) in ["sampled", "dropped", "forced"].into_iter().zip(values) {
                list.push(series(&[("operation", name), ("decision", decision)], value));
            }
        } else {
            folded.iter_mut().zip(values).for_each(|(sum, v)| *sum = sum.saturating_add(v));
        }
    }
    if own < roots.len() {
        for (decision, value) in ["sampled", "dropped", "forced"].into_iter().zip(folded) {
            list.push(series(&[(OVERFLOW_LABEL, "true"), ("decision", decision)], value));
        }
    }
    out.push(counter(
        "lantern.sampling.decisions",
        "Roots decided by the head sampler, by root span name (operation) and decision: sampled, dropped, \
         or forced (debug, not asked).",
        list,
    ));
}

#[cfg(feature = "remote-sampling")]
fn remote(sampling: &SamplingStats, out: &mut Vec<MetricFamily>) {
    let Some(status) = sampling.sampler_state(0).remote else { return };
    out.push(counter(
        "lantern.sampling.remote.fetches",
        "Polls of the remote sampling strategy, by result: ok (a valid strategy read) or failed.",
        vec![series(&[("result", "ok")], status.fetches_ok), series(&[("result", "failed")], status.fetch_failures)],
    ));
}

#[cfg(not(feature = "remote-sampling"))]
fn remote(_: &SamplingStats, _: &mut Vec<MetricFamily>) {}

fn tail(tail: &TailStats, out: &mut Vec<MetricFamily>) {
    if !tail.enabled {
        return;
    }
    let reasons = [KeepReason::Error, KeepReason::Slow, KeepReason::Rule, KeepReason::Slowest];
    let kept = reasons.into_iter().map(|r| series(&[("reason", r.as_str())], tail.kept_for(r))).collect();
    out.push(counter("lantern.sampling.tail.kept", "Traces tail sampling kept, by reason.", kept));
    let plain_counters = [
        ("lantern.sampling.tail.over_cap", "Traces a tail policy would have kept, over its rate cap.", tail.over_cap),
        (
            "lantern.sampling.tail.tracker_full",
            "Traces not watched for completion because the completion tracker was full.",
            tail.tracker_full,
        ),
        (
            "lantern.sampling.tail.closed_by_max_age",
            "Traces called complete by their maximum age (their root never ended here).",
            tail.closed_by_max_age,
        ),
        ("lantern.sampling.tail.completed", "Traces completed in this process.", tail.completed),
    ];
    for (name, description, value) in plain_counters {
        out.push(counter(name, description, vec![plain(value)]));
    }
}
