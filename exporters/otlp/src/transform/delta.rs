//! What delta temporality remembers between exports: per metric name and
//! label set, the last cumulative counter value and histogram state.
//!
//! Only series present in the latest snapshot are kept, so the memory is
//! bounded by what the metrics store holds (itself bounded per metric).

use std::collections::HashMap;

use lantern::metrics::HistogramPoint;

/// The last cumulative values of one series.
#[derive(Clone, Debug, PartialEq)]
enum Previous {
    Counter(u64),
    Histogram { count: u64, sum: f64, buckets: Vec<u64> },
}

/// Series of one metric name, by label set.
type BySeries = HashMap<Vec<(String, String)>, Previous>;

/// The change of one counter since the previous export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CounterDelta {
    /// The increase (the whole value after a reset or for a new series).
    pub(crate) value: u64,
    /// True when there was no usable previous value: a new series or a reset.
    pub(crate) fresh: bool,
}

/// The change of one histogram since the previous export.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct HistogramDelta {
    /// Values recorded since.
    pub(crate) count: u64,
    /// Their sum.
    pub(crate) sum: f64,
    /// Per-bucket counts since (not cumulative), one per bucket.
    pub(crate) buckets: Vec<u64>,
    /// True when there was no usable previous state: a new series or a reset.
    pub(crate) fresh: bool,
}

/// Previous cumulative values, and the ones being gathered for next time.
#[derive(Debug, Default)]
pub(crate) struct DeltaState {
    previous: HashMap<String, BySeries>,
    next: HashMap<String, BySeries>,
}

impl DeltaState {
    fn previous(&self, name: &str, labels: &[(String, String)]) -> Option<&Previous> {
        self.previous.get(name)?.get(labels)
    }

    fn remember(&mut self, name: &str, labels: &[(String, String)], value: Previous) {
        self.next.entry(name.to_owned()).or_default().insert(labels.to_vec(), value);
    }

    /// The increase of a counter now at `value`. A value below the previous
    /// one is a reset: the whole value is the increase.
    pub(crate) fn counter(&mut self, name: &str, labels: &[(String, String)], value: u64) -> CounterDelta {
        let delta = match self.previous(name, labels) {
            Some(Previous::Counter(prev)) if *prev <= value => CounterDelta { value: value - prev, fresh: false },
            _ => CounterDelta { value, fresh: true },
        };
        self.remember(name, labels, Previous::Counter(value));
        delta
    }

    /// The change of a histogram now at `point`. A count or bucket that went
    /// down, or a different bucket layout, is a reset: the whole point is the
    /// change.
    pub(crate) fn histogram(
        &mut self,
        name: &str,
        labels: &[(String, String)],
        point: &HistogramPoint,
    ) -> HistogramDelta {
        let buckets: Vec<u64> = point.buckets.iter().map(|b| b.count).collect();
        let delta = match self.previous(name, labels) {
            Some(Previous::Histogram { count, sum, buckets: prev })
                if *count <= point.count
                    && prev.len() == buckets.len()
                    && prev.iter().zip(&buckets).all(|(p, c)| p <= c) =>
            {
                HistogramDelta {
                    count: point.count - count,
                    sum: point.sum - sum,
                    buckets: buckets.iter().zip(prev).map(|(c, p)| c - p).collect(),
                    fresh: false,
                }
            }
            _ => HistogramDelta { count: point.count, sum: point.sum, buckets: buckets.clone(), fresh: true },
        };
        self.remember(name, labels, Previous::Histogram { count: point.count, sum: point.sum, buckets });
        delta
    }

    /// Ends an export: what was gathered becomes the previous state, and
    /// series absent from this export are forgotten.
    pub(crate) fn finish(&mut self) {
        self.previous = std::mem::take(&mut self.next);
    }

    /// Series remembered from the last finished export.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.previous.values().map(HashMap::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lantern::metrics::Bucket;

    fn labels(v: &str) -> Vec<(String, String)> {
        vec![("k".to_owned(), v.to_owned())]
    }

    fn point(buckets: &[u64], sum: f64) -> HistogramPoint {
        HistogramPoint {
            count: buckets.iter().sum(),
            sum,
            min: None,
            max: None,
            buckets: buckets
                .iter()
                .enumerate()
                .map(|(i, &count)| Bucket {
                    upper: if i + 1 == buckets.len() { f64::INFINITY } else { i as f64 },
                    count,
                    exemplar: None,
                })
                .collect(),
            quantiles: Vec::new(),
            clamped: 0,
        }
    }

    #[test]
    fn counters_send_increases_and_handle_resets() {
        let mut s = DeltaState::default();
        assert_eq!(s.counter("c", &labels("a"), 5), CounterDelta { value: 5, fresh: true });
        s.finish();
        assert_eq!(s.counter("c", &labels("a"), 8), CounterDelta { value: 3, fresh: false });
        assert_eq!(s.counter("c", &labels("b"), 2), CounterDelta { value: 2, fresh: true });
        s.finish();
        assert_eq!(s.counter("c", &labels("a"), 8), CounterDelta { value: 0, fresh: false });
        assert_eq!(s.counter("c", &labels("b"), 1), CounterDelta { value: 1, fresh: true }, "reset");
        s.finish();
        assert_eq!(s.counter("c", &labels("b"), 4), CounterDelta { value: 3, fresh: false });
    }

    #[test]
    fn histograms_send_bucket_differences() {
        let mut s = DeltaState::default();
        let first = s.histogram("h", &[], &point(&[1, 2, 0], 3.0));
        assert_eq!(first, HistogramDelta { count: 3, sum: 3.0, buckets: vec![1, 2, 0], fresh: true });
        s.finish();
        let second = s.histogram("h", &[], &point(&[1, 4, 1], 10.0));
        assert_eq!(second, HistogramDelta { count: 3, sum: 7.0, buckets: vec![0, 2, 1], fresh: false });
        s.finish();
        let reset = s.histogram("h", &[], &point(&[0, 1, 0], 1.0));
        assert_eq!(reset, HistogramDelta { count: 1, sum: 1.0, buckets: vec![0, 1, 0], fresh: true });
        s.finish();
        let relayout = s.histogram("h", &[], &point(&[0, 1, 0, 5], 9.0));
        assert!(relayout.fresh);
        assert_eq!(relayout.buckets, vec![0, 1, 0, 5]);
    }

    #[test]
    fn state_keeps_only_the_latest_series() {
        let mut s = DeltaState::default();
        s.counter("c", &labels("a"), 1);
        s.counter("c", &labels("b"), 1);
        s.histogram("h", &[], &point(&[1], 1.0));
        s.finish();
        assert_eq!(s.len(), 3);
        s.counter("c", &labels("b"), 2);
        s.finish();
        assert_eq!(s.len(), 1);
        assert!(s.counter("c", &labels("a"), 1).fresh, "forgotten");
        // A kind change under the same name is a reset too.
        assert!(s.histogram("c", &labels("b"), &point(&[1], 1.0)).fresh);
    }
}
