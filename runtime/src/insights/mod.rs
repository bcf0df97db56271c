//! Getting value from traces in process: the service graph and trace
//! patterns.
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

pub(crate) mod aggregate;
pub(crate) mod extract;
pub(crate) mod graph;
pub(crate) mod own_metrics;
pub(crate) mod patterns;
pub(crate) mod patterns_detect;
pub(crate) mod patterns_find;
pub(crate) mod patterns_state;
pub(crate) mod start;
pub(crate) mod state;
pub(crate) mod tree;
pub(crate) mod worker;

pub use graph::{ConnectionType, Edge, LATENCY_BUCKETS, LatencyHistogram, PathEdge, ServiceGraph, Unpaired};
pub use patterns::{Finding, PatternConfig, PatternKind};
pub use patterns_find::find_patterns;
pub use patterns_state::{OperationPatterns, PatternCount, PatternStats};
pub use worker::InsightsStats;
