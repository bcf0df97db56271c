//! Tracez (after OpenCensus zpages): per span name, since start, how many
//! finished spans fell in each latency bucket, how many failed, and a few
//! sample spans of each.
//!
//! The ingest thread files every finished span here (from
//! `Store::ingest_span`, after its status is final): one hash lookup by
//! name, a handful of comparisons for the bucket, and now and then a copy of
//! the span into a sample. Nothing runs on the application's threads.
//!
//! # Bounds
//!
//! - At most [`MAX_NAMES`] span names are tracked; spans of further names
//!   are only counted (`spans_untracked`). Names are tracked by their first
//!   256 bytes.
//! - Each bucket, and the errors, keeps at most [`SAMPLES_PER_GROUP`]
//!   samples, newest replacing oldest, and admits at most one new sample per
//!   [`SAMPLE_INTERVAL_MS`].
//! - A sample is a small owned copy (ids, times, status, a few attributes cut
//!   to length), never the record itself, so the ring buffer's byte ceiling
//!   is not bypassed by samples keeping evicted records alive. At most
//!   [`MAX_SAMPLES`] are held in all: once that many are held, a group that
//!   is not full yet takes no more (full groups still rotate). With the
//!   length caps below a sample is well under 1 KiB, so samples stay under
//!   ~10 MiB even in the worst case, and the name table under ~1 MiB.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, SystemTime};

use crate::clock::Timestamp;
use crate::ids::{SpanId, TraceId};
use crate::record::{SpanRecord, Status};
use crate::text::{MAX_NAME_BYTES, cut};

/// Where the latency buckets of [`crate::buffer::Snapshot::tracez`] part.
///
/// Bucket 0 holds durations below `LATENCY_BUCKET_BOUNDS[0]` (10 µs), bucket
/// `i` the durations in `[LATENCY_BUCKET_BOUNDS[i - 1], LATENCY_BUCKET_BOUNDS[i])`,
/// and bucket 8 everything from 100 s up: the lower bound is inclusive.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(lantern::buffer::LATENCY_BUCKET_BOUNDS[2], Duration::from_millis(1));
/// assert_eq!(lantern::buffer::latency_bucket(Duration::from_millis(1)), 3);
/// ```
pub const LATENCY_BUCKET_BOUNDS: [Duration; 8] = [
    Duration::from_micros(10),
    Duration::from_micros(100),
    Duration::from_millis(1),
    Duration::from_millis(10),
    Duration::from_millis(100),
    Duration::from_secs(1),
    Duration::from_secs(10),
    Duration::from_secs(100),
];

/// The number of latency buckets: one more than there are bounds.
pub(crate) const BUCKETS: usize = LATENCY_BUCKET_BOUNDS.len() + 1;

/// Span names tracked at most.
pub(crate) const MAX_NAMES: usize = 1000;
/// Samples kept per bucket, and of errors, per name.
pub(crate) const SAMPLES_PER_GROUP: usize = 5;
/// At most one new sample per group in this many milliseconds.
pub(crate) const SAMPLE_INTERVAL_MS: u64 = 1000;
/// Samples held in all, over every name and group.
pub(crate) const MAX_SAMPLES: usize = 10_000;
/// Attributes copied into a sample, at most.
const MAX_SAMPLE_ATTRIBUTES: usize = 4;
/// Bytes kept of an attribute key, of an attribute value, of a status message.
const MAX_KEY_BYTES: usize = 32;
const MAX_VALUE_BYTES: usize = 64;
const MAX_MESSAGE_BYTES: usize = 128;

/// The index of the latency bucket that holds `duration` (0 to 8; see
/// [`LATENCY_BUCKET_BOUNDS`]).
///
/// ```
/// use std::time::Duration;
/// assert_eq!(lantern::buffer::latency_bucket(Duration::ZERO), 0);
/// assert_eq!(lantern::buffer::latency_bucket(Duration::from_micros(10)), 1);
/// assert_eq!(lantern::buffer::latency_bucket(Duration::from_secs(1000)), 8);
/// ```
pub fn latency_bucket(duration: Duration) -> usize {
    LATENCY_BUCKET_BOUNDS.partition_point(|bound| *bound <= duration)
}

/// One span name in [`crate::buffer::Snapshot::tracez`]: its open spans, and its
/// finished spans since start by latency, and its errors.
///
/// ```
/// let lantern = lantern::builder().try_init_local();
/// tracing::info_span!("work").in_scope(|| {});
/// let rows = lantern.buffer().snapshot().tracez();
/// assert_eq!(rows[0].name, "work");
/// assert_eq!(rows[0].finished(), 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TracezRow {
    /// The span name.
    pub name: String,
    /// Spans of this callsite name open now.
    pub running: usize,
    /// Finished spans per latency bucket (see [`LATENCY_BUCKET_BOUNDS`]);
    /// failed spans are counted here too.
    pub buckets: [u64; 9],
    /// Finished spans whose status is an error.
    pub errors: u64,
}

impl TracezRow {
    pub(crate) fn new(name: String) -> TracezRow {
        TracezRow { name, running: 0, buckets: [0; BUCKETS], errors: 0 }
    }

    /// Finished spans in all: the sum of the buckets.
    ///
    /// ```
    /// let lantern = lantern::builder().try_init_local();
    /// tracing::info_span!("a").in_scope(|| {});
    /// tracing::info_span!("a").in_scope(|| {});
    /// assert_eq!(lantern.buffer().snapshot().tracez()[0].finished(), 2);
    /// ```
    pub fn finished(&self) -> u64 {
        self.buckets.iter().sum()
    }
}

/// Which samples [`crate::buffer::Snapshot::tracez_samples`] returns.
///
/// ```
/// let which = lantern::buffer::TracezSamples::Bucket(3);
/// assert_ne!(which, lantern::buffer::TracezSamples::Errors);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TracezSamples {
    /// Those of one latency bucket (0 to 8).
    Bucket(usize),
    /// Those of failed spans.
    Errors,
}

/// One sample span: a small copy, kept after the record itself is evicted.
///
/// ```
/// let lantern = lantern::builder().try_init_local();
/// tracing::info_span!("work", user = "ann").in_scope(|| {});
/// let snap = lantern.buffer().snapshot();
/// let bucket = snap.tracez()[0].buckets.iter().position(|&n| n > 0).unwrap();
/// let samples = snap.tracez_samples("work", lantern::buffer::TracezSamples::Bucket(bucket));
/// assert_eq!(samples[0].attributes, [("user".to_owned(), "ann".to_owned())]);
/// assert!(snap.trace(samples[0].trace_id).is_some());
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct TracezSample {
    /// Its trace.
    pub trace_id: TraceId,
    /// Its id.
    pub span_id: SpanId,
    /// How long it ran (monotonic clock).
    pub duration: Duration,
    /// Its status; an error message is cut to 128 bytes.
    pub status: Status,
    /// Its first few attributes (at most 4) as text, cut to length.
    pub attributes: Vec<(String, String)>,
    pub(crate) start: Timestamp,
}

impl TracezSample {
    /// Wall-clock start.
    ///
    /// ```
    /// let lantern = lantern::builder().try_init_local();
    /// tracing::info_span!("work").in_scope(|| {});
    /// let snap = lantern.buffer().snapshot();
    /// let bucket = snap.tracez()[0].buckets.iter().position(|&n| n > 0).unwrap();
    /// let sample = &snap.tracez_samples("work", lantern::buffer::TracezSamples::Bucket(bucket))[0];
    /// assert!(sample.start_time() <= std::time::SystemTime::now());
    /// ```
    pub fn start_time(&self) -> SystemTime {
        self.start.to_system_time()
    }

    fn of(span: &SpanRecord, duration: Duration) -> TracezSample {
        let status = match &span.status {
            Status::Error(Some(message)) if message.len() > MAX_MESSAGE_BYTES => {
                Status::Error(Some(Cow::Owned(cut(message, MAX_MESSAGE_BYTES).to_owned())))
            }
            other => other.clone(),
        };
        let attributes = span
            .attributes
            .iter()
            .take(MAX_SAMPLE_ATTRIBUTES)
            .map(|kv| (cut(&kv.key, MAX_KEY_BYTES).to_owned(), cut(&kv.value.to_string(), MAX_VALUE_BYTES).to_owned()))
            .collect();
        TracezSample { trace_id: span.trace_id, span_id: span.span_id, duration, status, attributes, start: span.start }
    }
}

/// The samples of one bucket (or of the errors), oldest first.
#[derive(Default)]
struct Reservoir {
    /// The coarse millisecond from which the next sample is admitted.
    next_ms: u64,
    samples: VecDeque<TracezSample>,
}

impl Reservoir {
    fn offer(&mut self, span: &SpanRecord, duration: Duration, now_ms: u64, held: &mut usize) {
        if now_ms < self.next_ms {
            return;
        }
        if self.samples.len() >= SAMPLES_PER_GROUP {
            self.samples.pop_front();
        } else if *held >= MAX_SAMPLES {
            return;
        } else {
            *held += 1;
        }
        self.samples.push_back(TracezSample::of(span, duration));
        self.next_ms = now_ms.saturating_add(SAMPLE_INTERVAL_MS);
    }
}

/// Index of the error samples among a name's reservoirs.
const ERRORS: usize = BUCKETS;

/// One span name's counts and samples.
#[derive(Default)]
pub(crate) struct NameStats {
    pub(crate) buckets: [u64; BUCKETS],
    pub(crate) errors: u64,
    /// One per bucket, then the errors'.
    reservoirs: [Reservoir; BUCKETS + 1],
}

impl NameStats {
    fn record(&mut self, span: &SpanRecord, duration: Duration, now_ms: u64, held: &mut usize) {
        let bucket = latency_bucket(duration);
        self.buckets[bucket] += 1;
        self.reservoirs[bucket].offer(span, duration, now_ms, held);
        if span.status.is_error() {
            self.errors += 1;
            self.reservoirs[ERRORS].offer(span, duration, now_ms, held);
        }
    }
}

/// The tracez table of one store.
#[derive(Default)]
pub(crate) struct Tracez {
    names: HashMap<Cow<'static, str>, NameStats>,
    /// Samples held in all reservoirs.
    samples_held: usize,
    /// Spans not tracked because [`MAX_NAMES`] names already were.
    pub(crate) spans_untracked: u64,
}

impl Tracez {
    /// Files one finished span; `now_ms` is a millisecond clock (the coarse
    /// clock) for rationing samples.
    pub(crate) fn record(&mut self, span: &SpanRecord, now_ms: u64) {
        self.record_lasting(span, span.duration(), now_ms);
    }

    /// Files `span` as lasting `duration` (its monotonic duration, or any
    /// duration in tests).
    fn record_lasting(&mut self, span: &SpanRecord, duration: Duration, now_ms: u64) {
        let name = cut(&span.name, MAX_NAME_BYTES);
        if let Some(stats) = self.names.get_mut(name) {
            stats.record(span, duration, now_ms, &mut self.samples_held);
            return;
        }
        if self.names.len() >= MAX_NAMES {
            self.spans_untracked += 1;
            return;
        }
        let key = match &span.name {
            Cow::Borrowed(name) => Cow::Borrowed(cut(name, MAX_NAME_BYTES)),
            Cow::Owned(_) => Cow::Owned(name.to_owned()),
        };
        self.names.entry(key).or_default().record(span, duration, now_ms, &mut self.samples_held);
    }

    /// Every tracked name with its counts, in no particular order.
    pub(crate) fn names(&self) -> impl Iterator<Item = (&str, &NameStats)> {
        self.names.iter().map(|(name, stats)| (&**name, stats))
    }

    /// The samples of `name`, newest first; none for an unknown name or a
    /// bucket out of range.
    pub(crate) fn samples(&self, name: &str, which: TracezSamples) -> Vec<TracezSample> {
        let index = match which {
            TracezSamples::Bucket(i) if i < BUCKETS => i,
            TracezSamples::Bucket(_) => return Vec::new(),
            TracezSamples::Errors => ERRORS,
        };
        let Some(stats) = self.names.get(cut(name, MAX_NAME_BYTES)) else { return Vec::new() };
        stats.reservoirs[index].samples.iter().rev().cloned().collect()
    }
}

#[cfg(test)]
#[path = "tracez_tests.rs"]
mod tests;
