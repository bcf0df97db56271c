#![allow(missing_docs)] // criterion's macros generate undocumented items
//! One `info!` event with a field and a formatted message inside an entered
//! span, under each subscriber, side by side in one group.

use criterion::{Criterion, criterion_group, criterion_main};
use lantern_benches as setup;
use tracing::Dispatch;

fn event() {
    tracing::info!(n = 1, "hello {}", 42);
}

fn under(c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>, name: &str, dispatch: &Dispatch) {
    tracing::dispatcher::with_default(dispatch, || {
        let span = tracing::info_span!("request");
        let _entered = span.enter();
        c.bench_function(name, |b| b.iter(event));
    });
}

fn events(c: &mut Criterion) {
    let mut group = c.benchmark_group("event_in_span");
    group.bench_function("no_subscriber", |b| b.iter(event));
    under(&mut group, "registry_empty_layer", &setup::floor());
    let (lantern, buffer) = setup::lantern_sampled();
    under(&mut group, "lantern_sampled", &lantern);
    setup::report(&buffer);
    drop((lantern, buffer));
    let (otel, provider) = setup::tracing_opentelemetry();
    under(&mut group, "tracing_opentelemetry", &otel);
    drop(otel);
    let _ = provider.shutdown();
    group.finish();
}

criterion_group!(benches, events);
criterion_main!(benches);
