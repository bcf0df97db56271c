//! Head sampling at the root; unsampled traces still propagate; the two
//! recording modes.

use lantern::sampling::{
    AlwaysOff, ParentBased, RecordingMode, Sampler, SamplingDecision, SamplingParams, TraceIdRatio,
};

#[test]
fn trace_id_ratio_is_consistent_and_close_to_its_ratio() {
    let sampler = TraceIdRatio::new(0.25);
    let mut sampled = 0;
    let guard = lantern::builder().sampler(sampler).try_init_local();
    for _ in 0..4000 {
        let span = tracing::info_span!("root");
        let cx = span.in_scope(lantern::context::current);
        let sc = cx.span_context().unwrap().clone();
        // Same trace id, same decision: whoever asks.
        let again = TraceIdRatio::new(0.25).should_sample(&params(sc.trace_id()));
        assert_eq!(again.is_sampled(), sc.is_sampled());
        sampled += usize::from(sc.is_sampled());
    }
    drop(guard);
    assert!((800..1200).contains(&sampled), "{sampled} of 4000 at 0.25");
    assert_eq!(TraceIdRatio::new(0.0).should_sample(&params(lantern::TraceId::random())), SamplingDecision::Drop);
    assert_eq!(TraceIdRatio::new(1.0).should_sample(&params(lantern::TraceId::random())), SamplingDecision::Sample);
}

fn params(trace_id: lantern::TraceId) -> SamplingParams<'static> {
    lantern::sampling::test_params(trace_id, lantern::sampling::test_metadata())
}

#[test]
fn unsampled_traces_keep_ids_and_children_inherit_the_decision() {
    let guard = lantern::builder().sampler(AlwaysOff).try_init_local();
    let (root_cx, child_cx) = tracing::info_span!("root").in_scope(|| {
        let root = lantern::context::current().span_context().unwrap().clone();
        let child =
            tracing::info_span!("child").in_scope(|| lantern::context::current().span_context().unwrap().clone());
        (root, child)
    });
    assert!(!root_cx.is_sampled() && !child_cx.is_sampled());
    assert_eq!(root_cx.trace_id(), child_cx.trace_id());
    assert_ne!(root_cx.span_id(), child_cx.span_id());
    assert!(root_cx.flags().is_random(), "Lantern's trace ids are random: Level 2 flag set");
    // RecordingMode::All (the default): recorded locally all the same.
    let snap = guard.buffer().snapshot();
    let trace = snap.trace(root_cx.trace_id()).unwrap();
    assert_eq!(trace.spans.len(), 2);
    assert!(trace.spans.iter().all(|s| !s.is_sampled()));
}

#[test]
fn sampled_only_mode_records_nothing_of_unsampled_traces_but_still_propagates() {
    let guard = lantern::builder().sampler(AlwaysOff).recording_mode(RecordingMode::SampledOnly).try_init_local();
    let ids = tracing::info_span!("root", field = 1).in_scope(|| {
        lantern::context::set_baggage("tenant", "t1").unwrap();
        tracing::info!("not recorded");
        tracing::info_span!("child").in_scope(|| {
            tracing::info_span!("grandchild").in_scope(|| {
                let cx = lantern::context::current();
                assert_eq!(cx.baggage().get("tenant"), Some("t1"));
                cx.span_context().unwrap().clone()
            })
        })
    });
    assert!(!ids.is_sampled());
    let snap = guard.buffer().snapshot();
    assert!(snap.traces(&Default::default()).is_empty());
    assert!(snap.logs(&Default::default()).is_empty());
    assert!(snap.open_spans().is_empty());
}

#[test]
fn parent_based_follows_the_remote_flag() {
    let guard = lantern::builder().sampler(ParentBased::new(AlwaysOff)).try_init_local();
    for (flags, expect) in [("01", true), ("00", false)] {
        let mut headers = http::HeaderMap::new();
        let tp = format!("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-{flags}");
        headers.insert("traceparent", tp.parse().unwrap());
        let span = lantern::propagation::extract(&headers).child_span(|| tracing::info_span!("server"));
        let cx = span.in_scope(lantern::context::current);
        assert_eq!(cx.span_context().unwrap().is_sampled(), expect, "flags {flags}");
    }
    // No parent: the root sampler (AlwaysOff) decides.
    let cx = tracing::info_span!("root").in_scope(lantern::context::current);
    assert!(!cx.span_context().unwrap().is_sampled());
    drop(guard);
}
