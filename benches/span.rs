#![allow(missing_docs)] // criterion's macros generate undocumented items
//! One child span with two fields (create, enter, exit, close) inside an
//! entered parent, under each subscriber, side by side in one group.

use criterion::{Criterion, criterion_group, criterion_main};
use lantern_benches as setup;
use tracing::Dispatch;

fn child_span() {
    let span = tracing::info_span!("child", a = 1_u64, b = "x");
    let entered = span.enter();
    drop(entered);
    drop(span);
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
