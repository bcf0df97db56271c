//! The start of a trace in this process: its ids, the sampling decision,
//! and what is recorded of the decision: the sampler's tag on the root, the
//! OpenTelemetry threshold in the `tracestate`, a debug id.
//!
//! # Forcing
//!
//! A root is forced (sampled whatever the sampler says, within the cap of
//! forced traces a second) when its fields ask (`lantern.debug = true`, which
//! a server layer's debug header sets) or, when the process honours it
//! ([`crate::Builder::debug_baggage`]), when the baggage that came with its
//! remote parent has a `lantern-debug` entry that asks. The baggage is read
//! only for a root with a remote context and non-empty baggage: one lookup
//! in a list of at most 64 members.
//!
//! # The threshold in `tracestate`
//!
//! Only on the sampled path, and only for a root:
//! - a `probabilistic` decision writes its threshold (`ot=th:...`, merged
//!   into an `ot` member the caller sent); a new trace takes a list shared
//!   per thread and threshold, so this costs a reference count;
//! - another decision of this process's (`const`, `ratelimiting`,
//!   `lowerbound`, `debug`) erases a threshold the caller sent: the
//!   probability is no longer that one;
//! - a followed parent's threshold stays as it came, unless it contradicts
//!   the sampled flag (the randomness is below it), and then it is erased.
//!
//! A threshold that does not parse is ignored (left as it came, unless a
//! decision of this process's erases it) and counted
//! ([`RejectedCounts::tracestate_threshold_invalid`]).
//!
//! [`RejectedCounts::tracestate_threshold_invalid`]: crate::propagation::RejectedCounts::tracestate_threshold_invalid

use std::borrow::Cow;

use super::LanternLayer;
use crate::baggage::Baggage;
use crate::context::value::Context as RemoteContext;
use crate::ids::TraceId;
use crate::propagation::counters;
use crate::record::{KeyValue, SpanRecord, Value};
use crate::sampling::debug::{DEBUG_ID_ATTRIBUTE, DebugRequest};
use crate::sampling::tag::{PROBABILISTIC, SamplerTag};
use crate::sampling::threshold::{self, Th};
use crate::sampling::{RecordingMode, SamplingParams, SamplingResult};
use crate::span_context::{SpanContext, TraceFlags};

impl LanternLayer {
    /// Starts a trace in this process: from a remote parent or anew, and asks
    /// the sampler, unless `debug` (the root's own fields) or the remote
    /// baggage force it. Returns the baggage the trace starts with and
    /// whether it is recorded.
    pub(super) fn start_trace(
        &self,
        rec: &mut SpanRecord,
        remote: Option<RemoteContext>,
        links: &[SpanContext],
        meta: &'static tracing::Metadata<'static>,
        debug: DebugRequest,
    ) -> (Baggage, bool) {
        let remote_span = remote.as_ref().and_then(|cx| cx.span_context());
        let flags = match remote_span {
            Some(parent) => {
                rec.trace_id = parent.trace_id();
                rec.parent_span_id = Some(parent.span_id());
                rec.parent_is_remote = true;
                rec.trace_state = parent.trace_state().clone();
                TraceFlags::from_u8(parent.flags().to_u8() & TraceFlags::RANDOM.to_u8())
            }
            None => {
                rec.trace_id = TraceId::random();
                TraceFlags::RANDOM
            }
        };
        let remote_baggage = remote.as_ref().map(|cx| cx.baggage()).filter(|b| !b.is_empty());
        let debug = match remote_baggage {
            Some(baggage) if self.debug_baggage => debug.or(DebugRequest::from_baggage(baggage)),
            _ => debug,
        };
        // Forced before the sampler is asked, within the cap a second.
        let forced = debug.forced && self.sampling.try_force();
        let result = if forced {
            self.sampling.count_forced(&rec.name);
            SamplingResult::sampled_by(true, SamplerTag::debug())
        } else {
            let params = SamplingParams {
                remote_parent: remote_span,
                trace_id: rec.trace_id,
                name: &rec.name,
                kind: rec.kind,
                metadata: meta,
                attributes: &rec.attributes,
                baggage: remote_baggage,
                links,
            };
            let result = self.sampler.decide(&params);
            // A forced trace is not the sampler's decision.
            self.sampling.count(&rec.name, result.is_sampled(), remote_span.is_some());
            result
        };
        let sampled = result.is_sampled();
        rec.flags = flags.with_sampled(sampled);
        if sampled {
            rec.sampler = result.tag();
        }
        record_threshold(rec, sampled, result.tag());
        let baggage = remote.map(|cx| cx.baggage().clone()).unwrap_or_default();
        let recording = sampled || self.mode == RecordingMode::All;
        if !recording {
            rec.attributes.clear();
        } else if let Some(id) = debug.id {
            // Past the attribute cap: a debug id is what finds the trace.
            rec.attributes.push(KeyValue { key: Cow::Borrowed(DEBUG_ID_ATTRIBUTE), value: Value::Str(id) });
        }
        (baggage, recording)
    }
}

/// Writes, keeps or erases the threshold in a new root's `tracestate` (see
/// the module docs).
fn record_threshold(rec: &mut SpanRecord, sampled: bool, tag: Option<SamplerTag>) {
    let incoming = if rec.trace_state.is_empty() { Th::Absent } else { threshold::read(&rec.trace_state) };
    if incoming == Th::Invalid {
        counters::count(&counters::TRACESTATE_THRESHOLD_INVALID);
    }
    if !sampled {
        return;
    }
    match (tag, incoming) {
        (Some(tag), _) if tag.kind() == PROBABILISTIC => {
            let t = threshold::threshold(tag.param());
            rec.trace_state = if rec.trace_state.is_empty() {
                threshold::fresh(t)
            } else {
                threshold::with_threshold(&rec.trace_state, Some(t))
            };
        }
        (Some(_), Th::Valid(_) | Th::Invalid) => rec.trace_state = threshold::with_threshold(&rec.trace_state, None),
        (None, Th::Valid(t)) if threshold::randomness(rec.trace_id, Some(&rec.trace_state)) < t => {
            rec.trace_state = threshold::with_threshold(&rec.trace_state, None);
        }
        _ => {}
    }
}
