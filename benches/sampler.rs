#![allow(missing_docs)] // criterion's macros generate undocumented items
//! One root span (create, enter, exit, close) under Lantern with each head
//! sampler, side by side: what a sampler's decision adds to a root, against
//! `AlwaysOn` in the same run. Every case records its spans
//! (`RecordingMode::All`), so the cases differ only by the decision; each
//! prints how many roots its sampler kept.

use criterion::{Criterion, criterion_group, criterion_main};
use lantern::sampling::{
    Adaptive, AlwaysOn, ContextRules, GuaranteedThroughput, ParentBased, PerOperation, RateLimiting, RemoteSampler,
    Sampler, TraceIdRatio,
};
use lantern_benches as setup;

fn root_span() {
    drop(tracing::info_span!("GET /cart", http.route = "/cart").entered());
}

fn case(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    sampler: impl Sampler,
) {
    let (dispatch, buffer) = setup::lantern_from(lantern::builder().sampler(ParentBased::new(sampler)));
    tracing::dispatcher::with_default(&dispatch, || {
        group.bench_function(name, |b| b.iter_custom(|iters| setup::counted(iters, root_span)));
    });
    setup::report_lantern(&format!("root_span_decision/{name}"), &buffer);
    let sampling = buffer_sampling(&dispatch);
    eprintln!("root_span_decision/{name}: {sampling}");
}

/// What the sampler kept, from the handle's decision counts.
fn buffer_sampling(dispatch: &tracing::Dispatch) -> String {
    let Some(handle) = dispatch.downcast_ref::<lantern::Handle>() else { return "no handle".into() };
    let roots = handle.sampling().roots();
    let (seen, sampled) = roots.iter().fold((0, 0), |(a, b), r| (a + r.seen, b + r.sampled));
    format!("sampler kept {sampled} of {seen} roots")
}

/// The decision alone: `should_sample` for a root named `GET /cart`, over
/// 4096 trace ids in turn; prints how many it sampled.
fn decision_only(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    sampler: impl Sampler,
) {
    let ids: Vec<lantern::TraceId> = (0..4096).map(|_| lantern::TraceId::random()).collect();
    let meta = lantern::sampling::test_metadata();
    let mut sampled = 0u64;
    let mut asked = 0u64;
    group.bench_function(name, |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) & 4095;
            let params = lantern::sampling::test_params_named("GET /cart", ids[i], meta);
            let yes = sampler.should_sample(std::hint::black_box(&params)).is_sampled();
            sampled += u64::from(yes);
            asked += 1;
            yes
        })
    });
    eprintln!("sampler_decision/{name}: sampled {sampled} of {asked}");
}

fn decisions_alone(c: &mut Criterion) {
    let mut group = c.benchmark_group("sampler_decision");
    decision_only(&mut group, "always_on", AlwaysOn);
    decision_only(&mut group, "trace_id_ratio_0.5", TraceIdRatio::new(0.5));
    decision_only(&mut group, "rate_limiting_100", RateLimiting::new(100.0));
    let per_op = (0..10).fold(PerOperation::new(0.5), |s, i| s.with_operation(format!("GET /{i}"), 0.1));
    decision_only(&mut group, "per_operation_0.5", per_op.with_operation("GET /cart", 0.5));
    decision_only(&mut group, "guaranteed_throughput", GuaranteedThroughput::new(0.001, 1.0));
    decision_only(&mut group, "adaptive_1_per_s", Adaptive::new(1.0));
    decision_only(&mut group, "parent_based_adaptive", ParentBased::new(Adaptive::new(1.0)));
    group.finish();
}

fn decisions(c: &mut Criterion) {
    let mut group = c.benchmark_group("root_span_decision");
    case(&mut group, "always_on", AlwaysOn);
    case(&mut group, "trace_id_ratio_0.5", TraceIdRatio::new(0.5));
    case(&mut group, "rate_limiting_100", RateLimiting::new(100.0));
    let per_op = (0..10).fold(PerOperation::new(0.5), |s, i| s.with_operation(format!("GET /{i}"), 0.1));
    case(&mut group, "per_operation_0.5", per_op.with_operation("GET /cart", 0.5));
    case(&mut group, "guaranteed_throughput", GuaranteedThroughput::new(0.001, 1.0));
    let rules = ContextRules::new(AlwaysOn)
        .drop_when_baggage("synthetic", "true")
        .drop_when_attribute("http.route", "/health")
        .sample_when_attribute("customer.tier", "premium");
    case(&mut group, "context_rules_3", rules);
    case(&mut group, "adaptive_1_per_s", Adaptive::new(1.0));
    // A remote sampler whose endpoint is down: the initial sampler decides,
    // behind the one atomic load of the strategy in force.
    let remote = RemoteSampler::new(
        "http://127.0.0.1:9/sampling",
        "bench",
        std::time::Duration::from_secs(3600),
        TraceIdRatio::new(0.5),
    )
    .expect("a valid endpoint");
    case(&mut group, "remote_initial_ratio_0.5", remote);
    group.finish();
}

criterion_group!(benches, decisions_alone, decisions);
criterion_main!(benches);
