//! Prometheus text (0.0.4) and OpenMetrics (1.0) exposition.
//!
//! The rules: names are sanitised to `[a-zA-Z_:][a-zA-Z0-9_:]*` and label
//! names to `[a-zA-Z_][a-zA-Z0-9_]*` (every other character becomes `_`); a
//! unit given with `describe_*!` becomes a suffix (`_seconds`, `_bytes`)
//! unless the name has it; counters end in `_total`; label values and help
//! text are escaped. OpenMetrics adds `# UNIT`, exemplars on counters and
//! histogram buckets, and the final `# EOF`. Two names that sanitise to the
//! same text are exposed once, the first in name order.

use std::collections::HashSet;
use std::fmt::Write;
use std::time::UNIX_EPOCH;

use super::family::{MetricFamily, MetricKind, MetricValue};
use super::series::Exemplar;
use super::store::Metrics;

/// The `Content-Type` of [`Metrics::prometheus_text`].
pub const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The `Content-Type` of [`Metrics::openmetrics_text`].
pub const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

impl Metrics {
    /// Every series in the Prometheus text format 0.0.4.
    ///
    /// ```
    /// let metrics = lantern::metrics::Metrics::new(Default::default());
    /// metrics::with_local_recorder(&metrics.recorder(), || metrics::counter!("http.requests", "code" => "200").increment(1));
    /// assert!(metrics.prometheus_text().contains("# TYPE http_requests_total counter\nhttp_requests_total{code=\"200\"} 1\n"));
    /// ```
    pub fn prometheus_text(&self) -> String {
        render(&self.snapshot(), false)
    }

    /// Every series in OpenMetrics 1.0, with exemplars, ending in `# EOF`.
    ///
    /// ```
    /// let metrics = lantern::metrics::Metrics::new(Default::default());
    /// metrics::with_local_recorder(&metrics.recorder(), || metrics::counter!("jobs").increment(1));
    /// let body = metrics.openmetrics_text();
    /// assert!(body.contains("# TYPE jobs counter\njobs_total 1\n"));
    /// assert!(body.ends_with("# EOF\n"));
    /// ```
    pub fn openmetrics_text(&self) -> String {
        render(&self.snapshot(), true)
    }

    /// The body and content type for a scrape with this `Accept` header:
    /// OpenMetrics when it is asked for, Prometheus text otherwise.
    ///
    /// ```
    /// let metrics = lantern::metrics::Metrics::new(Default::default());
    /// let (_, ct) = metrics.exposition(Some("application/openmetrics-text;version=1.0.0,text/plain;q=0.5"));
    /// assert_eq!(ct, lantern::metrics::OPENMETRICS_CONTENT_TYPE);
    /// ```
    pub fn exposition(&self, accept: Option<&str>) -> (String, &'static str) {
        if accept.is_some_and(|a| a.contains("application/openmetrics-text")) {
            (self.openmetrics_text(), OPENMETRICS_CONTENT_TYPE)
        } else {
            (self.prometheus_text(), PROMETHEUS_CONTENT_TYPE)
        }
    }
}

pub(crate) fn render(families: &[MetricFamily], om: bool) -> String {
    let mut out = String::with_capacity(4096);
    let mut seen = HashSet::new();
    for f in families.iter().filter(|f| !f.series.is_empty()) {
        let mut base = metric_name(&f.name);
        let unit = f.unit.and_then(unit_suffix);
        if let Some(u) = unit {
            let with_total = format!("{u}_total");
            if !base.ends_with(u) && !base.ends_with(&with_total) {
                base = format!("{base}_{u}");
            }
        }
        let (family, sample) = match f.kind {
            MetricKind::Counter => {
                let stem = base.strip_suffix("_total").unwrap_or(&base).to_owned();
                let total = format!("{stem}_total");
                if om { (stem, total) } else { (total.clone(), total) }
            }
            _ => (base.clone(), base),
        };
        if !seen.insert(family.clone()) {
            continue;
        }
        let kind = match f.kind {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
            MetricKind::Histogram => "histogram",
        };
        if let Some(help) = &f.description {
            let _ = writeln!(out, "# HELP {family} {}", escape(help, om));
        }
        let _ = writeln!(out, "# TYPE {family} {kind}");
        if let (true, Some(u)) = (om, unit) {
            if family.ends_with(u) {
                let _ = writeln!(out, "# UNIT {family} {u}");
            }
        }
        for s in &f.series {
            let labels = label_pairs(&s.labels);
            match &s.value {
                MetricValue::Counter { value, exemplar } => {
                    let _ = write!(out, "{sample}{}", braces(&labels, None));
                    let _ = write!(out, " {value}");
                    write_exemplar(&mut out, om, exemplar.as_ref());
                    out.push('\n');
                }
                MetricValue::Gauge(v) => {
                    let _ = writeln!(out, "{sample}{} {}", braces(&labels, None), float(*v));
                }
                MetricValue::Histogram(h) => {
                    let mut cumulative = 0;
                    for b in &h.buckets {
                        cumulative += b.count;
                        let le = float(b.upper);
                        let _ = write!(out, "{sample}_bucket{} {cumulative}", braces(&labels, Some(&le)));
                        write_exemplar(&mut out, om, b.exemplar.as_ref());
                        out.push('\n');
                    }
                    let _ = writeln!(out, "{sample}_sum{} {}", braces(&labels, None), float(h.sum));
                    let _ = writeln!(out, "{sample}_count{} {}", braces(&labels, None), h.count);
                }
            }
        }
    }
    if om {
        out.push_str("# EOF\n");
    }
    out
}

fn write_exemplar(out: &mut String, om: bool, e: Option<&Exemplar>) {
    let (true, Some(e)) = (om, e) else { return };
    let ts = e.time.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64();
    let _ = write!(out, " # {{trace_id=\"{}\",span_id=\"{}\"}} {} {ts:.3}", e.trace_id, e.span_id, float(e.value));
}

/// `{a="1",b="2"}`, with `le` last when given; nothing when there are none.
fn braces(labels: &[(String, String)], le: Option<&str>) -> String {
    if labels.is_empty() && le.is_none() {
        return String::new();
    }
    let mut s = String::from("{");
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{k}=\"{}\"", escape_value(v));
    }
    if let Some(le) = le {
        if !labels.is_empty() {
            s.push(',');
        }
        let _ = write!(s, "le=\"{le}\"");
    }
    s.push('}');
    s
}

/// Sanitised label names, the first of any two that collide, without `le`.
fn label_pairs(labels: &[(String, String)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(labels.len());
    for (k, v) in labels {
        let k = label_name(k);
        if k != "le" && !out.iter().any(|(n, _)| *n == k) {
            out.push((k, v.clone()));
        }
    }
    out
}

/// A metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub(crate) fn metric_name(name: &str) -> String {
    sanitize(name, true)
}

/// A label name: `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved).
pub(crate) fn label_name(name: &str) -> String {
    let s = sanitize(name, false);
    match s.strip_prefix("__") {
        Some(rest) => format!("_{rest}"),
        None => s,
    }
}

fn sanitize(name: &str, colon: bool) -> String {
    let mut s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || (colon && c == ':') { c } else { '_' })
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    s
}

fn unit_suffix(unit: metrics::Unit) -> Option<&'static str> {
    match unit {
        metrics::Unit::Count => None,
        metrics::Unit::CountPerSecond => Some("per_second"),
        u => Some(u.as_str()),
    }
}

fn escape_value(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn escape(help: &str, om: bool) -> String {
    let s = help.replace('\\', "\\\\").replace('\n', "\\n");
    if om { s.replace('"', "\\\"") } else { s }
}

/// Floats as Prometheus reads them: `+Inf`, `-Inf`, `NaN`, else the
/// shortest text that reads back exactly, with `.0` on whole numbers.
fn float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else {
        format!("{v:?}")
    }
}
