//! The service graph on `/metrics`, `/debug/metrics` and the OTLP metrics
//! export, with the names and labels of the OpenTelemetry Collector
//! `servicegraph` connector and Grafana Tempo's metrics-generator (no
//! `lantern_` prefix: Grafana's service graph view looks for these names).
//!
//! | metric | kind | labels |
//! |---|---|---|
//! | `traces_service_graph_request_total` | counter | `client`, `server`, `connection_type` |
//! | `traces_service_graph_request_failed_total` | counter | same |
//! | `traces_service_graph_request_server_seconds` | histogram ([`LATENCY_BUCKETS`](super::LATENCY_BUCKETS)) | same |
//! | `traces_service_graph_request_client_seconds` | histogram | same |
//! | `traces_service_graph_unpaired_spans_total` | counter | same (the unknown side empty) |
//!
//! Series are read from the graph's tables each time the store is read.
//! Past the store's `max_series_per_metric`, the edges that came later are
//! added up in one series labelled `otel.metric.overflow="true"`; so are
//! the requests the graph's own cap turned away (counters only).

use std::sync::Arc;

use metrics::Unit;

use super::aggregate::GraphState;
use super::graph::{LATENCY_BUCKETS, LatencyHistogram, ServiceGraph};
use crate::metrics::family::{MetricFamily, MetricKind, MetricSeries, MetricValue, OVERFLOW_LABEL, OwnFamilies};
use crate::metrics::series::{Bucket, HistogramPoint};

/// The graph's families, read from its state.
pub(crate) struct GraphFamilies(pub(crate) Arc<GraphState>);

impl OwnFamilies for GraphFamilies {
    fn families(&self, max_series: usize, out: &mut Vec<MetricFamily>) {
        families(&self.0.snapshot(), max_series.max(1), out);
    }
}

fn families(graph: &ServiceGraph, max_series: usize, out: &mut Vec<MetricFamily>) {
    let own = |n: usize| if n <= max_series { n } else { max_series - 1 };
    let labels = |client: &str, server: &str, ct: &str| {
        vec![
            ("client".to_owned(), client.to_owned()),
            ("server".to_owned(), server.to_owned()),
            ("connection_type".to_owned(), ct.to_owned()),
        ]
    };
    let overflow = || vec![(OVERFLOW_LABEL.to_owned(), "true".to_owned())];
    let counter = |value| MetricValue::Counter { value, exemplar: None };

    let kept = own(graph.edges.len());
    let (edges, rest) = graph.edges.split_at(kept);
    let mut requests = Vec::with_capacity(kept + 1);
    let mut failed = Vec::with_capacity(kept + 1);
    let mut server = Vec::with_capacity(kept + 1);
    let mut client = Vec::with_capacity(kept + 1);
    for e in edges {
        let l = labels(&e.client, &e.server, e.connection_type.as_str());
        requests.push(MetricSeries { labels: l.clone(), value: counter(e.requests) });
        failed.push(MetricSeries { labels: l.clone(), value: counter(e.failed) });
        server.push(MetricSeries { labels: l.clone(), value: histogram(&e.server_latency) });
        client.push(MetricSeries { labels: l, value: histogram(&e.client_latency) });
    }
    if !rest.is_empty() || graph.edges_overflow > 0 {
        let (mut s, mut c) = (LatencyHistogram::default(), LatencyHistogram::default());
        rest.iter().for_each(|e| {
            s.merge(&e.server_latency);
            c.merge(&e.client_latency);
        });
        let total = rest.iter().map(|e| e.requests).sum::<u64>() + graph.edges_overflow;
        requests.push(MetricSeries { labels: overflow(), value: counter(total) });
        failed.push(MetricSeries { labels: overflow(), value: counter(rest.iter().map(|e| e.failed).sum()) });
        if !rest.is_empty() {
            server.push(MetricSeries { labels: overflow(), value: histogram(&s) });
            client.push(MetricSeries { labels: overflow(), value: histogram(&c) });
        }
    }

    let kept = own(graph.unpaired.len());
    let (pairs, rest) = graph.unpaired.split_at(kept);
    let mut unpaired: Vec<MetricSeries> = pairs
        .iter()
        .map(|u| MetricSeries {
            labels: labels(&u.client, &u.server, u.connection_type.as_str()),
            value: counter(u.spans),
        })
        .collect();
    if !rest.is_empty() || graph.unpaired_overflow > 0 {
        let total = rest.iter().map(|u| u.spans).sum::<u64>() + graph.unpaired_overflow;
        unpaired.push(MetricSeries { labels: overflow(), value: counter(total) });
    }

    let family = |name: &str, kind, unit, description: &str, series| MetricFamily {
        name: name.to_owned(),
        kind,
        unit: Some(unit),
        description: Some(description.to_owned()),
        series,
    };
    out.push(family(
        "traces_service_graph_request_total",
        MetricKind::Counter,
        Unit::Count,
        "Requests between two nodes of the service graph.",
        requests,
    ));
    out.push(family(
        "traces_service_graph_request_failed_total",
        MetricKind::Counter,
        Unit::Count,
        "Failed requests between two nodes of the service graph.",
        failed,
    ));
    out.push(family(
        "traces_service_graph_request_server_seconds",
        MetricKind::Histogram,
        Unit::Seconds,
        "Time for a request between two nodes as seen from the server.",
        server,
    ));
    out.push(family(
        "traces_service_graph_request_client_seconds",
        MetricKind::Histogram,
        Unit::Seconds,
        "Time for a request between two nodes as seen from the client.",
        client,
    ));
    out.push(family(
        "traces_service_graph_unpaired_spans_total",
        MetricKind::Counter,
        Unit::Count,
        "Client and server spans that could not be paired within their trace in this process.",
        unpaired,
    ));
}

fn histogram(h: &LatencyHistogram) -> MetricValue {
    let buckets = h
        .buckets
        .iter()
        .enumerate()
        .map(|(i, &count)| Bucket {
            upper: LATENCY_BUCKETS.get(i).copied().unwrap_or(f64::INFINITY),
            count,
            exemplar: None,
        })
        .collect();
    MetricValue::Histogram(HistogramPoint {
        count: h.count,
        sum: h.sum,
        min: None,
        max: None,
        buckets,
        quantiles: Vec::new(),
        clamped: 0,
    })
}
