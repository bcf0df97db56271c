//! Shared set-up for the Lantern benches: one subscriber per case, built the
//! same way in every bench so that the cases compare side by side.

use opentelemetry::trace::TracerProvider as _;
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

/// Lantern recording only sampled traces, with a sampler that keeps none.
pub fn lantern_unsampled() -> Dispatch {
    let layer = lantern::builder()
        .sampler(lantern::sampling::AlwaysOff)
        .recording_mode(lantern::sampling::RecordingMode::SampledOnly)
        .layer();
    Dispatch::new(tracing_subscriber::registry().with(layer))
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

/// An exporter that drops every batch.
#[derive(Debug)]
pub struct NoopExporter;

impl opentelemetry_sdk::trace::SpanExporter for NoopExporter {
    async fn export(&self, _batch: Vec<opentelemetry_sdk::trace::SpanData>) -> opentelemetry_sdk::error::OTelSdkResult {
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

/// A fastrace reporter that drops every batch.
pub struct NoopReporter;

impl fastrace::collector::Reporter for NoopReporter {
    fn report(&mut self, _spans: Vec<fastrace::collector::SpanRecord>) {}
}

/// Installs the no-op fastrace reporter (global, once per process).
pub fn fastrace_init() {
    fastrace::set_reporter(NoopReporter, fastrace::collector::Config::default());
}
