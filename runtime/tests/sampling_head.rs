//! The head samplers that limit a rate or treat each operation on its own:
//! `RateLimiting`, `PerOperation`, `GuaranteedThroughput`. Traffic is
//! simulated on a manual clock (no sleeps); the last tests run real spans
//! through a subscriber, under `ParentBased`.

use std::time::Duration;

use lantern::TraceId;
use lantern::sampling::{
    DEFAULT_MAX_OPERATIONS, GuaranteedThroughput, ManualClock, ParentBased, PerOperation, RateLimiting, Sampler,
    SamplingParams, TraceIdRatio, test_params_named,
};

fn meta() -> &'static tracing::Metadata<'static> {
    lantern::sampling::test_metadata()
}

fn params(name: &str) -> SamplingParams<'_> {
    test_params_named(name, TraceId::random(), meta())
}

fn sampled(sampler: &impl Sampler, name: &str) -> bool {
    sampler.should_sample(&params(name)).is_sampled()
}

/// Roots of `name` every `every` for `for_`, on `clock`; how many were sampled.
fn traffic(sampler: &impl Sampler, clock: &ManualClock, name: &str, every: Duration, for_: Duration) -> usize {
    let n = for_.as_nanos() / every.as_nanos();
    (0..n)
        .filter(|_| {
            clock.advance(every);
            sampled(sampler, name)
        })
        .count()
}

fn assert_near(actual: usize, expected: f64, what: &str) {
    let (lo, hi) = (expected * 0.9, expected * 1.1);
    assert!((lo..=hi).contains(&(actual as f64)), "{what}: {actual}, expected {expected} ±10%");
}

const MS: Duration = Duration::from_millis(1);
const SECOND: Duration = Duration::from_secs(1);

// --- RateLimiting ---

#[test]
fn rate_limiting_holds_its_rate_under_steady_traffic() {
    let clock = ManualClock::new();
    let s = RateLimiting::new(10.0).with_manual_clock(&clock);
    assert_eq!(s.description(), "RateLimiting{10}");
    // 1000 roots a second for a minute.
    let kept = traffic(&s, &clock, "root", MS, 60 * SECOND);
    assert_near(kept, 600.0, "10 a second over 60 s");
}

#[test]
fn a_burst_at_start_is_capped_at_the_rate() {
    let clock = ManualClock::new();
    let s = RateLimiting::new(10.0).with_manual_clock(&clock);
    assert_eq!((0..1000).filter(|_| sampled(&s, "root")).count(), 10);
    // Nothing more until time passes; a tenth of a second buys one.
    assert!(!sampled(&s, "root"));
    clock.advance(Duration::from_millis(100));
    assert_eq!((0..1000).filter(|_| sampled(&s, "root")).count(), 1);
}

#[test]
fn a_tenfold_spike_gets_no_more_than_the_rate_beyond_one_burst() {
    let clock = ManualClock::new();
    let n = 10;
    let s = RateLimiting::new(n as f64).with_manual_clock(&clock);
    traffic(&s, &clock, "root", MS, 10 * SECOND);
    // Quiet for five seconds: the bucket fills to its burst again.
    clock.advance(5 * SECOND);
    // 10 000 roots a second for ten seconds, counted second by second.
    let per_second: Vec<usize> =
        (0..10).map(|_| traffic(&s, &clock, "root", Duration::from_micros(100), SECOND)).collect();
    let total: usize = per_second.iter().sum();
    assert!(per_second[0] <= 2 * n, "first second: the burst plus the rate: {per_second:?}");
    assert!(per_second[1..].iter().all(|&c| c <= n + 1), "then the rate: {per_second:?}");
    assert!((10 * n..=11 * n).contains(&total), "10 s at {n}/s plus one burst: {total}");
    // Back to 1000 a second: the same rate.
    assert_near(traffic(&s, &clock, "root", MS, 10 * SECOND), 100.0, "after the spike");
}

#[test]
fn fractional_rates_work() {
    let clock = ManualClock::new();
    let s = RateLimiting::new(0.1).with_manual_clock(&clock);
    // One every ten seconds: at 0, 10, ..., 90 s.
    let kept = traffic(&s, &clock, "root", MS, 100 * SECOND);
    assert!((10..=11).contains(&kept), "0.1 a second over 100 s: {kept}");
    let clock = ManualClock::new();
    let s = RateLimiting::new(2.5).with_manual_clock(&clock);
    assert_near(traffic(&s, &clock, "root", MS, 60 * SECOND), 150.0, "2.5 a second over 60 s");
}

#[test]
fn bad_rates_are_clamped_not_panics() {
    let clock = ManualClock::new();
    for rate in [f64::NAN, -5.0, 0.0, f64::NEG_INFINITY] {
        let s = RateLimiting::new(rate).with_manual_clock(&clock);
        assert_eq!(s.max_per_second(), 0.0);
        assert_eq!(traffic(&s, &clock, "root", MS, SECOND), 0, "rate {rate}");
    }
    let s = RateLimiting::new(f64::INFINITY).with_manual_clock(&clock);
    assert_eq!(traffic(&s, &clock, "root", MS, SECOND), 1000);
}

// --- PerOperation ---

#[test]
fn per_operation_applies_each_names_probability_and_the_default() {
    let s = PerOperation::new(0.1)
        .with_operation("GET /cart", 0.5)
        .with_operation("POST /pay", 0.2)
        .with_operation("GET /health", 0.0)
        .with_operation("POST /refund", 1.0);
    assert_eq!(s.operations(), 4);
    let n = 20_000;
    let count = |name: &str| (0..n).filter(|_| sampled(&s, name)).count();
    assert_near(count("GET /cart"), 10_000.0, "0.5");
    assert_near(count("POST /pay"), 4_000.0, "0.2");
    assert_near(count("GET /unknown"), 2_000.0, "the default, 0.1");
    assert_eq!(count("GET /health"), 0);
    assert_eq!(count("POST /refund"), n);
}

#[test]
fn per_operation_decides_like_trace_id_ratio() {
    let s = PerOperation::new(0.3).with_operation("a", 0.7);
    let (a, other) = (TraceIdRatio::new(0.7), TraceIdRatio::new(0.3));
    for _ in 0..2000 {
        let p = params("a");
        assert_eq!(s.should_sample(&p), a.should_sample(&p));
        let p = params("b");
        assert_eq!(s.should_sample(&p), other.should_sample(&p));
    }
}

#[test]
fn per_operation_names_past_the_cap_share_the_default() {
    let names: Vec<String> = (0..3000).map(|i| format!("op{i}")).collect();
    let s = names.iter().fold(PerOperation::new(0.0), |s, name| s.with_operation(name.as_str(), 1.0));
    assert_eq!(s.operations(), DEFAULT_MAX_OPERATIONS);
    assert!(names[..DEFAULT_MAX_OPERATIONS].iter().all(|n| sampled(&s, n)), "the first 2000 keep theirs");
    assert!(!names[DEFAULT_MAX_OPERATIONS..].iter().any(|n| sampled(&s, n)), "the rest share the default");
    // Deciding for unseen names adds nothing.
    for i in 0..10_000 {
        sampled(&s, &format!("new{i}"));
    }
    assert_eq!(s.operations(), DEFAULT_MAX_OPERATIONS);
    assert_eq!(PerOperation::new(0.0).with_operation("a", 1.0).with_max_operations(0).operations(), 0);
}

// --- GuaranteedThroughput ---

#[test]
fn a_rare_operation_is_still_seen_among_a_busy_one() {
    let clock = ManualClock::new();
    let s = GuaranteedThroughput::new(0.001, 1.0).with_manual_clock(&clock);
    let probability = TraceIdRatio::new(0.001);
    let (mut rare, mut busy_by_probability, mut busy_by_lower_bound) = (0, 0, 0);
    // 60 s: "busy" 1000 times a second, "rare" once a second, mid-second.
    for second in 0..60 {
        for ms in 0..1000 {
            clock.advance(MS);
            if ms == 500 {
                rare += usize::from(sampled(&s, "rare"));
            }
            let p = params("busy");
            match (s.should_sample(&p).is_sampled(), probability.should_sample(&p).is_sampled()) {
                (true, true) => busy_by_probability += 1,
                (true, false) => busy_by_lower_bound += 1,
                (false, true) => panic!("a trace the probability keeps is always sampled"),
                (false, false) => {}
            }
        }
        assert!(rare > second * 9 / 10, "rare: {rare} of {}", second + 1);
    }
    assert!(rare >= 54, "rare: {rare} of 60");
    // The busy one: its 0.1% (60 expected of 60 000), plus what the lower
    // bound adds, at most its 1 a second (and the first one).
    assert!((30..=100).contains(&busy_by_probability), "busy, by the probability: {busy_by_probability}");
    assert!((54..=61).contains(&busy_by_lower_bound), "busy, by the lower bound: {busy_by_lower_bound}");
    assert_eq!(s.operations(), 2);
}

#[test]
fn without_a_lower_bound_it_is_per_operation_sampling() {
    let clock = ManualClock::new();
    let s = GuaranteedThroughput::new(0.1, 0.0).with_operation("GET /cart", 0.5).with_manual_clock(&clock);
    let count = |name: &str| traffic(&s, &clock, name, MS, Duration::from_secs(20));
    assert_near(count("GET /cart"), 10_000.0, "0.5");
    assert_near(count("GET /other"), 2_000.0, "the default, 0.1");
}

#[test]
fn an_operation_first_seen_past_the_cap_gets_only_the_default_probability() {
    let clock = ManualClock::new();
    let s = GuaranteedThroughput::new(0.0, 1.0).with_manual_clock(&clock);
    let names: Vec<String> = (0..DEFAULT_MAX_OPERATIONS).map(|i| format!("op{i}")).collect();
    // Each new operation's first root is sampled: the lower bound's burst.
    assert!(names.iter().all(|n| sampled(&s, n)));
    assert_eq!(s.operations(), DEFAULT_MAX_OPERATIONS);
    // Once a second for 100 s: a tracked operation keeps its lower bound,
    // one seen past the cap gets the default probability (0) alone.
    let (mut early, mut late) = (0, 0);
    for _ in 0..100 {
        clock.advance(SECOND);
        early += usize::from(sampled(&s, "op7"));
        late += usize::from(sampled(&s, "late"));
    }
    assert_eq!((early, late), (100, 0));
    assert_eq!(s.operations(), DEFAULT_MAX_OPERATIONS, "memory stays bounded");
}

#[test]
fn configured_operations_count_against_the_cap() {
    let clock = ManualClock::new();
    let s = GuaranteedThroughput::new(0.0, 1.0)
        .with_max_operations(2)
        .with_operation("a", 0.0)
        .with_operation("b", 0.0)
        .with_manual_clock(&clock);
    assert_eq!(s.operations(), 2);
    assert!(sampled(&s, "a") && sampled(&s, "b"), "configured operations have the lower bound");
    assert!(!sampled(&s, "c"), "no room left: default probability only");
}

#[test]
fn the_upper_bound_caps_each_operation() {
    let clock = ManualClock::new();
    let s = GuaranteedThroughput::new(0.5, 1.0).with_upper_bound(5.0).with_manual_clock(&clock);
    assert_eq!(s.description(), "GuaranteedThroughput{default=0.5, lowerBound=1, configured=0, upperBound=5}");
    let busy = traffic(&s, &clock, "busy", MS, 10 * SECOND);
    assert!((50..=55).contains(&busy), "5 a second over 10 s, plus one burst: {busy}");
    let other = traffic(&s, &clock, "other", MS, 10 * SECOND);
    assert!((50..=55).contains(&other), "each operation has its own: {other}");
}

#[test]
fn threads_deciding_together_respect_the_bounds() {
    let clock = ManualClock::new();
    let s = GuaranteedThroughput::new(0.0, 10.0).with_manual_clock(&clock);
    let r = RateLimiting::new(10.0).with_manual_clock(&clock);
    let (gt, rl): (usize, usize) = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let (s, r) = (&s, &r);
                scope.spawn(move || {
                    let names = ["a", "b", "c", "d", "e"];
                    let gt = (0..5000).filter(|i| sampled(s, names[(i + t) % names.len()])).count();
                    (gt, (0..5000).filter(|_| sampled(r, "root")).count())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    });
    assert_eq!((gt, rl), (50, 10), "five operations with a burst of 10 each; one burst of 10");
    assert_eq!(s.operations(), 5);
}

// --- Under ParentBased, with real spans ---

/// Starts a root span named `name` with a child; the trace id and whether
/// both spans were sampled.
fn root_with_child(name: &str) -> (TraceId, bool) {
    tracing::info_span!("root", otel.name = name).in_scope(|| {
        let cx = lantern::context::current().span_context().unwrap().clone();
        let child_sampled =
            tracing::info_span!("child").in_scope(|| lantern::context::current().span_context().unwrap().is_sampled());
        assert_eq!(child_sampled, cx.is_sampled(), "a child inherits its root's decision");
        (cx.trace_id(), cx.is_sampled())
    })
}

fn remote_root(flags: &str) -> (TraceId, bool) {
    let mut headers = http::HeaderMap::new();
    let tp = format!("00-{}-00f067aa0ba902b7-{flags}", TraceId::random());
    headers.insert("traceparent", tp.parse().unwrap());
    let span = lantern::propagation::extract(&headers).child_span(|| tracing::info_span!("server"));
    let cx = span.in_scope(lantern::context::current);
    let sc = cx.span_context().unwrap();
    (sc.trace_id(), sc.is_sampled())
}

#[test]
fn rate_limiting_under_parent_based_marks_recorded_spans() {
    let clock = ManualClock::new();
    let sampler = ParentBased::new(RateLimiting::new(5.0).with_manual_clock(&clock));
    let guard = lantern::builder().sampler(sampler).try_init_local();
    let mut roots: Vec<(TraceId, bool)> = (0..20).map(|_| root_with_child("job")).collect();
    assert_eq!(roots.iter().filter(|r| r.1).count(), 5, "the burst of 5, on a clock that stands still");
    assert!(roots[..5].iter().all(|r| r.1));
    // The bucket is dry; a remote parent's flag decides all the same.
    let (upstream_yes, yes) = remote_root("01");
    let (upstream_no, no) = remote_root("00");
    assert!(yes && !no);
    clock.advance(Duration::from_millis(400));
    roots.extend((0..20).map(|_| root_with_child("job")));
    assert_eq!(roots.iter().filter(|r| r.1).count(), 7, "two more tokens in 0.4 s");
    // The ring buffer holds every span, each marked with its trace's decision.
    let snap = guard.buffer().snapshot();
    for &(trace_id, sampled) in roots.iter().chain([(upstream_yes, true), (upstream_no, false)].iter()) {
        let trace = snap.trace(trace_id).expect("recorded");
        assert!(trace.spans.iter().all(|s| s.is_sampled() == sampled), "{trace_id}: {sampled}");
    }
    let job = guard.handle().sampling().roots().into_iter().find(|r| r.name == "job").unwrap();
    assert_eq!((job.seen, job.sampled), (40, 7));
}

#[test]
fn per_operation_samplers_under_parent_based_see_the_root_name() {
    let sampler = ParentBased::new(
        GuaranteedThroughput::new(1.0, 0.0).with_operation("GET /health", 0.0).with_operation("POST /pay", 1.0),
    );
    assert_eq!(sampler.description(), "ParentBased{root=GuaranteedThroughput{default=1, lowerBound=0, configured=2}}");
    let guard = lantern::builder().sampler(sampler).try_init_local();
    let health: Vec<_> = (0..10).map(|_| root_with_child("GET /health")).collect();
    let pay: Vec<_> = (0..10).map(|_| root_with_child("POST /pay")).collect();
    let other = root_with_child("GET /cart");
    assert!(health.iter().all(|r| !r.1) && pay.iter().all(|r| r.1) && other.1);
    let snap = guard.buffer().snapshot();
    let trace = snap.trace(health[0].0).unwrap();
    assert_eq!(trace.spans.len(), 2);
    assert!(trace.spans.iter().all(|s| !s.is_sampled()), "recorded, not sampled");
    assert!(snap.trace(pay[0].0).unwrap().spans.iter().all(|s| s.is_sampled()));
    drop(snap);
    drop(guard);

    let guard = lantern::builder()
        .sampler(ParentBased::new(PerOperation::new(1.0).with_operation("GET /health", 0.0)))
        .try_init_local();
    let (health, cart) = (root_with_child("GET /health"), root_with_child("GET /cart"));
    assert!(!health.1 && cart.1);
    assert!(guard.buffer().snapshot().trace(cart.0).unwrap().spans.iter().all(|s| s.is_sampled()));
}
