//! The aggregator's small parts: running summaries, a compact log-scale
//! histogram for percentiles, and the ring of one-minute windows over the
//! last hour.
//!
//! Time is counted in minutes of the coarse clock ([`crate::clock`]): the
//! analysis thread passes "now" in, so the unit tests move it by hand.

/// Minutes the ring holds: the last hour.
pub(crate) const WINDOWS: usize = 60;

/// One window's length, in milliseconds.
pub(crate) const WINDOW_MS: u64 = 60_000;

/// The window (minute) that `now_ms` falls in.
pub(crate) fn minute_of(now_ms: u64) -> u64 {
    now_ms / WINDOW_MS
}

/// Count, sum, smallest and largest of some values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Summary {
    pub(crate) count: u64,
    pub(crate) sum: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
}

impl Default for Summary {
    fn default() -> Self {
        Summary { count: 0, sum: 0.0, min: f64::INFINITY, max: f64::NEG_INFINITY }
    }
}

impl Summary {
    pub(crate) fn record(&mut self, v: f64) {
        self.count += 1;
        self.sum += v;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    pub(crate) fn merge(&mut self, other: &Summary) {
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }
}

/// Buckets of [`LogHistogram`]: bucket `i` holds values up to
/// `LOG_FIRST * 2^(i/2)` seconds; the last one holds everything above.
const LOG_BUCKETS: usize = 48;
/// The first bucket's upper bound: 16 µs. The last bounded one is about
/// 134 s; longer values land in the last bucket (and percentiles there are
/// clamped to the largest value seen).
const LOG_FIRST: f64 = 16e-6;

/// Durations (seconds) in 48 buckets growing by √2: 192 bytes, a
/// percentile within about 20% of the truth (and never outside the
/// smallest and largest values recorded).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LogHistogram {
    counts: [u32; LOG_BUCKETS],
    summary: Summary,
}

impl Default for LogHistogram {
    fn default() -> Self {
        LogHistogram { counts: [0; LOG_BUCKETS], summary: Summary::default() }
    }
}

fn upper(i: usize) -> f64 {
    LOG_FIRST * 2f64.powf(i as f64 / 2.0)
}

impl LogHistogram {
    pub(crate) fn record(&mut self, seconds: f64) {
        let v = if seconds.is_finite() { seconds.max(0.0) } else { 0.0 };
        let i = if v <= LOG_FIRST { 0 } else { ((2.0 * (v / LOG_FIRST).log2()).ceil() as usize).min(LOG_BUCKETS - 1) };
        self.counts[i] = self.counts[i].saturating_add(1);
        self.summary.record(v);
    }

    pub(crate) fn merge(&mut self, other: &LogHistogram) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a = a.saturating_add(*b);
        }
        self.summary.merge(&other.summary);
    }

    /// The value at quantile `q` (0..=1): the upper bound of the bucket it
    /// falls in, clamped to the smallest and largest values recorded. `None`
    /// when empty.
    pub(crate) fn quantile(&self, q: f64) -> Option<f64> {
        let total: u64 = self.counts.iter().map(|&c| u64::from(c)).sum();
        if total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += u64::from(c);
            if seen >= rank {
                let bound = if i == LOG_BUCKETS - 1 { self.summary.max } else { upper(i) };
                return Some(bound.clamp(self.summary.min, self.summary.max));
            }
        }
        Some(self.summary.max)
    }
}

/// Explicit-bucket histogram for the metrics: `counts[i]` holds the
/// values at most `bounds[i]` (and above the bound before); the last count
/// those above every bound.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Buckets {
    pub(crate) bounds: &'static [f64],
    pub(crate) counts: Vec<u64>,
    pub(crate) summary: Summary,
}

impl Buckets {
    pub(crate) fn new(bounds: &'static [f64]) -> Buckets {
        Buckets { bounds, counts: vec![0; bounds.len() + 1], summary: Summary::default() }
    }

    pub(crate) fn record(&mut self, v: f64) {
        if !v.is_finite() {
            return;
        }
        let i = self.bounds.partition_point(|&upper| upper < v);
        self.counts[i] += 1;
        self.summary.record(v);
    }

    /// Adds `other`'s counts (of the same bounds).
    pub(crate) fn merge(&mut self, other: &Buckets) {
        self.counts.iter_mut().zip(&other.counts).for_each(|(a, b)| *a += b);
        self.summary.merge(&other.summary);
    }
}

/// A ring of [`WINDOWS`] slots, one per minute, each holding a `T` for the
/// minute it was last used for; a slot is emptied when its minute comes
/// round again.
pub(crate) struct Ring<T> {
    slots: Vec<(u64, T)>,
}

impl<T: Default> Ring<T> {
    pub(crate) fn new() -> Ring<T> {
        Ring { slots: (0..WINDOWS).map(|_| (u64::MAX, T::default())).collect() }
    }

    /// The window of `minute`, emptied first if it held an older minute.
    pub(crate) fn at(&mut self, minute: u64) -> &mut T {
        let slot = &mut self.slots[(minute % WINDOWS as u64) as usize];
        if slot.0 != minute {
            *slot = (minute, T::default());
        }
        &mut slot.1
    }

    /// The windows of the hour up to `now` (the minute), oldest first, each
    /// with its minute.
    pub(crate) fn hour(&self, now: u64) -> impl Iterator<Item = (u64, &T)> {
        let first = now.saturating_sub(WINDOWS as u64 - 1);
        let mut windows: Vec<(u64, &T)> = self
            .slots
            .iter()
            .filter(|(m, _)| *m != u64::MAX && *m >= first && *m <= now)
            .map(|(m, t)| (*m, t))
            .collect();
        windows.sort_unstable_by_key(|&(m, _)| m);
        windows.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_rotate_with_the_clock_and_the_hour_drops_old_minutes() {
        let mut ring: Ring<u64> = Ring::new();
        let t0 = 1_000 * WINDOW_MS + 5;
        *ring.at(minute_of(t0)) += 1;
        *ring.at(minute_of(t0 + 30_000)) += 1; // the same minute
        *ring.at(minute_of(t0 + WINDOW_MS)) += 5;
        let now = minute_of(t0 + WINDOW_MS);
        assert_eq!(ring.hour(now).map(|(m, &c)| (m, c)).collect::<Vec<_>>(), [(1000, 2), (1001, 5)]);
        // 59 minutes later the first one is still in the hour, at 60 it is not.
        assert_eq!(ring.hour(1000 + 59).count(), 2);
        assert_eq!(ring.hour(1000 + 60).map(|(m, _)| m).collect::<Vec<_>>(), [1001]);
        // Minute 1060 reuses minute 1000's slot: emptied first.
        *ring.at(1060) += 7;
        assert_eq!(ring.hour(1060).map(|(m, &c)| (m, c)).collect::<Vec<_>>(), [(1001, 5), (1060, 7)]);
        // A window of the future (a clock read earlier) is not in the hour.
        assert_eq!(ring.hour(1001).count(), 1);
    }

    #[test]
    fn percentiles_are_near_the_truth_and_within_the_values_seen() {
        let mut h = LogHistogram::default();
        assert_eq!(h.quantile(0.99), None);
        for ms in 1..=1000 {
            h.record(ms as f64 / 1000.0);
        }
        let p99 = h.quantile(0.99).unwrap();
        let p50 = h.quantile(0.5).unwrap();
        assert!((0.99..=0.99 * 1.42).contains(&p99) && p99 <= 1.0, "{p99}");
        assert!((0.5..=0.5 * 1.42).contains(&p50), "{p50}");
        let mut one = LogHistogram::default();
        one.record(0.2247);
        assert_eq!(one.quantile(0.5), Some(0.2247), "clamped to the one value seen");
        one.record(1e9);
        one.record(f64::NAN);
        assert_eq!(one.quantile(1.0), Some(1e9));
        assert_eq!(one.summary.count, 3);
    }
}
