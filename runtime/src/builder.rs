//! Set-up: [`init()`] in one line, or a [`Builder`] for the settings; the
//! [`Guard`] that keeps Lantern running and hands out the [`Handle`].

use std::sync::Arc;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::buffer::{Buffer, BufferConfig};
use crate::export::Exporter;
use crate::handle::Handle;
use crate::init_error::InitError;
use crate::insights::features::FeatureExtractor;
use crate::insights::start::{Wanted, start_insights};
use crate::layer::LanternLayer;
use crate::metrics::{Metrics, MetricsConfig};
use crate::propagation::Propagators;
use crate::record::KeyValue;
use crate::resource::Resource;
use crate::sampling::{ParentBased, RecordingMode, Sampler, SamplingStats};
use crate::tail::config::CompletionConfig;
use crate::tail::listener::TraceListener;
use crate::tail::policy::TailPolicy;

#[cfg(feature = "console")]
mod console;

/// Installs Lantern as the global subscriber with the defaults, and captures
/// the `log` crate too. Keep the guard alive for the life of the program.
///
/// If a global subscriber is already installed, this prints a warning to
/// stderr and returns a guard whose buffer records nothing; use
/// [`Builder::try_init`] to handle that case yourself.
///
/// ```no_run
/// let _lantern = lantern::init();
/// tracing::info_span!("main").in_scope(|| tracing::info!("hello"));
/// ```
pub fn init() -> Guard {
    Builder::default().init()
}

/// A layer with the defaults, for composing your own subscriber.
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
/// let subscriber = tracing_subscriber::registry().with(lantern::layer());
/// # drop(subscriber);
/// ```
pub fn layer() -> LanternLayer {
    LanternLayer::default()
}

/// A [`Builder`] with the defaults.
///
/// ```
/// let builder = lantern::builder().service_name("checkout");
/// # drop(builder);
/// ```
pub fn builder() -> Builder {
    Builder::default()
}

/// Configures Lantern. Plain setters; every one is optional.
///
/// ```
/// use lantern::sampling::{ParentBased, TraceIdRatio};
/// let layer = lantern::builder()
///     .service_name("checkout")
///     .resource_attribute("deployment.environment", "prod")
///     .buffer(lantern::buffer::BufferConfig { max_bytes: 16 << 20, ..Default::default() })
///     .sampler(ParentBased::new(TraceIdRatio::new(0.1)))
///     .layer();
/// # drop(layer);
/// ```
pub struct Builder {
    service_name: Option<String>,
    resource: Vec<KeyValue>,
    buffer: BufferConfig,
    /// Set by [`Builder::sampler`]; else made from the environment when
    /// the runtime is built, for the service name as finally set.
    sampler: Option<Arc<dyn Sampler>>,
    mode: RecordingMode,
    max_level: tracing::level_filters::LevelFilter,
    capture_log: bool,
    metrics: MetricsConfig,
    http_addr: HttpAddr,
    http_token: Option<String>,
    exporter: Option<Arc<dyn Exporter>>,
    max_forced_per_second: f64,
    tail: Option<TailPolicy>,
    completion: CompletionConfig,
    listeners: Vec<Arc<dyn TraceListener>>,
    service_graph: bool,
    insights: bool,
    extractors: Vec<Arc<dyn FeatureExtractor>>,
    debug_baggage: bool,
    /// Set process-wide at initialisation when named (builder or env).
    propagators: Option<Propagators>,
    /// The baggage keys log records carry (`None`: the metrics allowlist).
    log_baggage: Option<Vec<String>>,
    #[cfg(feature = "console")]
    console: crate::console::ConsoleConfig,
}

/// The console's writer, kept by the guard (nothing without `console`).
#[cfg(feature = "console")]
type ConsoleRunning = Option<crate::console::Running>;
#[cfg(not(feature = "console"))]
type ConsoleRunning = ();

/// Where the embedded HTTP server listens.
#[derive(Clone, Copy, Debug)]
enum HttpAddr {
    /// `LANTERN_HTTP_ADDR`, else the default, for a global install; none
    /// for a thread-local one.
    Default,
    Off,
    At(std::net::SocketAddr),
}

impl Default for Builder {
    /// The defaults, from the OpenTelemetry environment variables where they
    /// are set (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`,
    /// `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`, `OTEL_PROPAGATORS`, and the attribute,
    /// event and link limits such as `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`);
    /// the setters win.
    fn default() -> Self {
        let (service_name, resource) = crate::env::resource();
        Builder {
            service_name,
            resource,
            buffer: crate::env::buffer_config(),
            sampler: None,
            mode: RecordingMode::All,
            max_level: tracing::level_filters::LevelFilter::TRACE,
            capture_log: true,
            metrics: MetricsConfig::default(),
            http_addr: HttpAddr::Default,
            http_token: std::env::var("LANTERN_HTTP_TOKEN").ok().filter(|t| !t.trim().is_empty()),
            exporter: None,
            max_forced_per_second: crate::sampling::DEFAULT_MAX_FORCED_PER_SECOND,
            tail: None,
            completion: CompletionConfig::default(),
            listeners: Vec::new(),
            service_graph: false,
            insights: false,
            extractors: Vec::new(),
            debug_baggage: false,
            propagators: crate::env::propagators(),
            log_baggage: None,
            #[cfg(feature = "console")]
            console: Default::default(),
        }
    }
}

impl Builder {
    /// The `service.name` resource attribute (default: the executable's name).
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Adds a resource attribute (`service.version`, `deployment.environment`, ...).
    pub fn resource_attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.resource.push(KeyValue::new(key.into(), value.into()));
        self
    }

    /// The ring buffer's limits.
    pub fn buffer(mut self, config: BufferConfig) -> Self {
        self.buffer = config;
        self
    }

    /// The propagation formats the process reads and writes (over
    /// `OTEL_PROPAGATORS`; default `tracecontext,baggage`): what
    /// [`propagation::extract`](crate::propagation::extract) and
    /// [`inject`](crate::propagation::inject), the server and client layers
    /// and the messaging helpers use. The choice is **process-wide** (one
    /// atomic read per request): it is made when Lantern is initialised,
    /// local installs included, and the last initialisation that names
    /// propagators wins.
    ///
    /// ```
    /// use lantern::propagation::{Format, Propagators};
    /// let _lantern = lantern::builder()
    ///     .propagators(Propagators::new([Format::TraceContext, Format::Baggage, Format::B3Multi]))
    ///     .try_init_local();
    /// let mut h = http::HeaderMap::new();
    /// h.insert("x-b3-traceid", "463ac35c9f6413ad".parse().unwrap());
    /// h.insert("x-b3-spanid", "72485a3953bb6124".parse().unwrap());
    /// h.insert("x-b3-sampled", "1".parse().unwrap());
    /// let cx = lantern::propagation::extract(&h);
    /// assert_eq!(cx.span_context().unwrap().trace_id().to_string(), "0000000000000000463ac35c9f6413ad");
    /// ```
    pub fn propagators(mut self, propagators: Propagators) -> Self {
        self.propagators = Some(propagators);
        self
    }

    /// The head sampler (default: the one `OTEL_TRACES_SAMPLER` names, made
    /// when the runtime is built, else `ParentBased(AlwaysOn)`).
    pub fn sampler(mut self, sampler: impl Sampler) -> Self {
        self.sampler = Some(Arc::new(sampler));
        self
    }

    /// At most this many forced (debug) traces a second (default
    /// [`DEFAULT_MAX_FORCED_PER_SECOND`](crate::sampling::DEFAULT_MAX_FORCED_PER_SECOND)):
    /// a root with `lantern.debug = true` (what the middleware's debug header
    /// sets) is sampled whatever the sampler says, within this cap; past it
    /// the sampler decides, and the refusal is counted
    /// ([`SamplingStats::forced_over_cap`](crate::sampling::SamplingStats::forced_over_cap)).
    /// A negative or NaN rate forces nothing.
    ///
    /// ```
    /// let lantern = lantern::builder().max_forced_per_second(1.0).try_init_local();
    /// tracing::info_span!("a", lantern.debug = true).in_scope(|| {});
    /// tracing::info_span!("b", lantern.debug = true).in_scope(|| {});
    /// let sampling = lantern.handle().sampling();
    /// assert_eq!((sampling.forced(), sampling.forced_over_cap()), (1, 1));
    /// ```
    pub fn max_forced_per_second(mut self, per_second: f64) -> Self {
        self.max_forced_per_second = per_second;
        self
    }

    /// Whether a [`lantern-debug`](crate::sampling::DEBUG_BAGGAGE_KEY)
    /// baggage entry that came with a remote parent forces its trace here
    /// (default false), as a server layer's debug header does: behind any
    /// server layer, the messaging consumer, or a
    /// [`Context::child_span`](crate::Context::child_span) of your own.
    /// A value of `1` or `true` forces; another one (`ticket-123`) forces
    /// and is the trace's debug id ([`crate::sampling::DEBUG_ID_ATTRIBUTE`]).
    /// Forced traces count against [`Builder::max_forced_per_second`].
    ///
    /// Baggage travels from service to service, so one entry set upstream
    /// forces the trace in every service that honours it, across queues too.
    /// It is also input anyone who reaches the service can send: turn this
    /// on where the callers are trusted (or the edge strips the entry).
    ///
    /// ```
    /// use lantern::sampling::{AlwaysOff, ParentBased};
    /// let lantern = lantern::builder().sampler(ParentBased::new(AlwaysOff)).debug_baggage(true).try_init_local();
    /// let mut baggage = lantern::context::Baggage::default();
    /// baggage.insert("lantern-debug", "ticket-123").unwrap();
    /// let upstream = lantern::Context::new(None, baggage);
    /// upstream.child_span(|| tracing::info_span!("consume")).in_scope(|| {});
    /// let span = lantern.buffer().snapshot().spans_named("consume", 1).remove(0);
    /// assert!(span.is_sampled());
    /// assert_eq!(span.sampler_tag().unwrap().kind(), "debug");
    /// assert_eq!(span.attribute("lantern.debug_id").unwrap().as_str(), Some("ticket-123"));
    /// ```
    pub fn debug_baggage(mut self, honour: bool) -> Self {
        self.debug_baggage = honour;
        self
    }

    /// Whether unsampled traces are recorded locally (default: all are).
    pub fn recording_mode(mut self, mode: RecordingMode) -> Self {
        self.mode = mode;
        self
    }

    /// The most verbose level captured by [`Builder::init`] (default TRACE).
    pub fn max_level(mut self, level: tracing::Level) -> Self {
        self.max_level = level.into();
        self
    }

    /// Whether [`Builder::init`] captures the `log` crate (default true).
    pub fn capture_log(mut self, capture: bool) -> Self {
        self.capture_log = capture;
        self
    }

    /// Metrics settings: baggage and span-field label allowlists, series
    /// caps, histograms, RED metrics.
    pub fn metrics(mut self, config: MetricsConfig) -> Self {
        self.metrics = config;
        self
    }

    /// The baggage keys every log record carries as attributes, named by
    /// the key (default: the metrics allowlist,
    /// [`MetricsConfig::baggage_labels`]): on the debug pages, in the
    /// export, and in the console's JSON lines. An event's own field of the
    /// same name wins; the values are cut like any attribute value, and
    /// count against the attribute cap. Only keys you list travel into the
    /// logs, so what callers put in baggage cannot fill them.
    ///
    /// ```
    /// let lantern = lantern::builder().log_baggage(["customer"]).try_init_local();
    /// tracing::info_span!("request").in_scope(|| {
    ///     lantern::context::set_baggage("customer", "123").unwrap();
    ///     lantern::context::set_baggage("session", "s-9").unwrap();
    ///     tracing::info!("loading");
    /// });
    /// let log = lantern.buffer().snapshot().logs(&Default::default()).remove(0);
    /// assert_eq!(log.attribute("customer").unwrap().as_str(), Some("123"));
    /// assert!(log.attribute("session").is_none(), "not allowlisted");
    /// ```
    pub fn log_baggage<K: Into<String>>(mut self, keys: impl IntoIterator<Item = K>) -> Self {
        self.log_baggage = Some(keys.into_iter().map(Into::into).collect());
        self
    }

    /// Where the embedded HTTP server (`/metrics`, debug pages) listens;
    /// `None` turns it off. It serves at most 64 connections at once
    /// (`LANTERN_HTTP_MAX_CONNECTIONS`), with deadlines for request heads
    /// and idle connections; for other limits start it yourself with
    /// `lantern::server::serve` and an `HttpConfig`. By default [`Builder::init`] and
    /// [`Builder::try_init`] serve on `LANTERN_HTTP_ADDR` (`off` turns it
    /// off) or else on 127.0.0.1:9464, and [`Builder::try_init_local`]
    /// serves nothing. A port in use is reported on stderr, never fatal.
    ///
    /// ```
    /// let lantern = lantern::builder().http_addr(Some(([127, 0, 0, 1], 0).into())).try_init_local();
    /// assert!(lantern.http_addr().is_some());
    /// ```
    pub fn http_addr(mut self, addr: Option<std::net::SocketAddr>) -> Self {
        self.http_addr = addr.map_or(HttpAddr::Off, HttpAddr::At);
        self
    }

    /// The bearer token the embedded HTTP server asks for (default:
    /// `LANTERN_HTTP_TOKEN`). Required to serve on a non-loopback address;
    /// once set, requests without `Authorization: Bearer <token>` get 401,
    /// on loopback too.
    ///
    /// ```
    /// let lantern = lantern::builder()
    ///     .http_addr(Some(([127, 0, 0, 1], 0).into()))
    ///     .http_bearer_token("s3cret")
    ///     .try_init_local();
    /// assert!(lantern.http_addr().is_some());
    ///
    /// // Off loopback, no token, no server (and a line on stderr saying why).
    /// let open = lantern::builder().http_addr(Some(([0, 0, 0, 0], 0).into())).try_init_local();
    /// assert!(open.http_addr().is_none());
    /// ```
    pub fn http_bearer_token(mut self, token: impl Into<String>) -> Self {
        self.http_token = Some(token.into());
        self
    }

    /// Where finished sampled spans and logs go besides the ring buffer
    /// (for example `lantern-otlp`'s exporter). The [`Guard`] shuts it down
    /// when it drops.
    pub fn exporter(mut self, exporter: impl Exporter) -> Self {
        self.exporter = Some(Arc::new(exporter));
        self
    }

    /// Tail sampling: completed traces the head sampler dropped are judged
    /// by `policy`, and those it keeps are exported whole (see
    /// [`crate::tail`]). Needs [`RecordingMode::All`], the default:
    /// [`Builder::try_init`] refuses it with `SampledOnly`, and the other
    /// set-ups print why on stderr and run without it.
    ///
    /// ```
    /// let policy = lantern::tail::TailPolicy::parse("errors,slow:300ms").unwrap();
    /// let lantern = lantern::builder().tail_sampling(policy).try_init_local();
    /// assert!(lantern.handle().tail().enabled);
    /// ```
    pub fn tail_sampling(mut self, policy: TailPolicy) -> Self {
        self.tail = Some(policy);
        self
    }

    /// When a trace counts as complete, for tail sampling and the trace
    /// listeners (default: 2 s quiet, 60 s at most, 50 000 watched).
    ///
    /// ```
    /// let quick = lantern::tail::CompletionConfig { quiet_period: std::time::Duration::from_millis(200), ..Default::default() };
    /// let lantern = lantern::builder().completion(quick).try_init_local();
    /// # drop(lantern);
    /// ```
    pub fn completion(mut self, config: CompletionConfig) -> Self {
        self.completion = config;
        self
    }

    /// Adds a listener that receives each trace as it completes in this
    /// process (see [`TraceListener`]).
    ///
    /// ```
    /// let lantern = lantern::builder().trace_listener(lantern::tail::NoopListener).try_init_local();
    /// assert!(lantern.handle().tail().enabled);
    /// ```
    pub fn trace_listener(mut self, listener: impl TraceListener) -> Self {
        self.listeners.push(Arc::new(listener));
        self
    }

    /// Builds the service graph from each trace that completes in this
    /// process, for [`Handle::service_graph`] and `/metrics`
    /// (`traces_service_graph_*`); see [`crate::insights`]. Off by default:
    /// on, every trace is watched for completion, which costs the ingest
    /// thread a hash-map update per span and holds each trace's entry until
    /// its quiet period ends.
    ///
    /// ```
    /// let lantern = lantern::builder().service_graph(true).try_init_local();
    /// assert!(lantern.handle().tail().enabled, "completion is on");
    /// assert!(lantern.handle().service_graph().is_some());
    /// ```
    pub fn service_graph(mut self, on: bool) -> Self {
        self.service_graph = on;
        self
    }

    /// Turns on every analysis of completed traces (see
    /// [`crate::insights`]): the service graph, trace patterns, trace
    /// features and tracing quality, with their pages and metrics. Off by
    /// default: on, every trace is watched for completion (as with
    /// [`Builder::service_graph`]) and read once more on the analysis
    /// thread, off the application's threads.
    ///
    /// ```
    /// let lantern = lantern::builder().insights(true).try_init_local();
    /// assert!(lantern.handle().service_graph().is_some());
    /// assert!(lantern.handle().insights().is_some());
    /// ```
    pub fn insights(mut self, on: bool) -> Self {
        self.insights = on;
        self
    }

    /// Adds a feature extractor of your own (see
    /// [`crate::insights::FeatureExtractor`]): run on the analysis thread
    /// for every trace that completes in this process, its numbers
    /// aggregated per root operation with the built-in features. Turns the
    /// trace features on (and trace completion with them), even without
    /// [`Builder::insights`].
    ///
    /// ```
    /// use lantern::insights::{FeatureExtractor, Features};
    /// use lantern::tail::CompletedTrace;
    ///
    /// struct Retries;
    /// impl FeatureExtractor for Retries {
    ///     fn name(&self) -> &str { "retries" }
    ///     fn extract(&self, trace: &CompletedTrace, out: &mut Features) {
    ///         let retries = trace.trace.spans.iter().filter(|s| s.attribute("retry").is_some()).count();
    ///         out.set("retries", retries as f64);
    ///     }
    /// }
    /// let lantern = lantern::builder().feature_extractor(Retries).try_init_local();
    /// assert!(lantern.handle().trace_features().is_some());
    /// assert!(lantern.handle().service_graph().is_none(), "only the features");
    /// ```
    pub fn feature_extractor(mut self, extractor: impl FeatureExtractor) -> Self {
        self.extractors.push(Arc::new(extractor));
        self
    }

    /// The capture layer, for composing your own subscriber. Its
    /// [`LanternLayer::recorder`] is the matching `metrics` recorder. An
    /// exporter given to the builder is started here; call its `shutdown`
    /// yourself after [`Buffer::flush`] when you do not use a [`Guard`].
    pub fn layer(self) -> LanternLayer {
        self.build().0
    }

    /// The sampler set, else the one `OTEL_TRACES_SAMPLER` names (a Jaeger
    /// remote one asks for the service name set here, else the
    /// environment's), else `ParentBased(AlwaysOn)`.
    fn head_sampler(&self) -> Arc<dyn Sampler> {
        self.sampler.clone().unwrap_or_else(|| {
            crate::env::sampler(self.service_name.as_deref()).unwrap_or_else(|| Arc::new(ParentBased::default()))
        })
    }

    fn make_resource(&self) -> Resource {
        let service = self.service_name.clone().unwrap_or_else(Resource::default_service_name);
        Resource::new(service, self.resource.clone())
    }

    fn build(self) -> (LanternLayer, Option<Arc<dyn Exporter>>) {
        if let Some(propagators) = self.propagators {
            crate::propagation::set_configured(propagators);
        }
        let resource = self.make_resource();
        let sampler = self.head_sampler();
        let mut layer = LanternLayer::new(
            self.buffer,
            resource,
            sampler,
            self.mode,
            self.metrics,
            self.max_forced_per_second,
            self.debug_baggage,
        );
        if let Some(keys) = self.log_baggage {
            layer.set_log_baggage(keys.into());
        }
        let mut tail = self.tail;
        if tail.is_some() && self.mode == RecordingMode::SampledOnly {
            eprintln!("lantern: {}; running without it", InitError::tail_needs_recording());
            tail = None;
        }
        let mut listeners = self.listeners;
        let wanted = Wanted { service_graph: self.service_graph, all: self.insights, extractors: self.extractors };
        if let Some(feed) = start_insights(&layer.handle(), &wanted) {
            listeners.push(Arc::new(feed));
        }
        layer.buffer().set_tail(self.completion, tail, listeners);
        if let Some(exporter) = &self.exporter {
            exporter.start(&layer.handle());
            let exporter = Arc::clone(exporter);
            layer.buffer().set_exporter(Arc::new(move |record| exporter.export(record)));
        }
        (layer, self.exporter)
    }

    /// Installs Lantern as the global subscriber; see [`init()`].
    pub fn init(mut self) -> Guard {
        // Made once (a remote sampler polls): shared with the guard below.
        self.sampler = Some(self.head_sampler());
        // What the guard reads if installing fails: the same settings,
        // recording nothing.
        let buffer = self.buffer.clone();
        let sampling = SamplingStats::new(self.head_sampler(), self.mode);
        let metrics = Metrics::new(self.metrics.clone());
        let resource = self.make_resource();
        self.try_init().unwrap_or_else(|err| {
            eprintln!("lantern: {err}: {}; spans will not be recorded", err.source_text());
            let handle = Handle::new(Buffer::new(buffer), metrics, sampling, resource);
            Guard { handle, server: None, exporter: None, console: Default::default(), _local: None }
        })
    }

    /// Installs Lantern as the global subscriber and the global `metrics`
    /// recorder, or says why it could not. When another `metrics` recorder
    /// is installed already, tracing still works and a warning is printed.
    pub fn try_init(self) -> Result<Guard, InitError> {
        if self.tail.is_some() && self.mode == RecordingMode::SampledOnly {
            return Err(InitError::tail_needs_recording());
        }
        let capture_log = self.capture_log;
        let http_token = self.http_token.clone();
        let http_addr = match self.http_addr {
            HttpAddr::Default => env_http_addr(),
            other => other,
        };
        let (subscriber, handle, exporter, console) = self.subscriber(false);
        if let Err(e) = subscriber.try_init() {
            if let Some(exporter) = exporter {
                exporter.shutdown(std::time::Duration::ZERO);
            }
            return Err(InitError::global_subscriber(e));
        }
        if capture_log {
            // Ignored if a `log` logger is already set: tracing events still work.
            let _ = tracing_log::LogTracer::init();
        }
        if let Err(e) = ::metrics::set_global_recorder(handle.metrics().recorder()) {
            eprintln!("lantern: {e}; metrics from the `metrics` macros go to the other recorder");
        }
        let server = start_server(http_addr, http_token, &handle);
        Ok(Guard { server, handle, exporter, console, _local: None })
    }

    /// Installs Lantern as the default subscriber of this thread only, until
    /// the guard drops: for tests and examples that must not touch globals.
    pub fn try_init_local(self) -> Guard {
        let (http_addr, http_token) = (self.http_addr, self.http_token.clone());
        let (subscriber, handle, exporter, console) = self.subscriber(true);
        let local = tracing::subscriber::set_default(subscriber);
        let server = start_server(http_addr, http_token, &handle);
        Guard { server, handle, exporter, console, _local: Some(local) }
    }

    /// The registry with the capture layer, the level filter and the
    /// console layer; `local`: for a thread-local set-up.
    #[cfg_attr(not(feature = "console"), allow(unused_variables, unused_mut))]
    fn subscriber(
        mut self,
        local: bool,
    ) -> (impl tracing::Subscriber + Send + Sync, Handle, Option<Arc<dyn Exporter>>, ConsoleRunning) {
        let level = self.max_level;
        #[cfg(feature = "console")]
        let console_config = std::mem::take(&mut self.console);
        let (layer, exporter) = self.build();
        let handle = layer.handle();
        #[cfg(feature = "console")]
        let (console, running) = crate::console::start(console_config, local, layer.log_baggage(), &handle);
        #[cfg(not(feature = "console"))]
        let (console, running) = (tracing_subscriber::layer::Identity::new(), ());
        (tracing_subscriber::registry().with(layer).with(level).with(console), handle, exporter, running)
    }
}

/// Keeps Lantern running; flushes the queue into the buffer when dropped.
///
/// Dropping it returns within a bounded time whatever is in flight: the
/// flush (what is queued, filed into the buffer: milliseconds), then the
/// exporter's shutdown, given 5 s (`lantern-otlp` keeps to it, with a
/// 0.5 s margin for its thread), then the embedded server's stop (at most
/// 1 s for answers in flight). A dead or hanging collector or held
/// connections cannot stretch it.
#[must_use = "dropping the guard stops a thread-local Lantern at once"]
pub struct Guard {
    handle: Handle,
    server: Option<Server>,
    exporter: Option<Arc<dyn Exporter>>,
    /// The console's writer: its queue is flushed when the guard drops.
    #[cfg_attr(not(feature = "console"), allow(dead_code))]
    console: ConsoleRunning,
    _local: Option<tracing::subscriber::DefaultGuard>,
}

impl Guard {
    /// The read handle: buffer, metrics, sampling decisions, resource.
    ///
    /// ```
    /// let lantern = lantern::builder().service_name("api").try_init_local();
    /// let handle = lantern.handle().clone(); // a cheap clone, usable anywhere
    /// assert_eq!(handle.resource().service_name(), "api");
    /// ```
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// The ring buffer (`self.handle().buffer()`).
    ///
    /// ```
    /// let lantern = lantern::builder().try_init_local();
    /// tracing::info_span!("work").in_scope(|| {});
    /// assert_eq!(lantern.buffer().stats().spans, 1);
    /// ```
    pub fn buffer(&self) -> &Buffer {
        self.handle.buffer()
    }

    /// The metrics store: RED metrics, log counts, and whatever the
    /// `metrics` macros record through [`crate::metrics::LanternRecorder`].
    ///
    /// ```
    /// let lantern = lantern::builder().try_init_local();
    /// tracing::info!("hello");
    /// assert!(lantern.metrics().prometheus_text().contains(r#"log_records_total{severity="INFO"} 1"#));
    /// ```
    pub fn metrics(&self) -> &Metrics {
        self.handle.metrics()
    }

    /// Where the embedded HTTP server listens, if it runs.
    pub fn http_addr(&self) -> Option<std::net::SocketAddr> {
        self.server.as_ref().map(server_addr)
    }
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("handle", &self.handle)
            .field("http_addr", &self.http_addr())
            .field("exporter", &self.exporter.is_some())
            .finish_non_exhaustive()
    }
}

fn env_http_addr() -> HttpAddr {
    match std::env::var("LANTERN_HTTP_ADDR") {
        Ok(v) if v.trim().eq_ignore_ascii_case("off") => HttpAddr::Off,
        Ok(v) => v.trim().parse().map(HttpAddr::At).unwrap_or_else(|e| {
            eprintln!("lantern: LANTERN_HTTP_ADDR={v:?} is not an address ({e}); using {DEFAULT_HTTP_ADDR}");
            default_http_addr()
        }),
        Err(_) => default_http_addr(),
    }
}

/// Loopback, the port OpenTelemetry's Prometheus exporters use.
const DEFAULT_HTTP_ADDR: &str = "127.0.0.1:9464";

fn default_http_addr() -> HttpAddr {
    DEFAULT_HTTP_ADDR.parse().map_or(HttpAddr::Off, HttpAddr::At)
}

#[cfg(feature = "server")]
type Server = crate::server::HttpServer;
#[cfg(not(feature = "server"))]
type Server = std::convert::Infallible;

#[cfg(feature = "server")]
fn start_server(addr: HttpAddr, token: Option<String>, handle: &Handle) -> Option<Server> {
    let HttpAddr::At(addr) = addr else { return None };
    let mut config = crate::server::HttpConfig::new(addr);
    if let Some(token) = token {
        config = config.bearer_token(token);
    }
    // The connection cap from the environment; the other limits keep their
    // defaults here (`server::serve` with an `HttpConfig` sets them all).
    if let Ok(raw) = std::env::var("LANTERN_HTTP_MAX_CONNECTIONS") {
        match raw.trim().parse::<usize>() {
            Ok(max) => config = config.max_connections(max),
            Err(_) => eprintln!("lantern: LANTERN_HTTP_MAX_CONNECTIONS={raw:?} is not a number; using the default"),
        }
    }
    crate::server::serve(config, handle.clone())
        .map_err(|e| eprintln!("lantern: cannot serve on {addr}: {e}; no /metrics or debug pages"))
        .ok()
}

#[cfg(not(feature = "server"))]
fn start_server(addr: HttpAddr, _: Option<String>, _: &Handle) -> Option<Server> {
    if let HttpAddr::At(addr) = addr {
        eprintln!("lantern: built without the `server` feature; nothing serves on {addr}");
    }
    None
}

#[cfg(feature = "server")]
fn server_addr(server: &Server) -> std::net::SocketAddr {
    server.local_addr()
}

#[cfg(not(feature = "server"))]
fn server_addr(server: &Server) -> std::net::SocketAddr {
    match *server {}
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.handle.buffer().flush();
        if let Some(exporter) = self.exporter.take() {
            exporter.shutdown(crate::export::SHUTDOWN_TIMEOUT);
        }
    }
}
