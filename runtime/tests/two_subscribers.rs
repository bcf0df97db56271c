//! Two Lantern subscribers on one thread do not mix their spans up (their
//! registries hand out the same ids).

use lantern::sampling::{AlwaysOff, RecordingMode};

fn parent_and_child() {
    tracing::info_span!("parent").in_scope(|| tracing::info_span!("child").in_scope(|| {}));
}

#[test]
fn a_sampled_subscriber_after_an_unsampled_one_records_everything() {
    for _ in 0..2 {
        let quiet = lantern::builder().sampler(AlwaysOff).recording_mode(RecordingMode::SampledOnly).try_init_local();
        parent_and_child();
        assert_eq!(quiet.buffer().stats().spans, 0);
        drop(quiet);

        let loud = lantern::builder().try_init_local();
        parent_and_child();
        let snap = loud.buffer().snapshot();
        let summary = &snap.traces(&Default::default())[0];
        assert_eq!(summary.span_count, 2, "both spans recorded");
        let trace = snap.trace(summary.trace_id).unwrap();
        let parent = trace.root().unwrap();
        assert_eq!(trace.children(parent.span_id).count(), 1);
    }
}
