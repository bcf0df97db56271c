//! Lantern records to OTLP protobuf messages.
//!
//! - [`traces_request`]: span records, one `ScopeSpans` per target
//!   ([`spans`]).
//! - [`logs_request`]: log records, one `ScopeLogs` per target ([`logs`]).
//! - [`MetricsEncoder`]: metric snapshots, cumulative or delta
//!   ([`metrics`], with the delta state in [`delta`]).
//!
//! Shared pieces (typed values, resource, scope, ids, times) are in
//! [`common`].

mod common;
mod delta;
mod logs;
mod metrics;
mod spans;

use std::sync::Arc;
use std::time::SystemTime;

use lantern::export::Resource;
use lantern::metrics::MetricFamily;
use lantern::record::{LogRecord, SpanRecord};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

/// How metric sums and histograms are reported.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Temporality {
    /// Totals since the process started (the default).
    #[default]
    Cumulative,
    /// Changes since the previous export.
    Delta,
}

/// Spans to one request, grouped by instrumentation scope (the target).
/// No spans make an empty request.
pub(crate) fn traces_request(
    resource: &Resource,
    spans: &[Arc<SpanRecord>],
    events: crate::span_events::SpanEvents,
) -> ExportTraceServiceRequest {
    spans::traces_request(resource, spans, events)
}

/// Log records to one request, grouped by instrumentation scope.
/// No logs make an empty request.
pub(crate) fn logs_request(resource: &Resource, logs: &[Arc<LogRecord>]) -> ExportLogsServiceRequest {
    logs::logs_request(resource, logs)
}

/// Encodes metric snapshots, remembering what delta temporality needs.
pub(crate) struct MetricsEncoder {
    temporality: Temporality,
    /// When the encoder was made: the start of every cumulative point.
    created: SystemTime,
    /// When the previous export was encoded: the start of delta points.
    last_export: SystemTime,
    /// Previous cumulative values, for delta temporality.
    state: delta::DeltaState,
}

impl MetricsEncoder {
    /// An encoder whose cumulative points start now.
    pub(crate) fn new(temporality: Temporality) -> MetricsEncoder {
        let now = SystemTime::now();
        MetricsEncoder { temporality, created: now, last_export: now, state: delta::DeltaState::default() }
    }

    /// One request with every family, one `ScopeMetrics` named "lantern";
    /// in delta mode, the changes since the previous call.
    /// No families make an empty request.
    pub(crate) fn encode(&mut self, resource: &Resource, families: &[MetricFamily]) -> ExportMetricsServiceRequest {
        let now = SystemTime::now();
        let start = match self.temporality {
            Temporality::Cumulative => self.created,
            Temporality::Delta => self.last_export,
        };
        let window = metrics::Window { temporality: self.temporality, start, now };
        let request = metrics::metrics_request(resource, families, window, &mut self.state);
        self.last_export = now;
        request
    }
}
