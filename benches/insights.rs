#![allow(missing_docs)] // criterion's macros generate undocumented items
//! What analysing one completed trace costs the analysis thread
//! (`lantern-insights`): every analysis `Builder::insights(true)` turns on
//! (the service graph, trace patterns, features, tracing quality), over a
//! HotROD-shaped trace of 50 spans in four services. Issue 13's target: at
//! most 20 µs a trace.
//!
//! Group `insights_analyse`: one case, `hotrod_50_spans`. After it, the
//! bench prints how many traces were analysed and what the graph holds, so
//! that a case that analysed nothing shows.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use lantern::insights::BenchAnalyser;
use lantern::tail::{CompletedTrace, CompletionConfig, TraceListener};
use tracing::info_span;

/// Keeps every completed trace.
#[derive(Default)]
struct Keep(Mutex<Vec<CompletedTrace>>);

impl TraceListener for Keep {
    fn on_trace(&self, trace: &CompletedTrace) {
        self.0.lock().unwrap().push(trace.clone());
    }
}

/// A client span of the current service and its server span in `service`.
fn call(name: &str, service: &str, inside: impl FnOnce()) {
    info_span!("call", otel.name = name, otel.kind = "client").in_scope(|| {
        let server = lantern::context::current()
            .child_span(|| info_span!("serve", otel.name = name, otel.kind = "server", service.name = service));
        server.in_scope(inside);
    });
}

/// One HotROD dispatch: frontend -> customer -> MySQL, frontend -> driver
/// -> Redis (eleven calls, one after the other), frontend -> route (ten
/// calls): 50 spans.
fn dispatch() {
    info_span!("GET /dispatch", otel.kind = "server").in_scope(|| {
        call("GET /customer", "customer", || {
            info_span!("SQL SELECT", otel.kind = "client", db.system = "mysql").in_scope(|| {});
        });
        call("FindNearest", "driver", || {
            info_span!("FindDriverIDs", otel.kind = "client", db.system = "redis").in_scope(|| {});
            for _ in 0..10 {
                info_span!("GetDriver", otel.kind = "client", db.system = "redis").in_scope(|| {});
            }
        });
        for _ in 0..10 {
            call("GET /route", "route", || info_span!("compute_route").in_scope(|| {}));
        }
        info_span!("render").in_scope(|| tracing::info!("dispatch successful"));
    });
}

/// The dispatch's completed trace, as the analysis thread receives it.
fn hotrod_trace() -> CompletedTrace {
    let keep = Arc::new(Keep::default());
    let quick = CompletionConfig { quiet_period: Duration::ZERO, ..Default::default() };
    let layer = lantern::builder().service_name("frontend").completion(quick).trace_listener(keep.clone()).layer();
    let dispatch_ =
        tracing::Dispatch::new(tracing_subscriber::layer::SubscriberExt::with(tracing_subscriber::registry(), layer));
    tracing::dispatcher::with_default(&dispatch_, dispatch);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(trace) = keep.0.lock().unwrap().pop() {
            return trace;
        }
        assert!(Instant::now() < deadline, "the trace did not complete");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn analyse(c: &mut Criterion) {
    let trace = hotrod_trace();
    eprintln!("insights_analyse/hotrod_50_spans: a trace of {} spans", trace.trace.spans.len());
    let handle = lantern::builder().service_name("frontend").layer().handle();
    let mut analyser = BenchAnalyser::new(&handle);
    let mut group = c.benchmark_group("insights_analyse");
    group.bench_function("hotrod_50_spans", |b| b.iter(|| analyser.analyse(&trace)));
    group.finish();
    let graph = handle.service_graph();
    let edges = graph.map_or(0, |g| g.edges.len());
    eprintln!("insights_analyse/hotrod_50_spans: {} traces analysed; the graph has {edges} edges", analyser.analysed());
}

criterion_group!(benches, analyse);
criterion_main!(benches);
