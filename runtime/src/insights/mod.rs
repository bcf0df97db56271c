//! Getting value from traces in process: the service graph and tracing
//! quality.
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
//! # On `/metrics`
//!
//! | metric | kind | labels |
//! |---|---|---|
//! | `traces_service_graph_request_total` | counter | `client`, `server`, `connection_type` |
//! | `traces_service_graph_request_failed_total` | counter | same |
//! | `traces_service_graph_request_server_seconds` | histogram | same |
//! | `traces_service_graph_request_client_seconds` | histogram | same |
//! | `traces_service_graph_unpaired_spans_total` | counter | same, the unknown side empty |
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

pub(crate) mod aggregate;
pub(crate) mod bench;
pub(crate) mod extract;
pub(crate) mod graph;
pub(crate) mod own_metrics;
pub(crate) mod quality;
pub(crate) mod quality_inspect;
pub(crate) mod quality_metrics;
pub(crate) mod quality_rules;
pub(crate) mod quality_state;
pub(crate) mod start;
pub(crate) mod state;
pub(crate) mod tree;
pub(crate) mod worker;

#[doc(hidden)]
pub use bench::BenchAnalyser;
pub use graph::{ConnectionType, Edge, LATENCY_BUCKETS, LatencyHistogram, PathEdge, ServiceGraph, Unpaired};
pub use quality::{Check, CheckStats, MissingAttribute, QualityReport, ServiceQuality};
pub use worker::InsightsStats;
