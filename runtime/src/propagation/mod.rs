//! Trace context and baggage across process boundaries: W3C Trace Context,
//! W3C Baggage, B3 and Jaeger.
//!
//! A trace that stops at the edge of a process is half a trace. When a
//! service calls another, the caller writes its trace context into the
//! request's headers (*inject*), and the callee reads it back (*extract*) and
//! makes its server span a child of the caller's span. This module does both,
//! with the headers of the W3C recommendations by default, so Lantern
//! interoperates with OpenTelemetry and every other tracer that speaks them,
//! and with those of B3 (Zipkin, Istio and Envoy meshes) and Jaeger when
//! configured:
//!
//! | format (`OTEL_PROPAGATORS` name) | headers                                   | carries                                   |
//! |----------------|---------------------------------------------------------------|-------------------------------------------|
//! | `tracecontext` | `traceparent`, `tracestate`                                   | trace and parent span id, flags, vendor data (W3C Trace Context Level 2) |
//! | `baggage`      | `baggage`                                                     | application key-value pairs (W3C Baggage) |
//! | `b3`           | `b3: {traceid}-{spanid}-{1\|0\|d}-{parentspanid}`              | ids and sampling state (B3 single header) |
//! | `b3multi`      | `X-B3-TraceId`, `X-B3-SpanId`, `X-B3-ParentSpanId`, `X-B3-Sampled`, `X-B3-Flags` | the same (B3 multi header) |
//! | `jaeger`       | `uber-trace-id: {trace}:{span}:{parent}:{flags}`, `uberctx-{key}` | ids, sampled and debug flags, baggage |
//!
//! # Extract and inject
//!
//! [`extract`] reads a carrier into a [`Context`]; [`inject`] (or
//! [`inject_current`], for the current span) writes one back. Both use the
//! process-wide [`Propagators`] ([`Propagators::configured`]):
//! `tracecontext,baggage` unless `OTEL_PROPAGATORS` or
//! [`Builder::propagators`](crate::Builder::propagators) say otherwise, and
//! so do the middleware's server and client layers and the messaging
//! helpers. A [`Propagators`] value reads and writes any set of formats
//! directly.
//! A carrier is anything implementing [`Extractor`] / [`Injector`]; both are
//! provided for `http::HeaderMap` (HTTP, and gRPC metadata over HTTP/2),
//! `HashMap<String, String>` (message headers) and `Vec<(String, Vec<u8>)>`
//! (Kafka-style byte headers).
//!
//! ```
//! let mut headers = http::HeaderMap::new();
//! headers.insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
//! headers.insert("tracestate", "congo=t61rcWkgMzE".parse().unwrap());
//! headers.insert("baggage", "customer=ann%20b".parse().unwrap());
//!
//! let cx = lantern::propagation::extract(&headers);
//! let remote = cx.span_context().unwrap();
//! assert!(remote.is_remote() && remote.is_sampled());
//! assert_eq!(remote.trace_state().get("congo"), Some("t61rcWkgMzE"));
//! assert_eq!(cx.baggage().get("customer"), Some("ann b"));
//!
//! let mut out = std::collections::HashMap::new();
//! lantern::propagation::inject(&cx, &mut out);
//! assert_eq!(out["traceparent"], "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
//! assert_eq!(out["baggage"], "customer=ann%20b");
//! ```
//!
//! On the server side, make the span *from* the extracted context with
//! [`Context::child_span`]; see [`crate::context`] for why it is a closure.
//! [`inject`] makes the carrier carry exactly the given context: a header
//! the context has nothing for is removed ([`Injector::unset`]), so a reused
//! or forwarded carrier never pairs a new `traceparent` with a stale
//! `tracestate`.
//!
//! # The rules enforced
//!
//! **`traceparent`** ([`parse_traceparent`]): version `00` is exactly 55
//! characters, `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`;
//! version `ff` is invalid; a later version is read by its first four
//! fields, and must be at least 55 characters with a `-` after the flags if
//! longer. Hex is lower-case; all-zero ids are invalid. Only the flags this
//! implementation knows are kept, sampled (`0x01`) and random (`0x02`): the
//! specification reserves the others and asks that they be zero when
//! propagated, and we always propagate version `00`. Two `traceparent`
//! headers are invalid too, as there is no telling which is right.
//!
//! **`tracestate`** ([`parse_tracestate`], and [`TraceState`](crate::context::TraceState)): at most 32
//! members; keys `( lcalpha / DIGIT ) 0*255 ( keychar )` with `keychar` a
//! lower-case letter, a digit or one of `_-*/@` (so `@` anywhere after the
//! first character); values 1 to 256 printable ASCII characters without `,`
//! or `=`, not ending in a space; white space around members and empty
//! members allowed; several headers form one list, in order. One bad member
//! or a 33rd member drops the whole header; a key given twice keeps its
//! first occurrence and drops the later ones. A `tracestate` is only read beside a
//! valid `traceparent`: without one there is no trace to attach it to.
//!
//! **`baggage`** ([`parse_baggage`], [`format_baggage`], and [`Baggage`](crate::context::Baggage)):
//! members `key=value;property;property=value` joined by `,`; keys are RFC
//! 7230 tokens; values are percent-decoded on extract and percent-encoded on
//! inject (everything outside the `baggage-octet` set, and `%`); properties
//! are kept raw. At most 64 members and 8192 bytes. Baggage is independent
//! of the trace context: it is extracted even when `traceparent` is not.
//!
//! **B3**: trace ids of 16 or 32 hex digits (a 64-bit id is left-padded
//! with zeros), span ids of 16, either case read, lower case written; a
//! sampling state `1` (accept), `0` (deny) or `d` (debug), in the single
//! header's third field or `X-B3-Sampled` (`true`/`false` too) and
//! `X-B3-Flags: 1`. No sampling state (deferred) reads as not sampled, as
//! OpenTelemetry reads it. A lone `b3: 0` or `1` carries no trace to
//! continue: the trace starts here, and the local sampler decides; a lone
//! `b3: d` is a debug request. The parent span id is checked and ignored.
//! Written: `b3: {traceid}-{spanid}-{1|0|d}`, and the multi headers without
//! a parent (`X-B3-Flags: 1` in place of `X-B3-Sampled` for debug).
//!
//! **Jaeger**: `uber-trace-id` ids of 1 to 32 and 1 to 16 hex digits (left
//! padded), the deprecated parent id checked and ignored, flags one byte in
//! hex (`0x01` sampled, `0x02` debug, which implies sampled); the value may
//! be url-encoded (`%3A` for `:`). Every `uberctx-{key}` header is the
//! baggage entry `key` (lower case), url-decoded, added after the W3C
//! `baggage` members for keys not seen yet. Written: `{trace}:{span}:0:{flags}`
//! and one `uberctx-` header per baggage entry.
//!
//! **Debug.** B3's debug state and Jaeger's debug flag set the sampled flag,
//! so that a parent-following sampler keeps the trace, and
//! [`Context::is_debug`]. A server layer that honours a debug header
//! ([`HttpServerLayer::with_debug_header`](crate::middleware::HttpServerLayer::with_debug_header),
//! the same for gRPC) treats such a request as it treats its debug header:
//! the trace is forced (whatever the sampler, within the cap of forced
//! traces a second) and its server span has `lantern.debug = true`. Off by
//! default for the same reason: any caller can set the flag.
//!
//! **Bounds.** A `b3` value over 68 characters and an `uber-trace-id` over
//! 75 are refused before they are read; every multi header is one id or one
//! character; Jaeger baggage goes through the limits of [`Baggage`](crate::context::Baggage).
//!
//! # Never a panic, always a reason
//!
//! Headers are untrusted input, so nothing here panics on any of them, and
//! nothing fails a request either: a malformed `traceparent` means a new
//! trace (and its `tracestate` goes with it, as the specification asks); a
//! malformed `tracestate` is dropped whole and the trace continues; a
//! malformed B3 or Jaeger context is skipped for the next format; a
//! malformed baggage member is skipped, and members past the limits are
//! dropped, keeping the rest. Each of these is counted in the process-wide
//! [`rejected()`] counters, so a misbehaving peer shows up in metrics rather
//! than as silently broken traces.

mod b3;
mod baggage_header;
mod carrier;
mod composite;
pub(crate) mod counters;
mod error;
mod hex;
mod jaeger;
mod traceparent;
mod w3c;

pub use baggage_header::{format_baggage, parse_baggage};
pub use carrier::{Extractor, Injector};
pub(crate) use composite::set_configured;
pub use composite::{Format, Propagators};
pub use counters::{RejectedCounts, rejected};
pub use error::PropagationError;
pub use traceparent::{format_traceparent, parse_traceparent};
pub use w3c::parse_tracestate;

use crate::context::value::Context;

/// Reads the trace context and baggage from `carrier`, in the formats of
/// the process-wide [`Propagators::configured`] (`traceparent`,
/// `tracestate` and `baggage` by default).
///
/// The span context, when valid, is remote ([`SpanContext::is_remote`](crate::context::SpanContext::is_remote))
/// and carries the `tracestate`. Invalid input is ignored and counted (see
/// the [module docs](self)); this never panics.
///
/// ```
/// let mut headers = std::collections::HashMap::new();
/// headers.insert("traceparent".to_owned(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00".to_owned());
/// let cx = lantern::propagation::extract(&headers);
/// assert!(!cx.span_context().unwrap().is_sampled());
/// assert!(lantern::propagation::extract(&http::HeaderMap::new()).span_context().is_none());
/// ```
pub fn extract(carrier: &(impl Extractor + ?Sized)) -> Context {
    Propagators::configured().extract(carrier)
}

/// Writes `context` into `carrier` in the formats of the process-wide
/// [`Propagators::configured`]: by default `traceparent` (version `00`)
/// when there is a span context, `tracestate` and `baggage` when not
/// empty. Headers the context has nothing for are removed from the carrier.
///
/// ```
/// use lantern::*;
/// use lantern::context::*;
/// let span = SpanContext::new(TraceId::from_u128(1).unwrap(), SpanId::from_u64(2).unwrap(),
///     TraceFlags::SAMPLED, false, TraceState::default().insert("v", "1").unwrap());
/// let mut headers = http::HeaderMap::new();
/// lantern::propagation::inject(&Context::new(Some(span), Baggage::default()), &mut headers);
/// assert_eq!(headers["traceparent"], "00-00000000000000000000000000000001-0000000000000002-01");
/// assert_eq!(headers["tracestate"], "v=1");
/// assert!(headers.get("baggage").is_none());
/// ```
pub fn inject(context: &Context, carrier: &mut (impl Injector + ?Sized)) {
    Propagators::configured().inject(context, carrier);
}

/// Writes the current span's context and baggage into `carrier`: the same as
/// `inject(&lantern::context::current(), carrier)`.
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
/// let subscriber = tracing_subscriber::registry().with(lantern::layer());
/// tracing::subscriber::with_default(subscriber, || {
///     let mut out = std::collections::HashMap::new();
///     lantern::propagation::inject_current(&mut out); // no span: nothing written
///     assert!(out.is_empty());
///     tracing::info_span!("client").in_scope(|| lantern::propagation::inject_current(&mut out));
///     assert!(out.contains_key("traceparent"));
/// });
/// ```
pub fn inject_current(carrier: &mut (impl Injector + ?Sized)) {
    inject(&crate::context::current(), carrier);
}
