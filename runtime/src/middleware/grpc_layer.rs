//! The gRPC layers: tonic servers and clients are tower services on HTTP/2
//! requests, so these wrap them as the HTTP layers do, with the RPC
//! semantic conventions and a status read from the trailers.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll, ready};

use http::{HeaderName, Request, Response};
use pin_project_lite::pin_project;
use tower::{Layer, Service};
use tracing::Span;
use tracing::field::Empty;

use super::attributes as attr;
use super::body::{Call, GrpcResponseBody};
use super::lost_context::lost_context;
use super::options::ServerOptions;
use super::outcome::Role;

/// Makes a server span for every gRPC call a tonic server receives: the
/// child of the caller's span when the call carries `traceparent`, named
/// `package.Service/Method`, ended when the response's trailers give the
/// call's status. See the [module docs](super) for which statuses are
/// errors.
///
/// ```no_run
/// # use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
/// # use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
/// # struct Collector;
/// # #[tonic::async_trait]
/// # impl TraceService for Collector {
/// #     async fn export(&self, _: tonic::Request<ExportTraceServiceRequest>)
/// #         -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> { unimplemented!() }
/// # }
/// # async fn serve() -> Result<(), tonic::transport::Error> {
/// // Bound what clients can hold: a deadline per call, calls per connection.
/// tonic::transport::Server::builder()
///     .timeout(std::time::Duration::from_secs(30))
///     .concurrency_limit_per_connection(64)
///     .layer(lantern::middleware::GrpcServerLayer::new())
///     .add_service(TraceServiceServer::new(Collector))
///     .serve("127.0.0.1:4317".parse().unwrap())
///     .await
/// # }
/// ```
#[derive(Clone, Default)]
pub struct GrpcServerLayer {
    options: ServerOptions,
}

impl GrpcServerLayer {
    /// The layer with the defaults: the forced-sampling header is
    /// `lantern-debug` (in gRPC terms, metadata).
    ///
    /// ```
    /// let layer = lantern::middleware::GrpcServerLayer::new();
    /// # drop(layer);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Honours the metadata key [`lantern-debug`](super::DEFAULT_DEBUG_HEADER):
    /// a call carrying it with the value `1` or `true` gets a sampled trace
    /// whatever the sampler says; another value (`ticket-123`, not `0` or
    /// `false`) does too and names the trace: its debug id, the attribute
    /// `lantern.debug_id` of the server span. Off by default, since any client can send
    /// it: turn it on for services only trusted callers reach, or use
    /// [`debug_header`](Self::debug_header) with a key only your own tooling
    /// sends.
    ///
    /// ```
    /// let layer = lantern::middleware::GrpcServerLayer::new().with_debug_header();
    /// # drop(layer);
    /// ```
    pub fn with_debug_header(self) -> Self {
        self.debug_header(HeaderName::from_static(super::options::DEFAULT_DEBUG_HEADER))
    }

    /// Honours the metadata key `name` to force a sampled trace (see
    /// [`with_debug_header`](Self::with_debug_header)), its values read
    /// alike.
    ///
    /// ```
    /// let layer = lantern::middleware::GrpcServerLayer::new()
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
    /// let layer = lantern::middleware::GrpcServerLayer::new().without_debug_header();
    /// # drop(layer);
    /// ```
    pub fn without_debug_header(mut self) -> Self {
        self.options.set_debug_header(None);
        self
    }

    /// Names the service the calls belong to, for a process that hosts
    /// several: the server span gets the field `service.name = name`, so it
    /// and everything inside it belong to that service
    /// ([`SpanRecord::service`](crate::record::SpanRecord::service)), as with
    /// [`HttpServerLayer::service_name`](super::HttpServerLayer::service_name).
    ///
    /// ```
    /// use tower::{Layer, ServiceExt};
    ///
    /// let lantern = lantern::builder().service_name("rides").try_init_local();
    /// let server = tower::service_fn(|_: http::Request<()>| async {
    ///     tracing::info_span!("GetDriver").in_scope(|| {});
    ///     // A trailers-only answer: `grpc-status` in the head.
    ///     let response = http::Response::builder().header("grpc-status", "0").body(http_body_util::Empty::<bytes::Bytes>::new());
    ///     Ok::<_, std::convert::Infallible>(response.unwrap())
    /// });
    /// let server = lantern::middleware::GrpcServerLayer::new().service_name("driver").layer(server);
    /// let request = http::Request::post("/driver.DriverService/FindNearest").body(()).unwrap();
    /// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// drop(rt.block_on(server.oneshot(request)).unwrap());
    ///
    /// let snap = lantern.buffer().snapshot();
    /// let call = snap.spans_named("driver.DriverService/FindNearest", 1).remove(0);
    /// let child = snap.spans_named("GetDriver", 1).remove(0);
    /// assert_eq!(call.service.as_deref(), Some("driver"));
    /// assert_eq!(child.service.as_deref(), Some("driver"), "and its children");
    /// ```
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.options.set_service_name(name.into());
        self
    }
}

impl fmt::Debug for GrpcServerLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrpcServerLayer")
            .field("debug_header", &self.options.debug_header)
            .field("service_name", &self.options.service_name)
            .finish()
    }
}

impl<S> Layer<S> for GrpcServerLayer {
    type Service = GrpcServerService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcServerService { inner, layer: self.clone() }
    }
}

/// The service [`GrpcServerLayer`] wraps around a server.
///
/// ```
/// use tower::Layer;
/// let server = tower::service_fn(|_: http::Request<()>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::new(http_body_util::Empty::<bytes::Bytes>::new()))
/// });
/// let _: lantern::middleware::GrpcServerService<_> = lantern::middleware::GrpcServerLayer::new().layer(server);
/// ```
#[derive(Clone, Debug)]
pub struct GrpcServerService<S> {
    inner: S,
    layer: GrpcServerLayer,
}

impl<S, B, ResB> Service<Request<B>> for GrpcServerService<S>
where
    S: Service<Request<B>, Response = Response<ResB>>,
    S::Error: fmt::Display,
{
    type Response = Response<GrpcResponseBody<ResB>>;
    type Error = S::Error;
    type Future = GrpcResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let span = server_span(&request, &self.layer.options);
        let inner = span.in_scope(|| self.inner.call(request));
        GrpcResponseFuture { inner, call: Some(Call { span, role: Role::Server }) }
    }
}

/// The span name, `rpc.service` and `rpc.method` of a request path:
/// `/package.Service/Method` (after any prefix the client's origin adds).
/// A path that is not of that shape (protobuf identifiers, at most 128
/// bytes each) is named `grpc`: span names become metric series and
/// table rows, so a client must not be able to mint them at will.
fn rpc_names(path: &str) -> (String, Option<&str>, Option<&str>) {
    let identifier = |s: &str, dots: bool| {
        !s.is_empty()
            && s.len() <= 128
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || (dots && b == b'.'))
    };
    let mut segments = path.rsplitn(3, '/');
    match (segments.next(), segments.next()) {
        (Some(method), Some(service)) if identifier(method, false) && identifier(service, true) => {
            (format!("{service}/{method}"), Some(service), Some(method))
        }
        _ => ("grpc".to_owned(), None, None),
    }
}

fn server_span<B>(request: &Request<B>, options: &ServerOptions) -> Span {
    let headers = request.headers();
    let (name, service, method) = rpc_names(request.uri().path());
    let scheme = request.uri().scheme_str().unwrap_or("http");
    let ends = attr::server_ends(request, scheme);
    let cx = crate::propagation::extract(headers);
    let fields = options.fields(headers, cx.is_debug());
    let context_lost = lost_context(&cx, headers);
    cx.child_span(|| {
        tracing::info_span!(
            "gRPC request",
            otel.name = name.as_str(),
            otel.kind = "server",
            rpc.system = "grpc",
            rpc.service = service,
            rpc.method = method,
            server.address = ends.host.as_deref(),
            server.port = ends.port.map(i64::from),
            client.address = ends.client.as_deref(),
            network.peer.address = ends.peer_address.as_deref(),
            network.peer.port = ends.peer_port.map(i64::from),
            lantern.debug = fields.debug,
            lantern.debug_id = fields.debug_id.as_deref(),
            lantern.context_lost = context_lost,
            // Set at creation (no field when `None`), so every child and
            // log inside inherits it.
            service.name = fields.service_name,
            rpc.grpc.status_code = Empty,
            error.type = Empty,
            otel.status_code = Empty,
            otel.status_message = Empty,
        )
    })
}

/// Makes a client span for every gRPC call made through a tonic channel,
/// and writes its context into the call's metadata (`traceparent`,
/// `tracestate`, `baggage`). Any status but `OK` makes it an error.
///
/// `server.address` and `server.port` come from the request URI, which
/// tonic fills in only for clients made with `with_origin` (a `Channel`
/// adds the origin itself, inside, where this layer cannot see it).
///
/// ```
/// use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
///
/// let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// let _in_runtime = rt.enter(); // a channel starts a task
/// let channel = tonic::transport::Channel::from_static("http://127.0.0.1:4317").connect_lazy();
/// let traced = tower::ServiceBuilder::new()
///     .layer(lantern::middleware::GrpcClientLayer::new())
///     .service(channel);
/// let client = TraceServiceClient::with_origin(traced, "http://127.0.0.1:4317".parse().unwrap());
/// # drop(client);
/// ```
#[derive(Clone, Debug, Default)]
pub struct GrpcClientLayer {
    _private: (),
}

impl GrpcClientLayer {
    /// The layer.
    ///
    /// ```
    /// let layer = lantern::middleware::GrpcClientLayer::new();
    /// # drop(layer);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
}

impl<S> Layer<S> for GrpcClientLayer {
    type Service = GrpcClientService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcClientService { inner }
    }
}

/// The service [`GrpcClientLayer`] wraps around a channel.
///
/// ```
/// use tower::Layer;
/// let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// let _in_runtime = rt.enter();
/// let channel = tonic::transport::Channel::from_static("http://127.0.0.1:4317").connect_lazy();
/// let _: lantern::middleware::GrpcClientService<_> = lantern::middleware::GrpcClientLayer::new().layer(channel);
/// ```
#[derive(Clone, Debug)]
pub struct GrpcClientService<S> {
    inner: S,
}

impl<S, B, ResB> Service<Request<B>> for GrpcClientService<S>
where
    S: Service<Request<B>, Response = Response<ResB>>,
    S::Error: fmt::Display,
{
    type Response = Response<GrpcResponseBody<ResB>>;
    type Error = S::Error;
    type Future = GrpcResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let span = client_span(&request);
        let inner = span.in_scope(|| {
            let cx = crate::context::current();
            if cx.span_context().is_some() {
                crate::propagation::inject(&cx, request.headers_mut());
            }
            self.inner.call(request)
        });
        GrpcResponseFuture { inner, call: Some(Call { span, role: Role::Client }) }
    }
}

fn client_span<B>(request: &Request<B>) -> Span {
    let (name, service, method) = rpc_names(request.uri().path());
    let scheme = request.uri().scheme_str();
    let (host, port) = match attr::server_address(request.uri(), request.headers()) {
        Some((host, port)) => (Some(host), port.or_else(|| scheme.and_then(attr::default_port))),
        None => (None, None),
    };
    tracing::info_span!(
        "gRPC client request",
        otel.name = name.as_str(),
        otel.kind = "client",
        rpc.system = "grpc",
        rpc.service = service,
        rpc.method = method,
        server.address = host.as_deref(),
        server.port = port.map(i64::from),
        rpc.grpc.status_code = Empty,
        error.type = Empty,
        otel.status_code = Empty,
        otel.status_message = Empty,
    )
}

pin_project! {
    /// The response future of [`GrpcServerService`] and
    /// [`GrpcClientService`]: polls the inner future inside the span; on
    /// the response head, ends the span if the status is already known
    /// (trailers-only), else hands it to the [`GrpcResponseBody`].
    ///
    /// ```
    /// use tower::{Layer, Service};
    /// let server = tower::service_fn(|_: http::Request<()>| async {
    ///     Ok::<_, std::convert::Infallible>(http::Response::new(http_body_util::Empty::<bytes::Bytes>::new()))
    /// });
    /// let mut server = lantern::middleware::GrpcServerLayer::new().layer(server);
    /// let future: lantern::middleware::GrpcResponseFuture<_> = server.call(http::Request::new(()));
    /// # drop(future);
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct GrpcResponseFuture<F> {
        #[pin]
        inner: F,
        call: Option<Call>,
    }
}

impl<F: fmt::Debug> fmt::Debug for GrpcResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let span = self.call.as_ref().map(|c| &c.span);
        f.debug_struct("GrpcResponseFuture").field("inner", &self.inner).field("span", &span).finish()
    }
}

impl<F, ResB, E> Future for GrpcResponseFuture<F>
where
    F: Future<Output = Result<Response<ResB>, E>>,
    E: fmt::Display,
{
    type Output = Result<Response<GrpcResponseBody<ResB>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = match this.call.as_ref() {
            Some(call) => ready!(call.span.in_scope(|| this.inner.poll(cx))),
            None => ready!(this.inner.poll(cx)),
        };
        let call = this.call.take();
        Poll::Ready(match result {
            Ok(response) => {
                let (parts, body) = response.into_parts();
                let pending = call.and_then(|call| call.on_head(parts.status, &parts.headers));
                Ok(Response::from_parts(parts, GrpcResponseBody::new(body, pending)))
            }
            Err(error) => {
                if let Some(call) = call {
                    call.fail(&error);
                }
                Err(error)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::rpc_names;

    #[test]
    fn names_from_paths() {
        let (name, service, method) = rpc_names("/opentelemetry.proto.collector.trace.v1.TraceService/Export");
        assert_eq!(name, "opentelemetry.proto.collector.trace.v1.TraceService/Export");
        assert_eq!(service, Some("opentelemetry.proto.collector.trace.v1.TraceService"));
        assert_eq!(method, Some("Export"));
        assert_eq!(rpc_names("/prefix/pkg.S/M").0, "pkg.S/M");
        assert_eq!(rpc_names("/").0, "grpc");
        assert_eq!(rpc_names("/pkg.S/").0, "grpc");
        // Paths a client invents cannot mint names.
        assert_eq!(rpc_names("/pkg.S/M<script>").0, "grpc");
        assert_eq!(rpc_names("/pkg.S/a b").0, "grpc");
        assert_eq!(rpc_names(&format!("/pkg.S/{}", "m".repeat(129))).0, "grpc");
        assert_eq!(rpc_names("/pkg.S/Method_2").0, "pkg.S/Method_2");
    }
}
