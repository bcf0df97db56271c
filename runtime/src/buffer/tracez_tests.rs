use super::*;
use crate::record::KeyValue;

/// A record of `name` with `status`, cloned from a real one so that it
/// has every field the layer fills (durations are given separately).
fn span(name: impl Into<Cow<'static, str>>, status: Status) -> SpanRecord {
    use tracing_subscriber::layer::SubscriberExt;
    thread_local! {
        static TEMPLATE: SpanRecord = {
            let layer = crate::builder::layer();
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
