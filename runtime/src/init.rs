//! One-line start: [`init()`] and its [`Builder`].

use std::sync::Arc;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::BufferConfig;
use crate::layer::LanternLayer;
use crate::record::KeyValue;
use crate::sampling::{ParentBased, RecordingMode, Sampler};
use crate::{Buffer, Resource};

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

/// The ring buffer of the Lantern layer in the current subscriber, if any.
///
/// ```
/// let _lantern = lantern::builder().try_init_local();
/// assert!(lantern::buffer().is_some());
/// ```
pub fn buffer() -> Option<Buffer> {
    tracing::dispatcher::get_default(|d| d.downcast_ref::<Buffer>().cloned())
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
///     .buffer(lantern::BufferConfig { max_bytes: 16 << 20, ..Default::default() })
///     .sampler(ParentBased::new(TraceIdRatio::new(0.1)))
///     .layer();
/// # drop(layer);
/// ```
pub struct Builder {
    service_name: Option<String>,
    resource: Vec<KeyValue>,
    buffer: BufferConfig,
    sampler: Arc<dyn Sampler>,
    mode: RecordingMode,
    max_level: tracing::level_filters::LevelFilter,
    capture_log: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            service_name: None,
            resource: Vec::new(),
            buffer: BufferConfig::default(),
            sampler: Arc::new(ParentBased::default()),
            mode: RecordingMode::All,
            max_level: tracing::level_filters::LevelFilter::TRACE,
            capture_log: true,
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

    /// The head sampler (default `ParentBased(AlwaysOn)`).
    pub fn sampler(mut self, sampler: impl Sampler) -> Self {
        self.sampler = Arc::new(sampler);
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

    /// The capture layer, for composing your own subscriber.
    pub fn layer(self) -> LanternLayer {
        let service = self.service_name.unwrap_or_else(Resource::default_service_name);
        LanternLayer::new(self.buffer, Resource::new(service, self.resource), self.sampler, self.mode)
    }

    /// Installs Lantern as the global subscriber; see [`init()`].
    pub fn init(self) -> Guard {
        let fallback = self.buffer.clone();
        self.try_init().unwrap_or_else(|err| {
            eprintln!("lantern: {err}; spans will not be recorded");
            Guard { buffer: Buffer::new(fallback, Resource::default()), _local: None }
        })
    }

    /// Installs Lantern as the global subscriber, or says why it could not.
    pub fn try_init(self) -> Result<Guard, InitError> {
        let capture_log = self.capture_log;
        let (subscriber, buffer) = self.subscriber();
        subscriber.try_init().map_err(|e| InitError { message: e.to_string() })?;
        if capture_log {
            // Ignored if a `log` logger is already set: tracing events still work.
            let _ = tracing_log::LogTracer::init();
        }
        Ok(Guard { buffer, _local: None })
    }

    /// Installs Lantern as the default subscriber of this thread only, until
    /// the guard drops: for tests and examples that must not touch globals.
    pub fn try_init_local(self) -> Guard {
        let (subscriber, buffer) = self.subscriber();
        let local = tracing::subscriber::set_default(subscriber);
        Guard { buffer, _local: Some(local) }
    }

    fn subscriber(self) -> (impl tracing::Subscriber + Send + Sync, Buffer) {
        let level = self.max_level;
        let layer = self.layer();
        let buffer = layer.buffer();
        (tracing_subscriber::registry().with(layer).with(level), buffer)
    }
}

/// Keeps Lantern running; flushes the queue into the buffer when dropped.
#[must_use = "dropping the guard stops a thread-local Lantern at once"]
pub struct Guard {
    buffer: Buffer,
    _local: Option<tracing::subscriber::DefaultGuard>,
}

impl Guard {
    /// The ring buffer.
    pub fn buffer(&self) -> &Buffer {
        &self.buffer
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.buffer.flush();
    }
}

/// Why Lantern could not be installed (usually: a global subscriber exists).
#[derive(Debug)]
pub struct InitError {
    message: String,
}

impl std::fmt::Display for InitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "could not install the global subscriber: {}", self.message)
    }
}

impl std::error::Error for InitError {}
