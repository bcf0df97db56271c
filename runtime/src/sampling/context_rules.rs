//! Context-sensitive sampling: decide from what the root span says about
//! the request, before any probability.
//!
//! A [`ContextRules`] sampler holds ordered rules; each looks at one of the
//! root span's attributes (its fields at creation: `customer.tier`,
//! `http.route`, ...) or one entry of the baggage that came with the request
//! (`synthetic`, `tenant`, ...), and says sample or drop when it matches. The
//! first rule that matches decides; when none does, the sampler behind the
//! rules decides. This is the book's "context-sensitive sampling": keep every
//! trace of a premium customer, none of a health check, none of a synthetic
//! probe, and let a probability or a rate decide the rest.
//!
//! Rules compare text: a string attribute by its text, a number or boolean
//! attribute by the text it is written as (`"true"`, `"42"`), parsed once
//! when the rule is made. A decision allocates nothing.
//!
//! A trace a rule sampled is tagged `sampler.type = const`, `sampler.param
//! = 1`: every trace the rule matches is sampled, so each stands for
//! itself. The rest are tagged by the sampler behind the rules.

use std::sync::Arc;

use super::sampler::{Sampler, SamplingDecision, SamplingParams, SamplingResult};
use super::state::SamplerState;
use super::tag::SamplerTag;
use crate::record::{Value, attribute};

/// Where a rule looks.
#[derive(Clone, Debug)]
enum Source {
    Attribute,
    Baggage,
}

/// One rule: when `key` has `value`, `decision`.
#[derive(Clone, Debug)]
struct Rule {
    source: Source,
    key: Box<str>,
    value: Box<str>,
    /// `value` as the typed values it may be written as.
    as_bool: Option<bool>,
    as_i64: Option<i64>,
    as_u64: Option<u64>,
    as_f64: Option<f64>,
    decision: SamplingDecision,
}

impl Rule {
    fn new(source: Source, key: &str, value: &str, decision: SamplingDecision) -> Rule {
        Rule {
            source,
            key: key.into(),
            value: value.into(),
            as_bool: value.parse().ok(),
            as_i64: value.parse().ok(),
            as_u64: value.parse().ok(),
            as_f64: value.parse().ok(),
            decision,
        }
    }

    fn matches(&self, params: &SamplingParams<'_>) -> bool {
        match self.source {
            Source::Baggage => params.baggage.is_some_and(|b| b.get(&self.key) == Some(&*self.value)),
            Source::Attribute => match attribute(params.attributes, &self.key) {
                Some(Value::Str(s)) => s.as_str() == &*self.value,
                Some(Value::Bool(b)) => self.as_bool == Some(*b),
                Some(Value::I64(i)) => self.as_i64 == Some(*i),
                Some(Value::U64(u)) => self.as_u64 == Some(*u),
                Some(Value::F64(f)) => self.as_f64 == Some(*f),
                _ => false,
            },
        }
    }
}

/// Ordered rules on the root span's attributes and the incoming baggage,
/// then a sampler for the rest.
///
/// ```
/// use lantern::sampling::{ContextRules, ParentBased, TraceIdRatio};
/// let sampler = ContextRules::new(TraceIdRatio::new(0.1))
///     .sample_when_attribute("customer.tier", "premium")
///     .drop_when_attribute("http.route", "/health")
///     .drop_when_baggage("synthetic", "true");
/// let lantern = lantern::builder().sampler(ParentBased::new(sampler)).try_init_local();
/// tracing::info_span!("GET /cart", customer.tier = "premium").in_scope(|| {});
/// tracing::info_span!("GET /health", http.route = "/health").in_scope(|| {});
/// let snap = lantern.buffer().snapshot();
/// assert!(snap.spans_named("GET /cart", 1)[0].is_sampled());
/// assert!(!snap.spans_named("GET /health", 1)[0].is_sampled());
/// ```
#[derive(Clone)]
pub struct ContextRules {
    rules: Vec<Rule>,
    otherwise: Arc<dyn Sampler>,
}

impl ContextRules {
    /// No rules yet; `otherwise` decides every trace no rule matches.
    ///
    /// ```
    /// use lantern::sampling::{AlwaysOn, ContextRules, Sampler};
    /// assert_eq!(ContextRules::new(AlwaysOn).description(), "ContextRules{rules=0, otherwise=AlwaysOn}");
    /// ```
    pub fn new(otherwise: impl Sampler) -> Self {
        ContextRules { rules: Vec::new(), otherwise: Arc::new(otherwise) }
    }

    fn rule(mut self, source: Source, key: &str, value: &str, decision: SamplingDecision) -> Self {
        self.rules.push(Rule::new(source, key, value, decision));
        self
    }

    /// Samples a trace whose root span has the attribute `key` equal to
    /// `value` (a field given at creation), unless an earlier rule decided.
    ///
    /// ```
    /// let s = lantern::sampling::ContextRules::new(lantern::sampling::AlwaysOff)
    ///     .sample_when_attribute("customer.tier", "premium");
    /// # drop(s);
    /// ```
    pub fn sample_when_attribute(self, key: &str, value: &str) -> Self {
        self.rule(Source::Attribute, key, value, SamplingDecision::Sample)
    }

    /// Drops a trace whose root span has the attribute `key` equal to
    /// `value`, unless an earlier rule decided.
    ///
    /// ```
    /// let s = lantern::sampling::ContextRules::new(lantern::sampling::AlwaysOn)
    ///     .drop_when_attribute("http.route", "/health");
    /// # drop(s);
    /// ```
    pub fn drop_when_attribute(self, key: &str, value: &str) -> Self {
        self.rule(Source::Attribute, key, value, SamplingDecision::Drop)
    }

    /// Samples a trace whose incoming baggage has `key` equal to `value`,
    /// unless an earlier rule decided.
    ///
    /// ```
    /// let s = lantern::sampling::ContextRules::new(lantern::sampling::AlwaysOff)
    ///     .sample_when_baggage("tenant", "acme");
    /// # drop(s);
    /// ```
    pub fn sample_when_baggage(self, key: &str, value: &str) -> Self {
        self.rule(Source::Baggage, key, value, SamplingDecision::Sample)
    }

    /// Drops a trace whose incoming baggage has `key` equal to `value`,
    /// unless an earlier rule decided.
    ///
    /// ```
    /// let s = lantern::sampling::ContextRules::new(lantern::sampling::AlwaysOn)
    ///     .drop_when_baggage("synthetic", "true");
    /// # drop(s);
    /// ```
    pub fn drop_when_baggage(self, key: &str, value: &str) -> Self {
        self.rule(Source::Baggage, key, value, SamplingDecision::Drop)
    }
}

impl Sampler for ContextRules {
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingDecision {
        self.decide(params).decision()
    }

    fn decide(&self, params: &SamplingParams<'_>) -> SamplingResult {
        match self.rules.iter().find(|r| r.matches(params)) {
            Some(rule) => {
                let sampled = rule.decision.is_sampled();
                SamplingResult::sampled_by(sampled, SamplerTag::constant(sampled))
            }
            None => self.otherwise.decide(params),
        }
    }

    fn description(&self) -> String {
        format!("ContextRules{{rules={}, otherwise={}}}", self.rules.len(), self.otherwise.description())
    }

    fn inspect(&self, state: &mut SamplerState) {
        self.otherwise.inspect(state);
    }
}

impl std::fmt::Debug for ContextRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContextRules")
            .field("rules", &self.rules)
            .field("otherwise", &self.otherwise.description())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::KeyValue;

    #[test]
    fn typed_attributes_match_their_text_and_the_first_rule_wins() {
        let rules = ContextRules::new(super::super::always::AlwaysOn)
            .drop_when_attribute("internal", "true")
            .drop_when_attribute("shard", "7")
            .sample_when_attribute("shard", "7");
        let meta = super::super::sampler::test_metadata();
        let decide = |attrs: &[KeyValue]| {
            let mut params = super::super::sampler::test_params(crate::ids::TraceId::random(), meta);
            params.attributes = attrs;
            rules.should_sample(&params)
        };
        assert_eq!(decide(&[KeyValue::new("internal", true)]), SamplingDecision::Drop);
        assert_eq!(decide(&[KeyValue::new("internal", false)]), SamplingDecision::Sample);
        assert_eq!(decide(&[KeyValue::new("shard", 7_u64)]), SamplingDecision::Drop, "the first match decides");
        assert_eq!(decide(&[KeyValue::new("shard", "7")]), SamplingDecision::Drop);
        assert_eq!(decide(&[]), SamplingDecision::Sample, "no match: the sampler behind");
    }
}
