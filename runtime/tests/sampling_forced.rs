//! Forced (debug) sampling: a root that asks to be sampled
//! (`lantern.debug = true`, what the middleware's debug header sets) is,
//! whatever the sampler and the attribute cap say, within a cap per second.

use lantern::buffer::BufferConfig;
use lantern::sampling::{AlwaysOff, ParentBased};

#[test]
fn forcing_holds_when_the_attribute_cap_keeps_no_attribute() {
    let config = BufferConfig { max_attributes: 0, ..Default::default() };
    let lantern = lantern::builder().buffer(config).sampler(ParentBased::new(AlwaysOff)).try_init_local();
    tracing::info_span!("checkout", lantern.debug = true).in_scope(|| {
        tracing::info_span!("charge").in_scope(|| {});
    });
    tracing::info_span!("browse").in_scope(|| {});
    let snap = lantern.buffer().snapshot();
    let checkout = &snap.spans_named("checkout", 1)[0];
    assert!(checkout.is_sampled(), "forced, though the field itself was not kept");
    assert!(checkout.attributes.is_empty());
    assert!(snap.spans_named("charge", 1)[0].is_sampled(), "children follow");
    assert!(!snap.spans_named("browse", 1)[0].is_sampled());
    let sampling = lantern.handle().sampling();
    assert_eq!((sampling.forced(), sampling.forced_over_cap()), (1, 0));
}

#[test]
fn forced_traces_are_capped_and_the_rest_go_to_the_sampler() {
    // One forced trace, then none for 100 s.
    let lantern = lantern::builder().sampler(ParentBased::new(AlwaysOff)).max_forced_per_second(0.01).try_init_local();
    for _ in 0..5 {
        tracing::info_span!("debug me", lantern.debug = true).in_scope(|| {});
    }
    tracing::info_span!("debug me", lantern.debug = false).in_scope(|| {});
    let snap = lantern.buffer().snapshot();
    let spans = snap.spans_named("debug me", 10);
    assert_eq!(spans.len(), 6);
    assert_eq!(spans.iter().filter(|s| s.is_sampled()).count(), 1, "the cap lets one through");
    let sampling = lantern.handle().sampling();
    assert_eq!((sampling.forced(), sampling.forced_over_cap()), (1, 4), "false does not ask");
    let root = sampling.roots().into_iter().find(|r| r.name == "debug me").unwrap();
    assert_eq!((root.seen, root.sampled), (5, 0), "the refused and the unforced were the sampler's to decide");
}
