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
//!   [`MAX_NAME_BYTES`] bytes.
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
use crate::record::{SpanRecord, Status};
use crate::{SpanId, TraceId};

/// Where the latency buckets of [`crate::Snapshot::tracez`] part.
///
/// Bucket 0 holds durations below `LATENCY_BUCKET_BOUNDS[0]` (10 µs), bucket
/// `i` the durations in `[LATENCY_BUCKET_BOUNDS[i - 1], LATENCY_BUCKET_BOUNDS[i])`,
/// and bucket 8 everything from 100 s up: the lower bound is inclusive.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(lantern::LATENCY_BUCKET_BOUNDS[2], Duration::from_millis(1));
/// assert_eq!(lantern::latency_bucket(Duration::from_millis(1)), 3);
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
/// Bytes of a name that tell names apart; longer names are cut there.
pub(crate) const MAX_NAME_BYTES: usize = 256;
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
/// assert_eq!(lantern::latency_bucket(Duration::ZERO), 0);
/// assert_eq!(lantern::latency_bucket(Duration::from_micros(10)), 1);
/// assert_eq!(lantern::latency_bucket(Duration::from_secs(1000)), 8);
/// ```
pub fn latency_bucket(duration: Duration) -> usize {
    LATENCY_BUCKET_BOUNDS.partition_point(|bound| *bound <= duration)
}

/// One span name in [`crate::Snapshot::tracez`]: its open spans, and its
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

/// Which samples [`crate::Snapshot::tracez_samples`] returns.
///
/// ```
/// let which = lantern::TracezSamples::Bucket(3);
/// assert_ne!(which, lantern::TracezSamples::Errors);
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
/// let samples = snap.tracez_samples("work", lantern::TracezSamples::Bucket(bucket));
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
    /// let sample = &snap.tracez_samples("work", lantern::TracezSamples::Bucket(bucket))[0];
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

/// `s` cut to at most `max` bytes, at a character boundary.
pub(crate) fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
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
mod tests {
    use super::*;
    use crate::record::KeyValue;

    /// A record of `name` with `status`, cloned from a real one so that it
    /// has every field the layer fills (durations are given separately).
    fn span(name: impl Into<Cow<'static, str>>, status: Status) -> SpanRecord {
        use tracing_subscriber::layer::SubscriberExt;
        thread_local! {
            static TEMPLATE: SpanRecord = {
                let layer = crate::layer();
                let buffer = layer.buffer();
                tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
                    tracing::info_span!("template").in_scope(|| {});
                });
                let snap = buffer.snapshot();
                let id = snap.traces(&Default::default())[0].trace_id;
                snap.trace(id).expect("just recorded").spans[0].as_ref().clone()
            };
        }
        let mut record = TEMPLATE.with(SpanRecord::clone);
        record.name = name.into();
        record.status = status;
        record
    }

    /// Files a span of `name` lasting `duration` at coarse millisecond `now_ms`.
    fn file(t: &mut Tracez, name: &'static str, duration: Duration, now_ms: u64) {
        t.record_lasting(&span(name, Status::Unset), duration, now_ms);
    }

    fn row(t: &Tracez, name: &str) -> [u64; BUCKETS] {
        t.names().find(|(n, _)| *n == name).map(|(_, s)| s.buckets).unwrap_or_default()
    }

    #[test]
    fn bucket_bounds_are_inclusive_below() {
        let (ns, us) = (Duration::from_nanos, Duration::from_micros);
        let cases = [
            (Duration::ZERO, 0),
            (us(10) - ns(1), 0),
            (us(10), 1),
            (us(100) - ns(1), 1),
            (us(100), 2),
            (us(1000) - ns(1), 2),
            (Duration::from_millis(1), 3),
            (Duration::from_millis(10), 4),
            (Duration::from_millis(100), 5),
            (Duration::from_secs(1), 6),
            (Duration::from_secs(10), 7),
            (Duration::from_secs(100) - ns(1), 7),
            (Duration::from_secs(100), 8),
            (Duration::MAX, 8),
        ];
        for (d, bucket) in cases {
            assert_eq!(latency_bucket(d), bucket, "{d:?}");
        }
    }

    #[test]
    fn spans_are_counted_by_name_bucket_and_error() {
        let mut t = Tracez::default();
        file(&mut t, "a", Duration::from_millis(1), 0);
        file(&mut t, "a", Duration::from_micros(9_999), 0);
        t.record_lasting(&span("a", Status::Error(None)), Duration::from_micros(5), 0);
        file(&mut t, "b", Duration::from_secs(200), 0);
        assert_eq!(row(&t, "a"), [1, 0, 0, 2, 0, 0, 0, 0, 0]);
        assert_eq!(row(&t, "b"), [0, 0, 0, 0, 0, 0, 0, 0, 1]);
        let errors: Vec<(&str, u64)> = t.names().map(|(n, s)| (n, s.errors)).filter(|(_, e)| *e > 0).collect();
        assert_eq!(errors, [("a", 1)]);
        assert_eq!(t.samples("a", TracezSamples::Errors).len(), 1);
    }

    #[test]
    fn at_most_one_sample_per_second_per_bucket() {
        let mut t = Tracez::default();
        let one_ms = Duration::from_millis(1);
        for _ in 0..10 {
            file(&mut t, "a", one_ms, 5_000);
        }
        assert_eq!(row(&t, "a")[3], 10, "every span is counted");
        assert_eq!(t.samples("a", TracezSamples::Bucket(3)).len(), 1, "one sample per second");
        file(&mut t, "a", Duration::ZERO, 5_000);
        assert_eq!(t.samples("a", TracezSamples::Bucket(0)).len(), 1, "each bucket has its own second");
        file(&mut t, "a", one_ms, 5_999);
        assert_eq!(t.samples("a", TracezSamples::Bucket(3)).len(), 1);
        file(&mut t, "a", one_ms, 6_000);
        assert_eq!(t.samples("a", TracezSamples::Bucket(3)).len(), 2);
    }

    #[test]
    fn at_most_five_samples_newest_replacing_oldest() {
        let mut t = Tracez::default();
        for second in 0..8u64 {
            let d = Duration::from_millis(1) + Duration::from_micros(second);
            t.record_lasting(&span("a", Status::Error(None)), d, second * 1000);
        }
        for which in [TracezSamples::Bucket(3), TracezSamples::Errors] {
            let kept: Vec<u128> = t.samples("a", which).iter().map(|s| s.duration.as_micros() - 1000).collect();
            assert_eq!(kept, [7, 6, 5, 4, 3], "newest first");
        }
        assert_eq!(t.samples_held, 2 * SAMPLES_PER_GROUP);
    }

    #[test]
    fn names_beyond_the_cap_are_counted_not_tracked() {
        let mut t = Tracez::default();
        for i in 0..MAX_NAMES + 3 {
            t.record_lasting(&span(format!("n{i}"), Status::Unset), Duration::ZERO, 0);
        }
        t.record_lasting(&span("n0".to_owned(), Status::Unset), Duration::ZERO, 0);
        assert_eq!(t.names().count(), MAX_NAMES);
        assert_eq!(t.spans_untracked, 3);
        assert_eq!(row(&t, "n0")[0], 2, "a tracked name still counts");
    }

    #[test]
    fn samples_stop_growing_at_the_global_cap_but_full_groups_rotate() {
        let mut t = Tracez { samples_held: MAX_SAMPLES, ..Default::default() };
        file(&mut t, "new", Duration::ZERO, 0);
        assert!(t.samples("new", TracezSamples::Bucket(0)).is_empty());
        assert_eq!(row(&t, "new")[0], 1, "still counted");
        t.samples_held = 0;
        for second in 0..SAMPLES_PER_GROUP as u64 {
            file(&mut t, "full", Duration::ZERO, second * 1000);
        }
        t.samples_held = MAX_SAMPLES;
        file(&mut t, "full", Duration::from_nanos(7), 10_000);
        let samples = t.samples("full", TracezSamples::Bucket(0));
        assert_eq!(samples.len(), SAMPLES_PER_GROUP);
        assert_eq!(samples[0].duration, Duration::from_nanos(7));
        assert_eq!(t.samples_held, MAX_SAMPLES);
    }

    #[test]
    fn samples_are_small_copies() {
        let mut t = Tracez::default();
        let mut s = span("a", Status::Error(Some(Cow::Owned(format!("a{}", "é".repeat(200))))));
        for i in 0..6 {
            s.attributes.push(KeyValue::new(format!("{}{i}", "k".repeat(40)), "v".repeat(100)));
        }
        t.record_lasting(&s, Duration::ZERO, 0);
        let sample = &t.samples("a", TracezSamples::Errors)[0];
        let Status::Error(Some(message)) = &sample.status else { panic!("{:?}", sample.status) };
        assert_eq!(message.len(), MAX_MESSAGE_BYTES - 1, "cut at a character boundary");
        assert_eq!(sample.attributes.len(), MAX_SAMPLE_ATTRIBUTES);
        assert!(sample.attributes.iter().all(|(k, v)| k.len() == MAX_KEY_BYTES && v.len() == MAX_VALUE_BYTES));
    }

    #[test]
    fn long_names_are_tracked_by_their_start_and_unknown_lookups_are_empty() {
        let mut t = Tracez::default();
        let long = "x".repeat(MAX_NAME_BYTES + 10);
        t.record_lasting(&span(long.clone(), Status::Unset), Duration::ZERO, 0);
        assert_eq!(t.names().next().map(|(n, _)| n.len()), Some(MAX_NAME_BYTES));
        assert_eq!(t.samples(&long, TracezSamples::Bucket(0)).len(), 1);
        assert!(t.samples(&long, TracezSamples::Bucket(BUCKETS)).is_empty());
        assert!(t.samples("nope", TracezSamples::Errors).is_empty());
    }
}
