//! Context rules decide from the request, before any probability: a root
//! span's fields and the baggage that came with it.

use lantern::sampling::{AlwaysOff, AlwaysOn, ContextRules, ParentBased, RecordingMode};

fn incoming(baggage: &str) -> lantern::Context {
    // Baggage only, no traceparent: the trace starts here, so the sampler
    // (the rules) is asked, with the caller's baggage.
    let mut headers = http::HeaderMap::new();
    headers.insert("baggage", baggage.parse().unwrap());
    lantern::propagation::extract(&headers)
}

#[test]
fn rules_on_fields_and_baggage_decide_before_the_sampler_behind_them() {
    let rules = ContextRules::new(AlwaysOff)
        .drop_when_baggage("synthetic", "true")
        .sample_when_attribute("customer.tier", "premium")
        .sample_when_baggage("tenant", "acme");
    let lantern = lantern::builder().sampler(ParentBased::new(rules)).try_init_local();

    tracing::info_span!("GET /cart", customer.tier = "premium").in_scope(|| {});
    tracing::info_span!("GET /cart", customer.tier = "basic").in_scope(|| {});
    incoming("tenant=acme").child_span(|| tracing::info_span!("from acme")).in_scope(|| {});
    // The first rule wins: a synthetic probe for a premium customer is dropped.
    incoming("synthetic=true").child_span(|| tracing::info_span!("probe", customer.tier = "premium")).in_scope(|| {});

    let snap = lantern.buffer().snapshot();
    let cart = snap.spans_named("GET /cart", 2);
    let tier =
        |s: &lantern::record::SpanRecord| s.attribute("customer.tier").and_then(|v| v.as_str()).map(str::to_owned);
    let premium = cart.iter().find(|s| tier(s).as_deref() == Some("premium")).unwrap();
    let basic = cart.iter().find(|s| tier(s).as_deref() == Some("basic")).unwrap();
    assert!(premium.is_sampled(), "premium customers are always sampled");
    assert!(!basic.is_sampled(), "the rest goes to the sampler behind (AlwaysOff)");
    assert!(snap.spans_named("from acme", 1)[0].is_sampled(), "baggage rule");
    assert!(!snap.spans_named("probe", 1)[0].is_sampled(), "the first matching rule decides");
}

#[test]
fn rules_see_the_fields_even_when_only_sampled_traces_are_recorded() {
    let rules = ContextRules::new(AlwaysOn).drop_when_attribute("http.route", "/health");
    let lantern =
        lantern::builder().sampler(ParentBased::new(rules)).recording_mode(RecordingMode::SampledOnly).try_init_local();
    tracing::info_span!("GET /health", http.route = "/health").in_scope(|| {});
    tracing::info_span!("GET /users", http.route = "/users").in_scope(|| {});
    let snap = lantern.buffer().snapshot();
    assert!(snap.spans_named("GET /health", 1).is_empty(), "dropped, so not recorded in SampledOnly");
    assert!(snap.spans_named("GET /users", 1)[0].is_sampled());
}
