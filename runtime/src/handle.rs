//! The read side's one handle: everything a reader of a running Lantern
//! needs, in one cheap clone.
//!
//! Recording and reading are split, as in `console-subscriber`: the layer
//! writes (on the application's threads, then the ingest thread), and every
//! reader — the embedded server's pages, an exporter, a test — reads through
//! a [`Handle`]. A reader never needs the layer, and the layer never knows
//! who reads.

use std::sync::{Arc, OnceLock, Weak};

use crate::buffer::Buffer;
use crate::insights::feature_stats::FeatureStats;
use crate::insights::graph::ServiceGraph;
use crate::insights::patterns_state::PatternStats;
use crate::insights::quality::QualityReport;
use crate::insights::state::Insights;
use crate::insights::worker::InsightsStats;
use crate::metrics::Metrics;
use crate::resource::Resource;
use crate::sampling::SamplingStats;

/// What readers of one Lantern need: the ring buffer, the metrics store,
/// the sampler's decisions and the resource. Cheap to clone (one reference
/// count), `Send + Sync`.
///
/// Get it from [`LanternLayer::handle`](crate::LanternLayer::handle),
/// [`Guard::handle`](crate::Guard::handle), or [`Handle::current`] from
/// inside the subscriber that carries the layer.
///
/// ```
/// let lantern = lantern::builder().service_name("checkout").try_init_local();
/// let handle = lantern.handle().clone();
/// tracing::info_span!("pay").in_scope(|| tracing::info!("paid"));
/// assert_eq!(handle.resource().service_name(), "checkout");
/// assert_eq!(handle.buffer().snapshot().traces(&Default::default())[0].root_name, "pay");
/// assert_eq!(handle.sampling().roots()[0].sampled, 1);
/// ```
#[derive(Clone)]
pub struct Handle {
    inner: Arc<Parts>,
}

struct Parts {
    buffer: Buffer,
    metrics: Metrics,
    sampling: SamplingStats,
    resource: Resource,
    /// The insights the builder turned on.
    insights: OnceLock<Arc<Insights>>,
}

impl Handle {
    pub(crate) fn new(buffer: Buffer, metrics: Metrics, sampling: SamplingStats, resource: Resource) -> Handle {
        Handle { inner: Arc::new(Parts { buffer, metrics, sampling, resource, insights: OnceLock::new() }) }
    }

    /// A reference that does not keep the parts alive: for what the parts
    /// themselves hold (the metrics store's own counters read the sampling
    /// stats and the buffer through it, with no cycle of references).
    pub(crate) fn downgrade(&self) -> WeakHandle {
        WeakHandle(Arc::downgrade(&self.inner))
    }

    /// The handle of the Lantern layer in the current subscriber, if any:
    /// the thread's default subscriber, else the global one.
    ///
    /// ```
    /// assert!(lantern::Handle::current().is_none());
    /// let _lantern = lantern::builder().try_init_local();
    /// assert!(lantern::Handle::current().is_some());
    /// ```
    pub fn current() -> Option<Handle> {
        tracing::dispatcher::get_default(|d| d.downcast_ref::<Handle>().cloned())
    }

    /// The ring buffer of recent spans and logs.
    ///
    /// ```
    /// let lantern = lantern::builder().try_init_local();
    /// assert_eq!(lantern.handle().buffer().stats().spans, 0);
    /// ```
    pub fn buffer(&self) -> &Buffer {
        &self.inner.buffer
    }

    /// The metrics store: RED metrics, log counts, and whatever the
    /// `metrics` macros record.
    ///
    /// ```
    /// let lantern = lantern::builder().try_init_local();
    /// assert_eq!(lantern.handle().metrics().stats().kind_conflicts, 0);
    /// ```
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The head sampler in force and its decisions per root span name.
    ///
    /// ```
    /// let lantern = lantern::builder().try_init_local();
    /// assert_eq!(lantern.handle().sampling().description(), "ParentBased{root=AlwaysOn}");
    /// ```
    pub fn sampling(&self) -> &SamplingStats {
        &self.inner.sampling
    }

    /// What trace completion and the tail policies did (see
    /// [`crate::tail`]).
    ///
    /// ```
    /// let lantern = lantern::builder().try_init_local();
    /// assert!(!lantern.handle().tail().enabled, "no tail policy, no listener");
    /// ```
    pub fn tail(&self) -> crate::tail::TailStats {
        self.inner.buffer.tail_stats()
    }

    /// The service graph built from the traces completed so far, when
    /// [`Builder::service_graph`](crate::Builder::service_graph) turned it
    /// on (see [`crate::insights`]).
    ///
    /// ```
    /// assert!(lantern::builder().try_init_local().handle().service_graph().is_none());
    /// let lantern = lantern::builder().service_graph(true).try_init_local();
    /// assert_eq!(lantern.handle().service_graph().unwrap().traces, 0);
    /// ```
    pub fn service_graph(&self) -> Option<ServiceGraph> {
        self.inner.insights.get()?.graph.as_ref().map(|g| g.snapshot())
    }

    /// Tracing quality per service, from the traces completed so far, when
    /// [`Builder::insights`](crate::Builder::insights) turned it on (see
    /// [tracing quality](crate::insights#tracing-quality)).
    ///
    /// ```
    /// assert!(lantern::builder().try_init_local().handle().quality().is_none());
    /// let lantern = lantern::builder().insights(true).try_init_local();
    /// assert_eq!(lantern.handle().quality().unwrap().services.len(), 0);
    /// ```
    pub fn quality(&self) -> Option<QualityReport> {
        self.inner.insights.get()?.quality.as_ref().map(|q| q.snapshot())
    }

    /// The trace features aggregated so far, per root operation and minute
    /// over the last hour, with the long-term profile of the critical path,
    /// when [`Builder::insights`](crate::Builder::insights) or a
    /// [`Builder::feature_extractor`](crate::Builder::feature_extractor)
    /// turned them on (see [`crate::insights`]).
    ///
    /// ```
    /// assert!(lantern::builder().try_init_local().handle().trace_features().is_none());
    /// let lantern = lantern::builder().insights(true).try_init_local();
    /// assert_eq!(lantern.handle().trace_features().unwrap().traces, 0);
    /// ```
    pub fn trace_features(&self) -> Option<FeatureStats> {
        self.inner.insights.get()?.features.as_ref().map(|f| f.snapshot())
    }

    /// What the analysis thread did, when an insight is on (see
    /// [`crate::insights`]).
    ///
    /// ```
    /// assert!(lantern::builder().try_init_local().handle().insights().is_none());
    /// let lantern = lantern::builder().service_graph(true).try_init_local();
    /// assert_eq!(lantern.handle().insights().unwrap().dropped, 0);
    /// ```
    pub fn insights(&self) -> Option<InsightsStats> {
        self.inner.insights.get().map(|i| i.counters.stats())
    }

    /// The trace patterns found so far in completed traces, by root
    /// operation and kind, when [`Builder::insights`](crate::Builder::insights)
    /// turned them on (see [`crate::insights#trace-patterns`]).
    ///
    /// ```
    /// assert!(lantern::builder().try_init_local().handle().trace_patterns().is_none());
    /// let lantern = lantern::builder().insights(true).try_init_local();
    /// assert_eq!(lantern.handle().trace_patterns().unwrap().traces, 0);
    /// ```
    pub fn trace_patterns(&self) -> Option<PatternStats> {
        self.inner.insights.get()?.patterns.as_ref().map(|p| p.snapshot())
    }

    /// The insights' state, for the pages and the metrics store.
    #[allow(dead_code)] // read by the pages of the analyses that land next
    pub(crate) fn insights_state(&self) -> Option<&Arc<Insights>> {
        self.inner.insights.get()
    }

    /// Sets the insights' state (once, when the layer is built).
    pub(crate) fn set_insights(&self, insights: Arc<Insights>) {
        let _ = self.inner.insights.set(insights);
    }

    /// Who is producing the telemetry: `service.name` and the other
    /// resource attributes.
    ///
    /// ```
    /// let lantern = lantern::builder().service_name("api").try_init_local();
    /// assert_eq!(lantern.handle().resource().service_name(), "api");
    /// ```
    pub fn resource(&self) -> &Resource {
        &self.inner.resource
    }
}

/// A [`Handle`] that does not keep it alive.
pub(crate) struct WeakHandle(Weak<Parts>);

impl WeakHandle {
    /// The handle, while a strong one lives.
    pub(crate) fn upgrade(&self) -> Option<Handle> {
        self.0.upgrade().map(|inner| Handle { inner })
    }
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("service", &self.inner.resource.service_name())
            .field("buffer", &self.inner.buffer)
            .field("sampling", &self.inner.sampling)
            .finish_non_exhaustive()
    }
}
