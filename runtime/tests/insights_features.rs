//! Trace features from real `tracing` spans: the built-in features against
//! a hand count, the aggregates per root operation and minute, the
//! extrapolation by adjusted counts, user extractors (one that panics is
//! switched off), the long-term profile, the bounds, the
//! `lantern_trace_*` series on `/metrics`, and `/debug/insights` with its
//! JSON twin.

mod pages_support;
use pages_support::*;

use std::time::{Duration, Instant};

use lantern::insights::{FeatureExtractor, FeatureStats, Features};
use lantern::sampling::{RecordingMode, TraceIdRatio};
use lantern::tail::{CompletedTrace, CompletionConfig};
use tracing::info_span;

fn quick() -> CompletionConfig {
    CompletionConfig { quiet_period: Duration::from_millis(20), ..Default::default() }
}

fn start() -> lantern::Guard {
    lantern::builder()
        .service_name("frontend")
        .insights(true)
        .completion(quick())
        .http_addr(Some(([127, 0, 0, 1], 0).into()))
        .try_init_local()
}

/// The features once `traces` traces have been aggregated.
fn features_after(lantern: &lantern::Guard, traces: u64) -> FeatureStats {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let stats = lantern.handle().trace_features().expect("the features are on");
        if stats.traces >= traces {
            return stats;
        }
        assert!(Instant::now() < deadline, "only {} of {traces} traces aggregated", stats.traces);
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// `GET /dispatch` in frontend: a customer call with its SQL query (20 ms)
/// and a failed driver call. 4 spans, 3 services, depth 3, 1 error span;
/// when `failed`, the dispatch fails too (2 error spans).
fn dispatch(failed: bool) {
    let root = if failed {
        info_span!("GET /dispatch", otel.kind = "server", otel.status_code = "ERROR")
    } else {
        info_span!("GET /dispatch", otel.kind = "server")
    };
    root.in_scope(|| {
        lantern::context::set_baggage("customer", "123").unwrap();
        info_span!("GET /customer", service.name = "customer").in_scope(|| {
            info_span!("SQL SELECT", otel.kind = "client").in_scope(|| std::thread::sleep(Duration::from_millis(20)));
        });
        info_span!("FindNearest", service.name = "driver", otel.status_code = "ERROR").in_scope(|| {});
    });
}

#[test]
fn the_built_in_features_match_a_hand_count() {
    let lantern = start();
    dispatch(false);
    dispatch(true);
    let stats = features_after(&lantern, 2);
    let op = stats.operation("GET /dispatch").expect("aggregated under its root");
    assert_eq!((op.traces, op.estimated), (2, 2.0));
    assert_eq!(op.error_traces, 1.0, "the dispatch that failed; the driver's error alone is handled");
    assert_eq!((op.span_count.min, op.span_count.max, op.services.max, op.depth.max), (4.0, 4.0, 3.0, 3.0));
    assert_eq!((op.error_spans.min, op.error_spans.max), (1.0, 2.0));
    assert!(op.duration.max >= 0.020 && op.duration.max < 5.0, "{:?}", op.duration);
    assert!(op.critical_path.max >= 0.020 && op.critical_path.max <= op.duration.max + 1e-6, "{:?}", op.critical_path);
    let spans: Vec<(&str, u64)> = op.spans_per_service.iter().map(|s| (s.service.as_str(), s.spans)).collect();
    assert_eq!(spans, [("frontend", 2), ("customer", 4), ("driver", 2)]);
    assert_eq!(op.error_ratio(), Some(0.5));
    // This minute holds them.
    assert_eq!(op.minutes.len(), 1);
    assert_eq!((op.minutes[0].minutes_ago, op.minutes[0].traces, op.minutes[0].error_traces), (0, 2, 1.0));
    assert!(op.minutes[0].duration_p99.unwrap() >= 0.020);
    assert_eq!(op.hour.span_count.mean(), 4.0);

    // Where the time goes: the SQL query, by far.
    let top = &stats.profile[0];
    assert_eq!((top.service.as_str(), top.operation.as_str()), ("customer", "SQL SELECT"));
    assert!(top.share > 0.5 && top.seconds >= 0.020, "{:?}", stats.profile);
    let shares: f64 = stats.profile.iter().map(|p| p.share).sum();
    assert!((shares - 1.0).abs() < 1e-9, "the shares add up to the whole: {shares}");
}

#[test]
fn the_features_are_series_on_metrics() {
    let lantern = start();
    dispatch(false);
    dispatch(true);
    features_after(&lantern, 2);
    let (status, _, body) = get(lantern.http_addr().unwrap(), "/metrics");
    assert_eq!(status, 200);
    for line in [
        "# TYPE lantern_trace_span_count histogram",
        r#"lantern_trace_span_count_bucket{root="GET /dispatch",le="5.0"} 2"#,
        r#"lantern_trace_span_count_count{root="GET /dispatch"} 2"#,
        r#"lantern_trace_span_count_sum{root="GET /dispatch"} 8"#,
        r#"lantern_trace_services_count{root="GET /dispatch"} 2"#,
        r#"lantern_trace_depth_sum{root="GET /dispatch"} 6"#,
        r#"lantern_trace_duration_seconds_count{root="GET /dispatch"} 2"#,
        r#"lantern_trace_critical_path_seconds_count{root="GET /dispatch"} 2"#,
        r#"lantern_trace_completed_total{root="GET /dispatch"} 2"#,
        r#"lantern_trace_estimated_total{root="GET /dispatch"} 2"#,
        r#"lantern_trace_errors_total{root="GET /dispatch"} 1"#,
        r#"lantern_trace_error_spans_sum{root="GET /dispatch"} 3"#,
    ] {
        assert!(body.contains(line), "{line} missing from:\n{body}");
    }
}

/// The number of roots named `name` the head sampler kept.
fn sampled(lantern: &lantern::Guard, name: &str) -> u64 {
    lantern.handle().sampling().roots().iter().find(|r| r.name == name).map_or(0, |r| r.sampled)
}

#[test]
fn counts_are_extrapolated_by_adjusted_counts_when_only_sampled_traces_are_recorded() {
    let lantern = lantern::builder()
        .insights(true)
        .completion(quick())
        .recording_mode(RecordingMode::SampledOnly)
        .sampler(TraceIdRatio::new(0.25))
        .http_addr(Some(([127, 0, 0, 1], 0).into()))
        .try_init_local();
    for _ in 0..200 {
        info_span!("GET /ratio").in_scope(|| info_span!("work").in_scope(|| {}));
    }
    let kept = sampled(&lantern, "GET /ratio");
    assert!(kept > 10 && kept < 120, "about a quarter of 200: {kept}");
    let stats = features_after(&lantern, kept);
    let op = stats.operation("GET /ratio").unwrap();
    assert_eq!(op.traces, kept, "only sampled traces are seen");
    assert_eq!(op.estimated, 4.0 * kept as f64, "each stands for 1/p = 4");
    assert_eq!(op.minutes.iter().map(|m| m.estimated).sum::<f64>(), 4.0 * kept as f64);
    assert_eq!(op.span_count.mean(), 2.0, "the distribution is of the traces seen");
    let (_, _, body) = get(lantern.http_addr().unwrap(), "/metrics");
    let line = format!(r#"lantern_trace_estimated_total{{root="GET /ratio"}} {}"#, 4 * kept);
    assert!(body.contains(&line), "{line} missing");
    assert!(body.contains(&format!(r#"lantern_trace_completed_total{{root="GET /ratio"}} {kept}"#)));
}

#[test]
fn every_trace_counts_once_when_every_trace_is_recorded() {
    let lantern = lantern::builder()
        .insights(true)
        .completion(quick())
        .sampler(TraceIdRatio::new(0.25))
        .http_addr(None)
        .try_init_local();
    for _ in 0..40 {
        info_span!("GET /all").in_scope(|| {});
    }
    let stats = features_after(&lantern, 40);
    let op = stats.operation("GET /all").unwrap();
    assert_eq!((op.traces, op.estimated), (40, 40.0), "the process saw the whole population: nothing to extrapolate");
}

/// Rides per customer, from the baggage (as HotROD's extractor does).
struct Rides;

impl FeatureExtractor for Rides {
    fn name(&self) -> &str {
        "rides per customer"
    }
    fn extract(&self, trace: &CompletedTrace, out: &mut Features) {
        if let Some(customer) = trace.trace.spans.iter().find_map(|s| s.baggage.get("customer")) {
            out.add(&format!("rides.customer.{customer}"), 1.0);
        }
    }
}

struct Panics;

impl FeatureExtractor for Panics {
    fn name(&self) -> &str {
        "panics"
    }
    fn extract(&self, _: &CompletedTrace, _: &mut Features) {
        panic!("an extractor's bug");
    }
}

#[test]
fn a_custom_extractor_adds_features_and_one_that_panics_is_switched_off() {
    let lantern = lantern::builder()
        .service_name("frontend")
        .feature_extractor(Panics)
        .feature_extractor(Rides)
        .completion(quick())
        .http_addr(Some(([127, 0, 0, 1], 0).into()))
        .try_init_local();
    assert!(lantern.handle().service_graph().is_none(), "an extractor turns on the features alone");
    dispatch(false);
    dispatch(false);
    info_span!("GET /health").in_scope(|| {});
    let stats = features_after(&lantern, 3);
    let rides = stats.operation("GET /dispatch").unwrap().feature("rides.customer.123").expect("the custom feature");
    assert_eq!((rides.count, rides.sum), (2, 2.0));
    assert!(stats.operation("GET /health").unwrap().features.is_empty(), "no customer, no feature");
    let states: Vec<(&str, bool)> = stats.extractors.iter().map(|e| (e.name.as_str(), e.failed)).collect();
    assert_eq!(states, [("panics", true), ("rides per customer", false)]);
    let (_, _, body) = get(lantern.http_addr().unwrap(), "/metrics");
    let line = r#"lantern_trace_feature_count{root="GET /dispatch",feature="rides.customer.123"} 2"#;
    assert!(body.contains(line), "{line} missing from:\n{body}");
}

#[test]
fn root_operations_past_the_cap_are_counted_and_names_cut() {
    let lantern = lantern::builder().insights(true).completion(quick()).http_addr(None).try_init_local();
    let long = "x".repeat(5000);
    info_span!("long", otel.name = long.as_str()).in_scope(|| {});
    features_after(&lantern, 1);
    for i in 0..250 {
        let name = format!("GET /item/{i}");
        info_span!("op", otel.name = name.as_str()).in_scope(|| {});
    }
    let stats = features_after(&lantern, 251);
    assert_eq!(stats.operations.len(), 200);
    assert_eq!(stats.operations_overflow, 51);
    assert!(stats.operations.iter().all(|o| o.root.len() <= 256));
    assert_eq!(stats.operations[0].root, "x".repeat(256));
}

#[test]
fn the_insights_page_and_its_json_show_the_trends_and_the_profile() {
    let lantern = start();
    dispatch(true);
    info_span!("GET /<script>").in_scope(|| {});
    features_after(&lantern, 2);
    let addr = lantern.http_addr().unwrap();

    let page = html(addr, "/debug/insights");
    assert!(page.contains(r#"<tr class="operation" data-root="GET /dispatch">"#), "{page}");
    assert!(page.contains(r#"data-root="GET /&lt;script&gt;""#) && !page.contains("<script>"), "escaped");
    assert_eq!(page.matches(r#"<svg class="trend" data-bars="1""#).count(), 8, "four trends, two operations");
    assert!(page.contains(r#"<table class="profile">"#));
    assert!(page.contains(r#"data-service="customer" data-operation="SQL SELECT""#), "{page}");
    assert!(!page.contains("note off"));

    let api = json(addr, "/debug/api/insights");
    assert_eq!(api["enabled"], true);
    let ops = api["operations"].as_array().unwrap();
    let dispatch = ops.iter().find(|o| o["root"] == "GET /dispatch").unwrap();
    assert_eq!(dispatch["span_count"]["max"], 4.0);
    assert_eq!(dispatch["minutes"][0]["minutes_ago"], 0);
    assert_eq!(dispatch["hour"]["error_traces"], 1.0);
    assert_eq!(api["profile"][0]["operation"], "SQL SELECT");
}

#[test]
fn the_insights_page_says_how_to_turn_them_on() {
    let lantern = lantern::builder().http_addr(Some(([127, 0, 0, 1], 0).into())).try_init_local();
    let addr = lantern.http_addr().unwrap();
    let page = html(addr, "/debug/insights");
    assert!(page.contains(r#"<p class="note off">"#) && page.contains("insights(true)"), "{page}");
    assert_eq!(json(addr, "/debug/api/insights")["enabled"], false);
}
