#![allow(unsafe_code)] // the counting global allocator below
//! Allocations per operation, on the application thread and in the whole
//! process, under the floor, Lantern and tracing-opentelemetry.
//!
//! `cargo bench -p lantern-benches --bench alloc`: every case first runs
//! 200 000 operations as a warm-up (Lantern's ring is shrunk to 8 MiB, so it
//! is full and evicting by then: steady state), then counts 200 000 more.
//! `LANTERN_OPS=N` sets both counts. Under `cargo test` it runs 2 000 each.
//!
//! - "app" counts the allocations made on the application thread inside the
//!   operations themselves (the fresh parents are made outside them), and
//!   the frees there (Lantern frees the records evicted from its ring on the
//!   application threads).
//! - "process" counts every allocation in the process during the measured
//!   operations: the application thread, the ingest or export threads, the
//!   parents' share and the final flush.
//!
//! Bytes are the sizes asked of the allocator (a `realloc` counts as one
//! allocation of its new size), not what stays allocated.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use lantern_benches as setup;
use opentelemetry::trace::TracerProvider as _;
use tracing::Dispatch;
use tracing_subscriber::layer::SubscriberExt;

/// Allocation counts, of one thread or of the process.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    allocs: u64,
    bytes: u64,
    frees: u64,
}

impl Counts {
    fn minus(self, before: Counts) -> Counts {
        Counts {
            allocs: self.allocs - before.allocs,
            bytes: self.bytes - before.bytes,
            frees: self.frees - before.frees,
        }
    }

    fn plus(self, other: Counts) -> Counts {
        Counts { allocs: self.allocs + other.allocs, bytes: self.bytes + other.bytes, frees: self.frees + other.frees }
    }
}

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);
static FREES: AtomicU64 = AtomicU64::new(0);

thread_local! {
    // Const-initialised and without a destructor: reading it never allocates
    // and works at any point of a thread's life.
    static THREAD: Cell<Counts> = const { Cell::new(Counts { allocs: 0, bytes: 0, frees: 0 }) };
}

fn count_alloc(size: usize) {
    ALLOCS.fetch_add(1, Relaxed);
    BYTES.fetch_add(size as u64, Relaxed);
    let _ = THREAD.try_with(|c| {
        let mut v = c.get();
        v.allocs += 1;
        v.bytes += size as u64;
        c.set(v);
    });
}

fn count_free() {
    FREES.fetch_add(1, Relaxed);
    let _ = THREAD.try_with(|c| {
        let mut v = c.get();
        v.frees += 1;
        c.set(v);
    });
}

/// `System`, counting.
struct Counting;

// SAFETY: every call is passed on to `System` unchanged; the counting only
// touches atomics and a const thread-local without a destructor, neither of
// which allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_alloc(layout.size());
        // SAFETY: the caller's contract is `System.alloc`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_alloc(layout.size());
        // SAFETY: the caller's contract is `System.alloc_zeroed`'s.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_alloc(new_size);
        // SAFETY: the caller's contract is `System.realloc`'s.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count_free();
        // SAFETY: the caller's contract is `System.dealloc`'s.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn this_thread() -> Counts {
    THREAD.try_with(Cell::get).unwrap_or_default()
}

fn process() -> Counts {
    Counts { allocs: ALLOCS.load(Relaxed), bytes: BYTES.load(Relaxed), frees: FREES.load(Relaxed) }
}

/// The operations measured.
#[derive(Clone, Copy)]
enum Op {
    /// (a) a child span with 2 short fields, a fresh parent every 1000.
    Span,
    /// (b) `info!(n = 1, "hello {}", 42)`, a fresh span every 100.
    EventFormatted,
    /// (c) `info!(n = 1, "hello")`, a fresh span every 100.
    EventStatic,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Span => "child span, a = 1u64, b = \"x\"",
            Op::EventFormatted => "info!(n = 1, \"hello {}\", 42)",
            Op::EventStatic => "info!(n = 1, \"hello\")",
        }
    }

    fn every(self) -> u64 {
        match self {
            Op::Span => 1000,
            Op::EventFormatted | Op::EventStatic => 100,
        }
    }

    fn run(self) {
        match self {
            Op::Span => {
                let span = tracing::info_span!("child", a = 1_u64, b = "x");
                let entered = span.enter();
                drop(entered);
                drop(span);
            }
            Op::EventFormatted => tracing::info!(n = 1, "hello {}", 42),
            Op::EventStatic => tracing::info!(n = 1, "hello"),
        }
    }
}

/// Runs `ops` operations, a fresh entered parent every `op.every()`, and
/// returns the app thread's counts inside the operations.
fn run(op: Op, ops: u64) -> Counts {
    let mut inside = Counts::default();
    let mut left = ops;
    while left > 0 {
        let n = left.min(op.every());
        let parent = tracing::info_span!("parent").entered();
        let before = this_thread();
        for _ in 0..n {
            op.run();
        }
        inside = inside.plus(this_thread().minus(before));
        drop(parent);
        left -= n;
    }
    inside
}

/// One row of the table: per-operation figures.
struct Row {
    case: &'static str,
    subscriber: &'static str,
    app: Counts,
    process: Counts,
    ops: u64,
    note: String,
}

/// Warms up, then counts `ops` operations under `dispatch`; `settle` runs
/// after the warm-up and at the end of the measured window (a flush, so
/// that the other threads' share of the work falls in the window).
fn measure(case: Op, subscriber: &'static str, dispatch: &Dispatch, ops: u64, settle: &dyn Fn()) -> Row {
    tracing::dispatcher::with_default(dispatch, || {
        run(case, ops);
        settle();
        let before = process();
        let app = run(case, ops);
        settle();
        let process = process().minus(before);
        Row { case: case.name(), subscriber, app, process, ops, note: String::new() }
    })
}

fn lantern_sampled() -> (Dispatch, lantern::buffer::Buffer) {
    setup::lantern_from(lantern::builder().buffer(ring()))
}

fn lantern_unsampled() -> (Dispatch, lantern::buffer::Buffer) {
    setup::lantern_from(
        lantern::builder()
            .buffer(ring())
            .sampler(lantern::sampling::AlwaysOff)
            .recording_mode(lantern::sampling::RecordingMode::SampledOnly),
    )
}

/// An 8 MiB ring, full after a few tens of thousands of spans.
fn ring() -> lantern::buffer::BufferConfig {
    lantern::buffer::BufferConfig { max_bytes: 8 << 20, ..Default::default() }
}

fn otel(sampler: opentelemetry_sdk::trace::Sampler) -> (Dispatch, opentelemetry_sdk::trace::SdkTracerProvider) {
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_sampler(sampler)
        .with_batch_exporter(setup::NoopExporter)
        .build();
    let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("bench"));
    (Dispatch::new(tracing_subscriber::registry().with(layer)), provider)
}

/// Measures a Lantern case and notes what its ring did in the window.
fn lantern_case(case: Op, subscriber: &'static str, made: (Dispatch, lantern::buffer::Buffer), ops: u64) -> Row {
    let (dispatch, buffer) = made;
    // The first settle (after the warm-up, before the window) also reads
    // the stats the window starts from; reading them allocates.
    let start: std::cell::RefCell<Option<lantern::buffer::BufferStats>> = Default::default();
    let settle = || {
        buffer.flush();
        if start.borrow().is_none() {
            *start.borrow_mut() = Some(buffer.stats());
        }
    };
    let mut row = measure(case, subscriber, &dispatch, ops, &settle);
    let (b, after) = (start.take().unwrap_or_default(), buffer.stats());
    row.note = format!(
        "in the window: {} spans + {} logs recorded, {} + {} evicted, {} + {} overwritten; ring {} of {} bytes",
        after.spans_recorded - b.spans_recorded,
        after.logs_recorded - b.logs_recorded,
        after.spans_evicted - b.spans_evicted,
        after.logs_evicted - b.logs_evicted,
        after.spans_overwritten - b.spans_overwritten,
        after.logs_overwritten - b.logs_overwritten,
        after.bytes,
        after.max_bytes
    );
    row
}

/// Measures a tracing-opentelemetry case and notes what its exporter got.
fn otel_case(case: Op, subscriber: &'static str, sampler: opentelemetry_sdk::trace::Sampler, ops: u64) -> Row {
    let (dispatch, provider) = otel(sampler);
    let first = Cell::new(true);
    let settle = || {
        let _ = provider.force_flush();
        if first.replace(false) {
            // What the warm-up exported is not the window's.
            setup::take_otel_counts();
        }
    };
    let mut row = measure(case, subscriber, &dispatch, ops, &settle);
    let c = setup::take_otel_counts();
    row.note = format!("in the window: exporter got {} spans, {} span events", c.spans, c.events);
    drop(dispatch);
    let _ = provider.shutdown();
    row
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let default = if benching { 200_000 } else { 2_000 };
    let ops: u64 = std::env::var("LANTERN_OPS").ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let mut rows = Vec::new();
    let floor = setup::floor();
    for case in [Op::Span, Op::EventFormatted, Op::EventStatic] {
        rows.push(measure(case, "registry + empty layer (floor)", &floor, ops, &|| {}));
        rows.push(lantern_case(case, "lantern sampled", lantern_sampled(), ops));
        rows.push(otel_case(case, "tracing-opentelemetry", opentelemetry_sdk::trace::Sampler::AlwaysOn, ops));
    }
    // (d) An unsampled span: Lantern recording sampled traces only, with a
    // sampler that keeps none; tracing-opentelemetry with AlwaysOff.
    rows.push(lantern_case(Op::Span, "lantern unsampled (SampledOnly)", lantern_unsampled(), ops));
    rows.push(otel_case(
        Op::Span,
        "tracing-opentelemetry, AlwaysOff",
        opentelemetry_sdk::trace::Sampler::AlwaysOff,
        ops,
    ));

    println!("{ops} operations counted per case, after {ops} of warm-up");
    println!();
    println!(
        "| operation | subscriber | app allocs/op | app bytes/op | app frees/op | process allocs/op | process bytes/op |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    for r in &rows {
        let per = |v: u64| v as f64 / r.ops as f64;
        println!(
            "| {} | {} | {:.2} | {:.1} | {:.2} | {:.2} | {:.1} |",
            r.case,
            r.subscriber,
            per(r.app.allocs),
            per(r.app.bytes),
            per(r.app.frees),
            per(r.process.allocs),
            per(r.process.bytes)
        );
    }
    println!();
    for r in rows.iter().filter(|r| !r.note.is_empty()) {
        println!("{} / {}: {}", r.case, r.subscriber, r.note);
    }
}
