//! Tail sampling end to end: traces the head sampler dropped, kept after
//! they completed because they failed or were slow, reach a collector whole,
//! marked `sampler.type = tail`; a fast, clean trace does not.

mod support;

use std::time::{Duration, Instant};

use lantern::sampling::{AlwaysOff, ParentBased};
use lantern::tail::{CompletionConfig, TailPolicy};
use lantern_otlp::{OtlpConfig, OtlpExporter, Protocol};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use support::Receiver;

fn current_trace() -> String {
    lantern::context::current().span_context().unwrap().trace_id().to_string()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn an_error_trace_and_a_slow_trace_arrive_whole_and_a_fast_one_does_not() {
    let receiver = Receiver::grpc();
    let mut config = OtlpConfig { protocol: Protocol::Grpc, endpoint: Some(receiver.endpoint()), ..Default::default() };
    config.batch.schedule_delay = Duration::from_millis(50);
    config.metric_interval = Duration::from_secs(3600);
    let exporter = OtlpExporter::new(config).unwrap();
    let lantern = lantern::builder()
        .service_name("shop")
        .sampler(ParentBased::new(AlwaysOff))
        .tail_sampling(TailPolicy::new().errors().slower_than(Duration::from_millis(60)))
        .completion(CompletionConfig { quiet_period: Duration::from_millis(30), ..Default::default() })
        .exporter(exporter.clone())
        .try_init_local();
    let failed = tracing::info_span!("checkout").in_scope(|| {
        tracing::info_span!("reserve").in_scope(|| {});
        tracing::info_span!("charge").in_scope(|| tracing::error!("card declined"));
        current_trace()
    });
    let slow = tracing::info_span!("search").in_scope(|| {
        tracing::info_span!("query").in_scope(|| std::thread::sleep(Duration::from_millis(80)));
        current_trace()
    });
    let fast = tracing::info_span!("health").in_scope(current_trace);
    let deadline = Instant::now() + Duration::from_secs(10);
    while lantern.handle().tail().completed < 3 {
        assert!(Instant::now() < deadline, "traces never completed");
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(lantern); // flush and shut the exporter down: everything is sent

    let spans: Vec<_> = receiver
        .traces()
        .into_iter()
        .flat_map(|r| r.resource_spans)
        .flat_map(|rs| rs.scope_spans)
        .flat_map(|ss| ss.spans)
        .collect();
    let of = |trace: &str| spans.iter().filter(|s| hex(&s.trace_id) == trace).collect::<Vec<_>>();
    let mut names: Vec<_> = of(&failed).iter().map(|s| s.name.clone()).collect();
    names.sort();
    assert_eq!(names, ["charge", "checkout", "reserve"]);
    assert_eq!(of(&slow).len(), 2);
    assert!(of(&fast).is_empty(), "the fast, clean trace stays in the process");
    for span in of(&failed).into_iter().chain(of(&slow)) {
        let tag = span.attributes.iter().find(|kv| kv.key == "sampler.type").and_then(|kv| kv.value.clone());
        assert_eq!(tag.and_then(|v| v.value), Some(Value::StringValue("tail".into())), "{}", span.name);
        assert_eq!(span.flags & 0x1, 0x1, "sampled");
    }
    let charge = of(&failed).into_iter().find(|s| s.name == "charge").unwrap();
    assert_eq!(charge.status.as_ref().map(|s| s.code), Some(2), "the error status travels");
    assert_eq!(exporter.stats().traces.exported, 5);
}
