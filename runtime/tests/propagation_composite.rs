//! The composite propagator: the first valid format wins on extract, every
//! format is written on inject, a round trip between each pair of formats,
//! `OTEL_PROPAGATORS` names, and the process-wide choice honoured by the
//! HTTP middleware for a caller that speaks B3 only.

use std::sync::{Mutex, MutexGuard};

use lantern::context::{Baggage, SpanContext, TraceFlags, TraceState};
use lantern::propagation::{Format, Propagators, rejected};
use lantern::{Context, SpanId, TraceId};

const TRACE_FORMATS: [Format; 4] = [Format::TraceContext, Format::B3, Format::B3Multi, Format::Jaeger];

/// The process-wide propagators and counters: tests that set or read them take this.
static GLOBAL: Mutex<()> = Mutex::new(());

fn global() -> MutexGuard<'static, ()> {
    GLOBAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn context(sampled: bool, debug: bool) -> Context {
    let span = SpanContext::new(
        TraceId::from_u128(0x4bf92f3577b34da6a3ce929d0e0e4736).unwrap(),
        SpanId::from_u64(0x00f067aa0ba902b7).unwrap(),
        TraceFlags::NONE.with_sampled(sampled),
        true,
        TraceState::default(),
    );
    let mut baggage = Baggage::default();
    baggage.insert("customer", "ann b").unwrap();
    Context::new(Some(span), baggage).with_debug(debug)
}

/// The span context and debug request of `cx` (Jaeger carries baggage too).
fn without_baggage(cx: &Context) -> Context {
    Context::new(cx.span_context().cloned(), Baggage::default()).with_debug(cx.is_debug())
}

#[test]
fn round_trip_between_each_pair_of_formats() {
    for (sampled, debug) in [(true, false), (false, false), (true, true)] {
        let cx = context(sampled, debug);
        for from in TRACE_FORMATS {
            for to in TRACE_FORMATS {
                // W3C Trace Context has no debug flag.
                let carries_debug = |f| f != Format::TraceContext;
                let expected = without_baggage(&cx).with_debug(debug && carries_debug(from));
                // Written in `from`, read by a composite that tries `to` first.
                let mut headers = http::HeaderMap::new();
                Propagators::new([from]).inject(&cx, &mut headers);
                let read = Propagators::new([to, from]).extract(&headers);
                assert_eq!(without_baggage(&read), expected, "{from:?} -> [{to:?}, {from:?}] ({sampled}, {debug})");

                // Written in both, read by `to` alone.
                let mut headers = http::HeaderMap::new();
                Propagators::new([from, to]).inject(&cx, &mut headers);
                let read = Propagators::new([to]).extract(&headers);
                let expected = without_baggage(&cx).with_debug(debug && carries_debug(to));
                assert_eq!(without_baggage(&read), expected, "[{from:?}, {to:?}] -> {to:?} ({sampled}, {debug})");
            }
        }
    }
}

#[test]
fn baggage_travels_in_both_baggage_formats() {
    let cx = context(true, false);
    for formats in [[Format::TraceContext, Format::Baggage], [Format::B3, Format::Jaeger]] {
        let p = Propagators::new(formats);
        let mut pairs: Vec<(String, Vec<u8>)> = Vec::new();
        p.inject(&cx, &mut pairs);
        assert_eq!(p.extract(&pairs), cx, "{formats:?}: {pairs:?}");
    }
    // Without a baggage format, no baggage.
    let mut headers = http::HeaderMap::new();
    Propagators::new([Format::B3]).inject(&cx, &mut headers);
    assert!(headers.get("baggage").is_none() && headers.len() == 1, "{headers:?}");
}

#[test]
fn the_first_valid_format_wins_and_broken_ones_are_skipped() {
    let _lock = global();
    let b3 = "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1";
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let mut headers = http::HeaderMap::new();
    headers.insert("b3", b3.parse().unwrap());
    headers.insert("traceparent", traceparent.parse().unwrap());
    let trace =
        |p: Propagators, headers: &http::HeaderMap| p.extract(headers).span_context().map(|s| s.trace_id().to_string());
    assert_eq!(trace(Propagators::new([Format::B3, Format::TraceContext]), &headers).as_deref(), Some(&b3[..32]));
    assert_eq!(
        trace(Propagators::new([Format::TraceContext, Format::B3]), &headers).as_deref(),
        Some(&traceparent[3..35])
    );

    headers.insert("traceparent", "00-garbage".parse().unwrap());
    headers.insert("uber-trace-id", "not:a:jaeger:id".parse().unwrap());
    let before = rejected();
    let p = Propagators::new([Format::TraceContext, Format::Jaeger, Format::B3]);
    assert_eq!(trace(p, &headers).as_deref(), Some(&b3[..32]), "the broken ones are skipped");
    let after = rejected();
    assert_eq!(after.traceparent_invalid, before.traceparent_invalid + 1);
    assert_eq!(after.jaeger_invalid, before.jaeger_invalid + 1);
    assert_eq!(Propagators::none().extract(&headers), Context::default());
}

#[test]
fn inject_writes_every_format_and_removes_stale_headers() {
    let p = Propagators::new([Format::TraceContext, Format::Baggage, Format::B3, Format::B3Multi, Format::Jaeger]);
    let mut headers = http::HeaderMap::new();
    p.inject(&context(true, false), &mut headers);
    let mut names: Vec<&str> = headers.keys().map(|k| k.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "b3",
            "baggage",
            "traceparent",
            "uber-trace-id",
            "uberctx-customer",
            "x-b3-sampled",
            "x-b3-spanid",
            "x-b3-traceid"
        ]
    );
    p.inject(&Context::default(), &mut headers);
    let left: Vec<&str> = headers.keys().map(|k| k.as_str()).collect();
    assert_eq!(left, ["uberctx-customer"], "a carrier cannot list the uberctx- headers to remove them");
}

#[test]
fn otel_propagators_names() {
    let (p, unknown) = Propagators::parse("tracecontext,baggage,b3,b3multi,jaeger");
    assert_eq!(
        p.formats().collect::<Vec<_>>(),
        [Format::TraceContext, Format::Baggage, Format::B3, Format::B3Multi, Format::Jaeger]
    );
    assert!(unknown.is_empty());
    let (p, unknown) = Propagators::parse(" B3 , xray,, jaeger, b3, ottrace");
    assert_eq!(p, Propagators::new([Format::B3, Format::Jaeger]));
    assert_eq!(unknown, ["xray", "ottrace"]);
    assert_eq!(Propagators::parse("none").0, Propagators::none());
    assert_eq!(Propagators::parse("b3,none").0, Propagators::none());
    assert_eq!(Propagators::default(), Propagators::parse("tracecontext,baggage").0);
    assert_eq!(format!("{:?}", Propagators::default()), r#"["tracecontext", "baggage"]"#);
}

#[cfg(feature = "middleware")]
mod middleware {
    use super::*;

    use std::net::SocketAddr;

    use axum::Router;
    use axum::routing::get;
    use bytes::Bytes;
    use http_body_util::{BodyExt, Full};
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    use lantern::middleware::{HttpClientLayer, HttpServerLayer};
    use lantern::record::{SpanKind, Value};
    use lantern::sampling::{AlwaysOff, RecordingMode};
    use tower::{ServiceBuilder, ServiceExt};

    const TRACE: &str = "80f198ee56343ba864fe8b2a57d3eff7";
    const SPAN: &str = "e457b5a2e4d86bd1";

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
    }

    /// `/users/{id}` calls `/echo` through the traced client; `/echo`
    /// answers with the B3 and W3C headers it received.
    fn app(layer: HttpServerLayer, echo: SocketAddr) -> Router {
        Router::new()
            .route(
                "/users/{id}",
                get(move || async move {
                    let client = ServiceBuilder::new()
                        .layer(HttpClientLayer::new())
                        .service(Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>());
                    let request = http::Request::get(format!("http://{echo}/echo")).body(Full::default()).unwrap();
                    let body = client.oneshot(request).await.unwrap().into_body().collect().await.unwrap();
                    String::from_utf8(body.to_bytes().to_vec()).unwrap()
                }),
            )
            .layer(layer)
    }

    fn echo() -> Router {
        Router::new().route(
            "/echo",
            get(|headers: http::HeaderMap| async move {
                let get = |k: &str| headers.get(k).map_or("-", |v| v.to_str().unwrap()).to_owned();
                format!("{} {} {}", get("b3"), get("x-b3-traceid"), get("traceparent"))
            }),
        )
    }

    async fn serve(app: Router) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addr
    }

    /// Sends `headers` with a plain (untraced) client: a caller that speaks B3 only.
    async fn call(addr: SocketAddr, headers: &[(&str, String)]) -> String {
        let mut request = http::Request::get(format!("http://{addr}/users/1")).body(Full::<Bytes>::default()).unwrap();
        for (k, v) in headers {
            request.headers_mut().insert(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let body = client.request(request).await.unwrap().into_body().collect().await.unwrap();
        String::from_utf8(body.to_bytes().to_vec()).unwrap()
    }

    #[test]
    fn the_http_layers_honour_a_b3_only_caller_with_the_configured_propagators() {
        let _lock = global();
        let guard = lantern::builder()
            .max_level(tracing::Level::INFO)
            .propagators(Propagators::new([Format::TraceContext, Format::Baggage, Format::B3, Format::B3Multi]))
            .try_init_local();
        let rt = runtime();
        let (single, multi) = rt.block_on(async {
            let echo = serve(echo()).await;
            let addr = serve(app(HttpServerLayer::new(), echo)).await;
            let single = call(addr, &[("b3", format!("{TRACE}-{SPAN}-1"))]).await;
            let multi = call(
                addr,
                &[
                    ("X-B3-TraceId", TRACE[16..].to_owned()),
                    ("X-B3-SpanId", SPAN.to_owned()),
                    ("X-B3-Sampled", "1".to_owned()),
                ],
            )
            .await;
            (single, multi)
        });
        drop(rt);

        let snap = guard.buffer().snapshot();
        let servers = snap.spans_named("GET /users/{id}", 10);
        assert_eq!(servers.len(), 2);
        let padded = format!("0000000000000000{}", &TRACE[16..]);
        for (trace, answer) in [(TRACE, &single), (padded.as_str(), &multi)] {
            let server =
                servers.iter().find(|s| s.trace_id.to_string() == trace).expect("the caller's trace continued");
            assert_eq!(server.parent_span_id.map(|s| s.to_string()).as_deref(), Some(SPAN));
            assert!(server.parent_is_remote && server.is_sampled());
            assert_eq!(server.attribute("lantern.context_lost"), None);
            // The outgoing call carries the trace in every configured format.
            let trace_tree = snap.trace(server.trace_id).unwrap();
            let client = trace_tree.spans.iter().find(|s| s.kind == SpanKind::Client).unwrap();
            let expected = format!("{trace}-{}-1 {trace} 00-{trace}-{}-01", client.span_id, client.span_id);
            assert_eq!(answer, &expected);
        }
    }

    #[test]
    fn a_b3_or_jaeger_debug_request_is_forced_like_the_debug_header() {
        let _lock = global();
        let guard = lantern::builder()
            .max_level(tracing::Level::INFO)
            .sampler(AlwaysOff)
            .recording_mode(RecordingMode::SampledOnly)
            .propagators(Propagators::new([Format::B3, Format::Jaeger]))
            .try_init_local();
        let rt = runtime();
        rt.block_on(async {
            let echo = serve(echo()).await;
            let honours = serve(app(HttpServerLayer::new().with_debug_header(), echo)).await;
            let ignores = serve(app(HttpServerLayer::new(), echo)).await;
            for addr in [honours, ignores] {
                call(addr, &[("b3", format!("{TRACE}-{SPAN}-d"))]).await;
                call(addr, &[("uber-trace-id", format!("{}:{SPAN}:0:3", &TRACE[..31]))]).await;
                // Sampled, but not debug: AlwaysOff drops it.
                call(addr, &[("b3", format!("{}-{SPAN}-1", &TRACE[..30]))]).await;
            }
        });
        drop(rt);

        let snap = guard.buffer().snapshot();
        let servers = snap.spans_named("GET /users/{id}", 10);
        assert_eq!(servers.len(), 2, "the two debug requests to the server that honours debug: {servers:?}");
        for server in &servers {
            assert_eq!(server.attribute("lantern.debug"), Some(&Value::Bool(true)));
            assert!(server.parent_is_remote && server.is_sampled());
        }
    }
}
