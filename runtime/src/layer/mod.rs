//! The capture layer: `tracing` spans and events into span and log records.
//!
//! [`LanternLayer`] is a [`tracing_subscriber::Layer`], so it composes with
//! any registry and any other layer:
//!
//! ```
//! use tracing_subscriber::layer::SubscriberExt;
//! let subscriber = tracing_subscriber::registry().with(lantern::layer());
//! # drop(subscriber);
//! ```
//!
//! # What happens on the hot path
//!
//! - **New span**: find the parent's state (one registry lookup), inherit its
//!   trace id, flags, tracestate and baggage (reference counted, so free when
//!   empty), draw a span id from a per-thread generator, read the monotonic clock,
//!   record the fields as typed values, store the state in the span's
//!   extensions. At a root, the [`Sampler`](crate::sampling::Sampler) decides,
//!   and the decision is counted per root name (one read lock, two atomics,
//!   and two relaxed loads for the recent rate).
//! - **Event**: build a log record with the ids of the span it is in and push
//!   it into the lock-free queue. Joining it to its span as a span event and
//!   deriving the span's error status happen later, on the ingest thread.
//! - **Close**: move the record out of the extensions, stamp the end, push it.
//!
//! Nothing on this path takes a lock shared with readers or allocates beyond
//! the span's own state and the strings it records.

mod cache;
mod fields;
mod hooks;
mod start;
pub(crate) mod stash;
pub(crate) mod state;

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use crate::buffer::OpenSpan;
use crate::buffer::entry::Entry;
use crate::buffer::{Buffer, BufferConfig};
use crate::clock::Timestamp;
use crate::context::Hooks;
use crate::handle::Handle;
use crate::metrics::log_counts::LogCounts;
use crate::metrics::red::RedRecorder;
use crate::metrics::{Metrics, MetricsConfig};
use crate::record::{LogRecord, Severity, SpanRecord, Text};
use crate::resource::Resource;
use crate::sampling::debug::DebugRequest;
use crate::sampling::own_metrics::SamplingFamilies;
use crate::sampling::{
    DEFAULT_MAX_FORCED_PER_SECOND, MAX_ROOT_NAMES, ParentBased, RecordingMode, Sampler, SamplingStats,
};
use crate::span_context::TraceFlags;
use fields::{LogFieldVisitor, SpanFieldVisitor, ValueLimit};
use state::{Parent, SpanData};

/// The Lantern capture layer. Make one with [`crate::layer()`] or
/// [`crate::Builder::layer`].
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
/// let layer = lantern::layer();
/// let buffer = layer.buffer();
/// tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
///     tracing::info_span!("parent").in_scope(|| tracing::info_span!("child").in_scope(|| {}));
/// });
/// assert_eq!(buffer.snapshot().traces(&Default::default())[0].span_count, 2);
/// ```
pub struct LanternLayer {
    /// Unique per layer: keys the per-thread caches.
    id: u64,
    buffer: Buffer,
    sampler: Arc<dyn Sampler>,
    /// The sampler's decisions per root name; the handle holds it too.
    sampling: SamplingStats,
    /// What readers get: the buffer, metrics, sampling and resource.
    handle: Handle,
    mode: RecordingMode,
    /// Whether a `lantern-debug` baggage entry forces a trace.
    debug_baggage: bool,
    hooks: Option<Hooks>,
    metrics: Metrics,
    red: Option<RedRecorder>,
    log_counts: LogCounts,
    /// The baggage keys log records carry as attributes.
    log_baggage: Arc<[String]>,
}

impl LanternLayer {
    pub(crate) fn new(
        config: BufferConfig,
        resource: Resource,
        sampler: Arc<dyn Sampler>,
        mode: RecordingMode,
        metrics: MetricsConfig,
        max_forced_per_second: f64,
        debug_baggage: bool,
    ) -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let id = NEXT_ID.fetch_add(1, Relaxed);
        let log_baggage = metrics.baggage_labels.iter().cloned().collect();
        let metrics = Metrics::new(metrics).with_process_counters();
        let buffer = Buffer::new(config);
        let sampling = SamplingStats::with_max_names(sampler.clone(), mode, MAX_ROOT_NAMES, max_forced_per_second);
        let handle = Handle::new(buffer.clone(), metrics.clone(), sampling.clone(), resource);
        // Sampling's counters on `/metrics`, read through a weak handle: the
        // store is part of what the handle holds.
        metrics.add_own_families(SamplingFamilies(handle.downgrade()));
        LanternLayer {
            id,
            buffer,
            sampler,
            sampling,
            handle,
            mode,
            debug_baggage,
            hooks: None,
            red: RedRecorder::new(metrics.clone()),
            log_counts: LogCounts::new(&metrics),
            metrics,
            log_baggage,
        }
    }

    /// The baggage keys log records carry as attributes (default: the
    /// metrics allowlist, `MetricsConfig::baggage_labels`).
    pub(crate) fn set_log_baggage(&mut self, keys: Arc<[String]>) {
        self.log_baggage = keys;
    }

    /// See [`LanternLayer::set_log_baggage`].
    #[cfg_attr(not(feature = "console"), allow(dead_code))]
    pub(crate) fn log_baggage(&self) -> &[String] {
        &self.log_baggage
    }

    /// The metrics store this layer's RED metrics and log counts go to, and
    /// its recorder writes to.
    ///
    /// ```
    /// let metrics = lantern::layer().metrics();
    /// assert_eq!(metrics.stats().kind_conflicts, 0);
    /// ```
    pub fn metrics(&self) -> Metrics {
        self.metrics.clone()
    }

    /// A `metrics::Recorder` for this layer's store, for installing yourself
    /// (`metrics::set_global_recorder`) when you compose your own subscriber.
    ///
    /// ```
    /// let layer = lantern::layer();
    /// let recorder = layer.recorder();
    /// # drop((layer, recorder));
    /// ```
    pub fn recorder(&self) -> crate::metrics::LanternRecorder {
        self.metrics.recorder()
    }

    /// The read handle: the buffer, metrics, sampling decisions and
    /// resource of this layer, for the server, exporters and tests.
    ///
    /// ```
    /// let layer = lantern::builder().service_name("api").layer();
    /// assert_eq!(layer.handle().resource().service_name(), "api");
    /// ```
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// The ring buffer this layer records into.
    ///
    /// ```
    /// let buffer = lantern::layer().buffer();
    /// assert_eq!(buffer.stats().spans, 0);
    /// ```
    pub fn buffer(&self) -> Buffer {
        self.buffer.clone()
    }

    /// Records span fields into `record` through `fields`, within the
    /// buffer's limits, and counts the values cut. At a root's creation,
    /// `debug` gets its forcing fields.
    fn record_fields(
        &self,
        record: &mut SpanRecord,
        replace: bool,
        debug: Option<&mut DebugRequest>,
        fields: impl FnOnce(&mut SpanFieldVisitor<'_>),
    ) {
        let config = self.buffer.config();
        let limit = ValueLimit::new(config.max_attribute_value_bytes);
        let mut visitor = SpanFieldVisitor { record, max_attributes: config.max_attributes, limit, replace, debug };
        fields(&mut visitor);
        self.buffer.count_truncated(visitor.limit.truncated);
    }
}

impl<S> tracing_subscriber::Layer<S> for LanternLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_layer(&mut self, _subscriber: &mut S) {
        self.hooks = Some(hooks::hooks::<S>());
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if crate::buffer::is_filing() {
            // An exporter's own span, made while records are filed.
            return;
        }
        let meta = attrs.metadata();
        // Links from `context::linked_span`: the first span made there takes them.
        let links = crate::context::links::take_pending_links();
        // A remote parent from `Context::child_span` wins over the contextual
        // local parent; an explicit parent wins over both.
        let remote = if attrs.parent().is_none() { crate::context::value::pending_parent() } else { None };
        let parent_id = match (&remote, attrs.parent()) {
            (Some(_), _) => None,
            (None, Some(explicit)) => Some(explicit.clone()),
            (None, None) if attrs.is_contextual() => ctx.current_span().id().cloned(),
            (None, None) => None,
        };
        let parent = match parent_id {
            None => Parent::None,
            Some(parent_id) => cache::cached_parent(self.id, &parent_id).unwrap_or_else(|| {
                let found = ctx.span(&parent_id).map_or(Parent::None, state::inherit);
                cache::remember_parent(self.id, &parent_id, &found);
                found
            }),
        };
        if matches!(parent, Parent::Stateless) {
            cache::remember_stateless(self.id, id);
            return;
        }
        let Some(span) = ctx.span(id) else { return };
        let mut rec = SpanRecord::new(meta);
        let (baggage, recording) = match parent {
            Parent::Stateless => return,
            Parent::Local(inherited) => {
                rec.trace_id = inherited.trace_id;
                rec.parent_span_id = Some(inherited.parent_span_id);
                rec.flags = inherited.flags;
                rec.trace_state = inherited.trace_state;
                self.record_fields(&mut rec, false, None, |v| attrs.record(v));
                if rec.service.is_none() {
                    rec.service = inherited.service;
                }
                (inherited.baggage, true)
            }
            Parent::None => {
                let mut debug = DebugRequest::default();
                self.record_fields(&mut rec, false, Some(&mut debug), |v| attrs.record(v));
                self.start_trace(&mut rec, remote, &links, meta, debug)
            }
        };
        if recording {
            let max = self.buffer.config().max_links_per_span;
            for link in links {
                state::push_link(&mut rec, link, max);
            }
        }
        let open = if recording && self.buffer.config().track_open_spans {
            self.buffer.open_span(OpenSpan {
                trace_id: rec.trace_id,
                span_id: rec.span_id,
                name: rec.name.clone(),
                target: meta.target(),
                start: rec.start,
            })
        } else {
            None
        };
        span.extensions_mut().insert(SpanData { record: rec, baggage, recording, error_event: false, open });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut ext = span.extensions_mut();
        if let Some(data) = ext.get_mut::<SpanData>().filter(|d| d.recording) {
            self.record_fields(data.record_mut(), true, None, |v| values.record(v));
        }
    }

    fn on_follows_from(&self, id: &Id, follows: &Id, ctx: Context<'_, S>) {
        let Some(link) = ctx.span(follows).and_then(state::context_of) else { return };
        let Some(span) = ctx.span(id) else { return };
        let mut ext = span.extensions_mut();
        if let Some(data) = ext.get_mut::<SpanData>().filter(|d| d.recording) {
            state::push_link(data.record_mut(), link.0, self.buffer.config().max_links_per_span);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if crate::buffer::is_filing() {
            return;
        }
        let normalized = event.normalized_metadata();
        let meta = normalized.as_ref().unwrap_or_else(|| event.metadata());
        let is_error = *meta.level() == tracing::Level::ERROR;
        let (in_span, mut ids) = match ctx.event_span(event) {
            Some(span) => {
                if is_error {
                    state::mark_error_event(&span);
                }
                (true, state::event_ids(span))
            }
            None => (false, None),
        };
        self.log_counts.count(meta.level(), ids.as_ref().map(|i| (i.trace_id, i.span_id, i.flags)));
        if stash::is_wanted() {
            // In a non-recording span, no entry: the formatter derives the
            // ids from the span's ancestors itself.
            match &ids {
                Some(i) => stash::put(event, Some(stash::context(i)), &i.baggage),
                None if !in_span => stash::put(event, None, &Default::default()),
                None => stash::clear(),
            }
        }
        if in_span && ids.is_none() && self.mode == RecordingMode::SampledOnly {
            return;
        }
        let target = if normalized.is_some() {
            Cow::Owned(meta.target().to_owned())
        } else {
            Cow::Borrowed(event.metadata().target())
        };
        let config = self.buffer.config();
        let (max_attributes, max_bytes) = (config.max_attributes, config.max_attribute_value_bytes);
        let mut truncated = 0;
        let baggage = ids.as_mut().map(|i| std::mem::take(&mut i.baggage)).unwrap_or_default();
        // The record is filled where it lies in the thread's batch: a log
        // record is a few hundred bytes, and each copy of it was a cost.
        let appended = self.buffer.append(|entries| {
            let undo = UndoOnPanic::new(entries);
            undo.entries.push(Entry::Log(LogRecord {
                severity: Severity::from(meta.level()),
                target,
                body: Text::default(),
                attributes: Default::default(),
                trace_id: ids.as_ref().map(|i| i.trace_id),
                span_id: ids.as_ref().map(|i| i.span_id),
                flags: ids.as_ref().map_or(TraceFlags::NONE, |i| i.flags),
                service: ids.and_then(|i| i.service),
                time: Timestamp::now(),
            }));
            if let Some(Entry::Log(record)) = undo.entries.last_mut() {
                let limit = ValueLimit::new(max_bytes);
                let mut visitor = LogFieldVisitor { record, max_attributes, limit, dropped: 0 };
                event.record(&mut visitor);
                visitor.baggage(&baggage, &self.log_baggage);
                truncated = visitor.limit.truncated;
            }
            undo.done();
        });
        if !appended {
            self.buffer.count_lost_log();
        }
        self.buffer.count_truncated(truncated);
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if cache::take_stateless(self.id, &id) {
            return;
        }
        let Some(span) = ctx.span(&id) else { return };
        // RED metrics count unsampled spans too: a root of an unsampled
        // trace keeps its name, kind and start even in `SampledOnly` mode.
        // Most spans make none: they take the state out at once.
        let (red, mut data) = {
            let mut ext = span.extensions_mut();
            let Some(data) = ext.get_mut::<SpanData>() else { return };
            match self.red.as_ref().filter(|red| red.wants(&data.record)) {
                Some(red) => (Some(red), None),
                None => (None, ext.remove::<SpanData>()),
            }
        };
        // The context labels are read with the span's state still in place.
        let red_context = red.map(|_| state::metric_context(&span, &self.metrics.0.plan));
        if data.is_none() {
            data = span.extensions_mut().remove::<SpanData>();
        }
        let Some(mut data) = data else { return };
        if data.recording || red.is_some() {
            data.record_mut().end = Timestamp::now();
        }
        if data.recording && !data.baggage.is_empty() {
            data.record_mut().baggage = data.baggage.clone();
        }
        if let (Some(red), Some(cx)) = (red, &red_context) {
            red.record(&data.record, data.error_event, cx);
        }
        if data.recording {
            self.buffer.push(Entry::Span(data.record));
        }
        // The span leaves the running view once its record is on its way.
        drop(data.open);
    }

    #[allow(unsafe_code)]
    unsafe fn downcast_raw(&self, id: std::any::TypeId) -> Option<*const ()> {
        // SAFETY: each pointer is to a field of `self` of exactly the type
        // whose `TypeId` was asked for, as `downcast_raw` requires.
        if id == std::any::TypeId::of::<Self>() {
            Some(self as *const Self as *const ())
        } else if id == std::any::TypeId::of::<Hooks>() {
            self.hooks.as_ref().map(|h| h as *const Hooks as *const ())
        } else if id == std::any::TypeId::of::<Handle>() {
            Some(&self.handle as *const Handle as *const ())
        } else if id == std::any::TypeId::of::<Buffer>() {
            Some(&self.buffer as *const Buffer as *const ())
        } else {
            None
        }
    }
}

/// Takes the entry just pushed back out if a field's `Debug` panics while
/// it is filled: no half-filled record is filed, and the batch is intact.
struct UndoOnPanic<'a> {
    entries: &'a mut Vec<Entry>,
    len: usize,
}

impl<'a> UndoOnPanic<'a> {
    fn new(entries: &'a mut Vec<Entry>) -> Self {
        UndoOnPanic { len: entries.len(), entries }
    }

    fn done(mut self) {
        self.len = usize::MAX;
    }
}

impl Drop for UndoOnPanic<'_> {
    fn drop(&mut self) {
        self.entries.truncate(self.len);
    }
}

impl Default for LanternLayer {
    fn default() -> Self {
        LanternLayer::new(
            BufferConfig::default(),
            Resource::default(),
            Arc::new(ParentBased::default()),
            RecordingMode::All,
            MetricsConfig::default(),
            DEFAULT_MAX_FORCED_PER_SECOND,
            false,
        )
    }
}

impl std::fmt::Debug for LanternLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LanternLayer")
            .field("sampler", &self.sampler.description())
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}
