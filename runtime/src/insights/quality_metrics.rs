//! Tracing quality on `/metrics`, `/debug/metrics` and the OTLP metrics
//! export, read from the analysis's table each time the store is read (dots
//! become `_` on `/metrics`, counters end in `_total`):
//!
//! | metric | kind | labels | what |
//! |---|---|---|---|
//! | `lantern.quality.spans` | counter | `service` | spans analysed |
//! | `lantern.quality.defective_spans` | counter | `service` | spans with at least one defect |
//! | `lantern.quality.defects` | counter | `service`, `check` | spans each check found |
//! | `lantern.quality.server_spans` | counter | `service` | server and consumer spans |
//! | `lantern.quality.entries_without_context` | counter | `service` | of those, the ones with no parent |
//! | `lantern.quality.score` | gauge | `service` | the completeness score, 0–100, since start |
//!
//! The score is over every trace since the process started; the score of
//! a recent window is `100 * (1 - rate(lantern_quality_defective_spans_total[5m])
//! / rate(lantern_quality_spans_total[5m]))`.
//!
//! Services come in first-seen order. Past the store's
//! `max_series_per_metric`, the services that came later are added up in
//! one series labelled `otel.metric.overflow="true"` (per `check` for
//! `defects`); so are the spans of services past the analysis's own cap
//! (in `spans`).

use std::sync::Arc;

use metrics::Unit;

use super::quality::{Check, QualityReport, ServiceQuality};
use super::quality_state::{QualityState, score};
use crate::metrics::family::{MetricFamily, MetricKind, MetricSeries, MetricValue, OVERFLOW_LABEL, OwnFamilies};

/// The quality analysis's families, read from its state.
pub(crate) struct QualityFamilies(pub(crate) Arc<QualityState>);

impl OwnFamilies for QualityFamilies {
    fn families(&self, max_series: usize, out: &mut Vec<MetricFamily>) {
        families(&self.0.snapshot(), max_series.max(Check::ALL.len() + 1), out);
    }
}

fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|&(k, v)| (k.to_owned(), v.to_owned())).collect()
}

fn counter(labels: Vec<(String, String)>, value: u64) -> MetricSeries {
    MetricSeries { labels, value: MetricValue::Counter { value, exemplar: None } }
}

fn family(name: &str, kind: MetricKind, unit: Unit, description: &str, series: Vec<MetricSeries>) -> MetricFamily {
    MetricFamily { name: name.to_owned(), kind, unit: Some(unit), description: Some(description.to_owned()), series }
}

/// One counter per service, the later services summed in an overflow
/// series (with `extra` added to it).
fn per_service(
    services: &[ServiceQuality],
    keep: usize,
    extra: u64,
    value: impl Fn(&ServiceQuality) -> u64,
) -> Vec<MetricSeries> {
    let (kept, rest) = services.split_at(keep.min(services.len()));
    let mut series: Vec<MetricSeries> =
        kept.iter().map(|s| counter(labels(&[("service", &s.service)]), value(s))).collect();
    if !rest.is_empty() || extra > 0 {
        let sum = rest.iter().map(&value).sum::<u64>() + extra;
        series.push(counter(labels(&[(OVERFLOW_LABEL, "true")]), sum));
    }
    series
}

fn families(report: &QualityReport, max_series: usize, out: &mut Vec<MetricFamily>) {
    let services = &report.services;
    let own = |per: usize| if services.len() * per <= max_series { services.len() } else { (max_series - per) / per };
    let keep = own(1);
    let spans = per_service(services, keep, report.overflow_spans, |s| s.spans);
    let defective = per_service(services, keep, 0, |s| s.defective_spans);
    let server = per_service(services, keep, 0, |s| s.server_spans);
    let entries = per_service(services, keep, 0, |s| s.entries_without_context);

    let mut scores: Vec<MetricSeries> = services[..keep]
        .iter()
        .map(|s| MetricSeries { labels: labels(&[("service", &s.service)]), value: MetricValue::Gauge(s.score) })
        .collect();
    let rest = &services[keep..];
    if !rest.is_empty() {
        let (n, d) = rest.iter().fold((0, 0), |(n, d), s| (n + s.spans, d + s.defective_spans));
        scores
            .push(MetricSeries { labels: labels(&[(OVERFLOW_LABEL, "true")]), value: MetricValue::Gauge(score(n, d)) });
    }

    let keep = own(Check::ALL.len());
    let mut defects = Vec::with_capacity((keep + 1) * Check::ALL.len());
    for s in &services[..keep] {
        for c in &s.checks {
            defects.push(counter(labels(&[("service", &s.service), ("check", c.check.as_str())]), c.spans));
        }
    }
    let rest = &services[keep..];
    if !rest.is_empty() {
        for check in Check::ALL {
            let sum = rest.iter().map(|s| s.check(check).spans).sum();
            defects.push(counter(labels(&[("check", check.as_str()), (OVERFLOW_LABEL, "true")]), sum));
        }
    }

    let c = MetricKind::Counter;
    out.push(family("lantern.quality.spans", c, Unit::Count, "Spans checked for tracing quality.", spans));
    out.push(family(
        "lantern.quality.defective_spans",
        c,
        Unit::Count,
        "Spans with at least one tracing-quality defect.",
        defective,
    ));
    out.push(family("lantern.quality.defects", c, Unit::Count, "Spans each tracing-quality check found.", defects));
    out.push(family("lantern.quality.server_spans", c, Unit::Count, "Server and consumer spans.", server));
    out.push(family(
        "lantern.quality.entries_without_context",
        c,
        Unit::Count,
        "Server and consumer spans with no parent: entries into a trace with no context.",
        entries,
    ));
    out.push(family(
        "lantern.quality.score",
        MetricKind::Gauge,
        Unit::Count,
        "Tracing completeness score, 0 to 100: the share of spans with no defect.",
        scores,
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insights::quality::CheckStats;

    fn service(name: &str, spans: u64) -> ServiceQuality {
        ServiceQuality {
            service: name.to_owned(),
            spans,
            defective_spans: 1,
            score: score(spans, 1),
            server_spans: 0,
            entries_without_context: 0,
            max_age_traces: 0,
            checks: Check::ALL.iter().map(|&check| CheckStats { check, spans: 1, examples: Vec::new() }).collect(),
            missing_attributes: Vec::new(),
        }
    }

    #[test]
    fn services_past_max_series_are_summed_in_overflow_series() {
        let report = QualityReport {
            traces: 3,
            services: (0..20).map(|i| service(&format!("s{i}"), 10)).collect(),
            overflow_spans: 5,
        };
        let mut out = Vec::new();
        families(&report, 13, &mut out);
        assert!(out.iter().all(|f| f.series.len() <= 13), "{out:#?}");
        let spans = &out[0];
        assert_eq!(spans.series.len(), 13);
        let last = spans.series.last().unwrap();
        assert_eq!(last.labels, [(OVERFLOW_LABEL.to_owned(), "true".to_owned())]);
        assert_eq!(last.value, MetricValue::Counter { value: 8 * 10 + 5, exemplar: None });
        let defects = &out[2];
        assert_eq!(defects.series.len(), 12, "one service of 6 checks, then 6 overflow series");
        let score = &out[5];
        assert_eq!(score.series[0].value, MetricValue::Gauge(90.0));
    }
}
