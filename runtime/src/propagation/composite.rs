//! The composite propagator: the formats a process reads and writes, in
//! order, and the process-wide choice of them.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use super::carrier::{Extractor, Injector};
use super::{b3, counters, jaeger, w3c};
use crate::context::value::Context;
use crate::span_context::SpanContext;

/// One propagation format; see the [module docs](super) for each.
///
/// ```
/// use lantern::propagation::Format;
/// assert_eq!(Format::from_name("b3multi"), Some(Format::B3Multi));
/// assert_eq!(Format::B3Multi.name(), "b3multi");
/// assert_eq!(Format::from_name("xray"), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// W3C Trace Context: `traceparent` and `tracestate` (`tracecontext`).
    TraceContext,
    /// W3C Baggage: the `baggage` header (`baggage`).
    Baggage,
    /// B3 single header: `b3` (`b3`).
    B3,
    /// B3 multi header: `X-B3-TraceId`, `X-B3-SpanId`, ... (`b3multi`).
    B3Multi,
    /// Jaeger: `uber-trace-id` and `uberctx-{key}` baggage (`jaeger`).
    Jaeger,
}

impl Format {
    const ALL: [Format; 5] = [Format::TraceContext, Format::Baggage, Format::B3, Format::B3Multi, Format::Jaeger];

    /// The name `OTEL_PROPAGATORS` knows it by.
    ///
    /// ```
    /// assert_eq!(lantern::propagation::Format::TraceContext.name(), "tracecontext");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Format::TraceContext => "tracecontext",
            Format::Baggage => "baggage",
            Format::B3 => "b3",
            Format::B3Multi => "b3multi",
            Format::Jaeger => "jaeger",
        }
    }

    /// The format named `name` (as in `OTEL_PROPAGATORS`: white space around
    /// it and case ignored).
    ///
    /// ```
    /// assert_eq!(lantern::propagation::Format::from_name(" Jaeger "), Some(lantern::propagation::Format::Jaeger));
    /// ```
    pub fn from_name(name: &str) -> Option<Format> {
        let name = name.trim();
        Format::ALL.into_iter().find(|f| f.name().eq_ignore_ascii_case(name))
    }

    /// 1 to 5: a slot of [`Propagators`]' packing (0 ends the list).
    const fn code(self) -> u32 {
        match self {
            Format::TraceContext => 1,
            Format::Baggage => 2,
            Format::B3 => 3,
            Format::B3Multi => 4,
            Format::Jaeger => 5,
        }
    }
}

/// Bits per format in the packing.
const SLOT: u32 = 3;
/// `tracecontext,baggage`.
const W3C: u32 = Format::TraceContext.code() | Format::Baggage.code() << SLOT;

/// The process-wide configured propagators, packed: one relaxed load reads
/// them on every request.
static CONFIGURED: AtomicU32 = AtomicU32::new(W3C);

/// An ordered list of [`Format`]s, each at most once: the composite
/// propagator. [`extract`](Self::extract) tries the trace-context formats
/// in order and takes the first valid context, and merges the baggage of
/// the baggage formats (`baggage` first, then Jaeger's `uberctx-`
/// headers for keys not seen yet); [`inject`](Self::inject) writes every
/// format. The default is `tracecontext,baggage`.
///
/// A plain `Copy` value (the formats packed in a `u32`), so that the
/// process-wide choice ([`configured`](Self::configured)) is read with one
/// atomic load.
///
/// ```
/// use lantern::propagation::{Format, Propagators};
/// let both = Propagators::new([Format::B3, Format::TraceContext]);
/// let mut h = http::HeaderMap::new();
/// h.insert("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1".parse().unwrap());
/// let cx = both.extract(&h);
/// assert!(cx.span_context().unwrap().is_sampled());
///
/// let mut out = http::HeaderMap::new();
/// both.inject(&cx, &mut out);
/// assert_eq!(out["b3"], "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1");
/// assert_eq!(out["traceparent"], "00-80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-01");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Propagators {
    packed: u32,
}

impl Default for Propagators {
    /// `tracecontext,baggage`.
    fn default() -> Self {
        Propagators::w3c()
    }
}

impl fmt::Debug for Propagators {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.formats().map(Format::name)).finish()
    }
}

impl Propagators {
    /// `tracecontext,baggage`, the default.
    ///
    /// ```
    /// use lantern::propagation::{Format, Propagators};
    /// assert_eq!(Propagators::w3c().formats().collect::<Vec<_>>(), [Format::TraceContext, Format::Baggage]);
    /// ```
    pub const fn w3c() -> Self {
        Propagators { packed: W3C }
    }

    /// No format (`none`): nothing is extracted or injected.
    ///
    /// ```
    /// let cx = lantern::propagation::Propagators::none().extract(&http::HeaderMap::new());
    /// assert_eq!(cx, lantern::Context::default());
    /// ```
    pub const fn none() -> Self {
        Propagators { packed: 0 }
    }

    /// The formats in this order, each kept once (at its first place).
    ///
    /// ```
    /// use lantern::propagation::{Format, Propagators};
    /// let p = Propagators::new([Format::Jaeger, Format::B3, Format::Jaeger]);
    /// assert_eq!(p.formats().collect::<Vec<_>>(), [Format::Jaeger, Format::B3]);
    /// ```
    pub fn new(formats: impl IntoIterator<Item = Format>) -> Self {
        let mut p = Propagators::none();
        let mut len = 0;
        for format in formats {
            if !p.contains(format) {
                p.packed |= format.code() << (SLOT * len);
                len += 1;
            }
        }
        p
    }

    /// Reads a list as `OTEL_PROPAGATORS` gives it, comma-separated
    /// (`tracecontext,baggage,b3,b3multi,jaeger`, or `none`); also returns
    /// the names it does not know, which are ignored. `none` anywhere means
    /// no format at all; empty items are skipped.
    ///
    /// ```
    /// use lantern::propagation::{Format, Propagators};
    /// let (p, unknown) = Propagators::parse("b3multi, tracecontext,xray");
    /// assert_eq!(p, Propagators::new([Format::B3Multi, Format::TraceContext]));
    /// assert_eq!(unknown, ["xray"]);
    /// assert_eq!(Propagators::parse("none").0, Propagators::none());
    /// ```
    pub fn parse(list: &str) -> (Propagators, Vec<String>) {
        let mut unknown = Vec::new();
        let mut formats = Vec::new();
        let mut none = false;
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match Format::from_name(name) {
                Some(format) => formats.push(format),
                None if name.eq_ignore_ascii_case("none") => none = true,
                // Bounded: a name is echoed in a warning.
                None => unknown.push(name.chars().take(64).collect()),
            }
        }
        (if none { Propagators::none() } else { Propagators::new(formats) }, unknown)
    }

    /// The formats, in order.
    ///
    /// ```
    /// assert_eq!(lantern::propagation::Propagators::none().formats().count(), 0);
    /// ```
    pub fn formats(self) -> impl Iterator<Item = Format> {
        (0..Format::ALL.len() as u32)
            .map(move |i| (self.packed >> (SLOT * i)) & 0b111)
            .take_while(|&code| code != 0)
            .filter_map(|code| Format::ALL.into_iter().find(|f| f.code() == code))
    }

    /// Whether `format` is one of these.
    ///
    /// ```
    /// use lantern::propagation::{Format, Propagators};
    /// assert!(Propagators::w3c().contains(Format::Baggage));
    /// assert!(!Propagators::w3c().contains(Format::B3));
    /// ```
    pub fn contains(self, format: Format) -> bool {
        self.formats().any(|f| f == format)
    }

    /// The process-wide propagators: what [`extract`](super::extract),
    /// [`inject`](super::inject) and the middleware use. Set by
    /// [`Builder::propagators`](crate::Builder::propagators) or
    /// `OTEL_PROPAGATORS` when Lantern is initialised (the last
    /// initialisation that names them wins, for the whole process, local
    /// installs included); `tracecontext,baggage` until then.
    ///
    /// ```
    /// assert!(lantern::propagation::Propagators::configured().contains(lantern::propagation::Format::TraceContext));
    /// ```
    pub fn configured() -> Propagators {
        Propagators { packed: CONFIGURED.load(Relaxed) }
    }

    /// Reads a context from `carrier`: the span context of the first
    /// trace-context format (in order) that has a valid one, and the
    /// baggage of the baggage formats, merged. A format's malformed headers
    /// are counted (see [`rejected`](super::rejected)) and the next format
    /// is tried. Never panics.
    ///
    /// ```
    /// use lantern::propagation::{Format, Propagators};
    /// let mut h = std::collections::HashMap::new();
    /// h.insert("uber-trace-id".to_owned(), "4bf92f3577b34da6a3ce929d0e0e4736%3A00f067aa0ba902b7%3A0%3A3".to_owned());
    /// h.insert("uberctx-customer".to_owned(), "ann%20b".to_owned());
    /// let cx = Propagators::new([Format::Jaeger]).extract(&h);
    /// assert!(cx.span_context().unwrap().is_sampled() && cx.is_debug());
    /// assert_eq!(cx.baggage().get("customer"), Some("ann b"));
    /// ```
    pub fn extract(self, carrier: &(impl Extractor + ?Sized)) -> Context {
        let mut found: Option<(SpanContext, bool)> = None;
        let mut lone_debug = false;
        for format in self.formats() {
            if found.is_some() {
                break;
            }
            let (span, debug) = match format {
                Format::TraceContext => (w3c::extract_span_context(carrier), false),
                Format::B3 => one_b3(carrier),
                Format::B3Multi => match b3::parse_multi(carrier) {
                    None => (None, false),
                    Some(Some(b3)) => b3.into_parts(),
                    Some(None) => {
                        counters::count(&counters::B3_INVALID);
                        (None, false)
                    }
                },
                Format::Jaeger => one_jaeger(carrier),
                Format::Baggage => (None, false),
            };
            match span {
                Some(span) => found = Some((span, debug)),
                None => lone_debug |= debug,
            }
        }
        let mut baggage =
            if self.contains(Format::Baggage) { w3c::extract_baggage(carrier) } else { Default::default() };
        if self.contains(Format::Jaeger) {
            jaeger::extract_baggage(carrier, &mut baggage);
        }
        let (span, debug) = match found {
            Some((span, debug)) => (Some(span), debug),
            None => (None, lone_debug),
        };
        Context::new(span, baggage).with_debug(debug)
    }

    /// Writes `context` in every format into `carrier`. A format's headers
    /// are removed when the context has nothing for them (except Jaeger's
    /// `uberctx-` headers, which a carrier cannot list).
    ///
    /// ```
    /// use lantern::propagation::{Format, Propagators};
    /// let mut h = http::HeaderMap::new();
    /// h.insert("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-d".parse().unwrap());
    /// let cx = Propagators::new([Format::B3]).extract(&h);
    /// let mut out = std::collections::HashMap::new();
    /// Propagators::new([Format::B3Multi, Format::Jaeger]).inject(&cx, &mut out);
    /// assert_eq!(out["x-b3-flags"], "1");
    /// assert_eq!(out["uber-trace-id"], "80f198ee56343ba864fe8b2a57d3eff7:e457b5a2e4d86bd1:0:3");
    /// ```
    pub fn inject(self, context: &Context, carrier: &mut (impl Injector + ?Sized)) {
        let (span, debug) = (context.span_context(), context.is_debug());
        for format in self.formats() {
            match format {
                Format::TraceContext => w3c::inject_span_context(span, carrier),
                Format::Baggage => w3c::inject_baggage(context.baggage(), carrier),
                Format::B3 => b3::inject_single(span, debug, carrier),
                Format::B3Multi => b3::inject_multi(span, debug, carrier),
                Format::Jaeger => {
                    jaeger::inject(span, debug, carrier);
                    jaeger::inject_baggage(context.baggage(), carrier);
                }
            }
        }
    }
}

/// Makes `propagators` the process-wide choice.
pub(crate) fn set_configured(propagators: Propagators) {
    CONFIGURED.store(propagators.packed, Relaxed);
}

/// The context of the single `b3` header.
fn one_b3(carrier: &(impl Extractor + ?Sized)) -> (Option<SpanContext>, bool) {
    let parsed = match carrier.get_all(b3::SINGLE).as_slice() {
        [] => return (None, false),
        [one] => b3::parse_single(one),
        _ => None,
    };
    match parsed {
        Some(b3) => b3.into_parts(),
        None => {
            counters::count(&counters::B3_INVALID);
            (None, false)
        }
    }
}

/// The context of the `uber-trace-id` header.
fn one_jaeger(carrier: &(impl Extractor + ?Sized)) -> (Option<SpanContext>, bool) {
    let parsed = match carrier.get_all(jaeger::HEADER).as_slice() {
        [] => return (None, false),
        [one] => jaeger::parse(one),
        _ => None,
    };
    match parsed {
        Some((span, debug)) => (Some(span), debug),
        None => {
            counters::count(&counters::JAEGER_INVALID);
            (None, false)
        }
    }
}
