//! [`SamplerTag`]: which sampler decided a sampled root, and with what
//! parameter, as Jaeger's clients record it (`sampler.type`,
//! `sampler.param`).

/// The sampler that decided a sampled root span, and its parameter: the
/// `sampler.type` and `sampler.param` attributes of Jaeger's clients, from
/// which a reader of the spans extrapolates counts (see
/// [`SamplerTag::adjusted_count`]).
///
/// The types Lantern's samplers use:
///
/// | `sampler.type`  | sampler                                                     | `sampler.param`            |
/// |-----------------|-------------------------------------------------------------|----------------------------|
/// | `const`         | `AlwaysOn` (and `AlwaysOff`), a `ContextRules` rule         | 1 (0)                      |
/// | `probabilistic` | `TraceIdRatio`, a per-operation probability                 | the probability            |
/// | `ratelimiting`  | `RateLimiting`                                              | traces a second            |
/// | `lowerbound`    | `GuaranteedThroughput`, `Adaptive`: the lower bound let it in | the operation's probability |
/// | `debug`         | a forced trace (`lantern.debug`, the debug header or baggage) | 1                          |
///
/// It is two words, `Copy`: a sampler returns it with every decision
/// ([`Sampler::decide`](super::sampler::Sampler::decide)) at no cost, and the
/// layer keeps it on the root's record
/// ([`SpanRecord::sampler_tag`](crate::record::SpanRecord::sampler_tag)).
///
/// ```
/// use lantern::sampling::SamplerTag;
/// let tag = SamplerTag::probabilistic(0.25);
/// assert_eq!((tag.kind(), tag.param()), ("probabilistic", 0.25));
/// assert_eq!(tag.adjusted_count(), Some(4.0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SamplerTag {
    kind: &'static str,
    param: f64,
}

/// `sampler.type` of a trace a probability sampled.
pub(crate) const PROBABILISTIC: &str = "probabilistic";
/// The attribute keys, as Jaeger's clients name them.
pub(crate) const TYPE_KEY: &str = "sampler.type";
pub(crate) const PARAM_KEY: &str = "sampler.param";

impl SamplerTag {
    /// A tag of any type: for a sampler of your own. Readers compute an
    /// adjusted count only for the types in the table above.
    ///
    /// ```
    /// let tag = lantern::sampling::SamplerTag::new("remote", 0.5);
    /// assert_eq!((tag.kind(), tag.adjusted_count()), ("remote", None));
    /// ```
    pub const fn new(kind: &'static str, param: f64) -> Self {
        SamplerTag { kind, param }
    }

    /// `const`: every trace (`sampled`, param 1) or none (param 0).
    ///
    /// ```
    /// let tag = lantern::sampling::SamplerTag::constant(true);
    /// assert_eq!((tag.kind(), tag.param()), ("const", 1.0));
    /// ```
    pub const fn constant(sampled: bool) -> Self {
        SamplerTag::new("const", if sampled { 1.0 } else { 0.0 })
    }

    /// `probabilistic`, with the probability applied.
    ///
    /// ```
    /// assert_eq!(lantern::sampling::SamplerTag::probabilistic(0.1).param(), 0.1);
    /// ```
    pub const fn probabilistic(probability: f64) -> Self {
        SamplerTag::new(PROBABILISTIC, probability)
    }

    /// `ratelimiting`, with the rate in traces a second.
    ///
    /// ```
    /// assert_eq!(lantern::sampling::SamplerTag::rate_limiting(2.0).kind(), "ratelimiting");
    /// ```
    pub const fn rate_limiting(per_second: f64) -> Self {
        SamplerTag::new("ratelimiting", per_second)
    }

    /// `lowerbound`: a per-operation lower bound let the trace in, which
    /// the operation's `probability` had dropped.
    ///
    /// ```
    /// let tag = lantern::sampling::SamplerTag::lower_bound(0.001);
    /// assert_eq!((tag.kind(), tag.adjusted_count()), ("lowerbound", None));
    /// ```
    pub const fn lower_bound(probability: f64) -> Self {
        SamplerTag::new("lowerbound", probability)
    }

    /// `debug`: the trace was forced (param 1).
    ///
    /// ```
    /// assert_eq!(lantern::sampling::SamplerTag::debug().adjusted_count(), Some(1.0));
    /// ```
    pub const fn debug() -> Self {
        SamplerTag::new("debug", 1.0)
    }

    /// The `sampler.type` value.
    ///
    /// ```
    /// assert_eq!(lantern::sampling::SamplerTag::debug().kind(), "debug");
    /// ```
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The `sampler.param` value.
    ///
    /// ```
    /// assert_eq!(lantern::sampling::SamplerTag::rate_limiting(5.0).param(), 5.0);
    /// ```
    pub fn param(&self) -> f64 {
        self.param
    }

    /// How many traces the sampled one stands for: `1 / p` for
    /// `probabilistic` (when `p > 0`), 1 for `const` with param 1 and for
    /// `debug`. `None` when the rate of the population is not known from
    /// the tag alone: `ratelimiting` and `lowerbound` decide by the clock,
    /// not by a probability, and other types are not Lantern's.
    ///
    /// ```
    /// use lantern::sampling::SamplerTag;
    /// assert_eq!(SamplerTag::constant(true).adjusted_count(), Some(1.0));
    /// assert_eq!(SamplerTag::rate_limiting(10.0).adjusted_count(), None);
    /// assert_eq!(SamplerTag::probabilistic(0.0).adjusted_count(), None);
    /// ```
    pub fn adjusted_count(&self) -> Option<f64> {
        match self.kind {
            PROBABILISTIC if self.param > 0.0 && self.param <= 1.0 => Some(1.0 / self.param),
            "const" if self.param == 1.0 => Some(1.0),
            "debug" => Some(1.0),
            _ => None,
        }
    }
}
