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

criterion_group!(benches, events);
criterion_main!(benches);
