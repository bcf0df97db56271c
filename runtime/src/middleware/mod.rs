//! Tower middleware: traces across HTTP, gRPC and message queues, with no
//! hand-written propagation code.
//!
//! A trace is only as good as its weakest hop. Every service in a call chain
//! has to read the caller's context from the request, make its server span a
//! child of it, and write its own context into every request it sends on;
//! forget one step anywhere and the trace breaks in two. The layers in this
//! module do those steps, once, at the edge of the process, for the
//! protocols almost every Rust service speaks:
//!
//! | layer               | wraps                                  | span kind | span name                  |
//! |---------------------|----------------------------------------|-----------|----------------------------|
//! | [`HttpServerLayer`] | an axum router, a hyper service        | server    | `GET /users/{id}` or `GET` |
//! | [`HttpClientLayer`] | a hyper client, any tower HTTP client  | client    | `GET` (or your name)       |
//! | [`GrpcServerLayer`] | a tonic server                         | server    | `package.Service/Method`   |
//! | [`GrpcClientLayer`] | a tonic channel                        | client    | `package.Service/Method`   |
//!
//! and, for messages, [`messaging`]: helpers for producer and consumer
//! spans and for carrying the context in message headers.
//!
//! All four are [`tower::Layer`]s over `http::Request<B>` services, so they
//! fit wherever tower does: `Router::layer`, `tower::ServiceBuilder`,
//! `tonic::transport::Server::builder().layer(..)`.
//!
//! # A server and a client in one trace
//!
//! ```
//! use axum::{Router, routing::get};
//! use lantern::middleware::{HttpClientLayer, HttpServerLayer};
//!
//! // Server side: one layer on the router.
//! let app: Router = Router::new()
//!     .route("/users/{id}", get(|| async { "ann" }))
//!     .layer(HttpServerLayer::new());
//!
//! // Client side: one layer around the client.
//! let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
//!     .build_http::<http_body_util::Empty<bytes::Bytes>>();
//! let client = tower::ServiceBuilder::new().layer(HttpClientLayer::new()).service(client);
//! # drop((app, client));
//! ```
//!
//! A request made through `client` inside any span gets a client span, and
//! its `traceparent`, `tracestate` and `baggage` headers carry that client
//! span's context. The server reads them and makes its server span a child
//! of the client span (with the remote-parent flag set): one trace, across
//! processes, with baggage. The tests in `runtime/tests/middleware_http.rs`
//! and `middleware_grpc.rs` run exactly this, over real sockets.
//!
//! # What the spans carry
//!
//! The attributes follow the OpenTelemetry semantic conventions, so any
//! OpenTelemetry backend shows them as it shows its own:
//!
//! - HTTP server: `http.request.method`, `url.path`, `url.scheme`,
//!   `http.route` (when known), `server.address` and `server.port` (from
//!   `Host`), `client.address`, `network.peer.address` and
//!   `network.peer.port` (when the socket peer is known),
//!   `user_agent.original`, `network.protocol.version`, and once the
//!   response is there `http.response.status_code`.
//! - HTTP client: `http.request.method`, `url.full` (credentials removed,
//!   signature query values redacted), `server.address`, `server.port`,
//!   `network.protocol.version`, `http.response.status_code`.
//! - gRPC: `rpc.system = "grpc"`, `rpc.service`, `rpc.method`,
//!   `rpc.grpc.status_code`, `server.address` and `server.port` when the URI
//!   has them.
//!
//! A server span (HTTP, gRPC) or a consumer span that starts a new trace
//! although the request carried tracing headers (a malformed `traceparent`,
//! a `tracestate` or `baggage` alone, B3 or Jaeger headers) carries
//! `lantern.context_lost` saying which: the caller traces, and its context
//! was lost on the way (see [tracing quality](crate::insights#tracing-quality)).
//!
//! Span names are low-cardinality on purpose (`GET /users/{id}`, never
//! `GET /users/42`): the layer derives RED metrics (`span.calls`,
//! `span.errors`, `span.duration`) from server spans per name, so a raw path
//! in the name would make one series per user. Without a known route the
//! name is just the method.
//!
//! # Status
//!
//! Following the conventions, a server span is an error on a 5xx response;
//! a client span on a 4xx or 5xx response; both on a failure of the inner
//! service (the error's text becomes the status message). `error.type` then
//! holds the status code, or `_OTHER` for a failure without one. gRPC
//! spans are errors by their `grpc-status`: a client span for any code but
//! `OK`; a server span only for the codes that mean the *server* failed —
//! `UNKNOWN`, `DEADLINE_EXCEEDED`, `UNIMPLEMENTED`, `INTERNAL`,
//! `UNAVAILABLE`, `DATA_LOSS` — so that a `NOT_FOUND` a client asked for
//! does not page anybody.
//!
//! # When a span ends
//!
//! An HTTP span ends when the response head arrives: the body streams
//! outside it. A gRPC span ends when its response *body* ends, because the
//! status of a gRPC call comes in the trailers after the last message; the
//! body wrapper [`GrpcResponseBody`] holds the span until then (or until
//! the body is dropped). A trailers-only response (the usual shape of an
//! error) ends the span at once. A call abandoned half-way (the client
//! went away, a timeout dropped the future) ends its span then, without a
//! status.
//!
//! # Telling the caller its trace: `traceresponse`
//!
//! `HttpServerLayer::new().traceresponse(true)` writes the W3C
//! [`traceresponse`](https://w3c.github.io/trace-context/#traceresponse-header)
//! header into every response: `00-{trace-id}-{server span id}-{flags}`,
//! so a caller without tracing (a browser, `curl -i`) learns which trace to
//! open on `/debug/traces/{trace-id}`. Off by default (it tells any client
//! the ids and the sampling decision); HTTP only.
//!
//! # Forcing a trace to be sampled
//!
//! When a request misbehaves in production, one wants *its* trace, whatever
//! the sampler would have said. Turn the debug header on for a service
//! (`HttpServerLayer::new().with_debug_header()`, likewise
//! [`GrpcServerLayer`]), send the header `lantern-debug: 1` (or `true`) to
//! it, and its server span's trace is sampled even under `AlwaysOff`, a ratio
//! sampler or an unsampled upstream, and its server span carries the
//! attribute `lantern.debug = true`. The decision propagates as the sampled
//! flag, so services further down sample it too when their sampler follows
//! the parent (the default).
//!
//! The mechanism is a span field: the capture layer samples any new trace
//! whose first span in this process has `lantern.debug = true`, before it
//! asks the sampler, so a span you create yourself can force it too. The
//! header is untrusted input that anyone who can reach the service can
//! send, so it is off by default: turn it on only where callers are
//! trusted, or name a header only your own tooling sends with
//! `.debug_header(..)`. Forced traces are capped a second
//! ([`Builder::max_forced_per_second`](crate::Builder::max_forced_per_second),
//! 10 by default) and their root is tagged `sampler.type = debug`.
//!
//! ## Debug ids
//!
//! A header value other than `1` or `true` (and not `0` or `false`) forces
//! the trace too, and names it: `lantern-debug: ticket-123` records the
//! attribute `lantern.debug_id = "ticket-123"` on the server span, whatever
//! the attribute cap (cut to 64 bytes, printable ASCII). Find the trace on
//! `/debug/traces?debug_id=ticket-123` (or its JSON twin under
//! `/debug/api/traces`), or with
//! [`TraceQuery::debug_id`](crate::buffer::TraceQuery::debug_id).
//!
//! ## Through baggage, across services and queues
//!
//! The header forces the trace where it arrives; services further down
//! follow through the sampled flag when their sampler follows the parent. A
//! [`lantern-debug`](crate::sampling::DEBUG_BAGGAGE_KEY) *baggage* entry
//! goes further: it travels with the baggage to every service on the
//! request's path, message queues included, and forces the trace in each
//! process that honours it
//! ([`Builder::debug_baggage`](crate::Builder::debug_baggage), off by
//! default for the same reason as the header), whatever its sampler: behind
//! an [`HttpServerLayer`] or a [`GrpcServerLayer`] (no debug header
//! needed), in a [`messaging::consumer_span`], or under any
//! [`Context::child_span`](crate::Context::child_span). Its value reads as
//! the header's (a debug id included), and it counts against the same cap.
//! Set it with `lantern::context::set_baggage("lantern-debug", "ticket-123")`
//! in the span whose calls should be traced, or have the edge proxy send a
//! `baggage: lantern-debug=ticket-123` header.
//!
//! # Messages
//!
//! Queues have headers too. [`messaging`] injects the producer's context
//! into a message's headers (a `HashMap<String, String>`, Kafka-style
//! `Vec<(String, Vec<u8>)>`, or any [`Injector`](crate::propagation::Injector))
//! and continues the trace in the consumer, with producer and consumer
//! spans named and attributed by the messaging conventions; a consumer that
//! handles a batch links its span to every producer
//! ([`messaging::batch_consumer_span`]). See `examples/channel.rs` for a
//! producer and a consumer over a tokio channel.

mod attributes;
mod body;
mod grpc_layer;
mod http_layer;
mod http_response;
mod lost_context;
pub mod messaging;
mod options;
mod outcome;

pub use body::GrpcResponseBody;
pub use grpc_layer::{GrpcClientLayer, GrpcClientService, GrpcResponseFuture, GrpcServerLayer, GrpcServerService};
pub use http_layer::{HttpClientLayer, HttpClientService, HttpServerLayer, HttpServerService};
pub use http_response::HttpResponseFuture;
pub use options::DEFAULT_DEBUG_HEADER;
