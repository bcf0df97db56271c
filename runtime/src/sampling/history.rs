//! A sampler's probabilities over the last hour, for the chart on
//! `/debug/sampling`: at most one point a minute, 60 points, recorded by
//! the sampler's own periodic work and never by a thread of its own.
//!
//! [`Adaptive`](super::adaptive::Adaptive) records a point when it
//! recomputes its probabilities (lazily, once per interval, by the one
//! decision that wins the update) and at least a minute has passed since
//! the last point: a store per operation on a path that already visits
//! every operation. A decision that does not update pays nothing.
//!
//! The times are kept once per sampler ([`Times`]), the values once per
//! operation ([`Values`]: 60 `f32`s, 240 bytes), so an operation costs no
//! allocation and no lock to record or to read. An operation added after a
//! point has no value there (NaN) and the reader skips it. One writer at a
//! time (the update), any number of readers: a reader reads the points
//! before the one the writer may be overwriting.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// Points kept.
pub(crate) const POINTS: usize = 60;

/// The least time between two points: a minute, in nanoseconds.
pub(crate) const SPACING_NANOS: u64 = 60_000_000_000;

/// How far back a chart looks: an hour, in nanoseconds.
pub(crate) const WINDOW_NANOS: u64 = 3_600_000_000_000;

/// When each point was taken, in the sampler's clock (nanoseconds).
pub(crate) struct Times {
    at: [AtomicU64; POINTS],
    /// Points taken so far; point `i` is in slot `i % POINTS`.
    taken: AtomicU64,
}

impl Times {
    pub(crate) fn new() -> Self {
        Times { at: std::array::from_fn(|_| AtomicU64::new(0)), taken: AtomicU64::new(0) }
    }

    /// The slot for a point at `now`, if one is due: none taken yet, or
    /// the last a minute or more ago. The writer fills every operation's
    /// [`Values`] at that slot, then [`Times::commit`]s.
    pub(crate) fn due(&self, now: u64) -> Option<usize> {
        let taken = self.taken.load(Ordering::Acquire);
        let last = taken.checked_sub(1).map(|i| self.at[slot(i)].load(Ordering::Relaxed));
        last.is_none_or(|last| now.saturating_sub(last) >= SPACING_NANOS).then(|| slot(taken))
    }

    /// Publishes the point whose values were written at `slot`, taken at `now`.
    pub(crate) fn commit(&self, slot_: usize, now: u64) {
        self.at[slot_].store(now, Ordering::Relaxed);
        self.taken.fetch_add(1, Ordering::Release);
    }

    /// The points published, oldest first, as `(slot, time)`: the last
    /// `POINTS - 1`, so never the slot a writer may be filling.
    pub(crate) fn points(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        let taken = self.taken.load(Ordering::Acquire);
        let first = taken.saturating_sub(POINTS as u64 - 1);
        (first..taken).map(|i| (slot(i), self.at[slot(i)].load(Ordering::Relaxed)))
    }
}

fn slot(i: u64) -> usize {
    (i % POINTS as u64) as usize
}

/// One operation's probability at each point (`f32` bits; NaN: none).
pub(crate) struct Values([AtomicU32; POINTS]);

impl Values {
    pub(crate) fn new() -> Self {
        Values(std::array::from_fn(|_| AtomicU32::new(f32::NAN.to_bits())))
    }

    pub(crate) fn set(&self, slot: usize, probability: f64) {
        self.0[slot].store((probability as f32).to_bits(), Ordering::Relaxed);
    }

    /// The value at `slot`, if the operation had one.
    pub(crate) fn get(&self, slot: usize) -> Option<f64> {
        let v = f32::from_bits(self.0[slot].load(Ordering::Relaxed));
        // The shortest text that reads back as this `f32` reads as the
        // `f64` that was stored, to about 7 digits: 0.0015, not 0.00150000001.
        (!v.is_nan()).then(|| v.to_string().parse().unwrap_or(f64::from(v)))
    }
}

/// The points of `values` within the hour before `now`, as `(time, p)`,
/// oldest first.
pub(crate) fn read(times: &Times, values: &Values, now: u64) -> Vec<(u64, f64)> {
    times
        .points()
        .filter(|&(_, at)| now.saturating_sub(at) <= WINDOW_NANOS)
        .filter_map(|(slot, at)| values.get(slot).map(|p| (at, p)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(times: &Times, values: &[&Values], now: u64, p: f64) -> bool {
        let Some(slot) = times.due(now) else { return false };
        values.iter().for_each(|v| v.set(slot, p));
        times.commit(slot, now);
        true
    }

    #[test]
    fn one_point_a_minute_at_most_and_the_last_hour_only() {
        let (times, a) = (Times::new(), Values::new());
        assert!(record(&times, &[&a], 0, 0.5));
        assert!(!record(&times, &[&a], SPACING_NANOS - 1, 0.7), "too soon");
        assert!(record(&times, &[&a], SPACING_NANOS, 0.0015));
        assert_eq!(read(&times, &a, SPACING_NANOS), [(0, 0.5), (SPACING_NANOS, 0.0015)]);
        let late = WINDOW_NANOS + 1;
        assert_eq!(read(&times, &a, late), [(SPACING_NANOS, 0.0015)], "older than an hour");
    }

    #[test]
    fn the_ring_keeps_the_newest_and_a_late_operation_has_no_past() {
        let (times, a, b) = (Times::new(), Values::new(), Values::new());
        for i in 0..100_u64 {
            let values: &[&Values] = if i < 90 { &[&a] } else { &[&a, &b] };
            assert!(record(&times, values, i * SPACING_NANOS, i as f64 / 100.0));
        }
        let now = 99 * SPACING_NANOS;
        let points = read(&times, &a, now);
        assert_eq!(points.len(), POINTS - 1);
        assert_eq!(points.first(), Some(&(41 * SPACING_NANOS, 0.41)));
        assert_eq!(points.last(), Some(&(now, 0.99)));
        assert_eq!(read(&times, &b, now).len(), 10, "only the points since it was added");
    }
}
