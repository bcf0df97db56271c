//! Trace patterns from real `tracing` spans: each detector on a trace that
//! has the pattern and on one that does not, the counts per root operation
//! through the handle and `/metrics`, the hints on the waterfall page and in
//! its JSON, and a trace of 100 000 spans through the analysis thread.

mod pages_support;
use pages_support::*;

use std::thread::sleep;
use std::time::{Duration, Instant};

use lantern::insights::{Finding, PatternConfig, PatternKind, PatternStats, find_patterns};
use lantern::tail::CompletionConfig;
use lantern::{SpanId, TraceId};
use tracing::{Span, info_span};

fn ms(n: u64) {
    sleep(Duration::from_millis(n));
}

fn start() -> lantern::Guard {
    let quick = CompletionConfig { quiet_period: Duration::from_millis(20), ..Default::default() };
    lantern::builder()
        .service_name("frontend")
        .insights(true)
        .completion(quick)
        .http_addr(Some(([127, 0, 0, 1], 0).into()))
        .try_init_local()
}

/// Runs `f` in a new root span named `root`; returns its trace id.
fn traced(root: &str, f: impl FnOnce(&Span)) -> TraceId {
    let span = info_span!("root", otel.name = root);
    let id = span.in_scope(|| {
        f(&span);
        lantern::context::current().span_context().unwrap().trace_id()
    });
    drop(span);
    id
}

/// The findings of `kind` in trace `id`, as held in the buffer now.
fn findings(lantern: &lantern::Guard, id: TraceId, kind: PatternKind) -> Vec<Finding> {
    findings_with(lantern, id, kind, &PatternConfig::default())
}

/// The same with other thresholds: the negative cases that depend on
/// sleeps use a wide margin, so a loaded machine that oversleeps does not
/// turn them into patterns.
fn findings_with(lantern: &lantern::Guard, id: TraceId, kind: PatternKind, config: &PatternConfig) -> Vec<Finding> {
    lantern.buffer().flush();
    let trace = lantern.buffer().snapshot().trace(id).expect("the trace is held");
    find_patterns(&trace, config).into_iter().filter(|f| f.kind == kind).collect()
}

/// The ids of the spans named `name` in trace `id`, by start.
fn ids_named(lantern: &lantern::Guard, id: TraceId, name: &str) -> Vec<SpanId> {
    let trace = lantern.buffer().snapshot().trace(id).unwrap();
    let mut spans: Vec<_> = trace.spans.iter().filter(|s| s.name == name).collect();
    spans.sort_by_key(|s| s.start_time());
    spans.iter().map(|s| s.span_id).collect()
}

/// The patterns once `traces` traces have been analysed.
fn patterns_after(lantern: &lantern::Guard, traces: u64) -> PatternStats {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let stats = lantern.handle().trace_patterns().expect("patterns are on with insights");
        if stats.traces >= traces {
            return stats;
        }
        assert!(Instant::now() < deadline, "only {} of {traces} traces analysed", stats.traces);
        sleep(Duration::from_millis(5));
    }
}

/// HotROD's driver: one `FindDriverIDs`, then a `GetDriver` per driver,
/// one after another; `parallel` runs them on threads instead.
fn find_nearest(parallel: bool) -> TraceId {
    traced("FindNearest", |root| {
        info_span!("FindDriverIDs", otel.kind = "client").in_scope(|| ms(1));
        if !parallel {
            for _ in 0..3 {
                info_span!("GetDriver", otel.kind = "client").in_scope(|| ms(5));
            }
            return;
        }
        let dispatch = tracing::dispatcher::get_default(|d| d.clone());
        std::thread::scope(|scope| {
            for _ in 0..3 {
                let dispatch = dispatch.clone();
                scope.spawn(move || {
                    tracing::dispatcher::with_default(&dispatch, || {
                        info_span!(parent: root, "GetDriver", otel.kind = "client").in_scope(|| ms(5));
                    })
                });
            }
        });
    })
}

#[test]
fn errors_are_marked_where_they_start() {
    let lantern = start();
    let failing = traced("checkout", |_| {
        info_span!("charge", otel.status_code = "ERROR").in_scope(|| {
            info_span!("card").in_scope(|| tracing::error!("card declined"));
            info_span!("audit").in_scope(|| {});
        });
    });
    let f = findings(&lantern, failing, PatternKind::ErrorSource);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].spans, ids_named(&lantern, failing, "card"), "the ERROR log made `card` fail first");
    assert!(f[0].message.contains("failing parent only passes it on"), "{}", f[0].message);

    let fine = traced("checkout", |_| info_span!("charge").in_scope(|| info_span!("card").in_scope(|| {})));
    assert!(findings(&lantern, fine, PatternKind::ErrorSource).is_empty());
}

#[test]
fn the_longest_span_on_the_critical_path_by_self_time() {
    let lantern = start();
    let slow = traced("GET /dispatch", |_| {
        info_span!("SQL SELECT", otel.kind = "client").in_scope(|| ms(12));
        info_span!("GetDriver", otel.kind = "client").in_scope(|| ms(1));
    });
    let f = findings(&lantern, slow, PatternKind::LongestSelfTime);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].spans, ids_named(&lantern, slow, "SQL SELECT"));
    assert!(f[0].time >= Duration::from_millis(12), "{:?}", f[0].time);

    // Ten steps of 3 ms: none is half of the trace (the SQL query is).
    let even = traced("GET /dispatch", |_| {
        for step in ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"] {
            info_span!("step", otel.name = step).in_scope(|| ms(3));
        }
    });
    let half = PatternConfig { min_self_share: 0.5, ..Default::default() };
    assert!(findings_with(&lantern, even, PatternKind::LongestSelfTime, &half).is_empty());
    assert_eq!(findings_with(&lantern, slow, PatternKind::LongestSelfTime, &half).len(), 1);
}

#[test]
fn missing_details_is_a_long_silent_gap() {
    let lantern = start();
    let silent = traced("report", |_| {
        info_span!("load").in_scope(|| ms(1));
        ms(40);
    });
    let f = findings(&lantern, silent, PatternKind::MissingDetails);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].spans, ids_named(&lantern, silent, "report"));
    assert!(f[0].time >= Duration::from_millis(40) && f[0].message.contains("no child span and no log"));

    // The same wait, with a log every 2 ms: its details are there.
    let logged = traced("report", |_| {
        info_span!("load").in_scope(|| ms(1));
        for step in 0..5 {
            ms(2);
            tracing::info!(step, "still working");
        }
    });
    let strict = PatternConfig { missing_share: 0.8, ..Default::default() };
    assert!(findings_with(&lantern, logged, PatternKind::MissingDetails, &strict).is_empty());
    assert_eq!(findings_with(&lantern, silent, PatternKind::MissingDetails, &strict).len(), 1);
}

#[test]
fn a_staircase_of_sequential_calls() {
    let lantern = start();
    let stairs = find_nearest(false);
    let f = findings(&lantern, stairs, PatternKind::Staircase);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].spans, ids_named(&lantern, stairs, "GetDriver"));
    assert!(f[0].message.starts_with("3 \"GetDriver\" spans under \"FindNearest\""), "{}", f[0].message);

    let parallel = find_nearest(true);
    assert!(findings(&lantern, parallel, PatternKind::Staircase).is_empty());
}

#[test]
fn spans_that_finish_together() {
    let lantern = start();
    // Three waits that start 4 ms apart and end `gap` ms apart.
    let waits = |gap: u64| {
        move |root: &Span| {
            let spans: Vec<Span> = (0..3)
                .map(|_| {
                    let s = info_span!(parent: root, "wait for lock");
                    ms(4);
                    s
                })
                .collect();
            for s in spans {
                drop(s);
                ms(gap);
            }
        }
    };
    let together = traced("batch", waits(0));
    let f = findings(&lantern, together, PatternKind::SimultaneousFinish);
    assert_eq!(f.len(), 1, "{f:?}");
    let mut ids = ids_named(&lantern, together, "wait for lock");
    ids.sort();
    let mut found = f[0].spans.clone();
    found.sort();
    assert_eq!(found, ids);

    let apart = traced("batch", waits(4));
    assert!(findings(&lantern, apart, PatternKind::SimultaneousFinish).is_empty());
}

#[test]
fn findings_are_counted_per_root_operation_and_on_metrics() {
    let lantern = start();
    let first = find_nearest(false);
    let second = find_nearest(false);
    traced("GET /health", |_| {});
    let stats = patterns_after(&lantern, 3);

    let op = stats.operation("FindNearest").expect("counted under its root");
    assert_eq!(op.traces, 2);
    let stairs = op.count(PatternKind::Staircase);
    assert_eq!((stairs.findings, stairs.traces), (2, 2));
    assert_eq!(stairs.examples.len(), 2);
    assert!(stairs.examples.contains(&first) && stairs.examples.contains(&second), "{:?}", stairs.examples);
    let health = stats.operation("GET /health").unwrap();
    assert_eq!(health.count(PatternKind::Staircase).findings, 0);

    let (_, _, body) = get(lantern.http_addr().unwrap(), "/metrics");
    let line = "lantern_trace_patterns_total{root=\"FindNearest\",pattern=\"staircase\"} 2";
    assert!(body.contains(line), "{line} in:\n{body}");
    assert!(body.contains("lantern_trace_patterns_total{root=\"GET /health\",pattern=\"staircase\"} 0"));
}

#[test]
fn hints_show_on_the_waterfall_and_in_its_json_without_the_analysis() {
    // Insights off: the page finds the patterns of the trace it shows.
    let lantern = lantern::builder().http_addr(Some(([127, 0, 0, 1], 0).into())).try_init_local();
    let addr = lantern.http_addr().unwrap();
    let id = find_nearest(false);
    lantern.buffer().flush();
    let steps = ids_named(&lantern, id, "GetDriver");

    let api = json(addr, &format!("/debug/api/traces/{id}"));
    let stairs: Vec<&serde_json::Value> =
        api["findings"].as_array().unwrap().iter().filter(|f| f["kind"] == "staircase").collect();
    assert_eq!(stairs.len(), 1, "{api}");
    let listed: Vec<&str> = stairs[0]["spans"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert_eq!(listed, steps.iter().map(|s| s.to_string()).collect::<Vec<_>>());

    let page = html(addr, &format!("/debug/traces/{id}"));
    assert!(page.contains("<ol class=\"hints\">"), "{page}");
    assert!(page.contains("data-pattern=\"staircase\""));
    for step in &steps {
        assert!(page.contains(&format!("href=\"#span-{step}\"")), "the hint links to the row of {step}");
        assert!(page.contains(&format!("id=\"span-{step}\"")), "the row of {step} is the anchor");
    }
    assert_eq!(page.matches("class=\"hint-mark\" data-pattern=\"staircase\"").count(), 3, "a mark in each step's row");
}

#[test]
fn hint_messages_are_escaped() {
    let lantern = lantern::builder().http_addr(Some(([127, 0, 0, 1], 0).into())).try_init_local();
    let addr = lantern.http_addr().unwrap();
    let id = traced("<b>root</b>", |_| {
        info_span!("step", otel.name = "<script>alert(1)</script>", otel.status_code = "ERROR").in_scope(|| {});
    });
    lantern.buffer().flush();
    let page = html(addr, &format!("/debug/traces/{id}"));
    assert!(page.contains("data-pattern=\"error_source\""), "{page}");
    let hint = page.split("<ol class=\"hints\">").nth(1).expect("a list of hints");
    assert!(hint.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{page}");
    assert!(!page.contains("<script>") && !page.contains("<b>root</b>"));
}

#[test]
fn a_trace_of_100_000_spans_is_analysed() {
    let buffer = lantern::buffer::BufferConfig {
        max_spans_per_trace: 200_000,
        max_records: 400_000,
        max_bytes: 512 << 20,
        queue_capacity: 1 << 18,
        ..Default::default()
    };
    let quick = CompletionConfig { quiet_period: Duration::from_millis(50), ..Default::default() };
    let lantern = lantern::builder().buffer(buffer).insights(true).completion(quick).try_init_local();
    traced("batch job", |_| {
        for _ in 0..99_999 {
            info_span!("item").in_scope(|| {});
        }
    });
    let stats = patterns_after(&lantern, 1);
    assert_eq!(lantern.handle().insights().unwrap().failed_analyses, 0);
    let op = stats.operation("batch job").unwrap();
    assert_eq!(op.traces, 1);
    // 99 999 calls in a row: staircases (a pause of the thread between two
    // calls of a microsecond ends one), at most the cap.
    assert!((1..=8).contains(&op.count(PatternKind::Staircase).findings), "{op:?}");
    assert!(op.patterns.iter().all(|(_, c)| c.findings <= PatternConfig::default().max_per_kind as u64));
}
