//! The HTTP layers: a server span per request received, a client span per
//! request sent, both with the HTTP semantic-convention attributes.

use std::fmt;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use http::header::USER_AGENT;
use http::request::Parts;
use http::{HeaderName, Request, Response};
use tower::{Layer, Service};
use tracing::Span;
use tracing::field::Empty;

use super::attributes as attr;
use super::http_response::{HttpResponseFuture, traceresponse};
use super::lost_context::lost_context;
use super::options::ServerOptions;
use super::outcome::Role;

type RouteFn = Arc<dyn Fn(&Parts) -> Option<String> + Send + Sync>;
type NameFn = Arc<dyn Fn(&Parts) -> String + Send + Sync>;

/// Makes a server span for every HTTP request: the child of the caller's
/// span when the request carries `traceparent`, with the caller's baggage,
/// named `METHOD route` (or `METHOD` when the route is unknown). See the
/// [module docs](super) for the attributes and the status.
///
/// The route comes from a [`route_fn`](HttpServerLayer::route_fn) when
/// given, else (with the `axum` feature) from axum's `MatchedPath`, which
/// axum sets when the layer is added with `Router::layer` or
/// `Router::route_layer`, not when it wraps the whole router from outside.
///
/// ```
/// use tower::{Layer, ServiceExt};
/// use lantern::record::{SpanKind, Value};
///
/// let lantern = lantern::builder().try_init_local();
/// let app = tower::service_fn(|_: http::Request<()>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::new(()))
/// });
/// let app = lantern::middleware::HttpServerLayer::new().layer(app);
/// let request = http::Request::get("/health")
///     .header("host", "api.example:8080")
///     .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
///     .body(())
///     .unwrap();
/// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// rt.block_on(app.oneshot(request)).unwrap();
///
/// let span = lantern.buffer().snapshot().spans_named("GET", 1).remove(0);
/// assert_eq!(span.kind, SpanKind::Server);
/// assert_eq!(span.trace_id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// assert_eq!(span.attribute("server.port"), Some(&Value::I64(8080)));
/// assert_eq!(span.attribute("http.response.status_code"), Some(&Value::I64(200)));
/// ```
#[derive(Clone, Default)]
pub struct HttpServerLayer {
    route: Option<RouteFn>,
    options: ServerOptions,
}

impl HttpServerLayer {
    /// The layer with the defaults: routes from axum's `MatchedPath`, and
    /// the forced-sampling header `lantern-debug`.
    ///
    /// ```
    /// let app = axum::Router::<()>::new().layer(lantern::middleware::HttpServerLayer::new());
    /// # drop(app);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Finds the route template (`/users/{id}`) of a request, for servers
    /// that are not axum or that route by other means. Returning `None`
    /// falls back to axum's `MatchedPath` when there is one. Return a
    /// template, never the raw path: the route is in the span name, and the
    /// span name is a metric label.
    ///
    /// ```
    /// let layer = lantern::middleware::HttpServerLayer::new().route_fn(|parts| {
    ///     parts.uri.path().starts_with("/users/").then(|| "/users/{id}".to_owned())
    /// });
    /// # drop(layer);
    /// ```
    pub fn route_fn(mut self, route: impl Fn(&Parts) -> Option<String> + Send + Sync + 'static) -> Self {
        self.route = Some(Arc::new(route));
        self
    }

    /// Honours the header [`lantern-debug`](super::DEFAULT_DEBUG_HEADER):
    /// a request carrying it with the value `1` or `true` gets a sampled
    /// trace whatever the sampler says; another value (`ticket-123`, not `0`
    /// or `false`) does too and names the trace: its debug id, the attribute
    /// `lantern.debug_id` of the server span. Off by default, since any client
    /// can send it: turn it on for services only trusted callers reach, or
    /// use [`debug_header`](Self::debug_header) with a name only your own
    /// tooling sends.
    ///
    /// ```
    /// let layer = lantern::middleware::HttpServerLayer::new().with_debug_header();
    /// # drop(layer);
    /// ```
    pub fn with_debug_header(self) -> Self {
        self.debug_header(HeaderName::from_static(super::options::DEFAULT_DEBUG_HEADER))
    }

    /// Honours the header `name` to force a sampled trace (see
    /// [`with_debug_header`](Self::with_debug_header)), its values read
    /// alike.
    ///
    /// ```
    /// let layer = lantern::middleware::HttpServerLayer::new()
    ///     .debug_header(http::HeaderName::from_static("x-acme-trace-me"));
    /// # drop(layer);
    /// ```
    pub fn debug_header(mut self, name: HeaderName) -> Self {
        self.options.set_debug_header(Some(name));
        self
    }

    /// Ignores every forced-sampling header, the default: the sampler alone
    /// decides.
    ///
    /// ```
    /// let layer = lantern::middleware::HttpServerLayer::new().without_debug_header();
    /// # drop(layer);
    /// ```
    pub fn without_debug_header(mut self) -> Self {
        self.options.set_debug_header(None);
        self
    }

    /// Names the service the requests belong to, for a process that hosts
    /// several: the server span gets the field `service.name = name`, so it
    /// and everything inside it (child spans, logs, spawned work that
    /// carries the span) belong to that service
    /// ([`SpanRecord::service`](crate::record::SpanRecord::service)), on the debug
    /// pages and in the resource the OTLP exporter sends them under.
    /// Without it, they belong to the process's own service.
    ///
    /// ```
    /// use tower::{Layer, ServiceExt};
    ///
    /// let lantern = lantern::builder().service_name("shop").try_init_local();
    /// let app = tower::service_fn(|_: http::Request<()>| async {
    ///     tracing::info_span!("SQL SELECT").in_scope(|| tracing::info!("row found"));
    ///     Ok::<_, std::convert::Infallible>(http::Response::new(()))
    /// });
    /// let app = lantern::middleware::HttpServerLayer::new().service_name("customer").layer(app);
    /// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// rt.block_on(app.oneshot(http::Request::get("/customer").body(()).unwrap())).unwrap();
    ///
    /// let snap = lantern.buffer().snapshot();
    /// let server = snap.spans_named("GET", 1).remove(0);
    /// let query = snap.spans_named("SQL SELECT", 1).remove(0);
    /// assert_eq!(server.service.as_deref(), Some("customer"));
    /// assert_eq!(query.service.as_deref(), Some("customer"), "and its children");
    /// assert_eq!(lantern.handle().resource().service_name(), "shop", "the process's own is unchanged");
    /// ```
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.options.set_service_name(name.into());
        self
    }

    /// Writes the W3C [`traceresponse`](https://w3c.github.io/trace-context/#traceresponse-header)
    /// header into every response when `on`: `00-{trace-id}-{span-id}-{flags}`
    /// of the server span, so a caller learns the trace its request went
    /// into and whether it was sampled. Off by default: it tells any client
    /// the ids and the sampling decision.
    ///
    /// ```
    /// use tower::{Layer, ServiceExt};
    ///
    /// let lantern = lantern::builder().try_init_local();
    /// let app = tower::service_fn(|_: http::Request<()>| async {
    ///     Ok::<_, std::convert::Infallible>(http::Response::new(()))
    /// });
    /// let app = lantern::middleware::HttpServerLayer::new().traceresponse(true).layer(app);
    /// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let response = rt.block_on(app.oneshot(http::Request::get("/").body(()).unwrap())).unwrap();
    ///
    /// let span = lantern.buffer().snapshot().spans_named("GET", 1).remove(0);
    /// let expected = format!("00-{}-{}-{:02x}", span.trace_id, span.span_id, span.flags.to_u8());
    /// assert_eq!(response.headers()["traceresponse"], expected.as_str());
    /// ```
    pub fn traceresponse(mut self, on: bool) -> Self {
        self.options.traceresponse = on;
        self
    }
}

impl fmt::Debug for HttpServerLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpServerLayer")
            .field("route_fn", &self.route.is_some())
            .field("debug_header", &self.options.debug_header)
            .field("service_name", &self.options.service_name)
            .field("traceresponse", &self.options.traceresponse)
            .finish()
    }
}

impl<S> Layer<S> for HttpServerLayer {
    type Service = HttpServerService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        HttpServerService { inner, layer: self.clone() }
    }
}

/// The service [`HttpServerLayer`] wraps around a server.
///
/// ```
/// use tower::Layer;
/// let app = tower::service_fn(|_: http::Request<()>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::new(()))
/// });
/// let _: lantern::middleware::HttpServerService<_> = lantern::middleware::HttpServerLayer::new().layer(app);
/// ```
#[derive(Clone, Debug)]
pub struct HttpServerService<S> {
    inner: S,
    layer: HttpServerLayer,
}

impl<S, B, ResB> Service<Request<B>> for HttpServerService<S>
where
    S: Service<Request<B>, Response = Response<ResB>>,
    S::Error: fmt::Display,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future = HttpResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let (request, route) = match &self.layer.route {
            Some(route_fn) => {
                let (parts, body) = request.into_parts();
                let route = route_fn(&parts);
                let request = Request::from_parts(parts, body);
                let route = route.or_else(|| matched_path(&request));
                (request, route)
            }
            None => {
                let route = matched_path(&request);
                (request, route)
            }
        };
        let span = server_span(&request, route.as_deref(), &self.layer.options);
        let traceresponse = if self.layer.options.traceresponse { traceresponse(&span) } else { None };
        let inner = span.in_scope(|| self.inner.call(request));
        HttpResponseFuture::new(inner, span, Role::Server, traceresponse)
    }
}

#[cfg(feature = "axum")]
fn matched_path<B>(request: &Request<B>) -> Option<String> {
    request.extensions().get::<axum::extract::MatchedPath>().map(|p| p.as_str().to_owned())
}

#[cfg(not(feature = "axum"))]
fn matched_path<B>(_: &Request<B>) -> Option<String> {
    None
}

fn server_span<B>(request: &Request<B>, route: Option<&str>, options: &ServerOptions) -> Span {
    let headers = request.headers();
    let method = attr::method(request.method());
    let name = match route {
        Some(route) => format!("{} {route}", method.name),
        None => method.name.to_owned(),
    };
    let scheme = attr::server_scheme(request.uri(), headers);
    let ends = attr::server_ends(request, scheme);
    let user_agent = headers.get(USER_AGENT).and_then(|v| v.to_str().ok());
    let cx = crate::propagation::extract(headers);
    let fields = options.fields(headers, cx.is_debug());
    let context_lost = lost_context(&cx, headers);
    cx.child_span(|| {
        tracing::info_span!(
            "HTTP request",
            otel.name = name.as_str(),
            otel.kind = "server",
            http.request.method = method.value,
            http.request.method_original = method.original,
            url.path = request.uri().path(),
            url.scheme = scheme,
            http.route = route,
            server.address = ends.host.as_deref(),
            server.port = ends.port.map(i64::from),
            client.address = ends.client.as_deref(),
            network.peer.address = ends.peer_address.as_deref(),
            network.peer.port = ends.peer_port.map(i64::from),
            user_agent.original = user_agent,
            network.protocol.version = attr::protocol_version(request.version()),
            lantern.debug = fields.debug,
            lantern.debug_id = fields.debug_id.as_deref(),
            lantern.context_lost = context_lost,
            // Set at creation (no field when `None`), so every child and
            // log inside inherits it.
            service.name = fields.service_name,
            http.response.status_code = Empty,
            error.type = Empty,
            otel.status_code = Empty,
            otel.status_message = Empty,
        )
    })
}

/// Makes a client span for every HTTP request sent through the wrapped
/// client, and writes that span's context (`traceparent`, `tracestate`,
/// `baggage`) into the request's headers, so the server continues the
/// trace. The span is a child of the current span, named after the method
/// unless [`span_name`](HttpClientLayer::span_name) says otherwise.
///
/// ```
/// use tower::{Layer, ServiceExt};
/// use lantern::record::{SpanKind, Value};
///
/// let lantern = lantern::builder().try_init_local();
/// // A stand-in for a real client: it answers with the traceparent it was sent.
/// let client = tower::service_fn(|request: http::Request<()>| async move {
///     let sent = request.headers()["traceparent"].to_str().unwrap().to_owned();
///     Ok::<_, std::convert::Infallible>(http::Response::new(sent))
/// });
/// let client = lantern::middleware::HttpClientLayer::new().layer(client);
/// let request = http::Request::get("http://inventory.internal/items?sig=secret").body(()).unwrap();
/// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// let sent = tracing::info_span!("checkout")
///     .in_scope(|| rt.block_on(client.oneshot(request)))
///     .unwrap()
///     .into_body();
///
/// let span = lantern.buffer().snapshot().spans_named("GET", 1).remove(0);
/// assert_eq!(span.kind, SpanKind::Client);
/// assert!(sent.contains(&span.span_id.to_string()), "the server is told the client span is its parent");
/// assert_eq!(span.attribute("url.full"), Some(&Value::from("http://inventory.internal/items?sig=REDACTED")));
/// assert_eq!(span.attribute("server.port"), Some(&Value::I64(80)));
/// ```
#[derive(Clone, Default)]
pub struct HttpClientLayer {
    name: Option<NameFn>,
}

impl HttpClientLayer {
    /// The layer with the defaults: spans named after the method.
    ///
    /// ```
    /// let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
    ///     .build_http::<http_body_util::Full<bytes::Bytes>>();
    /// let client = tower::ServiceBuilder::new()
    ///     .layer(lantern::middleware::HttpClientLayer::new())
    ///     .service(client);
    /// # drop(client);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Names the client spans, for example after the endpoint called
    /// (`GET /items/{id}`). As with server routes, keep the name
    /// low-cardinality: no ids, no raw paths.
    ///
    /// ```
    /// let layer = lantern::middleware::HttpClientLayer::new()
    ///     .span_name(|parts| format!("{} inventory", parts.method));
    /// # drop(layer);
    /// ```
    pub fn span_name(mut self, name: impl Fn(&Parts) -> String + Send + Sync + 'static) -> Self {
        self.name = Some(Arc::new(name));
        self
    }
}

impl fmt::Debug for HttpClientLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClientLayer").field("span_name", &self.name.is_some()).finish()
    }
}

impl<S> Layer<S> for HttpClientLayer {
    type Service = HttpClientService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        HttpClientService { inner, layer: self.clone() }
    }
}

/// The service [`HttpClientLayer`] wraps around a client.
///
/// ```
/// use tower::Layer;
/// let client = tower::service_fn(|_: http::Request<()>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::new(()))
/// });
/// let _: lantern::middleware::HttpClientService<_> = lantern::middleware::HttpClientLayer::new().layer(client);
/// ```
#[derive(Clone, Debug)]
pub struct HttpClientService<S> {
    inner: S,
    layer: HttpClientLayer,
}

impl<S, B, ResB> Service<Request<B>> for HttpClientService<S>
where
    S: Service<Request<B>, Response = Response<ResB>>,
    S::Error: fmt::Display,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future = HttpResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let (mut request, name) = match &self.layer.name {
            Some(name_fn) => {
                let (parts, body) = request.into_parts();
                let name = name_fn(&parts);
                (Request::from_parts(parts, body), name)
            }
            None => {
                let name = attr::method(request.method()).name.to_owned();
                (request, name)
            }
        };
        let span = client_span(&request, &name);
        let inner = span.in_scope(|| {
            // Only a context to give: without one (no Lantern layer, say),
            // headers the caller set stay as they are.
            let cx = crate::context::current();
            if cx.span_context().is_some() {
                crate::propagation::inject(&cx, request.headers_mut());
            }
            self.inner.call(request)
        });
        HttpResponseFuture::new(inner, span, Role::Client, None)
    }
}

fn client_span<B>(request: &Request<B>, name: &str) -> Span {
    let method = attr::method(request.method());
    let scheme = request.uri().scheme_str();
    let (host, port) = match attr::server_address(request.uri(), request.headers()) {
        Some((host, port)) => (Some(host), port.or_else(|| scheme.and_then(attr::default_port))),
        None => (None, None),
    };
    let url = attr::url_full(request.uri());
    tracing::info_span!(
        "HTTP client request",
        otel.name = name,
        otel.kind = "client",
        http.request.method = method.value,
        http.request.method_original = method.original,
        url.full = url.as_deref(),
        server.address = host.as_deref(),
        server.port = port.map(i64::from),
        network.protocol.version = Empty,
        http.response.status_code = Empty,
        error.type = Empty,
        otel.status_code = Empty,
        otel.status_message = Empty,
    )
}
