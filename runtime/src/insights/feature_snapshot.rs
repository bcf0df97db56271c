//! Reading the feature aggregator: a copy of its tables as
//! [`FeatureStats`], the windows of the hour up to "now".

use std::collections::HashMap;

use super::feature_state::{FeatureState, MinuteOp, Tables, Totals};
use super::feature_stats::{
    ExtractorState, FeatureStats, Minute, NamedDistribution, OperationFeatures, ProfileEntry, ServiceSpans,
};
use super::windows::minute_of;

impl FeatureState {
    /// A copy of the aggregates at `now_ms` (the coarse clock).
    pub(crate) fn snapshot_at(&self, now_ms: u64) -> FeatureStats {
        let t = self.tables.lock();
        let now = minute_of(now_ms);
        let mut stats = FeatureStats {
            traces: t.traces,
            operations: t.ops.iter().map(operation).collect(),
            operations_overflow: t.operations_overflow,
            profile: Vec::new(),
            profile_overflow_seconds: 0.0,
            extractors: self
                .extractors()
                .map(|(name, failed)| ExtractorState { name: name.to_owned(), failed })
                .collect(),
            features_refused: t.features_refused,
            unknown_rate: t.unknown_rate,
        };
        let mut seconds: HashMap<usize, f64> = HashMap::new();
        let mut hours: Vec<MinuteOp> = t.ops.iter().map(|_| MinuteOp::default()).collect();
        for (minute, window) in t.ring.hour(now) {
            let ago = u32::try_from(now - minute).unwrap_or(u32::MAX);
            for (&op, w) in &window.ops {
                if let (Some(o), Some(totals), Some(hour)) =
                    (stats.operations.get_mut(op), t.ops.get(op), hours.get_mut(op))
                {
                    o.minutes.push(minute_of_op(ago, w, totals));
                    hour.merge(w);
                }
            }
            for (&row, &s) in &window.profile {
                *seconds.entry(row).or_default() += s;
            }
            stats.profile_overflow_seconds += window.profile_overflow;
        }
        for ((o, hour), totals) in stats.operations.iter_mut().zip(&hours).zip(&t.ops) {
            o.hour = minute_of_op(0, hour, totals);
        }
        stats.profile = profile(&t, seconds, stats.profile_overflow_seconds);
        stats
    }

    /// A copy of the aggregates now.
    pub(crate) fn snapshot(&self) -> FeatureStats {
        self.snapshot_at(crate::clock::fresh_millis())
    }
}

fn operation(t: &Totals) -> OperationFeatures {
    OperationFeatures {
        root: t.root.clone(),
        traces: t.traces,
        estimated: t.estimated,
        error_traces: t.error_traces,
        span_count: (&t.span_count.summary).into(),
        services: (&t.services.summary).into(),
        depth: (&t.depth.summary).into(),
        duration: (&t.duration.summary).into(),
        critical_path: (&t.critical_path.summary).into(),
        error_spans: (&t.error_spans.summary).into(),
        features: t
            .features
            .iter()
            .map(|(name, b)| NamedDistribution { name: name.clone(), distribution: (&b.summary).into() })
            .collect(),
        spans_per_service: t
            .spans_per_service
            .iter()
            .map(|(service, spans, traces)| ServiceSpans { service: service.clone(), spans: *spans, traces: *traces })
            .collect(),
        minutes: Vec::new(),
        hour: Minute::default(),
    }
}

fn minute_of_op(minutes_ago: u32, w: &MinuteOp, totals: &Totals) -> Minute {
    Minute {
        minutes_ago,
        traces: w.traces,
        estimated: w.estimated,
        error_traces: w.error_traces,
        duration_p50: w.duration.quantile(0.5),
        duration_p99: w.duration.quantile(0.99),
        span_count: (&w.span_count).into(),
        services: (&w.services).into(),
        depth: (&w.depth).into(),
        features: w
            .features
            .iter()
            .filter_map(|(i, s)| {
                let name = totals.features.get(*i)?.0.clone();
                Some(NamedDistribution { name, distribution: s.into() })
            })
            .collect(),
    }
}

/// The profile rows, the most time first, with their shares of the whole
/// (the overflow included).
fn profile(t: &Tables, seconds: HashMap<usize, f64>, overflow: f64) -> Vec<ProfileEntry> {
    let total = seconds.values().sum::<f64>() + overflow;
    let mut rows: Vec<ProfileEntry> = seconds
        .into_iter()
        .filter_map(|(row, s)| {
            let (service, operation) = t.profile_rows.get(row)?;
            Some(ProfileEntry {
                service: service.clone(),
                operation: operation.clone(),
                seconds: s,
                share: if total > 0.0 { s / total } else { 0.0 },
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        b.seconds.total_cmp(&a.seconds).then_with(|| (&a.service, &a.operation).cmp(&(&b.service, &b.operation)))
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::super::feature_state::Measured;
    use super::super::trace_features::TraceFeatures;
    use super::super::windows::WINDOW_MS;
    use super::*;

    fn trace(root: &str, spans: u64, errors: u64, seconds: f64) -> TraceFeatures<'_> {
        TraceFeatures {
            root,
            span_count: spans,
            services: 1,
            depth: 2,
            duration: seconds,
            critical_path: seconds,
            error_spans: errors,
            failed: errors > 0,
            spans_per_service: vec![("svc", spans)],
            self_times: vec![(("svc", root), seconds)],
        }
    }

    fn add(state: &FeatureState, f: TraceFeatures<'_>, weight: f64, now_ms: u64) {
        state.add(&Measured { features: f, custom: vec![("rides".into(), 1.0)], weight }, now_ms);
    }

    #[test]
    fn minutes_rotate_with_the_injected_clock() {
        let state = FeatureState::new("svc", true, Vec::new());
        let t0 = 500 * WINDOW_MS;
        add(&state, trace("GET /", 3, 0, 0.010), 2.0, t0);
        add(&state, trace("GET /", 5, 1, 0.030), 2.0, t0 + 1_000);
        add(&state, trace("GET /", 10, 0, 0.020), 4.0, t0 + 2 * WINDOW_MS);

        let s = state.snapshot_at(t0 + 2 * WINDOW_MS + 10);
        let op = s.operation("GET /").unwrap();
        assert_eq!((op.traces, op.estimated, op.error_traces), (3, 8.0, 2.0));
        assert_eq!((op.span_count.min, op.span_count.max, op.span_count.sum), (3.0, 10.0, 18.0));
        let minutes: Vec<(u32, u64, f64)> = op.minutes.iter().map(|m| (m.minutes_ago, m.traces, m.estimated)).collect();
        assert_eq!(minutes, [(2, 2, 4.0), (0, 1, 4.0)], "the empty minute between is left out");
        assert_eq!(op.minutes[0].span_count.mean(), 4.0);
        assert_eq!(op.minutes[0].duration_p99, Some(0.030));
        assert_eq!(op.minutes[0].features[0].distribution.count, 2);
        assert_eq!(op.feature("rides").unwrap().sum, 3.0);
        assert_eq!((op.hour.traces, op.hour.estimated, op.hour.error_traces), (3, 8.0, 2.0));
        assert_eq!((op.hour.duration_p99, op.hour.span_count.mean()), (Some(0.030), 6.0));
        assert_eq!(op.hour.features[0].distribution.count, 3);
        // The profile weighs each trace: 0.01*2 + 0.03*2 + 0.02*4.
        assert!((s.profile[0].seconds - 0.16).abs() < 1e-9 && s.profile[0].share == 1.0, "{:?}", s.profile);

        // An hour on, the first minute is gone, the totals stay.
        let later = state.snapshot_at(t0 + 60 * WINDOW_MS);
        let op = later.operation("GET /").unwrap();
        assert_eq!(op.minutes.iter().map(|m| m.minutes_ago).collect::<Vec<_>>(), [58]);
        assert_eq!(op.traces, 3);
        assert!((later.profile[0].seconds - 0.08).abs() < 1e-9);
        // A minute reused after an hour starts empty.
        add(&state, trace("GET /", 1, 0, 0.001), 1.0, t0 + 60 * WINDOW_MS);
        let op = state.snapshot_at(t0 + 60 * WINDOW_MS).operations.remove(0);
        assert_eq!(op.minutes.last().map(|m| (m.minutes_ago, m.traces)), Some((0, 1)));
    }

    #[test]
    fn operations_past_the_cap_are_counted_and_long_names_cut() {
        let state = FeatureState::with_max_operations("svc", false, Vec::new(), 2);
        let long = "x".repeat(1000);
        for root in [long.as_str(), "b", "c", "d", long.as_str()] {
            add(&state, trace(root, 1, 0, 0.001), 1.0, 0);
        }
        let s = state.snapshot_at(0);
        assert_eq!(s.operations.len(), 2);
        assert_eq!((s.operations[0].traces, s.operations_overflow), (2, 2));
        assert!(s.operations[0].root.len() <= 256);
        assert_eq!(s.traces, 5);
    }
}
