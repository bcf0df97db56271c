#![allow(missing_docs)] // criterion's macros generate undocumented items
//! One child span with two fields (create, enter, exit, close) inside an
//! entered parent, under each subscriber, side by side in one group.

use criterion::{Criterion, criterion_group, criterion_main};
use lantern_benches as setup;
use std::time::{Duration, Instant};
use tracing::Dispatch;

fn child_span() {
    let span = tracing::info_span!("child", a = 1_u64, b = "x");
    let entered = span.enter();
    drop(entered);
    drop(span);
}

/// Times `iters` child spans, under a new parent every 1000 of them.
fn fresh_traces(iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let n = left.min(1000);
        let parent = tracing::info_span!("parent");
        let entered = parent.enter();
        let start = Instant::now();
        for _ in 0..n {
            child_span();
        }
        total += start.elapsed();
        drop(entered);
        left -= n;
    }
    total
}

fn under(c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>, name: &str, dispatch: &Dispatch) {
    tracing::dispatcher::with_default(dispatch, || {
        let parent = tracing::info_span!("parent");
        let _entered = parent.enter();
        c.bench_function(name, |b| b.iter(child_span));
    });
}

fn spans(c: &mut Criterion) {
    setup::fastrace_init();
    let mut group = c.benchmark_group("child_span");
    group.bench_function("no_subscriber", |b| b.iter(child_span));
    under(&mut group, "registry_empty_layer", &setup::floor());
    let (lantern, buffer) = setup::lantern_sampled();
    under(&mut group, "lantern_sampled", &lantern);
    setup::report(&buffer);
    drop((lantern, buffer));
    // Not one of the cases: the same span, but a fresh parent (a new
    // trace) every 1000 children, created and closed outside the timing, so
    // that spans are kept and evicted as in a service instead of being
    // dropped by the 10 000-spans-per-trace cap as in `lantern_sampled`.
    let (lantern, buffer) = setup::lantern_sampled();
    tracing::dispatcher::with_default(&lantern, || {
        group.bench_function("lantern_sampled_fresh_trace", |b| b.iter_custom(fresh_traces))
    });
    setup::report(&buffer);
    drop((lantern, buffer));
    under(&mut group, "lantern_unsampled_sampled_only", &setup::lantern_unsampled());
    let (otel, provider) = setup::tracing_opentelemetry();
    under(&mut group, "tracing_opentelemetry", &otel);
    drop(otel);
    let _ = provider.shutdown();
    {
        let root = fastrace::Span::root("parent", fastrace::prelude::SpanContext::random());
        let _guard = root.set_local_parent();
        group.bench_function("fastrace_local_span", |b| {
            b.iter(|| {
                let span = fastrace::local::LocalSpan::enter_with_local_parent("child")
                    .with_property(|| ("a", "1"))
                    .with_property(|| ("b", "x"));
                drop(span);
            })
        });
    }
    group.finish();
    fastrace::flush();
}

criterion_group!(benches, spans);
criterion_main!(benches);
