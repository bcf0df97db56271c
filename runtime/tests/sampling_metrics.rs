//! Sampling's counters on `/metrics` (`lantern_sampling_*`): decisions by
//! operation and outcome, forced traces past the cap, remote fetches, tail
//! sampling's keeps, over-cap, tracker drops and traces closed by age; the
//! `operation` label bounded in length and in series.

mod pages_support;
use pages_support::*;

use std::time::Duration;

use lantern::metrics::MetricsConfig;
use lantern::sampling::{AlwaysOff, AlwaysOn, ParentBased, RemoteSampler, TraceIdRatio};
use lantern::tail::{CompletionConfig, TailPolicy};

fn start(builder: lantern::Builder) -> lantern::Guard {
    builder.service_name("sampling-metrics-test").http_addr(Some(([127, 0, 0, 1], 0).into())).try_init_local()
}

/// `/metrics` as Prometheus text.
fn scrape(lantern: &lantern::Guard) -> String {
    let (status, _, body) = get(lantern.http_addr().unwrap(), "/metrics");
    assert_eq!(status, 200, "{body}");
    body
}

/// The value of the sample line `series` (name and labels, as exposed).
fn value(body: &str, series: &str) -> Option<u64> {
    body.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

fn decisions(operation: &str, decision: &str) -> String {
    format!("lantern_sampling_decisions_total{{operation=\"{operation}\",decision=\"{decision}\"}}")
}

fn is_sampled() -> bool {
    lantern::context::current().span_context().unwrap().is_sampled()
}

#[test]
fn decisions_are_counted_by_operation_and_outcome_with_forced_ones_apart() {
    let lantern = start(lantern::builder().sampler(TraceIdRatio::new(0.5)).max_forced_per_second(1.0));
    let sampled = (0..200).filter(|_| tracing::info_span!("work").in_scope(is_sampled)).count() as u64;
    assert!(sampled > 0 && sampled < 200, "{sampled}");
    // The first forced root is let through; the second is past the cap of
    // one a second and the sampler decides it.
    let forced = tracing::info_span!("work", lantern.debug = true).in_scope(is_sampled);
    let second = tracing::info_span!("work", lantern.debug = true).in_scope(is_sampled);
    let sampled = sampled + u64::from(second);
    tracing::info_span!("quote\"me").in_scope(|| {});
    assert!(forced);

    let body = scrape(&lantern);
    assert!(body.contains("# TYPE lantern_sampling_decisions_total counter"), "{body}");
    assert_eq!(value(&body, &decisions("work", "sampled")), Some(sampled), "{body}");
    assert_eq!(value(&body, &decisions("work", "dropped")), Some(201 - sampled));
    assert_eq!(value(&body, &decisions("work", "forced")), Some(1));
    assert_eq!(value(&body, "lantern_sampling_forced_over_cap_total"), Some(1));
    assert_eq!(value(&body, &decisions("quote\\\"me", "sampled")).map(|v| v <= 1), Some(true), "escaped: {body}");
    assert!(!body.contains("lantern_sampling_remote") && !body.contains("lantern_sampling_tail"), "neither is on");

    // The same counters in the store's snapshot, which the OTLP export reads.
    let families = lantern.metrics().snapshot();
    let family = families.iter().find(|f| f.name == "lantern.sampling.decisions").expect("in the snapshot");
    assert_eq!(family.series.len(), 6, "two operations, three outcomes");
    let openmetrics =
        get_with_headers(lantern.http_addr().unwrap(), "/metrics", "Accept: application/openmetrics-text\r\n").2;
    assert!(openmetrics.contains(&decisions("work", "forced")) && openmetrics.ends_with("# EOF\n"));
}

#[test]
fn operation_labels_are_cut_and_their_series_bounded() {
    let config = MetricsConfig { max_series_per_metric: 9, ..Default::default() };
    let lantern = start(lantern::builder().sampler(AlwaysOn).metrics(config));
    let long = "n".repeat(1000);
    tracing::info_span!("root", otel.name = long.as_str()).in_scope(|| {});
    for name in ["b", "c", "d", "e"] {
        for _ in 0..2 {
            tracing::info_span!("root", otel.name = name).in_scope(|| {});
        }
    }
    let body = scrape(&lantern);
    // Three series a name and nine at most: the two names that came first
    // keep theirs, the others add up in the overflow series.
    let cut = "n".repeat(256);
    assert_eq!(value(&body, &decisions(&cut, "sampled")), Some(1), "cut to 256 bytes: {body}");
    assert!(!body.contains(&"n".repeat(257)));
    assert_eq!(value(&body, &decisions("b", "sampled")), Some(2));
    assert_eq!(value(&body, &decisions("c", "sampled")), None);
    let overflow = "lantern_sampling_decisions_total{otel_metric_overflow=\"true\",decision=\"sampled\"}";
    assert_eq!(value(&body, overflow), Some(6), "c, d and e: {body}");
    let series = body.lines().filter(|l| l.starts_with("lantern_sampling_decisions_total{")).count();
    assert_eq!(series, 9);

    // Later names go to the overflow too: the named series never change.
    tracing::info_span!("root", otel.name = "a").in_scope(|| {});
    let body = scrape(&lantern);
    assert_eq!(value(&body, overflow), Some(7));
    assert_eq!(value(&body, &decisions("b", "sampled")), Some(2));
}

#[test]
fn remote_fetches_are_counted_ok_and_failed() {
    let server = JsonServer::start(r#"{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":1}}"#);
    let remote =
        RemoteSampler::new(&format!("http://{}/sampling", server.addr), "svc", Duration::from_secs(3600), AlwaysOff)
            .unwrap();
    assert!(remote.poll_now() && remote.poll_now());
    drop(server);
    assert!(remote.poll_now(), "the server is gone: a failure");
    let lantern = start(lantern::builder().sampler(ParentBased::new(remote.clone())));
    let body = scrape(&lantern);
    // The poller also polls once as it starts: that poll is served with the
    // first asked for, or on its own just before it (both while the server
    // is up), so two or three good fetches, and the one failure.
    let ok = value(&body, "lantern_sampling_remote_fetches_total{result=\"ok\"}");
    assert!(matches!(ok, Some(2 | 3)), "{body}");
    assert_eq!(value(&body, "lantern_sampling_remote_fetches_total{result=\"failed\"}"), Some(1));
}

#[test]
fn tail_keeps_over_cap_tracker_drops_and_max_age_closes_are_counted() {
    let completion = CompletionConfig {
        quiet_period: Duration::from_millis(20),
        max_age: Duration::from_millis(200),
        max_traces: 2,
    };
    let policy = TailPolicy::new().errors().max_per_second(1.0);
    let lantern =
        start(lantern::builder().sampler(ParentBased::new(AlwaysOff)).tail_sampling(policy).completion(completion));
    // Two failed traces at once: the first is kept, the second is over the
    // cap of one a second. A third is not watched: the tracker holds two.
    for _ in 0..3 {
        tracing::info_span!("checkout").in_scope(|| tracing::error!("card declined"));
    }
    lantern.buffer().flush();
    wait_until("both watched traces completed", || lantern.handle().tail().completed == 2);
    // A trace whose root never ends here: closed by its maximum age.
    let root = tracing::info_span!("stream");
    root.in_scope(|| tracing::info_span!("chunk").in_scope(|| {}));
    wait_until("the open trace closed", || lantern.handle().tail().closed_by_max_age == 1);
    drop(root);

    // Read while this thread holds a snapshot of the buffer: no deadlock.
    let snapshot = lantern.buffer().snapshot();
    assert!(lantern.metrics().prometheus_text().contains("lantern_sampling_tail_completed_total"));
    drop(snapshot);

    let body = scrape(&lantern);
    let tail = lantern.handle().tail();
    assert_eq!(value(&body, "lantern_sampling_tail_kept_total{reason=\"error\"}"), Some(1), "{body}");
    assert_eq!(value(&body, "lantern_sampling_tail_kept_total{reason=\"slow\"}"), Some(0));
    assert_eq!(value(&body, "lantern_sampling_tail_over_cap_total"), Some(1));
    assert_eq!(value(&body, "lantern_sampling_tail_tracker_full_total"), Some(tail.tracker_full));
    assert!(tail.tracker_full >= 1, "{tail:?}");
    assert_eq!(value(&body, "lantern_sampling_tail_closed_by_max_age_total"), Some(1));
    assert_eq!(value(&body, "lantern_sampling_tail_completed_total"), Some(tail.completed));
}
