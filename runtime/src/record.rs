//! What Lantern keeps: span records, log records and their typed attributes.
//!
//! Records are plain data. The layer fills them on the application's thread
//! with as little work as it can (typed values, no formatting unless a field
//! is only `Debug`), and everything else — joining events to spans, deriving
//! the error status from ERROR events, the per-trace caps — happens later on
//! the ingest thread (see [`crate::buffer`]).

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use smallvec::SmallVec;

use crate::clock::Timestamp;
use crate::ids::{SpanId, TraceId};
use crate::sampling::tag::{PARAM_KEY, SamplerTag, TYPE_KEY};
use crate::sampling::threshold::{self, Th};
use crate::span_context::{SpanContext, TraceFlags};
use crate::trace_state::TraceState;

pub use crate::text::Text;

/// A typed attribute value.
///
/// ```
/// let v = lantern::record::Value::from(3_i64);
/// assert_eq!(v.to_string(), "3");
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    I64(i64),
    /// An unsigned integer.
    U64(u64),
    /// A float.
    F64(f64),
    /// A string: inline when short, borrowed when `'static`.
    Str(Text),
}

impl Value {
    /// The string, when this is a string value.
    ///
    /// ```
    /// assert_eq!(lantern::record::Value::from("a").as_str(), Some("a"));
    /// ```
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s.as_str()),
            _ => None,
        }
    }

    pub(crate) fn heap_size(&self) -> usize {
        match self {
            Value::Str(s) => s.heap_size(),
            _ => 0,
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Bool(v) => v.fmt(f),
            Value::I64(v) => v.fmt(f),
            Value::U64(v) => v.fmt(f),
            Value::F64(v) => v.fmt(f),
            Value::Str(v) => v.fmt(f),
        }
    }
}

macro_rules! value_from {
    ($($t:ty => $variant:ident),*) => {
        $(impl From<$t> for Value {
            fn from(v: $t) -> Self {
                Value::$variant(v.into())
            }
        })*
    };
}
value_from!(bool => Bool, i64 => I64, u64 => U64, f64 => F64, &'static str => Str, String => Str, Text => Str);

/// One attribute: a field name and its typed value.
///
/// ```
/// let kv = lantern::record::KeyValue::new("http.method", "GET");
/// assert_eq!(kv.value.as_str(), Some("GET"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct KeyValue {
    /// The key: a `tracing` field name.
    pub key: Cow<'static, str>,
    /// The value.
    pub value: Value,
}

impl KeyValue {
    /// Makes an attribute.
    ///
    /// ```
    /// assert_eq!(lantern::record::KeyValue::new("n", 1_i64).key, "n");
    /// ```
    pub fn new(key: impl Into<Cow<'static, str>>, value: impl Into<Value>) -> Self {
        KeyValue { key: key.into(), value: value.into() }
    }

    pub(crate) fn heap_size(&self) -> usize {
        let key = match &self.key {
            Cow::Owned(s) => s.capacity(),
            Cow::Borrowed(_) => 0,
        };
        key + self.value.heap_size()
    }
}

/// Attributes of a span or log, inline up to four.
pub type Attributes = SmallVec<[KeyValue; 4]>;

/// Finds the value of `key` in a list of attributes.
///
/// ```
/// let attrs = vec![lantern::record::KeyValue::new("a", 1_i64)];
/// assert_eq!(lantern::record::attribute(&attrs, "a"), Some(&lantern::record::Value::I64(1)));
/// ```
pub fn attribute<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    attrs.iter().find(|kv| kv.key == key).map(|kv| &kv.value)
}

/// The role of a span, as OpenTelemetry defines it (from `otel.kind`).
///
/// ```
/// assert_eq!(lantern::record::SpanKind::parse("server"), Some(lantern::record::SpanKind::Server));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum SpanKind {
    /// An operation inside the process (the default).
    #[default]
    Internal,
    /// Serves a request from a remote client.
    Server,
    /// Makes a request to a remote server.
    Client,
    /// Sends a message.
    Producer,
    /// Receives a message.
    Consumer,
}

impl SpanKind {
    /// Parses `otel.kind` values, case-insensitively.
    ///
    /// ```
    /// assert_eq!(lantern::record::SpanKind::parse("CLIENT"), Some(lantern::record::SpanKind::Client));
    /// ```
    pub fn parse(s: &str) -> Option<SpanKind> {
        Some(match s.to_ascii_lowercase().as_str() {
            "internal" => SpanKind::Internal,
            "server" => SpanKind::Server,
            "client" => SpanKind::Client,
            "producer" => SpanKind::Producer,
            "consumer" => SpanKind::Consumer,
            _ => return None,
        })
    }

    /// The lower-case name.
    ///
    /// ```
    /// assert_eq!(lantern::record::SpanKind::Producer.as_str(), "producer");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            SpanKind::Internal => "internal",
            SpanKind::Server => "server",
            SpanKind::Client => "client",
            SpanKind::Producer => "producer",
            SpanKind::Consumer => "consumer",
        }
    }
}

/// The outcome of a span.
///
/// ```
/// assert!(lantern::record::Status::Error(None).is_error());
/// ```
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Status {
    /// Nothing said (the default).
    #[default]
    Unset,
    /// Explicitly successful (`otel.status_code = "OK"`).
    Ok,
    /// Failed, with an optional message.
    Error(Option<Cow<'static, str>>),
}

impl Status {
    /// Whether this is an error.
    ///
    /// ```
    /// assert!(!lantern::record::Status::Ok.is_error());
    /// ```
    pub fn is_error(&self) -> bool {
        matches!(self, Status::Error(_))
    }
}

/// Log severity, with the OTLP severity numbers.
///
/// ```
/// assert_eq!(lantern::record::Severity::from(&tracing::Level::WARN).number(), 13);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// TRACE (1).
    Trace,
    /// DEBUG (5).
    Debug,
    /// INFO (9).
    Info,
    /// WARN (13).
    Warn,
    /// ERROR (17).
    Error,
}

impl Severity {
    /// The OTLP `SeverityNumber`.
    ///
    /// ```
    /// assert_eq!(lantern::record::Severity::Error.number(), 17);
    /// ```
    pub fn number(self) -> i32 {
        match self {
            Severity::Trace => 1,
            Severity::Debug => 5,
            Severity::Info => 9,
            Severity::Warn => 13,
            Severity::Error => 17,
        }
    }

    /// The OTLP severity text (`"INFO"`, ...).
    ///
    /// ```
    /// assert_eq!(lantern::record::Severity::Info.as_str(), "INFO");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Trace => "TRACE",
            Severity::Debug => "DEBUG",
            Severity::Info => "INFO",
            Severity::Warn => "WARN",
            Severity::Error => "ERROR",
        }
    }
}

impl From<&tracing::Level> for Severity {
    fn from(level: &tracing::Level) -> Self {
        match *level {
            tracing::Level::TRACE => Severity::Trace,
            tracing::Level::DEBUG => Severity::Debug,
            tracing::Level::INFO => Severity::Info,
            tracing::Level::WARN => Severity::Warn,
            _ => Severity::Error,
        }
    }
}

/// One finished span.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SpanRecord {
    /// The trace it belongs to.
    pub trace_id: TraceId,
    /// Its id.
    pub span_id: SpanId,
    /// Its parent, local or remote; `None` for a root.
    pub parent_span_id: Option<SpanId>,
    /// Whether the parent came from another process.
    pub parent_is_remote: bool,
    /// Trace flags (sampled, random).
    pub flags: TraceFlags,
    /// The W3C tracestate in force.
    pub trace_state: TraceState,
    /// The span name (`otel.name` overrides the callsite name).
    pub name: Cow<'static, str>,
    /// The `tracing` target (module path by default).
    pub target: &'static str,
    /// The `tracing` level.
    pub level: Severity,
    /// Its kind.
    pub kind: SpanKind,
    /// Its status.
    pub status: Status,
    /// Typed attributes from the span's fields. The sampler's tag of a
    /// sampled root is kept apart ([`SpanRecord::sampler_attributes`]).
    pub attributes: Attributes,
    /// Attributes dropped by the per-span cap.
    pub dropped_attributes: u32,
    /// Links from `follows_from`.
    pub links: Vec<SpanContext>,
    /// Links dropped by the per-span cap.
    pub dropped_links: u32,
    /// Events that happened inside the span (filled in by the ingest thread).
    pub events: Vec<Arc<LogRecord>>,
    /// Events dropped by the per-span cap.
    pub dropped_events: u32,
    /// The baggage in force when it ended (shared with its trace's other
    /// spans; not exported as attributes).
    pub baggage: crate::baggage::Baggage,
    /// The service it belongs to when that is not the process's own
    /// ([`crate::export::Resource::service_name`]): set by a `service.name` field on
    /// it or on an ancestor in this process. One process can host several
    /// services (a demo, a modular monolith); exporters report each under a
    /// resource of its own.
    pub service: Option<Arc<str>>,
    /// When it started.
    pub(crate) start: Timestamp,
    /// When it ended.
    pub(crate) end: Timestamp,
    /// The sampler's decision, on the root of a sampled trace in this
    /// process (see [`SpanRecord::sampler_tag`]).
    pub(crate) sampler: Option<SamplerTag>,
}

impl SpanRecord {
    /// A record for a span of this callsite starting now, not yet in any
    /// trace: the layer fills in its ids, parent and fields.
    pub(crate) fn new(meta: &'static tracing::Metadata<'static>) -> SpanRecord {
        let now = Timestamp::now();
        SpanRecord {
            trace_id: TraceId::from_u128(1).expect("non-zero"),
            span_id: SpanId::random(),
            parent_span_id: None,
            parent_is_remote: false,
            flags: TraceFlags::NONE,
            trace_state: TraceState::default(),
            name: Cow::Borrowed(meta.name()),
            target: meta.target(),
            level: Severity::from(meta.level()),
            kind: SpanKind::Internal,
            status: Status::Unset,
            attributes: Default::default(),
            dropped_attributes: 0,
            links: Vec::new(),
            dropped_links: 0,
            events: Vec::new(),
            dropped_events: 0,
            baggage: Default::default(),
            service: None,
            start: now,
            end: now,
            sampler: None,
        }
    }

    /// Wall-clock start.
    pub fn start_time(&self) -> SystemTime {
        self.start.to_system_time()
    }

    /// Wall-clock end: the start plus the monotonic duration, so it is never
    /// before the start.
    pub fn end_time(&self) -> SystemTime {
        self.start_time() + self.duration()
    }

    /// Duration, from the monotonic clock.
    pub fn duration(&self) -> Duration {
        self.end.saturating_duration_since(self.start)
    }

    /// Whether the span's status is an error.
    pub fn is_error(&self) -> bool {
        self.status.is_error()
    }

    /// Whether the trace was sampled (chosen for export).
    pub fn is_sampled(&self) -> bool {
        self.flags.is_sampled()
    }

    /// The value of an attribute.
    pub fn attribute(&self, key: &str) -> Option<&Value> {
        attribute(&self.attributes, key)
    }

    /// Which sampler decided this trace and with what parameter: on the
    /// root span of a sampled trace in this process (the first span the
    /// sampler was asked about, or a forced one, tagged `debug`), not on its
    /// children, nor on a root that followed its remote parent's decision.
    ///
    /// ```
    /// use lantern::sampling::{SamplerTag, TraceIdRatio};
    /// let lantern = lantern::builder().sampler(TraceIdRatio::new(1.0)).try_init_local();
    /// tracing::info_span!("job").in_scope(|| tracing::info_span!("step").in_scope(|| {}));
    /// let snap = lantern.buffer().snapshot();
    /// assert_eq!(snap.spans_named("job", 1)[0].sampler_tag(), Some(SamplerTag::probabilistic(1.0)));
    /// assert_eq!(snap.spans_named("step", 1)[0].sampler_tag(), None);
    /// ```
    pub fn sampler_tag(&self) -> Option<SamplerTag> {
        self.sampler
    }

    /// The sampler's tag as the attributes Jaeger's clients write,
    /// `sampler.type` (a string) and `sampler.param` (a float): none, or
    /// both. Exporters and the debug pages show them beside
    /// [`SpanRecord::attributes`]; they are kept apart from those, so no
    /// attribute cap drops them.
    ///
    /// ```
    /// use lantern::record::Value;
    /// let lantern = lantern::builder().try_init_local();
    /// tracing::info_span!("job").in_scope(|| {});
    /// let job = lantern.buffer().snapshot().spans_named("job", 1).remove(0);
    /// let attrs: Vec<_> = job.sampler_attributes().map(|kv| (kv.key, kv.value)).collect();
    /// assert_eq!(attrs, [("sampler.type".into(), Value::from("const")), ("sampler.param".into(), Value::F64(1.0))]);
    /// ```
    pub fn sampler_attributes(&self) -> impl Iterator<Item = KeyValue> {
        self.sampler.into_iter().flat_map(|tag| {
            [
                KeyValue { key: Cow::Borrowed(TYPE_KEY), value: Value::Str(Text::from_static(tag.kind())) },
                KeyValue { key: Cow::Borrowed(PARAM_KEY), value: Value::F64(tag.param()) },
            ]
        })
    }

    /// How many traces this sampled one stands for, to extrapolate counts
    /// from the spans exported: from the OpenTelemetry threshold in its
    /// `tracestate` (`ot=th:...`, `2^56 / (2^56 - th)`) when it has a valid
    /// one, which children and downstream services inherit; else from the
    /// sampler's tag ([`SamplerTag::adjusted_count`]: `1 / p` for
    /// `probabilistic`, 1 for `const` and `debug`). `None` for an unsampled
    /// span, and when the rate is unknown: a rate limiter or a lower bound
    /// decided, or a child without a threshold (ask its root, or
    /// [`Trace::adjusted_count`](crate::buffer::Trace::adjusted_count)).
    ///
    /// ```
    /// use lantern::sampling::TraceIdRatio;
    /// let lantern = lantern::builder().sampler(TraceIdRatio::new(0.25)).try_init_local();
    /// for _ in 0..40 {
    ///     tracing::info_span!("job").in_scope(|| tracing::info_span!("step").in_scope(|| {}));
    /// }
    /// let snap = lantern.buffer().snapshot();
    /// let step = snap.spans_named("step", 40).into_iter().find(|s| s.is_sampled()).unwrap();
    /// assert_eq!(step.trace_state.get("ot"), Some("th:c"), "inherited from the root");
    /// assert_eq!(step.adjusted_count(), Some(4.0));
    /// ```
    pub fn adjusted_count(&self) -> Option<f64> {
        if !self.is_sampled() {
            return None;
        }
        match threshold::read(&self.trace_state) {
            Th::Valid(t) => threshold::adjusted_count(t),
            Th::Absent | Th::Invalid => self.sampler.and_then(|tag| tag.adjusted_count()),
        }
    }

    /// Bytes this record holds, as the ring buffer accounts them.
    pub(crate) fn accounted_size(&self) -> usize {
        std::mem::size_of::<Self>()
            + 64
            + self.attributes.iter().map(KeyValue::heap_size).sum::<usize>()
            + if self.attributes.spilled() { self.attributes.capacity() * size_of::<KeyValue>() } else { 0 }
            + self.links.capacity() * size_of::<SpanContext>()
            + self.events.iter().map(|e| e.accounted_size()).sum::<usize>()
            // Shared by the trace's spans, but counted for each: the ceiling
            // holds even when every span carries different baggage.
            + self.baggage.iter().map(|e| e.key().len() + e.value().len() + e.properties().map_or(0, str::len) + size_of::<crate::baggage::BaggageEntry>()).sum::<usize>()
            + self.service.as_ref().map_or(0, |s| s.len())
            + match &self.name {
                Cow::Owned(s) => s.capacity(),
                Cow::Borrowed(_) => 0,
            }
    }
}

/// One log record: a `tracing` event or a `log` record.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct LogRecord {
    /// Severity.
    pub severity: Severity,
    /// Target (module path by default).
    pub target: Cow<'static, str>,
    /// The message.
    pub body: Text,
    /// Typed fields other than the message.
    pub attributes: Attributes,
    /// The trace of the span it happened in.
    pub trace_id: Option<TraceId>,
    /// The span it happened in.
    pub span_id: Option<SpanId>,
    /// That trace's flags.
    pub flags: TraceFlags,
    /// The service of the span it happened in, when not the process's own
    /// (see [`SpanRecord::service`]).
    pub service: Option<Arc<str>>,
    pub(crate) time: Timestamp,
}

impl LogRecord {
    /// Wall-clock time of the event.
    pub fn time(&self) -> SystemTime {
        self.time.to_system_time()
    }

    /// The value of an attribute.
    pub fn attribute(&self, key: &str) -> Option<&Value> {
        attribute(&self.attributes, key)
    }

    pub(crate) fn accounted_size(&self) -> usize {
        std::mem::size_of::<Self>()
            + 48
            + self.attributes.iter().map(KeyValue::heap_size).sum::<usize>()
            + if self.attributes.spilled() { self.attributes.capacity() * size_of::<KeyValue>() } else { 0 }
            + self.body.heap_size()
            + match &self.target {
                Cow::Owned(s) => s.capacity(),
                Cow::Borrowed(_) => 0,
            }
    }
}
