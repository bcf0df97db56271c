//! Tail sampling from the ring buffer: completed traces that the head
//! sampler dropped are kept when they failed or were slow, within a rate
//! cap; trace listeners see every completed trace; a perpetual trace is
//! closed by its maximum age; the tracker is bounded.

use std::sync::Arc;
use std::time::{Duration, Instant};

use lantern::export::{ExportRecord, Exporter};
use lantern::record::SpanRecord;
use lantern::sampling::{AlwaysOff, AlwaysOn, ParentBased, RecordingMode};
use lantern::tail::{CloseReason, CompletedTrace, CompletionConfig, KeepReason, TailPolicy, TraceListener};
use parking_lot::Mutex;

/// Keeps every exported span.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<Arc<SpanRecord>>>>);

impl Exporter for Spans {
    fn export(&self, record: ExportRecord) {
        if let ExportRecord::Span(span) = record {
            self.0.lock().push(span);
        }
    }
}

impl Spans {
    fn of(&self, trace: lantern::TraceId) -> Vec<Arc<SpanRecord>> {
        self.0.lock().iter().filter(|s| s.trace_id == trace).cloned().collect()
    }
}

/// Keeps every completed trace.
#[derive(Clone, Default)]
struct Completed(Arc<Mutex<Vec<CompletedTrace>>>);

impl TraceListener for Completed {
    fn on_trace(&self, trace: &CompletedTrace) {
        self.0.lock().push(trace.clone());
    }
}

fn quick(quiet_ms: u64) -> CompletionConfig {
    CompletionConfig { quiet_period: Duration::from_millis(quiet_ms), ..Default::default() }
}

fn wait_until(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn current_trace() -> lantern::TraceId {
    lantern::context::current().span_context().expect("in a span").trace_id()
}

#[test]
fn dropped_traces_that_failed_or_were_slow_are_exported_whole_and_fast_clean_ones_are_not() {
    let spans = Spans::default();
    let policy = TailPolicy::new().errors().slower_than(Duration::from_millis(60));
    let lantern = lantern::builder()
        .sampler(ParentBased::new(AlwaysOff))
        .tail_sampling(policy)
        .completion(quick(30))
        .exporter(spans.clone())
        .try_init_local();
    let failed = tracing::info_span!("checkout").in_scope(|| {
        tracing::info_span!("reserve").in_scope(|| {});
        tracing::info_span!("charge").in_scope(|| tracing::error!("card declined"));
        current_trace()
    });
    let slow = tracing::info_span!("search").in_scope(|| {
        tracing::info_span!("query").in_scope(|| std::thread::sleep(Duration::from_millis(80)));
        current_trace()
    });
    // Two services in one process: the second's root has a remote parent
    // (the first's context); the trace counts under its entry, `checkout`.
    let hosted = tracing::info_span!("checkout").in_scope(|| {
        let cx = lantern::context::current();
        cx.child_span(|| tracing::info_span!("GET /stock")).in_scope(|| tracing::error!("out of stock"));
        std::thread::sleep(Duration::from_millis(2));
        current_trace()
    });
    let fast = tracing::info_span!("health").in_scope(|| {
        tracing::info_span!("ping").in_scope(|| {});
        current_trace()
    });
    wait_until("four completed traces", || lantern.handle().tail().completed == 4);
    let tail = lantern.handle().tail();
    assert_eq!((tail.kept_for(KeepReason::Error), tail.kept_for(KeepReason::Slow), tail.kept()), (2, 1, 3));
    assert_eq!(tail.spans_exported, 7);
    assert_eq!(tail.kept_by_operation, [("checkout".to_owned(), 2), ("search".to_owned(), 1)]);
    assert_eq!(spans.of(hosted).len(), 2);

    let failed_spans = spans.of(failed);
    let mut names: Vec<_> = failed_spans.iter().map(|s| s.name.to_string()).collect();
    names.sort();
    assert_eq!(names, ["charge", "checkout", "reserve"], "every span of the failed trace");
    for span in &failed_spans {
        assert!(span.is_sampled(), "exported as sampled");
        assert_eq!(span.sampler_tag().map(|t| t.kind()), Some("tail"));
    }
    let charge = failed_spans.iter().find(|s| s.name == "charge").unwrap();
    assert_eq!(charge.events.len(), 1, "with its events");
    assert_eq!(spans.of(slow).len(), 2);
    assert!(spans.of(fast).is_empty(), "a fast, clean trace stays local");
    // The ring buffer shows the kept trace as sampled too.
    let held = lantern.buffer().snapshot().trace(failed).unwrap();
    assert!(held.spans.iter().all(|s| s.is_sampled()));
}

#[test]
fn the_rate_cap_bounds_what_the_policies_keep_and_counts_the_rest() {
    let spans = Spans::default();
    let policy = TailPolicy::new().errors().max_per_second(2.0);
    let started = Instant::now();
    let lantern = lantern::builder()
        .sampler(AlwaysOff)
        .tail_sampling(policy)
        .completion(quick(20))
        .exporter(spans.clone())
        .try_init_local();
    for _ in 0..40 {
        tracing::info_span!("pay").in_scope(|| tracing::error!("boom"));
    }
    wait_until("forty completed traces", || lantern.handle().tail().completed == 40);
    let tail = lantern.handle().tail();
    let elapsed = started.elapsed().as_secs_f64();
    // A burst of 2, then 2 a second.
    let allowed = 2 + (elapsed * 2.0).floor() as u64;
    assert!(tail.kept() >= 2 && tail.kept() <= allowed, "kept {} in {elapsed:.2}s", tail.kept());
    assert_eq!(tail.kept() + tail.over_cap, 40);
    assert_eq!(spans.0.lock().len() as u64, tail.kept(), "one span a trace, only kept ones exported");
}

#[test]
fn listeners_see_every_completed_trace_once_sampled_or_not() {
    let heard = Completed::default();
    let lantern =
        lantern::builder().sampler(AlwaysOn).completion(quick(20)).trace_listener(heard.clone()).try_init_local();
    let ids: Vec<_> = (0..5)
        .map(|i| {
            tracing::info_span!("job", i).in_scope(|| {
                tracing::info_span!("step").in_scope(|| {});
                current_trace()
            })
        })
        .collect();
    wait_until("five traces heard", || heard.0.lock().len() == 5);
    std::thread::sleep(Duration::from_millis(100));
    let heard = heard.0.lock();
    assert_eq!(heard.len(), 5, "each trace once");
    for (done, id) in heard.iter().zip(&ids) {
        assert_eq!(done.trace.trace_id, *id);
        assert_eq!(done.trace.spans.len(), 2);
        assert_eq!(done.trace.root().unwrap().name, "job");
        assert_eq!(done.reason, CloseReason::Quiet);
        assert!(done.head_sampled && done.tail_kept.is_none());
    }
    assert!(lantern.handle().tail().enabled);
    // Read while a snapshot is held (the ring buffer's lock): no deadlock.
    let snapshot = lantern.buffer().snapshot();
    assert_eq!(lantern.handle().tail().completed, 5);
    drop(snapshot);
}

#[test]
fn a_perpetual_trace_is_closed_by_max_age_and_a_kept_traces_late_spans_follow_it() {
    let spans = Spans::default();
    let heard = Completed::default();
    let config = CompletionConfig {
        quiet_period: Duration::from_millis(20),
        max_age: Duration::from_millis(300),
        max_traces: 100,
    };
    let lantern = lantern::builder()
        .sampler(AlwaysOff)
        .tail_sampling(TailPolicy::new().matching("tenant", "acme"))
        .completion(config)
        .trace_listener(heard.clone())
        .exporter(spans.clone())
        .try_init_local();
    let forever = tracing::info_span!("consume", tenant = "acme");
    let trace = forever.in_scope(current_trace);
    // Its root never ends; its children keep ending.
    let deadline = Instant::now() + Duration::from_secs(10);
    while lantern.handle().tail().closed_by_max_age == 0 {
        assert!(Instant::now() < deadline, "never closed");
        forever.in_scope(|| tracing::info_span!("message").in_scope(|| {}));
        std::thread::sleep(Duration::from_millis(10));
    }
    let done = heard.0.lock().iter().find(|d| d.trace.trace_id == trace).cloned().expect("heard");
    assert_eq!(done.reason, CloseReason::MaxAge);
    // The root matches no rule: it has not ended, so the children alone
    // were judged, and none carries the tenant.
    assert_eq!(done.tail_kept, None);

    // A span of a kept trace that ends after it completed (here: one
    // continued from its context, as a later message of it would be) is
    // exported too.
    let root = tracing::info_span!("batch", tenant = "acme");
    let (kept, cx) = root.in_scope(|| (current_trace(), lantern::context::current()));
    drop(root);
    wait_until("the batch kept", || spans.of(kept).len() == 1);
    cx.child_span(|| tracing::info_span!("straggler")).in_scope(|| {});
    wait_until("the straggler exported", || spans.of(kept).len() == 2);
    assert!(spans.of(kept).iter().all(|s| s.sampler_tag().map(|t| t.kind()) == Some("tail")));
    assert!(lantern.handle().tail().late_spans >= 1);
}

#[test]
fn the_tracker_is_bounded_and_counts_the_traces_it_cannot_watch() {
    let config = CompletionConfig { max_traces: 3, ..quick(20) };
    let lantern = lantern::builder()
        .sampler(AlwaysOff)
        .tail_sampling(TailPolicy::new().errors())
        .completion(config)
        .try_init_local();
    // Ten traces whose roots stay open, each with a finished child.
    let roots: Vec<_> = (0..10).map(|_| tracing::info_span!("open")).collect();
    for root in &roots {
        root.in_scope(|| tracing::info_span!("child").in_scope(|| {}));
    }
    wait_until("the table full", || lantern.handle().tail().tracker_full == 7);
    assert_eq!(lantern.handle().tail().watching, 3);
}

#[test]
fn tail_sampling_needs_every_trace_recorded_and_says_so() {
    let refused = lantern::builder()
        .console(lantern::fmt::ConsoleFormat::Off) // a test: no logs on stderr
        .recording_mode(RecordingMode::SampledOnly)
        .tail_sampling(TailPolicy::new().errors())
        .http_addr(None)
        .try_init()
        .unwrap_err();
    assert!(refused.to_string().contains("RecordingMode::All"), "{refused}");
    // The infallible set-ups run without it (and say why on stderr).
    let local = lantern::builder()
        .recording_mode(RecordingMode::SampledOnly)
        .tail_sampling(TailPolicy::new().errors())
        .try_init_local();
    assert!(!local.handle().tail().enabled);
}
