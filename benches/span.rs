#![allow(missing_docs)] // criterion's macros generate undocumented items
//! One child span with two fields (create, enter, exit, close), under each
//! subscriber, side by side.
//!
//! - Group `child_span` (the headline): a fresh parent, so a new trace, every
//!   1000 children, created, entered and closed outside the timing, so that
//!   every subscriber keeps its spans (and evicts them, for Lantern) as in a
//!   service.
//! - Group `child_span_one_parent`: every child under one parent entered once
//!   outside the timing, as the issue first set it up. Past its per-trace
//!   limits a subscriber drops children early (Lantern keeps 10 000 spans per
//!   trace; fastrace records 10 240 local spans per local parent, then its
//!   `LocalSpan` is a no-op), so this group flatters them.
//!
//! After each case it prints what the case ran (criterion's `iters`, warm-up
//! included, and the parents opened outside the timing) and what the
//! subscriber kept or exported, so that a fast case that kept nothing shows.

use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::WallTime};
use lantern_benches as setup;
use tracing::Dispatch;

/// Children per fresh parent in the headline group.
const CHILDREN_PER_PARENT: u64 = 1000;

fn child_span() {
    let span = tracing::info_span!("child", a = 1_u64, b = "x");
    let entered = span.enter();
    drop(entered);
    drop(span);
}

fn tracing_parent() -> tracing::span::EnteredSpan {
    tracing::info_span!("parent").entered()
}

fn fastrace_child() {
    let span = fastrace::local::LocalSpan::enter_with_local_parent("child")
        .with_property(|| ("a", "1"))
        .with_property(|| ("b", "x"));
    drop(span);
}

/// A fresh fastrace trace: its root, set as the local parent (the guard is
/// dropped first, handing the local spans over, then the root).
fn fastrace_parent() -> (fastrace::local::LocalParentGuard, fastrace::Span) {
    let root = fastrace::Span::root("parent", fastrace::prelude::SpanContext::random());
    (root.set_local_parent(), root)
}

type Group<'a> = BenchmarkGroup<'a, WallTime>;

/// The headline case of a `tracing` subscriber: a fresh parent every 1000.
fn fresh(group: &mut Group<'_>, name: &str, dispatch: &Dispatch) {
    tracing::dispatcher::with_default(dispatch, || {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| setup::fresh_parents(iters, CHILDREN_PER_PARENT, tracing_parent, child_span))
        });
    });
}

/// The one-parent case of a `tracing` subscriber.
fn one_parent(group: &mut Group<'_>, name: &str, dispatch: &Dispatch) {
    tracing::dispatcher::with_default(dispatch, || {
        let parent = tracing::info_span!("parent");
        let _entered = parent.enter();
        setup::parent_opened();
        group.bench_function(name, |b| b.iter_custom(|iters| setup::counted(iters, child_span)));
    });
}

/// Runs every case of one group, `case` timing one `tracing` subscriber.
fn cases(group: &mut Group<'_>, prefix: &str, case: fn(&mut Group<'_>, &str, &Dispatch)) {
    let name = |case: &str| format!("{prefix}/{case}");

    case(group, "registry_empty_layer", &setup::floor());
    setup::report_ran(&name("registry_empty_layer"));

    let (lantern, buffer) = setup::lantern_sampled();
    case(group, "lantern_sampled", &lantern);
    setup::report_lantern(&name("lantern_sampled"), &buffer);
    drop((lantern, buffer));

    let (lantern, handle) = setup::lantern_sampled_tracked();
    case(group, "lantern_sampled_completion_tracker", &lantern);
    setup::report_lantern(&name("lantern_sampled_completion_tracker"), handle.buffer());
    setup::report_tail(&name("lantern_sampled_completion_tracker"), &handle);
    drop((lantern, handle));

    let (lantern, handle) = setup::lantern_sampled_insights();
    case(group, "lantern_sampled_insights", &lantern);
    setup::report_lantern(&name("lantern_sampled_insights"), handle.buffer());
    setup::report_tail(&name("lantern_sampled_insights"), &handle);
    setup::report_insights(&name("lantern_sampled_insights"), &handle);
    drop((lantern, handle));

    let (lantern, buffer) = setup::lantern_unsampled_buffer();
    case(group, "lantern_unsampled_sampled_only", &lantern);
    setup::report_lantern(&name("lantern_unsampled_sampled_only"), &buffer);
    drop((lantern, buffer));

    let (otel, provider) = setup::tracing_opentelemetry();
    case(group, "tracing_opentelemetry", &otel);
    setup::report_otel(&name("tracing_opentelemetry"), &provider);
    drop(otel);
    let _ = provider.shutdown();
}

fn spans(c: &mut Criterion) {
    setup::fastrace_init();

    let mut group = c.benchmark_group("child_span");
    group.bench_function("no_subscriber", |b| b.iter_custom(|iters| setup::counted(iters, child_span)));
    setup::report_ran("child_span/no_subscriber");
    cases(&mut group, "child_span", fresh);
    group.bench_function("fastrace_local_span", |b| {
        b.iter_custom(|iters| setup::fresh_parents(iters, CHILDREN_PER_PARENT, fastrace_parent, fastrace_child))
    });
    setup::report_fastrace("child_span/fastrace_local_span");
    group.finish();

    let mut group = c.benchmark_group("child_span_one_parent");
    cases(&mut group, "child_span_one_parent", one_parent);
    {
        // The spans are handed over when the guard drops, after the case:
        // only the first 10 240 children were recorded.
        let (guard, root) = fastrace_parent();
        setup::parent_opened();
        group.bench_function("fastrace_local_span", |b| b.iter_custom(|iters| setup::counted(iters, fastrace_child)));
        drop((guard, root));
    }
    setup::report_fastrace("child_span_one_parent/fastrace_local_span");
    group.finish();
}

criterion_group!(benches, spans);
criterion_main!(benches);
