//! Timestamps: a cheap monotonic read on the hot path, wall-clock on demand.
//!
//! Spans store a [`quanta::Instant`] (a TSC read where the CPU has a stable
//! one, ~10 ns, against ~23 ns for `std::time::Instant`). Durations come from
//! the monotonic clock, so they never go negative when NTP steps the wall
//! clock. Wall-clock times are derived from one anchor pair taken at first use.

use std::sync::RwLock;
use std::time::{Duration, SystemTime};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Timestamp(quanta::Instant);

/// One simultaneous reading of the wall clock and the monotonic clock.
#[derive(Clone, Copy)]
struct Anchor {
    wall: SystemTime,
    mono: quanta::Instant,
}

/// How long one anchor is trusted. A calibrated TSC drifts from the wall
/// clock by a few parts per million; re-anchoring bounds that to well under a
/// millisecond, instead of letting it grow for the life of the process.
const ANCHOR_TTL: Duration = Duration::from_secs(10);

static ANCHOR: RwLock<Option<Anchor>> = RwLock::new(None);

impl Anchor {
    fn take() -> Anchor {
        // The first monotonic read calibrates the TSC (up to 200 ms); do it
        // before the pair is taken, or every wall time is off by that long.
        let _ = quanta::Instant::now();
        let before = quanta::Instant::now();
        let wall = SystemTime::now();
        let after = quanta::Instant::now();
        Anchor { wall, mono: before + (after - before) / 2 }
    }
}

fn anchor() -> Anchor {
    let now = quanta::Instant::now();
    if let Some(a) = *ANCHOR.read().unwrap_or_else(|e| e.into_inner()) {
        if now.saturating_duration_since(a.mono) < ANCHOR_TTL {
            return a;
        }
    }
    let fresh = Anchor::take();
    *ANCHOR.write().unwrap_or_else(|e| e.into_inner()) = Some(fresh);
    fresh
}

impl Timestamp {
    #[inline]
    pub(crate) fn now() -> Self {
        Timestamp(quanta::Instant::now())
    }

    /// Calibrates the clock and takes the anchor early, off the hot path.
    pub(crate) fn init() {
        anchor();
    }

    /// The wall-clock time of this instant, through the most recent anchor.
    pub(crate) fn to_system_time(self) -> SystemTime {
        let a = anchor();
        if self.0 >= a.mono { a.wall + (self.0 - a.mono) } else { a.wall - (a.mono - self.0) }
    }

    pub(crate) fn saturating_duration_since(self, earlier: Timestamp) -> Duration {
        self.0.saturating_duration_since(earlier.0)
    }
}

static COARSE_MILLIS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Milliseconds since the first anchor, moved forward by the ingest thread
/// at least every 10 ms while a buffer exists: a one-load clock for rationing
/// work (exemplars) on hot paths.
#[inline]
pub(crate) fn coarse_millis() -> u64 {
    COARSE_MILLIS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Moves [`coarse_millis`] to now.
pub(crate) fn tick_coarse() {
    static START: std::sync::OnceLock<quanta::Instant> = std::sync::OnceLock::new();
    let start = *START.get_or_init(quanta::Instant::now);
    let ms = quanta::Instant::now().saturating_duration_since(start).as_millis() as u64;
    COARSE_MILLIS.fetch_max(ms + 1, std::sync::atomic::Ordering::Relaxed);
}
