//! Jaeger's sampling strategy response, as JSON: parsed, checked, and
//! mapped onto Lantern's samplers. The format, with the Lantern extension
//! `adaptiveSampling` and the rules for which sampler a response selects,
//! is documented for users on
//! [`RemoteSampler`](super::remote::RemoteSampler).
//!
//! # Parsing in two steps
//!
//! [`serde`] first reads the response into [`Response`], whose every field
//! is optional and accepted under its camel-case and snake-case names
//! (Jaeger's collector answers in protobuf's JSON, camel case with defaults
//! left out; its agent's older endpoint in Thrift's, with `strategyType` as
//! a number; tools in between are known to write snake case). Then
//! [`Response::check`] picks the strategy the response selects, checks
//! its numbers, and gives a [`Strategy`]: plain values, compared with the
//! one in force so that an unchanged strategy keeps its sampler. The error
//! texts name the field (`probabilisticSampling.samplingRate 1.5 is not a
//! probability in [0, 1]`), for the status page.
//!
//! Only the strategy's own numbers are checked here; the samplers clamp
//! their input again, so a [`Strategy`] built in code needs no check.

use serde::Deserialize;
use serde_json::Value;

use super::adaptive::Adaptive;
use super::bucket::ManualClock;
use super::per_operation::{DEFAULT_MAX_OPERATIONS, GuaranteedThroughput};
use super::rate_limiting::RateLimiting;
use super::ratio::TraceIdRatio;
use super::sampler::Sampler;
use crate::text::{MAX_NAME_BYTES, cut};

/// A checked strategy: what a response selects, with valid numbers.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Strategy {
    /// `samplingRate`, in `[0, 1]`.
    Probabilistic(f64),
    /// `maxTracesPerSecond`, at least 0.
    RateLimiting(f64),
    /// `operationSampling`.
    PerOperation {
        default: f64,
        lower_bound: f64,
        /// `None` when absent or 0.
        upper_bound: Option<f64>,
        operations: Vec<(Box<str>, f64)>,
    },
    /// The Lantern extension `adaptiveSampling`.
    Adaptive { target: f64, max_total: Option<f64> },
}

impl Strategy {
    /// Parses and checks a response body.
    pub(crate) fn parse(body: &[u8]) -> Result<Strategy, String> {
        let response: Response = serde_json::from_slice(body).map_err(|e| format!("malformed strategy JSON: {e}"))?;
        response.check()
    }

    /// A new sampler applying this strategy, reading `clock` if given (tests).
    pub(crate) fn build(&self, clock: Option<&ManualClock>) -> Box<dyn Sampler> {
        match self {
            Strategy::Probabilistic(p) => Box::new(TraceIdRatio::new(*p)),
            Strategy::RateLimiting(rate) => on_clock(RateLimiting::new(*rate), clock, RateLimiting::with_manual_clock),
            Strategy::PerOperation { default, lower_bound, upper_bound, operations } => {
                let mut s = GuaranteedThroughput::new(*default, *lower_bound);
                for (name, p) in operations {
                    s = s.with_operation(name.clone(), *p);
                }
                if let Some(upper) = upper_bound {
                    s = s.with_upper_bound(*upper);
                }
                on_clock(s, clock, GuaranteedThroughput::with_manual_clock)
            }
            Strategy::Adaptive { target, max_total } => {
                let mut s = Adaptive::new(*target);
                if let Some(max) = max_total {
                    s = s.with_max_total_per_second(*max);
                }
                on_clock(s, clock, Adaptive::with_manual_clock)
            }
        }
    }
}

/// `sampler`, made to read `clock` with `with` if there is one; boxed.
fn on_clock<S: Sampler>(sampler: S, clock: Option<&ManualClock>, with: fn(S, &ManualClock) -> S) -> Box<dyn Sampler> {
    Box::new(match clock {
        Some(c) => with(sampler, c),
        None => sampler,
    })
}

/// The response as sent; every number optional, checked in [`Response::check`].
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    #[serde(default, alias = "strategy_type")]
    strategy_type: Option<Value>,
    #[serde(default, alias = "probabilistic_sampling")]
    probabilistic_sampling: Option<Probabilistic>,
    #[serde(default, alias = "rate_limiting_sampling")]
    rate_limiting_sampling: Option<RateLimitingJson>,
    #[serde(default, alias = "operation_sampling")]
    operation_sampling: Option<OperationSampling>,
    #[serde(default, alias = "adaptive_sampling")]
    adaptive_sampling: Option<AdaptiveJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probabilistic {
    #[serde(default, alias = "sampling_rate")]
    sampling_rate: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RateLimitingJson {
    #[serde(default, alias = "max_traces_per_second")]
    max_traces_per_second: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OperationSampling {
    #[serde(default, alias = "default_sampling_probability")]
    default_sampling_probability: Option<f64>,
    #[serde(default, alias = "default_lower_bound_traces_per_second")]
    default_lower_bound_traces_per_second: Option<f64>,
    #[serde(default, alias = "default_upper_bound_traces_per_second")]
    default_upper_bound_traces_per_second: Option<f64>,
    #[serde(default, alias = "per_operation_strategies")]
    per_operation_strategies: Option<Vec<OperationStrategy>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OperationStrategy {
    #[serde(default)]
    operation: Option<String>,
    #[serde(default, alias = "probabilistic_sampling")]
    probabilistic_sampling: Option<Probabilistic>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AdaptiveJson {
    #[serde(default, alias = "target_traces_per_second")]
    target_traces_per_second: Option<f64>,
    #[serde(default, alias = "max_traces_per_second")]
    max_traces_per_second: Option<f64>,
}

/// The two kinds `strategyType` names.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Probabilistic,
    RateLimiting,
}

impl Response {
    fn check(self) -> Result<Strategy, String> {
        if let Some(adaptive) = self.adaptive_sampling {
            let target =
                adaptive.target_traces_per_second.ok_or("adaptiveSampling.targetTracesPerSecond is missing")?;
            let target = rate("adaptiveSampling.targetTracesPerSecond", Some(target))?;
            let max_total = match adaptive.max_traces_per_second {
                None => None,
                some => Some(rate("adaptiveSampling.maxTracesPerSecond", some)?),
            };
            return Ok(Strategy::Adaptive { target, max_total });
        }
        if let Some(ops) = self.operation_sampling {
            return ops.check();
        }
        let kind = match &self.strategy_type {
            Some(value) => kind(value)?,
            None if self.probabilistic_sampling.is_some() => Kind::Probabilistic,
            None if self.rate_limiting_sampling.is_some() => Kind::RateLimiting,
            None => return Err("the response names no strategy (no strategyType nor a strategy object)".into()),
        };
        match kind {
            Kind::Probabilistic => {
                let p = self.probabilistic_sampling.ok_or("PROBABILISTIC without probabilisticSampling")?;
                Ok(Strategy::Probabilistic(probability("probabilisticSampling.samplingRate", p.sampling_rate)?))
            }
            Kind::RateLimiting => {
                let r = self.rate_limiting_sampling.ok_or("RATE_LIMITING without rateLimitingSampling")?;
                Ok(Strategy::RateLimiting(rate("rateLimitingSampling.maxTracesPerSecond", r.max_traces_per_second)?))
            }
        }
    }
}

impl OperationSampling {
    fn check(self) -> Result<Strategy, String> {
        let default = probability("operationSampling.defaultSamplingProbability", self.default_sampling_probability)?;
        let lower_bound =
            rate("operationSampling.defaultLowerBoundTracesPerSecond", self.default_lower_bound_traces_per_second)?;
        let upper =
            rate("operationSampling.defaultUpperBoundTracesPerSecond", self.default_upper_bound_traces_per_second)?;
        let mut operations = Vec::new();
        let listed = self.per_operation_strategies.unwrap_or_default();
        for (i, op) in listed.into_iter().take(DEFAULT_MAX_OPERATIONS).enumerate() {
            let name = op.operation.ok_or_else(|| format!("perOperationStrategies[{i}] has no operation"))?;
            let field = format!("perOperationStrategies[{i}] ({:?}).probabilisticSampling", cut(&name, 64));
            let rate = op.probabilistic_sampling.ok_or_else(|| format!("{field} is missing"))?.sampling_rate;
            let p = probability(&format!("{field}.samplingRate"), rate)?;
            operations.push((cut(&name, MAX_NAME_BYTES).into(), p));
        }
        Ok(Strategy::PerOperation { default, lower_bound, upper_bound: (upper > 0.0).then_some(upper), operations })
    }
}

/// `strategyType`: `0`, `1`, or the enum's name in any case.
fn kind(value: &Value) -> Result<Kind, String> {
    let kind = match value {
        Value::Number(n) if n.as_u64() == Some(0) => Some(Kind::Probabilistic),
        Value::Number(n) if n.as_u64() == Some(1) => Some(Kind::RateLimiting),
        Value::String(s) if s.eq_ignore_ascii_case("PROBABILISTIC") => Some(Kind::Probabilistic),
        Value::String(s) if s.eq_ignore_ascii_case("RATE_LIMITING") => Some(Kind::RateLimiting),
        _ => None,
    };
    kind.ok_or_else(|| {
        format!("strategyType {} is not PROBABILISTIC (0) or RATE_LIMITING (1)", cut(&value.to_string(), 64))
    })
}

/// A probability in `[0, 1]`; absent reads as 0.
fn probability(field: &str, value: Option<f64>) -> Result<f64, String> {
    match value.unwrap_or(0.0) {
        p if (0.0..=1.0).contains(&p) => Ok(p),
        p => Err(format!("{field} {p} is not a probability in [0, 1]")),
    }
}

/// A finite rate, at least 0; absent reads as 0.
fn rate(field: &str, value: Option<f64>) -> Result<f64, String> {
    match value.unwrap_or(0.0) {
        r if r.is_finite() && r >= 0.0 => Ok(r),
        r => Err(format!("{field} {r} is not a rate (finite, at least 0)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Strategy, String> {
        Strategy::parse(json.as_bytes())
    }

    #[test]
    fn jaegers_variants_parse_alike() {
        let p = Ok(Strategy::Probabilistic(0.25));
        assert_eq!(parse(r#"{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":0.25}}"#), p);
        assert_eq!(parse(r#"{"strategyType":0,"probabilisticSampling":{"samplingRate":0.25}}"#), p);
        assert_eq!(parse(r#"{"strategy_type":"probabilistic","probabilistic_sampling":{"sampling_rate":0.25}}"#), p);
        assert_eq!(parse(r#"{"probabilisticSampling":{"samplingRate":0.25},"extra":[1]}"#), p);
        assert_eq!(parse(r#"{"strategyType":0,"probabilisticSampling":{}}"#), Ok(Strategy::Probabilistic(0.0)));
        let r = Ok(Strategy::RateLimiting(5.0));
        assert_eq!(parse(r#"{"strategyType":"RATE_LIMITING","rateLimitingSampling":{"maxTracesPerSecond":5}}"#), r);
        assert_eq!(parse(r#"{"strategyType":1,"rateLimitingSampling":{"max_traces_per_second":5}}"#), r);
        assert_eq!(parse(r#"{"rateLimitingSampling":{"maxTracesPerSecond":5}}"#), r);
    }

    #[test]
    fn operation_sampling_wins_over_the_type_and_adaptive_over_both() {
        let json = r#"{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":0.5},
            "operationSampling":{"defaultSamplingProbability":0.1,"defaultLowerBoundTracesPerSecond":2,
            "defaultUpperBoundTracesPerSecond":0,
            "perOperationStrategies":[{"operation":"a","probabilisticSampling":{"samplingRate":1}}]}}"#;
        let expected = Strategy::PerOperation {
            default: 0.1,
            lower_bound: 2.0,
            upper_bound: None,
            operations: vec![("a".into(), 1.0)],
        };
        assert_eq!(parse(json), Ok(expected));
        let with_adaptive = json.replacen('{', r#"{"adaptiveSampling":{"targetTracesPerSecond":1.5},"#, 1);
        assert_eq!(parse(&with_adaptive), Ok(Strategy::Adaptive { target: 1.5, max_total: None }));
    }

    #[test]
    fn bad_values_are_refused_with_the_field_named() {
        let err = |json: &str| parse(json).unwrap_err();
        assert!(err(r#"{"strategyType":0,"probabilisticSampling":{"samplingRate":1.5}}"#).contains("samplingRate 1.5"));
        assert!(err(r#"{"strategyType":1,"rateLimitingSampling":{"maxTracesPerSecond":-1}}"#).contains("-1"));
        assert!(err(r#"{"strategyType":7}"#).contains("strategyType 7"));
        assert!(err(r#"{"strategyType":"CONST"}"#).contains("\"CONST\""));
        assert!(err(r#"{"strategyType":1}"#).contains("without rateLimitingSampling"));
        assert!(err(r#"{}"#).contains("no strategy"));
        assert!(err(r#"{"strategyType": "#).starts_with("malformed strategy JSON"));
        assert!(err(r#"{"probabilisticSampling":{"samplingRate":"x"}}"#).starts_with("malformed"));
        assert!(err(r#"{"probabilisticSampling":{"samplingRate":1e999}}"#).starts_with("malformed"));
        let op = r#"{"operationSampling":{"perOperationStrategies":[{"operation":"GET /","probabilisticSampling":{"samplingRate":-0.1}}]}}"#;
        assert!(err(op).contains(r#"perOperationStrategies[0] ("GET /").probabilisticSampling.samplingRate -0.1"#));
        assert!(err(r#"{"adaptiveSampling":{"targetTracesPerSecond":1,"maxTracesPerSecond":-2}}"#).contains("-2"));
        assert!(err(r#"{"adaptiveSampling":{"maxTracesPerSecond":2}}"#).contains("targetTracesPerSecond is missing"));
    }

    #[test]
    fn operations_are_capped_and_their_names_cut() {
        let ops: Vec<String> = (0..DEFAULT_MAX_OPERATIONS + 5)
            .map(|i| {
                format!(r#"{{"operation":"{i}{}","probabilisticSampling":{{"samplingRate":1}}}}"#, "x".repeat(300))
            })
            .collect();
        let json = format!(r#"{{"operationSampling":{{"perOperationStrategies":[{}]}}}}"#, ops.join(","));
        let Ok(Strategy::PerOperation { operations, .. }) = parse(&json) else { panic!("{:?}", parse(&json)) };
        assert_eq!(operations.len(), DEFAULT_MAX_OPERATIONS);
        assert!(operations.iter().all(|(name, _)| name.len() == MAX_NAME_BYTES));
    }

    #[test]
    fn each_strategy_builds_its_sampler() {
        let desc = |s: Strategy| s.build(None).description();
        assert_eq!(desc(Strategy::Probabilistic(0.5)), "TraceIdRatio{0.5}");
        assert_eq!(desc(Strategy::RateLimiting(3.0)), "RateLimiting{3}");
        let ops = Strategy::PerOperation { default: 0.1, lower_bound: 1.0, upper_bound: Some(9.0), operations: vec![] };
        assert_eq!(desc(ops), "GuaranteedThroughput{default=0.1, lowerBound=1, configured=0, upperBound=9}");
        let adaptive = Strategy::Adaptive { target: 2.0, max_total: Some(50.0) };
        assert_eq!(desc(adaptive), "Adaptive{target=2/s, operations=0, maxTotal=50/s}");
    }
}
