//! A trace of 100 000 spans goes through every analysis of
//! `Builder::insights(true)` without a panic, in bounded time, and with the
//! memory the analyses take bounded: a counting allocator measures the peak
//! of the bytes they hold while they read it.
//!
//! The trace mixes what a malformed or hostile trace can hold: a chain of
//! 5 000 nested spans (deep recursion would overflow the stack), a root with
//! tens of thousands of children (quadratic work would not finish), client
//! spans with and without servers, errors, and many spans ending at once.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lantern::buffer::BufferConfig;
use lantern::insights::BenchAnalyser;
use lantern::tail::{CompletedTrace, CompletionConfig, TraceListener};
use tracing::info_span;

struct Counting;

static HELD: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

fn note(delta: isize) {
    let now = HELD.fetch_add(delta, Ordering::Relaxed) + delta;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: forwards to the system allocator; counting touches only atomics.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size() as isize);
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(-(layout.size() as isize));
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size as isize - layout.size() as isize);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[derive(Default)]
struct Keep(Mutex<Option<CompletedTrace>>);

impl TraceListener for Keep {
    fn on_trace(&self, trace: &CompletedTrace) {
        *self.0.lock().unwrap() = Some(trace.clone());
    }
}

const SPANS: usize = 100_000;
const CHAIN: usize = 5_000;

/// Nests `depth` spans, one inside the other, without recursing.
fn chain(depth: usize) {
    let mut open = Vec::with_capacity(depth);
    for i in 0..depth {
        open.push(info_span!("nested", level = i as u64).entered());
    }
    while open.pop().is_some() {}
}

fn huge_trace() -> CompletedTrace {
    let keep = Arc::new(Keep::default());
    let buffer = BufferConfig {
        max_spans_per_trace: 2 * SPANS,
        max_records: 4 * SPANS,
        max_bytes: 512 << 20,
        ..BufferConfig::default()
    };
    let quick = CompletionConfig { quiet_period: Duration::from_millis(50), ..Default::default() };
    let lantern = lantern::builder()
        .service_name("front")
        .buffer(buffer)
        .completion(quick)
        .trace_listener(keep.clone())
        .try_init_local();
    info_span!("GET /huge", otel.kind = "server").in_scope(|| {
        chain(CHAIN);
        let rest = SPANS - CHAIN - 1;
        for i in 0..rest {
            match i % 4 {
                0 => info_span!("GetDriver", otel.kind = "client", db.system = "redis").in_scope(|| {}),
                1 => info_span!("call", otel.kind = "client").in_scope(|| {
                    let server = lantern::context::current()
                        .child_span(|| info_span!("serve", otel.kind = "server", service.name = "back"));
                    server.in_scope(|| {});
                }),
                2 => info_span!("fails", otel.status_code = "ERROR").in_scope(|| {}),
                _ => info_span!("work").in_scope(|| {}),
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(trace) = keep.0.lock().unwrap().take() {
            drop(lantern);
            return trace;
        }
        assert!(Instant::now() < deadline, "the trace did not complete");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_trace_of_100_000_spans_is_analysed_in_bounded_time_and_memory() {
    let trace = huge_trace();
    let spans = trace.trace.spans.len();
    let calls = (SPANS - CHAIN - 1).div_ceil(4);
    assert_eq!(spans, SPANS + calls, "the trace holds every span (each call is two)");

    let handle = lantern::builder().service_name("front").layer().handle();
    let mut analyser = BenchAnalyser::new(&handle);
    let before = HELD.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let started = Instant::now();
    analyser.analyse(&trace);
    let took = started.elapsed();
    let peak = PEAK.load(Ordering::Relaxed) - before;
    let kept = HELD.load(Ordering::Relaxed) - before;
    println!("{spans} spans analysed in {took:?}; peak {} KiB, kept {} KiB", peak >> 10, kept >> 10);

    assert_eq!(analyser.analysed(), 1);
    let stats = handle.insights().unwrap();
    assert_eq!(stats.failed_analyses, 0, "no analysis panicked");
    // Linear work: well under a minute even in a debug build on a slow CI
    // machine (quadratic work on 100 000 spans would take hours).
    assert!(took < Duration::from_secs(60), "{took:?}");
    // The analyses' working memory is linear in the trace (a few hundred
    // bytes a span at most), and what they keep after it is bounded by
    // their caps, not by the trace.
    assert!(peak < (spans * 1024) as isize, "peak {peak} B for {spans} spans");
    assert!(kept < 8 << 20, "kept {kept} B after one trace");

    let graph = handle.service_graph().unwrap();
    assert_eq!(graph.traces, 1);
    let back = graph.edge("front", "back").unwrap();
    assert_eq!(back.requests as usize, calls);
}
