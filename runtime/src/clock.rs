//! Timestamps: a cheap monotonic read on the hot path, wall-clock on demand.
//!
//! Spans store a [`std::time::Instant`]: the kernel's monotonic clock, read
//! through the vDSO (~20 ns). A raw TSC read would be cheaper, but a user-space
//! TSC calibration is only as good as the moment it ran: on a loaded VM a
//! preempted calibration loop mis-scales every later reading (seen here: wall
//! times off by more than 50 ms), and it ignores the kernel's verdict on
//! whether the TSC can be trusted at all. The kernel's clock source already
//! uses the TSC when it is sound, so we take the kernel's word.
//!
//! Durations come from the monotonic clock, so they never go negative when
//! NTP steps the wall clock. Wall-clock times are derived from an anchor pair
//! (one wall reading, one monotonic reading) that is refreshed every ten
//! seconds, so a stepped wall clock is followed within that time.

use std::sync::RwLock;
use std::time::{Duration, Instant, SystemTime};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Timestamp(Instant);

/// One simultaneous reading of the wall clock and the monotonic clock.
#[derive(Clone, Copy)]
struct Anchor {
    wall: SystemTime,
    mono: Instant,
}

/// How long one anchor is trusted: the monotonic clock and the wall clock
/// part ways when the wall clock is stepped or slewed; re-anchoring bounds
/// that, instead of letting it grow for the life of the process.
const ANCHOR_TTL: Duration = Duration::from_secs(10);

static ANCHOR: RwLock<Option<Anchor>> = RwLock::new(None);

impl Anchor {
    fn take() -> Anchor {
        let before = Instant::now();
        let wall = SystemTime::now();
        let after = Instant::now();
        Anchor { wall, mono: before + (after - before) / 2 }
    }
}

fn anchor() -> Anchor {
    let now = Instant::now();
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
        Timestamp(Instant::now())
    }

    /// Takes the anchor early, off the hot path.
    pub(crate) fn init() {
        anchor();
    }

    /// The wall-clock time of this instant, through the most recent anchor.
    pub(crate) fn to_system_time(self) -> SystemTime {
        let a = anchor();
        if self.0 >= a.mono { a.wall + (self.0 - a.mono) } else { a.wall - (a.mono - self.0) }
    }

    /// This instant moved `by` later (for tests).
    #[cfg(test)]
    pub(crate) fn later(self, by: Duration) -> Self {
        Timestamp(self.0 + by)
    }

    pub(crate) fn saturating_duration_since(self, earlier: Timestamp) -> Duration {
        self.0.saturating_duration_since(earlier.0)
    }
}

static COARSE_MILLIS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Milliseconds since the first anchor, moved forward by the ingest thread
/// every 10 ms while it has work (it stands still while the thread dozes,
/// until the next record): a one-load clock for rationing work (exemplars,
/// marks) on hot paths. A reader that wants the time now, not as of the
/// last record, takes [`fresh_millis`].
#[inline]
pub(crate) fn coarse_millis() -> u64 {
    COARSE_MILLIS.load(std::sync::atomic::Ordering::Relaxed)
}

/// [`coarse_millis`] moved to now first: for readers (pages, stats), off
/// the hot path.
pub(crate) fn fresh_millis() -> u64 {
    tick_coarse();
    coarse_millis()
}

/// Moves [`coarse_millis`] to now.
pub(crate) fn tick_coarse() {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    let ms = Instant::now().saturating_duration_since(start).as_millis() as u64;
    COARSE_MILLIS.fetch_max(ms + 1, std::sync::atomic::Ordering::Relaxed);
}
