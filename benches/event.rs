#![allow(missing_docs)] // criterion's macros generate undocumented items
//! One `info!` event with a field and a formatted message inside an entered
//! span, under each subscriber, side by side in one group.
//!
//! A fresh span every 100 events, created, entered, exited and closed outside
//! the timing: tracing-opentelemetry keeps 128 events per span and drops the
//! rest at once (`SpanLimits::max_events_per_span`), so with more events per
//! span it would be timed doing almost nothing. After each case it prints
//! what the case ran and what the subscriber kept or exported.

use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::WallTime};
use lantern_benches as setup;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use tracing::Dispatch;

/// Events per fresh span.
const EVENTS_PER_SPAN: u64 = 100;

fn event() {
    tracing::info!(n = 1, "hello {}", 42);
}

fn span() -> tracing::span::EnteredSpan {
    tracing::info_span!("request").entered()
}

fn under(group: &mut BenchmarkGroup<'_, WallTime>, name: &str, dispatch: &Dispatch) {
    tracing::dispatcher::with_default(dispatch, || {
        group
            .bench_function(name, |b| b.iter_custom(|iters| setup::fresh_parents(iters, EVENTS_PER_SPAN, span, event)));
    });
}

fn events(c: &mut Criterion) {
    let mut group = c.benchmark_group("event_in_span");
    group.bench_function("no_subscriber", |b| b.iter_custom(|iters| setup::counted(iters, event)));
    setup::report_ran("event_in_span/no_subscriber");

    under(&mut group, "registry_empty_layer", &setup::floor());
    setup::report_ran("event_in_span/registry_empty_layer");

    let (lantern, buffer) = setup::lantern_sampled();
    under(&mut group, "lantern_sampled", &lantern);
    setup::report_lantern("event_in_span/lantern_sampled", &buffer);
    drop((lantern, buffer));

    let (otel, provider) = setup::tracing_opentelemetry();
    under(&mut group, "tracing_opentelemetry", &otel);
    setup::report_otel("event_in_span/tracing_opentelemetry", &provider);
    drop(otel);
    let _ = provider.shutdown();
    group.finish();
}

/// A writer that throws its bytes away and counts the lines: what each
/// console case really wrote, whatever thread writes it.
#[derive(Clone, Default)]
struct CountingSink(Arc<AtomicU64>);

impl std::io::Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let lines = buf.iter().filter(|&&b| b == b'\n').count() as u64;
        self.0.fetch_add(lines, Relaxed);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CountingSink {
    /// The lines written so far, once the writer thread (if any) caught up.
    fn lines(&self) -> u64 {
        let mut last = u64::MAX;
        // A writer thread may still be draining its queue: wait until the
        // count stands still.
        while self.0.load(Relaxed) != last {
            last = self.0.load(Relaxed);
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        last
    }
}

fn report_lines(case: &str, sink: &CountingSink, dropped: u64) {
    let (ran, _) = setup::take_ran();
    eprintln!("{case}: ran {ran}; {} lines written, {dropped} dropped (queue full, counted)", sink.lines());
}

/// The same event printed as a log line: tracing-subscriber's `fmt` layer
/// writing on the application's thread, the same behind tracing-appender's
/// non-blocking writer, Lantern's layer beside such a fmt layer with
/// Lantern's ids, and Lantern's console (`init()`'s default, with the trace
/// and span ids, on its own writer thread); the last two also record the
/// event. Every case writes plain text (no colour) into a sink that
/// counts the lines.
fn console_events(c: &mut Criterion) {
    use tracing_subscriber::layer::SubscriberExt as _;
    let mut group = c.benchmark_group("console_event_in_span");

    let sink = CountingSink::default();
    let fmt = tracing_subscriber::fmt::layer().with_ansi(false).with_writer({
        let sink = sink.clone();
        move || sink.clone()
    });
    under(&mut group, "fmt_blocking", &Dispatch::new(tracing_subscriber::registry().with(fmt)));
    report_lines("console_event_in_span/fmt_blocking", &sink, 0);

    let sink = CountingSink::default();
    let (writer, guard) = tracing_appender::non_blocking(sink.clone());
    let dropped = writer.error_counter();
    let fmt = tracing_subscriber::fmt::layer().with_ansi(false).with_writer(writer);
    under(&mut group, "fmt_non_blocking", &Dispatch::new(tracing_subscriber::registry().with(fmt)));
    drop(guard);
    report_lines("console_event_in_span/fmt_non_blocking", &sink, dropped.dropped_lines() as u64);

    // Lantern's layer and a fmt layer of one's own with Lantern's ids (the
    // composing user's set-up): recording and printing, as below.
    let sink = CountingSink::default();
    let (writer, guard) = tracing_appender::non_blocking(sink.clone());
    let dropped = writer.error_counter();
    let layer = lantern::layer();
    let buffer = layer.buffer();
    let fmt =
        tracing_subscriber::fmt::layer().with_ansi(false).event_format(lantern::fmt::with_ids()).with_writer(writer);
    let composed = Dispatch::new(tracing_subscriber::registry().with(layer).with(fmt));
    under(&mut group, "lantern_layer_and_fmt_with_ids", &composed);
    drop((composed, guard));
    buffer.flush();
    let recorded = buffer.stats().logs_recorded;
    report_lines("console_event_in_span/lantern_layer_and_fmt_with_ids", &sink, dropped.dropped_lines() as u64);
    eprintln!("console_event_in_span/lantern_layer_and_fmt_with_ids: and lantern recorded {recorded} logs");

    let sink = CountingSink::default();
    let lantern = lantern::builder()
        .console(lantern::fmt::ConsoleFormat::Pretty)
        .console_writer(sink.clone())
        .http_addr(None)
        .try_init_local();
    group.bench_function("lantern_console", |b| {
        b.iter_custom(|iters| setup::fresh_parents(iters, EVENTS_PER_SPAN, span, event))
    });
    let dropped = lantern.console_dropped_lines().unwrap_or(0);
    lantern.buffer().flush();
    let recorded = lantern.buffer().stats().logs_recorded;
    drop(lantern);
    report_lines("console_event_in_span/lantern_console", &sink, dropped);
    eprintln!("console_event_in_span/lantern_console: and lantern recorded {recorded} logs");
    group.finish();
}

criterion_group!(benches, events, console_events);
criterion_main!(benches);
