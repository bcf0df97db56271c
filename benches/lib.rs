//! Shared set-up for the Lantern benches: one subscriber per case, built the
//! same way in every bench so that the cases compare side by side.

use opentelemetry::trace::TracerProvider as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};
use tracing::Dispatch;
use tracing_subscriber::layer::SubscriberExt;

/// A layer that does nothing: `registry()` plus this is the floor. (The bare
/// `registry()` with no layer never frees closed spans, tracing#900.)
pub struct EmptyLayer;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for EmptyLayer {}

/// The floor: the registry and an empty layer.
pub fn floor() -> Dispatch {
    Dispatch::new(tracing_subscriber::registry().with(EmptyLayer))
}

/// Lantern with its defaults: every span recorded and sampled.
pub fn lantern_sampled() -> (Dispatch, lantern::buffer::Buffer) {
    let layer = lantern::layer();
    let buffer = layer.buffer();
    (Dispatch::new(tracing_subscriber::registry().with(layer)), buffer)
}

/// [`lantern_sampled`] with the completion tracker on: a trace listener
/// that does nothing, so that every trace is watched until it completes
/// (at once: no quiet period, so the completion work falls inside a run).
pub fn lantern_sampled_tracked() -> (Dispatch, lantern::Handle) {
    let completion = lantern::tail::CompletionConfig { quiet_period: std::time::Duration::ZERO, ..Default::default() };
    let layer = lantern::builder().completion(completion).trace_listener(lantern::tail::NoopListener).layer();
    let handle = layer.handle();
    (Dispatch::new(tracing_subscriber::registry().with(layer)), handle)
}

/// [`lantern_sampled_tracked`] with every analysis of completed traces on
/// (`Builder::insights(true)`): each trace is also handed to the analysis
/// thread.
pub fn lantern_sampled_insights() -> (Dispatch, lantern::Handle) {
    let completion = lantern::tail::CompletionConfig { quiet_period: std::time::Duration::ZERO, ..Default::default() };
    let layer = lantern::builder().completion(completion).insights(true).layer();
    let handle = layer.handle();
    (Dispatch::new(tracing_subscriber::registry().with(layer)), handle)
}

/// Prints what the analysis thread did.
pub fn report_insights(case: &str, handle: &lantern::Handle) {
    if let Some(i) = handle.insights() {
        eprintln!("{case}: insights: {} traces analysed, {} dropped (queue full)", i.analysed, i.dropped);
    }
}

/// Prints what the completion tracker did.
pub fn report_tail(case: &str, handle: &lantern::Handle) {
    let t = handle.tail();
    eprintln!(
        "{case}: completion tracker: {} traces completed, {} watched now, {} not watched (table full)",
        t.completed, t.watching, t.tracker_full
    );
}

/// Lantern recording only sampled traces, with a sampler that keeps none.
pub fn lantern_unsampled() -> Dispatch {
    lantern_unsampled_buffer().0
}

/// [`lantern_unsampled`], and its buffer (to show that it kept nothing).
pub fn lantern_unsampled_buffer() -> (Dispatch, lantern::buffer::Buffer) {
    lantern_from(
        lantern::builder()
            .sampler(lantern::sampling::AlwaysOff)
            .recording_mode(lantern::sampling::RecordingMode::SampledOnly),
    )
}

/// Lantern as `builder` sets it up (a smaller ring, say), and its buffer.
pub fn lantern_from(builder: lantern::Builder) -> (Dispatch, lantern::buffer::Buffer) {
    let layer = builder.layer();
    let buffer = layer.buffer();
    (Dispatch::new(tracing_subscriber::registry().with(layer)), buffer)
}

/// Prints what the buffer did during the Lantern case: at this rate the
/// ingest thread may fall behind, and spans overwritten in the queue are
/// work the application thread did not pay for in full.
pub fn report(buffer: &lantern::buffer::Buffer) {
    buffer.flush();
    let s = buffer.stats();
    eprintln!(
        "lantern buffer: {} spans + {} logs recorded, {} + {} evicted, {} + {} overwritten, {} spans capped per trace, {} of {} bytes",
        s.spans_recorded,
        s.logs_recorded,
        s.spans_evicted,
        s.logs_evicted,
        s.spans_overwritten,
        s.logs_overwritten,
        s.spans_dropped_trace_cap,
        s.bytes,
        s.max_bytes
    );
}

/// Iterations run (criterion's `iters`, warm-up included) since the last
/// [`take_ran`]; added by [`ran`].
static ITERATIONS: AtomicU64 = AtomicU64::new(0);
/// Fresh parent spans opened outside the timing since the last [`take_ran`].
static PARENTS: AtomicU64 = AtomicU64::new(0);
/// Spans the OpenTelemetry exporter received.
static OTEL_SPANS: AtomicU64 = AtomicU64::new(0);
/// Span events carried by the spans the OpenTelemetry exporter received.
static OTEL_EVENTS: AtomicU64 = AtomicU64::new(0);
/// Span events the OpenTelemetry SDK dropped (`max_events_per_span`).
static OTEL_EVENTS_DROPPED: AtomicU64 = AtomicU64::new(0);
/// Spans the fastrace reporter received.
static FASTRACE_SPANS: AtomicU64 = AtomicU64::new(0);

/// Counts `iters` iterations run by the current case (call it from
/// `iter_custom`), so that what a case kept can be set against what it ran.
pub fn ran(iters: u64) {
    ITERATIONS.fetch_add(iters, Relaxed);
}

/// Counts one parent span opened outside the timing (it is recorded and
/// exported too, so it is part of what a subscriber keeps).
pub fn parent_opened() {
    PARENTS.fetch_add(1, Relaxed);
}

/// What the current case ran, since the last call: `(iterations, parents)`.
pub fn take_ran() -> (u64, u64) {
    (ITERATIONS.swap(0, Relaxed), PARENTS.swap(0, Relaxed))
}

/// What the OpenTelemetry exporter received since the last call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OtelCounts {
    /// Spans exported.
    pub spans: u64,
    /// Span events on those spans.
    pub events: u64,
    /// Span events dropped by the SDK's per-span limit on those spans.
    pub events_dropped: u64,
}

/// What the OpenTelemetry exporter received since the last call.
pub fn take_otel_counts() -> OtelCounts {
    OtelCounts {
        spans: OTEL_SPANS.swap(0, Relaxed),
        events: OTEL_EVENTS.swap(0, Relaxed),
        events_dropped: OTEL_EVENTS_DROPPED.swap(0, Relaxed),
    }
}

/// Spans the fastrace reporter received since the last call.
pub fn take_fastrace_spans() -> u64 {
    FASTRACE_SPANS.swap(0, Relaxed)
}

/// Times `iters` calls of `op` (and counts them, see [`ran`]), under a
/// fresh parent from `parent` every `every` calls: the parent is made
/// (created, entered) and dropped (exited, closed) outside the timing.
pub fn fresh_parents<P>(iters: u64, every: u64, mut parent: impl FnMut() -> P, mut op: impl FnMut()) -> Duration {
    ran(iters);
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let n = left.min(every);
        let guard = parent();
        parent_opened();
        let start = Instant::now();
        for _ in 0..n {
            op();
        }
        total += start.elapsed();
        drop(guard);
        left -= n;
    }
    total
}

/// Times `iters` calls of `op` and counts them (see [`ran`]): criterion's
/// `iter` for cases that print what they ran.
pub fn counted(iters: u64, mut op: impl FnMut()) -> Duration {
    ran(iters);
    let start = Instant::now();
    for _ in 0..iters {
        op();
    }
    start.elapsed()
}

fn ran_text(iterations: u64, parents: u64) -> String {
    if parents == 0 {
        format!("ran {iterations}")
    } else {
        format!("ran {iterations} (+{parents} parent spans = {})", iterations + parents)
    }
}

/// Prints what a case ran, for cases that keep nothing (no subscriber, the
/// floor).
pub fn report_ran(case: &str) {
    let (iterations, parents) = take_ran();
    eprintln!("{case}: {}; keeps nothing by design", ran_text(iterations, parents));
}

/// Prints what a Lantern case ran and what its buffer did with it.
pub fn report_lantern(case: &str, buffer: &lantern::buffer::Buffer) {
    buffer.flush();
    let s = buffer.stats();
    let (iterations, parents) = take_ran();
    eprintln!(
        "{case}: {}; lantern recorded {} spans + {} logs ({} + {} held, {} + {} evicted, {} + {} overwritten in the queue, {} spans capped per trace, {} events dropped), {} of {} bytes",
        ran_text(iterations, parents),
        s.spans_recorded,
        s.logs_recorded,
        s.spans,
        s.logs,
        s.spans_evicted,
        s.logs_evicted,
        s.spans_overwritten,
        s.logs_overwritten,
        s.spans_dropped_trace_cap,
        s.events_dropped,
        s.bytes,
        s.max_bytes
    );
}

/// Flushes the provider, then prints what the case ran and what the
/// counting exporter received.
pub fn report_otel(case: &str, provider: &opentelemetry_sdk::trace::SdkTracerProvider) {
    let flushed = provider.force_flush();
    let c = take_otel_counts();
    let (iterations, parents) = take_ran();
    eprintln!(
        "{case}: {}; otel exporter got {} spans, {} span events ({} events dropped by the per-span limit){}",
        ran_text(iterations, parents),
        c.spans,
        c.events,
        c.events_dropped,
        flushed.err().map(|e| format!(", force_flush: {e}")).unwrap_or_default()
    );
}

/// Flushes fastrace's collector, then prints what the case ran and what the
/// counting reporter received.
pub fn report_fastrace(case: &str) {
    fastrace::flush();
    let spans = take_fastrace_spans();
    let (iterations, parents) = take_ran();
    eprintln!("{case}: {}; fastrace reporter got {spans} spans", ran_text(iterations, parents));
}

/// An exporter that drops every batch, counting its spans and their events.
#[derive(Debug)]
pub struct NoopExporter;

impl opentelemetry_sdk::trace::SpanExporter for NoopExporter {
    async fn export(&self, batch: Vec<opentelemetry_sdk::trace::SpanData>) -> opentelemetry_sdk::error::OTelSdkResult {
        let events: usize = batch.iter().map(|s| s.events.events.len()).sum();
        let dropped: u64 = batch.iter().map(|s| u64::from(s.events.dropped_count)).sum();
        OTEL_SPANS.fetch_add(batch.len() as u64, Relaxed);
        OTEL_EVENTS.fetch_add(events as u64, Relaxed);
        OTEL_EVENTS_DROPPED.fetch_add(dropped, Relaxed);
        Ok(())
    }
}

/// `tracing-opentelemetry` over the OpenTelemetry SDK, with a batch span
/// processor and a no-op exporter. Keep the provider alive while measuring.
pub fn tracing_opentelemetry() -> (Dispatch, opentelemetry_sdk::trace::SdkTracerProvider) {
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().with_batch_exporter(NoopExporter).build();
    let tracer = provider.tracer("bench");
    let layer = tracing_opentelemetry::layer().with_tracer(tracer);
    (Dispatch::new(tracing_subscriber::registry().with(layer)), provider)
}

/// A fastrace reporter that drops every batch, counting its spans.
pub struct NoopReporter;

impl fastrace::collector::Reporter for NoopReporter {
    fn report(&mut self, spans: Vec<fastrace::collector::SpanRecord>) {
        FASTRACE_SPANS.fetch_add(spans.len() as u64, Relaxed);
    }
}

/// Installs the no-op fastrace reporter (global, once per process).
pub fn fastrace_init() {
    fastrace::set_reporter(NoopReporter, fastrace::collector::Config::default());
}
