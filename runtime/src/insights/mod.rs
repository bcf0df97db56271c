//! Getting value from traces in process: the service graph, trace
//! patterns, trace features and tracing quality.
//!
//! A backend learns who calls whom by pairing spans that services shipped
//! to it: Grafana Tempo's metrics-generator and the OpenTelemetry
//! Collector's `servicegraph` connector keep every client and server span
//! in memory for a while, hoping that the other half arrives. Lantern has
//! the spans already: each trace that completes in this process (see
//! [`crate::tail`]) is read once, on Lantern's ingest thread, and what it
//! says is added to a small graph that the application can ask
//! ([`Handle::service_graph`](crate::Handle::service_graph)) and that
//! `/metrics` and the OTLP metrics export publish under the connector's own
//! names, so Grafana's service graph view works against Lantern's
//! Prometheus endpoint with no collector in between.
//!
//! ```
//! use std::time::Duration;
//! use lantern::tail::CompletionConfig;
//!
//! let quick = CompletionConfig { quiet_period: Duration::from_millis(20), ..Default::default() };
//! let lantern = lantern::builder().service_name("frontend").service_graph(true).completion(quick).try_init_local();
//! tracing::info_span!("GET /dispatch").in_scope(|| {
//!     tracing::info_span!("SQL SELECT", otel.kind = "client", db.system = "mysql").in_scope(|| {});
//! });
//! let deadline = std::time::Instant::now() + Duration::from_secs(10);
//! let graph = loop {
//!     let graph = lantern.handle().service_graph().unwrap();
//!     if graph.traces > 0 || std::time::Instant::now() > deadline { break graph; }
//!     std::thread::sleep(Duration::from_millis(5));
//! };
//! let edge = graph.edge("frontend", "mysql").unwrap();
//! assert_eq!(edge.connection_type, lantern::insights::ConnectionType::Database);
//! assert_eq!(graph.path("GET /dispatch").count(), 1);
//! ```
//!
//! # Edges
//!
//! The rules are the connector's, applied to one complete trace:
//!
//! | spans | edge | `connection_type` |
//! |---|---|---|
//! | a client span and its server child | client's service → server's service | `""` |
//! | a producer span and its consumer child | producer's service → consumer's service | `messaging_system` |
//! | a client span with no server child, and `db.system` or `db.name` | service → the database, named as below | `database` |
//! | a client (or producer) span with no server child, and a peer attribute | service → the virtual node | `virtual_node` |
//! | a server span with no parent at all | `user` → service | `virtual_node` |
//!
//! A virtual node is named from the first of `peer.service`, `db.system`,
//! `db.name`, `db.namespace`, `server.address` and `messaging.system` that
//! the client span has. (The connector names a database from `db.name`;
//! current semantic conventions renamed it `db.namespace` and name the
//! product in `db.system`, which is what a graph should show: `mysql`, not
//! the schema.) A span's service is its `service.name` field, inherited
//! from its ancestors, else the resource's `service.name`.
//!
//! A request *failed* when the client or the server span has an error
//! status. The client histogram takes the client span's duration, the
//! server one the server span's; for a database both take the client's, and
//! for another virtual node the missing side records zero, as the connector
//! does.
//!
//! What cannot be paired is counted in
//! `traces_service_graph_unpaired_spans_total` by the side that is known:
//! a client or producer span with no server child and no peer attribute
//! (`client` set, `server` empty), and a server or consumer span whose
//! parent is not a client in this trace, most often because the caller is
//! another process (`server` set, `client` empty). Those requests are that
//! other process's to count, on its own Lantern or on a collector that sees
//! both sides.
//!
//! # Path-aware
//!
//! Every edge is also counted by the trace's *entry operation*, the name of
//! its root span in this process ([`ServiceGraph::paths`]): what
//! `GET /dispatch` touches, told apart from what the whole process touches
//! ([`ServiceGraph::path`]).
//!
//! # Costs and bounds
//!
//! - Off by default ([`Builder::service_graph`](crate::Builder::service_graph)):
//!   on, it turns trace completion on for every trace, which costs the
//!   ingest thread a hash-map update per span and the memory of the traces
//!   watched (see [`crate::tail`]).
//! - The analyses run on a thread of their own, `lantern-insights`: the
//!   ingest thread hands each completed trace over through a bounded queue
//!   (256 traces; a trace that finds it full is dropped and counted in
//!   [`InsightsStats::dropped`], from [`Handle::insights`](crate::Handle::insights)),
//!   so an analysis never holds up recording. Each trace is indexed once
//!   for all the analyses; the graph then takes a pass to pair its spans
//!   (linear in its size) and one short lock to count. Nothing runs on the
//!   application's threads, and the thread sleeps when no trace completes.
//! - At most 1000 edges, 4000 edges by entry and 1000 unpaired series;
//!   past them requests are counted as overflow ([`ServiceGraph::edges_overflow`]
//!   and the others). Names are cut to 256 bytes, as metric label values are.
//! - Latency histograms have the connector's 16 fixed buckets
//!   ([`LATENCY_BUCKETS`]): a few hundred bytes an edge.
//! - Spans the ring buffer evicted before their trace completed are not
//!   seen; with [`RecordingMode::SampledOnly`](crate::sampling::RecordingMode::SampledOnly)
//!   only sampled traces are.
//!
//! # Trace patterns
//!
//! *Mastering Distributed Tracing* (ch. 9, "Recognizing trace patterns")
//! names what a person learns to spot on a waterfall. [`find_patterns`]
//! spots them in one trace; with [`Builder::insights`](crate::Builder::insights)
//! every completed trace is checked on the analysis thread and its
//! [`Finding`]s are counted by root operation and [`PatternKind`]
//! ([`Handle::trace_patterns`](crate::Handle::trace_patterns), and
//! `lantern_trace_patterns_total{root, pattern}` on `/metrics`), with the
//! latest example traces. The waterfall page, `/debug/traces/{trace_id}`,
//! finds them itself in the trace it shows (complete or not, insights on
//! or off) and shows each as a hint above the waterfall, linked to the
//! rows of its spans, which carry a mark; the page's JSON lists them in
//! `findings`.
//!
//! ```
//! use std::time::Duration;
//! use lantern::insights::{PatternConfig, PatternKind, find_patterns};
//!
//! let lantern = lantern::builder().try_init_local();
//! tracing::info_span!("FindNearest").in_scope(|| {
//!     for _ in 0..3 {
//!         tracing::info_span!("GetDriver").in_scope(|| std::thread::sleep(Duration::from_millis(2)));
//!     }
//! });
//! let snap = lantern.buffer().snapshot();
//! let trace = snap.trace(snap.spans_named("FindNearest", 1)[0].trace_id).unwrap();
//! let found = find_patterns(&trace, &PatternConfig::default());
//! let stairs = found.iter().find(|f| f.kind == PatternKind::Staircase).unwrap();
//! assert_eq!(stairs.spans.len(), 3);
//! assert!(stairs.message.starts_with("3 \"GetDriver\" spans under \"FindNearest\""));
//! ```
//!
//! The rules, with the defaults of [`PatternConfig`]:
//!
//! | pattern | found when | spans |
//! |---|---|---|
//! | [`ErrorSource`](PatternKind::ErrorSource) | a span has an error status (set, or from an `ERROR` log in it) and none of its children has: the error starts here; its failing ancestors only pass it on and are not findings | the span |
//! | [`LongestSelfTime`](PatternKind::LongestSelfTime) | of the spans on the critical path, the one with the most *self time* (its time on the path, seen through its parent's window as the path is, less the time of its children on the path), when that is at least 15% of the path | the span |
//! | [`MissingDetails`](PatternKind::MissingDetails) | a span that has child spans leaves a stretch in which no child ran and nothing was logged, longer than 40% of its duration and than 1 ms: the largest such gap of each span. A leaf is opaque by design (a database call, a computation), logs or not: not missing details | the span |
//! | [`Staircase`](PatternKind::Staircase) | at least 3 children of one span with the *same name*, one after the other and back to back: each starts after the one before ended, within 100 µs or a quarter of their mean duration, lasting 1 ms in all | the steps |
//! | [`SimultaneousFinish`](PatternKind::SimultaneousFinish) | at least 3 spans, each longer than the window, end within 1 ms (or 1% of the trace, if longer) of the first of them, and their starts are more than a window apart (at least 3 distinct starts) | the spans |
//!
//! Why these choices:
//!
//! - A staircase is a loop of calls. Siblings of *different* names in a
//!   row are the ordinary "do this, then that" of a handler, so only
//!   same-named siblings count (HotROD's `GetDriver` calls, the book's
//!   example). Lantern cannot see data dependencies: the hint asks whether
//!   the calls could run in parallel, it does not say they can.
//! - Nested spans end together all the time (a handler ends right after
//!   its last call), so a span that ended within the window of one of its
//!   children's ends is left out of simultaneous finishes: its child speaks
//!   for it. Spans that started together and ended together ran in
//!   parallel for the same time, which is no sign of a shared wait, hence
//!   the distinct starts. Groups are made greedily from the earliest end,
//!   so two groups that straddle one window are seen as two.
//! - The longest span by self time is worth a hint only when it dominates;
//!   a path spread evenly over many spans has no single place to look.
//!
//! Bounds: at most 8 findings of a kind and 32 in all per trace, 64 span
//! ids in a finding (its message counts them all), names cut to 120 bytes
//! in messages. The work is O(n log n) for n spans, without recursion, and
//! malformed traces (parent-id cycles, duplicate ids, spans ending before
//! they start) are read without panic: a trace of 100 000 spans takes
//! about 40 ms in a release build, indexing and critical path included. The counts keep at most 200 root operations (root
//! names cut to 256 bytes; the traces of later ones counted together as
//! overflow) and the 5 latest example traces per operation and pattern.
//!
//! # On `/metrics`
//!
//! | metric | kind | labels |
//! |---|---|---|
//! | `traces_service_graph_request_total` | counter | `client`, `server`, `connection_type` |
//! | `traces_service_graph_request_failed_total` | counter | same |
//! | `traces_service_graph_request_server_seconds` | histogram | same |
//! | `traces_service_graph_request_client_seconds` | histogram | same |
//! | `traces_service_graph_unpaired_spans_total` | counter | same, the unknown side empty |
//! | `lantern_trace_patterns_total` | counter | `root`, `pattern` (with [`Builder::insights`](crate::Builder::insights)) |
//!
//! # Tracing quality
//!
//! A trace is only as useful as its instrumentation is complete: a service
//! that drops the context, a client span that names no peer, a server span
//! without its route all make traces that mislead (Yuri Shkuro, *Mastering
//! Distributed Tracing*, ch. 13, "Tracing Quality Metrics"). With
//! [`Builder::insights`](crate::Builder::insights), every completed trace is
//! checked on the analysis thread, and each service gets a report
//! ([`Handle::quality`](crate::Handle::quality), `/debug/quality`, and the
//! `lantern.quality.*` metrics):
//!
//! ```
//! use std::time::Duration;
//! use lantern::insights::Check;
//! use lantern::tail::CompletionConfig;
//!
//! let quick = CompletionConfig { quiet_period: Duration::from_millis(20), ..Default::default() };
//! let lantern = lantern::builder().service_name("api").insights(true).completion(quick).try_init_local();
//! // An HTTP server span with no route: the conventions require `http.route`.
//! tracing::info_span!("GET", otel.kind = "server", http.request.method = "GET").in_scope(|| {});
//! let deadline = std::time::Instant::now() + Duration::from_secs(10);
//! let report = loop {
//!     let report = lantern.handle().quality().unwrap();
//!     if report.traces > 0 || std::time::Instant::now() > deadline { break report; }
//!     std::thread::sleep(Duration::from_millis(5));
//! };
//! let api = report.service("api").unwrap();
//! assert_eq!(api.check(Check::MissingAttributes).spans, 1);
//! assert_eq!(api.missing_attributes[0].attribute, "http.route");
//! assert_eq!(api.score, 0.0);
//! ```
//!
//! ## The checks
//!
//! Each check ([`Check`]) counts spans, per service (a span's
//! `service.name`, else the resource's), and keeps the 5 most recent traces
//! where it found one, to be opened on `/debug/traces/{id}`:
//!
//! | check | a span counts when |
//! |---|---|
//! | `context_lost` | it is a server or consumer span the middleware marked `lantern.context_lost`: no valid `traceparent`, but tracing headers all the same (below) |
//! | `unpaired_client` | it is a client or producer span with no server or consumer child in the trace, and no peer attribute (`peer.service`, `db.system`, `db.name`, `db.namespace`, `server.address`, `messaging.system`) |
//! | `orphan` | its parent is local (not remote) and not in the trace, though the trace completed quietly and lost no span to the per-trace cap |
//! | `missing_attributes` | it lacks an attribute the table below requires |
//! | `unended` | its local parent is not in a trace closed by the maximum age: the parent had not ended |
//! | `clock_skew` | it starts before its parent or ends after it (by more than 1 ms when the parent is remote; a consumer may outlive its producer), or ends before it starts |
//!
//! **Context lost.** A server span with no parent is an *entry*: expected
//! at the edge of the system, where requests come from browsers and
//! uninstrumented clients, and counted apart
//! ([`ServiceQuality::entries_without_context`], beside
//! [`ServiceQuality::server_spans`]). It is a defect only when the caller
//! is known to trace. The server layers of [`crate::middleware`] (HTTP,
//! gRPC) know it from the request: a `traceparent` that was rejected
//! (`invalid_traceparent`), a `tracestate` alone (`tracestate_only`), B3 or
//! Jaeger headers, a tracer with another propagator (`other_propagator`),
//! or a `baggage` header alone (`baggage_only`); the value of the attribute
//! says which. A consumer span ([`crate::middleware::messaging`]) sees only
//! the extracted context: baggage with no trace context. Headers a load
//! balancer adds by itself (`x-amzn-trace-id`, `x-request-id`) are not
//! evidence. The check costs the request path nothing when a valid
//! `traceparent` came, and a few header look-ups when none did.
//!
//! **Unpaired clients.** Whether the server of a client span is hosted in
//! this process cannot be known in general, so a client span with no server
//! child is fine when it names its peer (a database, a remote service: a
//! virtual node of the service graph) and a defect only when it names
//! nothing.
//!
//! **Orphans and unended spans.** `tracing`'s registry keeps a parent open
//! until its children close, so in a trace of `tracing` spans a local
//! parent ends after its children. A local parent missing from a trace
//! closed quietly was lost: evicted from the ring buffer before the trace
//! completed, or made by a layer that Lantern did not see. A trace closed by
//! the maximum age ([`CompletionConfig::max_age`](crate::tail::CompletionConfig::max_age))
//! had a span open all along: its children are counted `unended`, and the
//! trace is counted for the service of its earliest span
//! ([`ServiceQuality::max_age_traces`]). Open spans themselves are not in a
//! completed trace (see `/debug/tracez` for them).
//!
//! ## Required attributes
//!
//! A span's convention families come from its attributes: `rpc.system`
//! makes it `rpc`; any `messaging.*` attribute, or the producer or consumer
//! kind, `messaging`; any `db.*`, `db`; any `http.*` or `url.*`, `http`.
//! Each family's rows apply (an HTTP call to a search engine with
//! `db.system` needs both); a span in no family needs nothing. Older names
//! count as the current ones.
//!
//! | family | kind | required (older name) |
//! |---|---|---|
//! | `http` | server | `http.request.method` (`http.method`), `http.route` |
//! | `http` | client | `http.request.method` (`http.method`), `server.address` (`net.peer.name`), `url.full` (`http.url`) |
//! | `rpc` | server, client | `rpc.service`, `rpc.method` |
//! | `db` | client | `db.system` (`db.system.name`) |
//! | `messaging` | producer, consumer, client | `messaging.system` |
//!
//! ## The score
//!
//! A service's completeness score is `100 × (1 − defective / spans)`: the
//! share of its spans with no defect at all (a span with two defects counts
//! once), to a tenth, 100 before any span. Every span weighs the same, so a
//! service is not punished twice for one bad span, and a fix shows in
//! proportion to the traffic it touches. The score in the report and the
//! `lantern.quality.score` gauge are since the process started; the score of
//! the last minutes is `100 * (1 - rate(lantern_quality_defective_spans_total[5m])
//! / rate(lantern_quality_spans_total[5m]))`.
//!
//! ## Bounds and metrics
//!
//! At most 200 services (spans of later ones are counted in
//! [`QualityReport::overflow_spans`]), 5 example traces per service and
//! check, names cut to 256 bytes. One pass over each trace, linear in its
//! size, and one short lock.
//!
//! | metric | kind | labels |
//! |---|---|---|
//! | `lantern.quality.spans` | counter | `service` |
//! | `lantern.quality.defective_spans` | counter | `service` |
//! | `lantern.quality.defects` | counter | `service`, `check` |
//! | `lantern.quality.server_spans` | counter | `service` |
//! | `lantern.quality.entries_without_context` | counter | `service` |
//! | `lantern.quality.score` | gauge | `service` |
//!
//! On `/metrics` the dots become `_` and counters end in `_total`
//! (`lantern_quality_defects_total{service="api",check="orphan"}`).
//!
//! # Trace features
//!
//! The book's data-mining pipeline (ch. 12) in process: the trace
//! completion trigger hands each trace to a *feature extractor*, and an
//! *aggregator* keeps the numbers per root operation over time. Turn it on
//! with [`Builder::insights`](crate::Builder::insights), or by adding an
//! extractor of your own ([`Builder::feature_extractor`](crate::Builder::feature_extractor));
//! read it with [`Handle::trace_features`](crate::Handle::trace_features),
//! on `/debug/insights` (JSON: `/debug/api/insights`) and on `/metrics`.
//!
//! Every completed trace is measured once, on the analysis thread:
//!
//! | feature | what |
//! |---|---|
//! | span count | the spans held (those the ring buffer evicted first are not) |
//! | services | distinct `service.name`s among them |
//! | depth | the deepest parent-child chain (a lone span is 1) |
//! | duration | first span's start to last span's end |
//! | critical path | the self times of the spans on the critical path, added up |
//! | error spans | spans with an error status |
//! | failed | whether the entry span has an error status: the request failed |
//! | spans per service | per service, its spans |
//!
//! and its *root operation* is its entry: the name of its earliest local
//! root, as tail sampling has it.
//!
//! A [`FeatureExtractor`] of your own adds numbers through [`Features`]
//! (at most [`MAX_FEATURES_PER_TRACE`] a trace, by name). HotROD's counts
//! rides per customer from the `customer` baggage:
//!
//! ```
//! use lantern::insights::{FeatureExtractor, Features};
//! use lantern::tail::CompletedTrace;
//!
//! struct RidesPerCustomer;
//!
//! impl FeatureExtractor for RidesPerCustomer {
//!     fn name(&self) -> &str {
//!         "rides per customer"
//!     }
//!     fn extract(&self, trace: &CompletedTrace, out: &mut Features) {
//!         let customer = trace.trace.spans.iter().find_map(|s| s.baggage.get("customer"));
//!         if let Some(id) = customer.filter(|id| id.len() <= 8 && id.bytes().all(|b| b.is_ascii_digit())) {
//!             out.add(&format!("rides.customer.{id}"), 1.0);
//!         }
//!     }
//! }
//!
//! let lantern = lantern::builder().insights(true).feature_extractor(RidesPerCustomer).try_init_local();
//! # drop(lantern);
//! ```
//!
//! ## Aggregation
//!
//! Per root operation ([`OperationFeatures`]), each feature's count, sum,
//! smallest and largest since the start, and a ring of sixty one-minute
//! windows over the last hour ([`OperationFeatures::minutes`]): traces,
//! failed traces, the duration's p50 and p99, span count, services, depth
//! and the user features. The windows follow Lantern's coarse clock; a
//! minute's window is emptied when its slot comes round an hour later.
//!
//! **Beware of extrapolations** (the book's warning): a trace stands for
//! more than itself when sampling chose it. With
//! [`RecordingMode::SampledOnly`](crate::sampling::RecordingMode::SampledOnly),
//! only sampled traces reach the aggregator, so each is counted by its
//! adjusted count, 1/p ([`SpanRecord::adjusted_count`](crate::record::SpanRecord::adjusted_count)
//! of its root; one when unknown, and counted in
//! [`FeatureStats::unknown_rate`]): [`OperationFeatures::estimated`] and
//! the failed traces are such estimates. With
//! [`RecordingMode::All`](crate::sampling::RecordingMode::All), the default,
//! every trace is recorded whatever the sampler decides, so the process sees
//! the whole population and each trace counts once. The distributions are
//! of the traces seen, one each: right in shape as long as one root
//! operation is sampled with one probability.
//!
//! ## Long-term profiling
//!
//! "Where does the time go?" For each trace, the self time of each span on
//! its critical path (its time, clamped to its critical parent's, less the
//! time its critical children cover) is added to its (service, operation)
//! row in the current minute, weighed as above. [`FeatureStats::profile`]
//! gives each row's seconds and share over the last hour, the most first: a
//! database query at 60% of all critical-path time is where to look first,
//! whichever endpoint it serves.
//!
//! ## Bounds
//!
//! At most 200 root operations (later ones counted in
//! [`FeatureStats::operations_overflow`]), 8 user feature names and 16
//! services per operation, 500 profile rows (the rest added up in
//! [`FeatureStats::profile_overflow_seconds`]); names cut to 256 bytes. A
//! minute of one operation takes about 400 bytes (a 48-bucket log histogram
//! of durations and a few summaries) plus 40 a user feature, only for the
//! minutes it had traces: a few megabytes if all 200 operations are busy
//! every minute of the hour. Each trace is measured in a few linear passes
//! (no recursion: 100 000 spans or chains thousands deep are fine), and an
//! extractor that panics is switched off
//! ([`ExtractorState::failed`]).
//!
//! ## On `/metrics`
//!
//! Since the start, per root operation (label `root`; user features also
//! `feature`):
//!
//! | metric | kind |
//! |---|---|
//! | `lantern_trace_completed_total` | counter: traces aggregated |
//! | `lantern_trace_estimated_total` | counter: the traces they stand for |
//! | `lantern_trace_errors_total` | counter: of those, failed traces |
//! | `lantern_trace_span_count` | histogram |
//! | `lantern_trace_services` | histogram |
//! | `lantern_trace_depth` | histogram |
//! | `lantern_trace_error_spans` | histogram |
//! | `lantern_trace_duration_seconds` | histogram |
//! | `lantern_trace_critical_path_seconds` | histogram |
//! | `lantern_trace_feature` | histogram |
//!
//! (recorded as `lantern.trace.span_count` and so on: the OTLP export has
//! the dotted names.)

pub(crate) mod aggregate;
pub(crate) mod bench;
pub(crate) mod extract;
pub(crate) mod feature_metrics;
pub(crate) mod feature_snapshot;
pub(crate) mod feature_state;
pub(crate) mod feature_stats;
pub(crate) mod features;
pub(crate) mod graph;
pub(crate) mod own_metrics;
pub(crate) mod patterns;
pub(crate) mod patterns_detect;
pub(crate) mod patterns_find;
pub(crate) mod patterns_state;
pub(crate) mod quality;
pub(crate) mod quality_inspect;
pub(crate) mod quality_metrics;
pub(crate) mod quality_rules;
pub(crate) mod quality_state;
pub(crate) mod start;
pub(crate) mod state;
pub(crate) mod trace_features;
pub(crate) mod tree;
pub(crate) mod windows;
pub(crate) mod worker;

#[doc(hidden)]
pub use bench::BenchAnalyser;
pub use feature_stats::{
    Distribution, ExtractorState, FeatureStats, Minute, NamedDistribution, OperationFeatures, ProfileEntry,
    ServiceSpans,
};
pub use features::{FeatureExtractor, Features, MAX_FEATURES_PER_TRACE};
pub use graph::{ConnectionType, Edge, LATENCY_BUCKETS, LatencyHistogram, PathEdge, ServiceGraph, Unpaired};
pub use patterns::{Finding, PatternConfig, PatternKind};
pub use patterns_find::find_patterns;
pub use patterns_state::{OperationPatterns, PatternCount, PatternStats};
pub use quality::{Check, CheckStats, MissingAttribute, QualityReport, ServiceQuality};
pub use worker::InsightsStats;
