//! B3, Zipkin's propagation format, in its two forms.
//!
//! - **Single header**: `b3: {traceid}-{spanid}[-{sampled}[-{parentspanid}]]`,
//!   where `sampled` is `1` (accept), `0` (deny) or `d` (debug); or the
//!   sampling state alone, `b3: 0`, `1` or `d`.
//! - **Multi header**: `X-B3-TraceId`, `X-B3-SpanId`, `X-B3-ParentSpanId`,
//!   `X-B3-Sampled` (`1` or `0`, and the legacy `true` or `false`) and
//!   `X-B3-Flags: 1` (debug).
//!
//! Trace ids are 16 or 32 hex digits (a 64-bit id is left-padded with
//! zeros to 128 bits), span ids 16; either case is read, lower case is
//! written. Debug implies accept. Without a sampling state (deferred) the
//! context is taken as not sampled, as OpenTelemetry does. The parent span
//! id is checked when present, then ignored: the span id is the parent of
//! the spans made here.

use super::carrier::{Extractor, Injector};
use super::hex;
use crate::ids::{SpanId, TraceId};
use crate::span_context::SpanContext;

pub(super) const SINGLE: &str = "b3";
pub(super) const TRACE_ID: &str = "x-b3-traceid";
pub(super) const SPAN_ID: &str = "x-b3-spanid";
pub(super) const PARENT_SPAN_ID: &str = "x-b3-parentspanid";
pub(super) const SAMPLED: &str = "x-b3-sampled";
pub(super) const FLAGS: &str = "x-b3-flags";

/// The longest valid single header: 32 + 16 + 1 + 16 characters and three
/// dashes. Anything longer is refused before it is looked at.
const MAX_SINGLE: usize = 68;

/// A B3 sampling state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Sampling {
    Deferred,
    Deny,
    Accept,
    Debug,
}

/// What a valid B3 header (or set of headers) says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct B3 {
    /// The trace and span ids; none for a sampling state alone.
    pub(super) ids: Option<(TraceId, SpanId)>,
    pub(super) sampling: Sampling,
}

impl B3 {
    /// The remote span context, and whether the caller asked for debug.
    pub(super) fn into_parts(self) -> (Option<SpanContext>, bool) {
        let sampled = matches!(self.sampling, Sampling::Accept | Sampling::Debug);
        let span = self.ids.map(|(trace, span)| hex::remote_span(trace, span, sampled));
        (span, self.sampling == Sampling::Debug)
    }
}

fn single_sampling(s: &str) -> Option<Sampling> {
    match s {
        "0" => Some(Sampling::Deny),
        "1" => Some(Sampling::Accept),
        "d" => Some(Sampling::Debug),
        _ => None,
    }
}

fn trace_id(s: &str) -> Option<TraceId> {
    matches!(s.len(), 16 | 32).then(|| hex::trace_id(s)).flatten()
}

fn span_id(s: &str) -> Option<SpanId> {
    (s.len() == 16).then(|| hex::span_id(s)).flatten()
}

/// Parses a single `b3` header value; `None` when malformed.
pub(super) fn parse_single(value: &str) -> Option<B3> {
    let value = value.trim_matches([' ', '\t']);
    if value.len() > MAX_SINGLE {
        return None;
    }
    let mut fields = value.split('-');
    let first = fields.next()?;
    let Some(second) = fields.next() else {
        // The sampling state alone.
        return single_sampling(first).map(|sampling| B3 { ids: None, sampling });
    };
    let ids = (trace_id(first)?, span_id(second)?);
    let sampling = match fields.next() {
        None => Sampling::Deferred,
        Some(s) => single_sampling(s)?,
    };
    if let Some(parent) = fields.next() {
        span_id(parent)?;
    }
    if fields.next().is_some() {
        return None;
    }
    Some(B3 { ids: Some(ids), sampling })
}

/// The one value of header `key`: `Ok(None)` when absent, `Err` when given
/// more than once.
fn one<'a>(carrier: &'a (impl Extractor + ?Sized), key: &str) -> Result<Option<&'a str>, ()> {
    match carrier.get_all(key).as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.trim_matches([' ', '\t']))),
        _ => Err(()),
    }
}

/// Reads the multi headers: `None` when none of them is there, `Some(None)`
/// when they are malformed.
pub(super) fn parse_multi(carrier: &(impl Extractor + ?Sized)) -> Option<Option<B3>> {
    let fields = [TRACE_ID, SPAN_ID, PARENT_SPAN_ID, SAMPLED, FLAGS].map(|k| one(carrier, k));
    if fields.iter().all(|f| matches!(f, Ok(None))) {
        return None;
    }
    Some(multi(fields))
}

fn multi(fields: [Result<Option<&str>, ()>; 5]) -> Option<B3> {
    let [trace, span, parent, sampled, flags] = fields;
    let (trace, span, parent, sampled, flags) = (trace.ok()?, span.ok()?, parent.ok()?, sampled.ok()?, flags.ok()?);
    let debug = match flags {
        None | Some("0") => false,
        Some("1") => true,
        Some(_) => return None,
    };
    let sampling = match (debug, sampled) {
        (true, _) => Sampling::Debug,
        (false, None) => Sampling::Deferred,
        (false, Some("1" | "true")) => Sampling::Accept,
        (false, Some("0" | "false")) => Sampling::Deny,
        (false, Some(_)) => return None,
    };
    let ids = match (trace, span) {
        (Some(t), Some(s)) => Some((trace_id(t)?, span_id(s)?)),
        // The sampling state alone.
        (None, None) if sampling != Sampling::Deferred && parent.is_none() => None,
        _ => return None,
    };
    if let Some(parent) = parent {
        span_id(parent)?;
    }
    Some(B3 { ids, sampling })
}

/// The sampling state of `span`: debug when the context asks for it.
fn sampling_of(span: &SpanContext, debug: bool) -> Sampling {
    match (debug, span.is_sampled()) {
        (true, _) => Sampling::Debug,
        (false, true) => Sampling::Accept,
        (false, false) => Sampling::Deny,
    }
}

/// Writes `b3: {traceid}-{spanid}-{1|0|d}` (128-bit trace id), or removes
/// it when there is no span context.
pub(super) fn inject_single(span: Option<&SpanContext>, debug: bool, carrier: &mut (impl Injector + ?Sized)) {
    let Some(span) = span else {
        carrier.unset(SINGLE);
        return;
    };
    let state = match sampling_of(span, debug) {
        Sampling::Debug => "d",
        Sampling::Accept => "1",
        _ => "0",
    };
    carrier.set(SINGLE, format!("{}-{}-{state}", span.trace_id(), span.span_id()));
}

/// Writes the multi headers (`X-B3-Flags: 1` instead of `X-B3-Sampled` for
/// debug), or removes them when there is no span context. A parent span id
/// sent by a caller is removed: it is not this span's parent.
pub(super) fn inject_multi(span: Option<&SpanContext>, debug: bool, carrier: &mut (impl Injector + ?Sized)) {
    carrier.unset(PARENT_SPAN_ID);
    let Some(span) = span else {
        for key in [TRACE_ID, SPAN_ID, SAMPLED, FLAGS] {
            carrier.unset(key);
        }
        return;
    };
    carrier.set(TRACE_ID, span.trace_id().to_string());
    carrier.set(SPAN_ID, span.span_id().to_string());
    if sampling_of(span, debug) == Sampling::Debug {
        carrier.unset(SAMPLED);
        carrier.set(FLAGS, "1".to_owned());
    } else {
        carrier.unset(FLAGS);
        carrier.set(SAMPLED, if span.is_sampled() { "1" } else { "0" }.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_forms() {
        let t = "80f198ee56343ba864fe8b2a57d3eff7";
        let s = "e457b5a2e4d86bd1";
        let b = parse_single(&format!("{t}-{s}-1-05e3ac9a4f6e3b90")).unwrap();
        assert_eq!(b.sampling, Sampling::Accept);
        assert_eq!(b.ids.unwrap().0.to_string(), t);
        assert_eq!(parse_single(&format!("{t}-{s}")).unwrap().sampling, Sampling::Deferred);
        assert_eq!(parse_single("d"), Some(B3 { ids: None, sampling: Sampling::Debug }));
        assert_eq!(parse_single(&format!("{}-{s}-0", &t[16..])).unwrap().ids.unwrap().0.to_u128() >> 64, 0);
        for bad in ["", "2", "-", &format!("{t}-{s}-2"), &format!("{t}-{s}-1-"), &format!("{t}-{s}-1-{s}-x"), &t[1..]] {
            assert_eq!(parse_single(bad), None, "{bad:?}");
        }
    }
}
