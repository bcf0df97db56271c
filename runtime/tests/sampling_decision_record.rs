//! What a sampling decision leaves behind, so that counts can be
//! extrapolated from the sampled traces: the sampler's tag on the root
//! (`sampler.type`, `sampler.param`), the OpenTelemetry threshold in the
//! `tracestate` (`ot=th:...`), written, merged, inherited and honoured, and
//! the adjusted count readers compute from them.

use std::sync::Arc;

use lantern::buffer::{BufferConfig, TraceQuery};
use lantern::context::{SpanContext, TraceFlags};
use lantern::propagation::{parse_tracestate, rejected};
use lantern::record::{SpanRecord, Value};
use lantern::sampling::{
    Adaptive, AlwaysOff, AlwaysOn, ContextRules, GuaranteedThroughput, ParentBased, PerOperation, RateLimiting,
    Sampler, SamplerTag, TraceIdRatio,
};
use lantern::{SpanId, TraceId};

/// `n` traces of a root `name` with one child each, under `sampler`: the
/// roots and the children, as recorded.
fn traces(sampler: impl Sampler, name: &str, n: usize) -> (Vec<Arc<SpanRecord>>, Vec<Arc<SpanRecord>>) {
    let lantern = lantern::builder().sampler(sampler).try_init_local();
    for _ in 0..n {
        tracing::info_span!("root", otel.name = name).in_scope(|| tracing::info_span!("child").in_scope(|| {}));
    }
    let snap = lantern.buffer().snapshot();
    (snap.spans_named(name, n), snap.spans_named("child", n))
}

/// The tag of every sampled root, which must all be alike, and that the
/// unsampled roots and every child carry none.
fn tag_of(sampler: impl Sampler, name: &str) -> SamplerTag {
    let (roots, children) = traces(sampler, name, 40);
    assert!(children.iter().all(|c| c.sampler_tag().is_none()), "children carry no tag");
    assert!(roots.iter().filter(|r| !r.is_sampled()).all(|r| r.sampler_tag().is_none()));
    let tags: Vec<_> = roots.iter().filter_map(|r| r.sampler_tag()).collect();
    assert!(!tags.is_empty(), "{name}: something sampled");
    assert!(tags.iter().all(|t| *t == tags[0]), "{tags:?}");
    tags[0]
}

#[test]
fn sampled_roots_carry_the_sampler_that_decided() {
    let adaptive = Adaptive::new(1.0).with_min_probability(0.0).with_initial_probability(0.0);
    let cases = [
        (tag_of(AlwaysOn, "on"), ("const", 1.0)),
        (tag_of(TraceIdRatio::new(1.0), "ratio"), ("probabilistic", 1.0)),
        (tag_of(ParentBased::new(TraceIdRatio::new(0.5)), "parent"), ("probabilistic", 0.5)),
        (tag_of(PerOperation::new(0.0).with_operation("per-op", 0.75), "per-op"), ("probabilistic", 0.75)),
        (tag_of(RateLimiting::new(1000.0), "limited"), ("ratelimiting", 1000.0)),
        (tag_of(GuaranteedThroughput::new(0.0, 1.0), "lower"), ("lowerbound", 0.0)),
        (tag_of(GuaranteedThroughput::new(1.0, 0.0), "kept"), ("probabilistic", 1.0)),
        (tag_of(adaptive, "adaptive"), ("lowerbound", 0.0)),
        (forced_tag(), ("debug", 1.0)),
    ];
    for (tag, expected) in cases {
        assert_eq!((tag.kind(), tag.param()), expected);
    }
    let rules = ContextRules::new(AlwaysOff).sample_when_attribute("tier", "gold");
    let lantern = lantern::builder().sampler(rules).try_init_local();
    tracing::info_span!("gold", tier = "gold").in_scope(|| {});
    let gold = lantern.buffer().snapshot().spans_named("gold", 1).remove(0);
    assert_eq!(gold.sampler_tag(), Some(SamplerTag::constant(true)), "a rule is a constant for what it matches");
}

fn forced_tag() -> SamplerTag {
    let lantern = lantern::builder().sampler(AlwaysOff).try_init_local();
    tracing::info_span!("checkout", lantern.debug = true).in_scope(|| {});
    lantern.buffer().snapshot().spans_named("checkout", 1)[0].sampler_tag().unwrap()
}

#[test]
fn the_tag_and_the_debug_id_survive_a_cap_of_no_attribute() {
    let config = BufferConfig { max_attributes: 0, ..Default::default() };
    let lantern = lantern::builder().buffer(config).sampler(TraceIdRatio::new(1.0)).try_init_local();
    tracing::info_span!("job", a = 1_u64).in_scope(|| {});
    tracing::info_span!("debug me", lantern.debug = true, lantern.debug_id = "t-1").in_scope(|| {});
    let snap = lantern.buffer().snapshot();
    let job = snap.spans_named("job", 1).remove(0);
    assert!(job.attributes.is_empty() && job.dropped_attributes == 1);
    let attrs: Vec<_> = job.sampler_attributes().map(|kv| (kv.key.to_string(), kv.value)).collect();
    assert_eq!(
        attrs,
        [("sampler.type".into(), Value::from("probabilistic")), ("sampler.param".into(), Value::F64(1.0))]
    );
    let forced = snap.spans_named("debug me", 1).remove(0);
    assert_eq!(forced.sampler_tag(), Some(SamplerTag::debug()));
    assert_eq!(forced.attribute("lantern.debug_id"), Some(&Value::from("t-1")), "kept past the cap");
    let by_type = TraceQuery { attribute: Some(("sampler.type".into(), "debug".into())), ..Default::default() };
    assert_eq!(snap.traces(&by_type).len(), 1, "the tag is searchable as an attribute");
}

fn ot(span: &SpanRecord) -> Option<&str> {
    span.trace_state.get("ot")
}

#[test]
fn a_probabilistic_root_writes_its_threshold_and_its_children_inherit_it() {
    for (p, th, count) in [(1.0, "th:0", 1.0), (0.25, "th:c", 4.0), (0.1, "th:e6666666666666", 10.0)] {
        let (roots, children) = traces(TraceIdRatio::new(p), "root", 200);
        let root = roots.iter().find(|r| r.is_sampled()).unwrap();
        assert_eq!(ot(root), Some(th), "p = {p}");
        assert!((root.adjusted_count().unwrap() - count).abs() < 1e-9, "p = {p}");
        let child = children.iter().find(|c| c.trace_id == root.trace_id).unwrap();
        assert_eq!(ot(child), Some(th), "a local child inherits it");
        assert!((child.adjusted_count().unwrap() - count).abs() < 1e-9);
        let unsampled = roots.iter().find(|r| !r.is_sampled());
        assert!(unsampled.is_none_or(|r| r.trace_state.is_empty() && r.adjusted_count().is_none()));
    }
    // What goes out to the next service.
    let lantern = lantern::builder().sampler(TraceIdRatio::new(1.0)).try_init_local();
    let mut headers = http::HeaderMap::new();
    tracing::info_span!("root").in_scope(|| lantern::propagation::inject_current(&mut headers));
    assert_eq!(headers["tracestate"], "ot=th:0");
    drop(lantern);
    let (roots, _) = traces(AlwaysOn, "constant", 1);
    assert!(roots[0].trace_state.is_empty(), "no threshold for a constant");
    assert_eq!(roots[0].adjusted_count(), Some(1.0), "but a count, from the tag");
    let (roots, _) = traces(RateLimiting::new(100.0), "limited", 1);
    assert_eq!(roots[0].adjusted_count(), None, "a rate limiter's count is unknown");
}

/// A remote parent with trace id `trace_id`, sampled or not, and this
/// `tracestate`.
fn remote(trace_id: u128, sampled: bool, trace_state: &str) -> lantern::Context {
    let flags = if sampled { TraceFlags::SAMPLED } else { TraceFlags::NONE };
    let state = parse_tracestate([trace_state]).unwrap();
    let span =
        SpanContext::new(TraceId::from_u128(trace_id).unwrap(), SpanId::from_u64(7).unwrap(), flags, true, state);
    lantern::Context::new(Some(span), Default::default())
}

/// The server span of one request from `parent`, under `sampler`, and the
/// trace it is in.
fn continued(sampler: impl Sampler, parent: &lantern::Context) -> (SpanRecord, Option<f64>) {
    let lantern = lantern::builder().sampler(sampler).try_init_local();
    parent.child_span(|| tracing::info_span!("serve")).in_scope(|| {});
    let snap = lantern.buffer().snapshot();
    let span = snap.spans_named("serve", 1).remove(0);
    let count = snap.trace(span.trace_id).unwrap().adjusted_count();
    ((*span).clone(), count)
}

/// Randomness (the trace id's last 56 bits) above and below `th:c`.
const HIGH: u128 = 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736;
const LOW: u128 = 0x4bf9_2f35_77b3_4da6_a300_0000_0000_0001;

#[test]
fn a_followed_parent_keeps_its_threshold_and_its_count() {
    let (span, count) = continued(ParentBased::new(AlwaysOff), &remote(HIGH, true, "ot=th:c;rv:cf000000000000,a=1"));
    assert!(span.is_sampled());
    assert_eq!(span.sampler_tag(), None, "the parent decided");
    assert_eq!(span.trace_state.header_value(), "ot=th:c;rv:cf000000000000,a=1", "as it came");
    assert_eq!((span.adjusted_count(), count), (Some(4.0), Some(4.0)));

    // The sampled flag contradicts the threshold: it cannot be trusted.
    let (span, _) = continued(ParentBased::new(AlwaysOff), &remote(LOW, true, "ot=th:c,a=1"));
    assert!(span.is_sampled());
    assert_eq!(span.trace_state.header_value(), "a=1");
    assert_eq!(span.adjusted_count(), None);
}

#[test]
fn a_probability_deciding_below_a_remote_parent_writes_its_own_threshold() {
    // No ParentBased: the ratio decides, from the parent's explicit `rv`,
    // and merges its threshold into the parent's `ot` member.
    let (span, _) = continued(TraceIdRatio::new(0.25), &remote(LOW, false, "a=1,ot=rv:ffffffffffffff;x:y"));
    assert!(span.is_sampled(), "rv, not the trace id, is the randomness");
    assert_eq!(span.sampler_tag(), Some(SamplerTag::probabilistic(0.25)));
    assert_eq!(span.trace_state.header_value(), "ot=th:c;rv:ffffffffffffff;x:y,a=1");
    assert_eq!(span.adjusted_count(), Some(4.0));
    let (span, _) = continued(TraceIdRatio::new(0.25), &remote(HIGH, true, "ot=rv:00000000000000;th:0"));
    assert!(!span.is_sampled(), "a low rv drops it, though the trace id would keep it");

    // Another kind of decision erases the parent's threshold, keeps the rest.
    let (span, _) = continued(RateLimiting::new(100.0), &remote(HIGH, true, "ot=th:c;rv:cf000000000000"));
    assert_eq!(span.trace_state.header_value(), "ot=rv:cf000000000000");
    assert_eq!(span.adjusted_count(), None);
}

#[test]
fn a_malformed_threshold_is_ignored_and_counted() {
    let before = rejected().tracestate_threshold_invalid;
    let (span, count) = continued(ParentBased::new(AlwaysOff), &remote(HIGH, true, "ot=th:C0FFEE;rv:cf000000000000"));
    assert!(span.is_sampled());
    assert_eq!(span.trace_state.get("ot"), Some("th:C0FFEE;rv:cf000000000000"), "left as it came");
    assert_eq!((span.adjusted_count(), count), (None, None));
    assert!(rejected().tracestate_threshold_invalid > before);
    for bad in ["th:", "th:123456789abcdef", "th:zz"] {
        let state = format!("ot={bad}");
        let (span, _) = continued(ParentBased::new(AlwaysOn), &remote(HIGH, true, &state));
        assert_eq!(span.adjusted_count(), None, "{bad}");
    }
}
