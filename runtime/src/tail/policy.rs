//! Tail policies: which completed traces, dropped by the head sampler, are
//! kept after all, and the state that deciding needs (per-operation
//! latency windows, the rate cap).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::record::SpanRecord;
use crate::sampling::bucket::{Clock, TokenBucket};
use crate::text::cut;

/// The most root operations with a duration threshold of their own, or a
/// latency window for [`TailPolicy::slowest_percent`]; others share the
/// default threshold, and are not judged by percentile.
pub(crate) const MAX_TAIL_OPERATIONS: usize = 512;

/// Completed traces a latency window holds before its percentile is read
/// and it starts again.
const WINDOW: u64 = 500;

/// Rules kept per policy, and bytes of a rule's key or value.
const MAX_RULES: usize = 64;
const MAX_RULE_BYTES: usize = 256;

/// Which completed traces that the head sampler dropped are kept (exported
/// after all). A trace is kept when any rule holds, within
/// [`TailPolicy::max_per_second`]. A new policy keeps nothing until a rule
/// is added.
///
/// ```
/// use std::time::Duration;
/// use lantern::tail::TailPolicy;
/// let policy = TailPolicy::new()
///     .errors()
///     .slower_than(Duration::from_millis(300))
///     .slower_than_for("GET /health", Duration::from_secs(1))
///     .matching("customer.tier", "premium")
///     .slowest_percent(1.0)
///     .max_per_second(20.0);
/// assert_eq!(policy, TailPolicy::parse("errors,slow:300ms,slow:GET /health=1s,match:customer.tier=premium,slowest:1%,rate:20").unwrap());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct TailPolicy {
    errors: bool,
    slower_than: Option<Duration>,
    per_operation: Vec<(Box<str>, Duration)>,
    rules: Vec<(String, String)>,
    slowest_percent: Option<f64>,
    max_per_second: f64,
}

impl Default for TailPolicy {
    fn default() -> Self {
        TailPolicy::new()
    }
}

impl TailPolicy {
    /// A policy with no rule, keeping at most 10 traces a second once
    /// rules are added.
    ///
    /// ```
    /// assert_eq!(lantern::tail::TailPolicy::new().rate_cap(), 10.0);
    /// ```
    pub fn new() -> Self {
        TailPolicy {
            errors: false,
            slower_than: None,
            per_operation: Vec::new(),
            rules: Vec::new(),
            slowest_percent: None,
            max_per_second: 10.0,
        }
    }

    /// Keep a trace with any span whose status is an error.
    ///
    /// ```
    /// let policy = lantern::tail::TailPolicy::new().errors();
    /// # drop(policy);
    /// ```
    pub fn errors(mut self) -> Self {
        self.errors = true;
        self
    }

    /// Keep a trace longer than this (from its first span's start to its
    /// last span's end, in this process), unless its root operation has a
    /// threshold of its own.
    ///
    /// ```
    /// let policy = lantern::tail::TailPolicy::new().slower_than(std::time::Duration::from_millis(300));
    /// # drop(policy);
    /// ```
    pub fn slower_than(mut self, threshold: Duration) -> Self {
        self.slower_than = Some(threshold);
        self
    }

    /// Keep a trace whose root span is named `operation` when it is longer
    /// than this. At most 512 operations; more are ignored.
    ///
    /// ```
    /// let policy = lantern::tail::TailPolicy::new().slower_than_for("checkout", std::time::Duration::from_secs(2));
    /// # drop(policy);
    /// ```
    pub fn slower_than_for(mut self, operation: impl Into<Box<str>>, threshold: Duration) -> Self {
        let operation = operation.into();
        self.per_operation.retain(|(op, _)| *op != operation);
        if self.per_operation.len() < MAX_TAIL_OPERATIONS {
            self.per_operation.push((operation, threshold));
        }
        self
    }

    /// Keep a trace with a span whose attribute, or baggage entry, `key`
    /// prints as `value`. At most 64 rules of 256 bytes a side.
    ///
    /// ```
    /// let policy = lantern::tail::TailPolicy::new().matching("customer.tier", "premium");
    /// # drop(policy);
    /// ```
    pub fn matching(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        if self.rules.len() < MAX_RULES {
            let bounded = |s: String| cut(&s, MAX_RULE_BYTES).to_owned();
            self.rules.push((bounded(key.into()), bounded(value.into())));
        }
        self
    }

    /// Keep a trace among the slowest `percent` of its root operation (read
    /// from the last 500 completed traces of that operation, so nothing is
    /// kept by this rule until an operation has completed that many).
    ///
    /// ```
    /// let policy = lantern::tail::TailPolicy::new().slowest_percent(1.0);
    /// # drop(policy);
    /// ```
    pub fn slowest_percent(mut self, percent: f64) -> Self {
        self.slowest_percent = (percent > 0.0 && percent <= 100.0).then_some(percent);
        self
    }

    /// At most this many traces kept a second (default 10; burst the same).
    ///
    /// ```
    /// let policy = lantern::tail::TailPolicy::new().errors().max_per_second(100.0);
    /// assert_eq!(policy.rate_cap(), 100.0);
    /// ```
    pub fn max_per_second(mut self, per_second: f64) -> Self {
        self.max_per_second = crate::sampling::bucket::clamp_rate(per_second);
        self
    }

    /// The rate cap, traces a second.
    ///
    /// ```
    /// assert_eq!(lantern::tail::TailPolicy::new().max_per_second(5.0).rate_cap(), 5.0);
    /// ```
    pub fn rate_cap(&self) -> f64 {
        self.max_per_second
    }

    /// Whether any rule is set.
    ///
    /// ```
    /// assert!(!lantern::tail::TailPolicy::new().has_rules());
    /// assert!(lantern::tail::TailPolicy::new().errors().has_rules());
    /// ```
    pub fn has_rules(&self) -> bool {
        self.errors
            || self.slower_than.is_some()
            || !self.per_operation.is_empty()
            || !self.rules.is_empty()
            || self.slowest_percent.is_some()
    }

    /// Reads a policy from comma-separated rules: `errors`, `slow:300ms`
    /// (a default threshold), `slow:NAME=2s` (one operation's), `slowest:1%`,
    /// `match:KEY=VALUE` and `rate:N` (the cap). Durations take `us`, `ms`,
    /// `s` or `m`.
    ///
    /// ```
    /// let policy = lantern::tail::TailPolicy::parse("errors, slow:250ms").unwrap();
    /// assert!(policy.has_rules());
    /// let err = lantern::tail::TailPolicy::parse("slow:fast").unwrap_err();
    /// assert!(err.contains("slow:fast"), "{err}");
    /// ```
    pub fn parse(spec: &str) -> Result<TailPolicy, String> {
        let mut policy = TailPolicy::new();
        for rule in spec.split(',').map(str::trim).filter(|r| !r.is_empty()) {
            let bad = || {
                format!(
                    "`{}` is not a tail rule (errors, slow:300ms, slow:NAME=2s, slowest:1%, match:KEY=VALUE, rate:N)",
                    cut(rule, 80)
                )
            };
            let (kind, arg) = rule.split_once(':').unwrap_or((rule, ""));
            policy = match (kind, arg) {
                ("errors", "") => policy.errors(),
                ("slow", arg) => match arg.rsplit_once('=') {
                    Some((op, d)) => policy.slower_than_for(op, parse_duration(d).ok_or_else(bad)?),
                    None => policy.slower_than(parse_duration(arg).ok_or_else(bad)?),
                },
                ("slowest", arg) => match arg.trim_end_matches('%').parse::<f64>() {
                    Ok(p) if p > 0.0 && p <= 100.0 => policy.slowest_percent(p),
                    _ => return Err(bad()),
                },
                ("match", arg) => match arg.split_once('=') {
                    Some((k, v)) if !k.is_empty() => policy.matching(k, v),
                    _ => return Err(bad()),
                },
                ("rate", arg) => match arg.parse::<f64>() {
                    Ok(r) if r.is_finite() && r >= 0.0 => policy.max_per_second(r),
                    _ => return Err(bad()),
                },
                _ => return Err(bad()),
            };
        }
        Ok(policy)
    }
}

/// `300ms`, `2s`, `1.5s`, `100us`, `1m`.
fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let seconds = match unit {
        "us" | "µs" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        _ => return None,
    };
    Duration::try_from_secs_f64(seconds).ok()
}

/// Why a trace was kept by the tail policies.
///
/// ```
/// assert_eq!(lantern::tail::KeepReason::Error.as_str(), "error");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeepReason {
    /// A span had an error status.
    Error,
    /// It was longer than its threshold.
    Slow,
    /// A span or its baggage matched a rule.
    Rule,
    /// It was among the slowest of its operation.
    Slowest,
}

impl KeepReason {
    /// A short name: `error`, `slow`, `rule`, `slowest`.
    ///
    /// ```
    /// assert_eq!(lantern::tail::KeepReason::Slowest.as_str(), "slowest");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            KeepReason::Error => "error",
            KeepReason::Slow => "slow",
            KeepReason::Rule => "rule",
            KeepReason::Slowest => "slowest",
        }
    }
}

/// What [`TailEvaluator::evaluate`] answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// No rule holds.
    Pass,
    /// A rule holds and the cap let it through.
    Keep(KeepReason),
    /// A rule holds but the cap was spent.
    OverCap(KeepReason),
}

/// One operation's latency window for the percentile rule.
struct Window {
    histogram: Histogram<u32>,
    /// The duration (µs) at the configured percentile of the last full
    /// window, once there is one.
    threshold: Option<u64>,
}

/// A policy with the state it needs, owned by the ingest thread.
pub(crate) struct TailEvaluator {
    policy: TailPolicy,
    per_operation: HashMap<Box<str>, Duration>,
    windows: HashMap<Cow<'static, str>, Window>,
    bucket: TokenBucket,
    clock: Clock,
}

impl TailEvaluator {
    pub(crate) fn new(policy: TailPolicy) -> Self {
        let per_operation = policy.per_operation.iter().cloned().collect();
        let bucket = TokenBucket::new(policy.max_per_second);
        TailEvaluator { policy, per_operation, windows: HashMap::new(), bucket, clock: Clock::monotonic() }
    }

    /// Judges one completed trace (its spans in this process).
    pub(crate) fn evaluate(&mut self, spans: &[Arc<SpanRecord>]) -> Verdict {
        let Some(reason) = self.reason(spans) else { return Verdict::Pass };
        if self.bucket.take(&self.clock) { Verdict::Keep(reason) } else { Verdict::OverCap(reason) }
    }

    fn reason(&mut self, spans: &[Arc<SpanRecord>]) -> Option<KeepReason> {
        let root = entry_span(spans)?;
        let duration = trace_duration(spans);
        let slowest = self.observe(root, duration);
        let policy = &self.policy;
        if policy.errors && spans.iter().any(|s| s.is_error()) {
            return Some(KeepReason::Error);
        }
        let threshold = self.per_operation.get(&*root.name).copied().or(policy.slower_than);
        if threshold.is_some_and(|t| duration > t) {
            return Some(KeepReason::Slow);
        }
        if policy.rules.iter().any(|(k, v)| spans.iter().any(|s| has_key_value(s, k, v))) {
            return Some(KeepReason::Rule);
        }
        slowest.then_some(KeepReason::Slowest)
    }

    /// Adds a duration to its operation's window; whether it is at or past
    /// the window's last percentile.
    fn observe(&mut self, root: &SpanRecord, duration: Duration) -> bool {
        let operation: &str = &root.name;
        let Some(percent) = self.policy.slowest_percent else { return false };
        let micros = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX).max(1);
        if !self.windows.contains_key(operation) {
            if self.windows.len() >= MAX_TAIL_OPERATIONS {
                return false;
            }
            // One significant figure: about 2 KiB a window, ±6% in value.
            let Ok(histogram) = Histogram::new_with_bounds(1, 3_600_000_000, 1) else { return false };
            self.windows.insert(root.name.clone(), Window { histogram, threshold: None });
        }
        let Some(window) = self.windows.get_mut(operation) else { return false };
        let slow = window.threshold.is_some_and(|t| micros >= t);
        window.histogram.saturating_record(micros);
        if window.histogram.len() >= WINDOW {
            window.threshold = Some(window.histogram.value_at_quantile(1.0 - percent / 100.0));
            window.histogram.reset();
        }
        slow
    }
}

/// The trace's entry in this process: its earliest local root (no parent,
/// or a remote one), else its earliest span. Several services hosted in one
/// process each have a local root; the first is where the request came in.
pub(crate) fn entry_span(spans: &[Arc<SpanRecord>]) -> Option<&SpanRecord> {
    let is_root = |s: &&Arc<SpanRecord>| s.parent_span_id.is_none() || s.parent_is_remote;
    let earliest = |s: &&Arc<SpanRecord>| (s.start, s.span_id);
    spans.iter().filter(is_root).min_by_key(earliest).or_else(|| spans.iter().min_by_key(earliest)).map(|s| &**s)
}

/// From the first span's start to the last span's end.
pub(crate) fn trace_duration(spans: &[Arc<SpanRecord>]) -> Duration {
    let Some(start) = spans.iter().map(|s| s.start).min() else { return Duration::ZERO };
    spans.iter().map(|s| s.end.saturating_duration_since(start)).max().unwrap_or_default()
}

/// Whether `span` has attribute or baggage entry `key` printing as `value`.
pub(crate) fn has_key_value(span: &SpanRecord, key: &str, value: &str) -> bool {
    use std::fmt::Write;
    struct Eq<'a>(&'a str, bool);
    impl Write for Eq<'_> {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            match self.0.strip_prefix(s) {
                Some(rest) => self.0 = rest,
                None => self.1 = false,
            }
            Ok(())
        }
    }
    let text_is = |v: &crate::record::Value| {
        let mut eq = Eq(value, true);
        let _ = write!(eq, "{v}");
        eq.1 && eq.0.is_empty()
    };
    span.attribute(key).is_some_and(text_is)
        || span.baggage.get(key) == Some(value)
        || span.sampler_attributes().any(|kv| kv.key == key && text_is(&kv.value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_every_unit_and_nonsense_does_not() {
        assert_eq!(parse_duration("300ms"), Some(Duration::from_millis(300)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("250us"), Some(Duration::from_micros(250)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        for bad in ["", "ms", "5", "5h", "-1s", "1e999s", "."] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
    }

    fn trace(name: &'static str, millis: u64, error: bool) -> Vec<Arc<SpanRecord>> {
        let mut root = SpanRecord::new(crate::sampling::test_metadata());
        root.name = Cow::Borrowed(name);
        root.end = root.start.later(Duration::from_millis(millis));
        if error {
            root.status = crate::record::Status::Error(None);
        }
        vec![Arc::new(root)]
    }

    #[test]
    fn the_slowest_percent_is_read_per_operation_from_its_last_window() {
        let mut e = TailEvaluator::new(TailPolicy::new().slowest_percent(10.0).max_per_second(1e6));
        assert_eq!(e.evaluate(&trace("a", 10_000, false)), Verdict::Pass, "no window yet: nothing judged slow");
        for ms in 1..=499 {
            e.evaluate(&trace("a", ms, false));
        }
        // The window (1..=499 ms and the 10 s one) is full: its 90th
        // percentile is about 450 ms (one significant figure).
        assert_eq!(e.evaluate(&trace("a", 700, false)), Verdict::Keep(KeepReason::Slowest));
        assert_eq!(e.evaluate(&trace("a", 100, false)), Verdict::Pass);
        assert_eq!(e.evaluate(&trace("b", 700, false)), Verdict::Pass, "another operation has its own window");
    }

    #[test]
    fn rules_are_checked_in_order_and_the_cap_counts_what_it_refuses() {
        let policy = TailPolicy::new()
            .errors()
            .slower_than(Duration::from_millis(100))
            .slower_than_for("b", Duration::from_secs(1));
        let mut e = TailEvaluator::new(policy.max_per_second(2.0));
        assert_eq!(e.evaluate(&trace("a", 500, true)), Verdict::Keep(KeepReason::Error));
        assert_eq!(e.evaluate(&trace("b", 500, false)), Verdict::Pass, "b's own threshold is 1 s");
        assert_eq!(e.evaluate(&trace("a", 500, false)), Verdict::Keep(KeepReason::Slow));
        assert_eq!(e.evaluate(&trace("a", 500, false)), Verdict::OverCap(KeepReason::Slow));
        assert_eq!(e.evaluate(&trace("a", 5, false)), Verdict::Pass);
    }

    #[test]
    fn specs_parse_or_say_which_rule_is_wrong() {
        let p = TailPolicy::parse("errors,slow:checkout=2s,rate:0").unwrap();
        assert!(p.errors && p.per_operation.len() == 1 && p.max_per_second == 0.0);
        for bad in ["error", "slow:", "slowest:0%", "slowest:101", "match:=x", "rate:-1", "rate:NaN"] {
            let err = TailPolicy::parse(bad).unwrap_err();
            assert!(err.contains(bad), "{bad}: {err}");
        }
        assert!(!TailPolicy::parse("").unwrap().has_rules());
    }
}
