//! The identity of one span as other processes see it.

use crate::ids::{SpanId, TraceId};
use crate::trace_state::TraceState;

/// The W3C trace flags byte.
///
/// ```
/// let f = lantern::context::TraceFlags::SAMPLED;
/// assert!(f.is_sampled());
/// assert_eq!(f.to_u8(), 0x01);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct TraceFlags(u8);

impl TraceFlags {
    /// No flag set: the trace is not sampled.
    pub const NONE: TraceFlags = TraceFlags(0);
    /// The `sampled` flag (0x01).
    pub const SAMPLED: TraceFlags = TraceFlags(0x01);
    /// The Level 2 `random` flag (0x02): the trace id's right 56 bits are random.
    pub const RANDOM: TraceFlags = TraceFlags(0x02);

    /// Wraps a raw flags byte (unknown bits are kept).
    ///
    /// ```
    /// assert!(lantern::context::TraceFlags::from_u8(0x03).is_random());
    /// ```
    pub const fn from_u8(bits: u8) -> Self {
        TraceFlags(bits)
    }

    /// The raw byte.
    ///
    /// ```
    /// assert_eq!(lantern::context::TraceFlags::NONE.to_u8(), 0);
    /// ```
    pub const fn to_u8(self) -> u8 {
        self.0
    }

    /// Whether the sampled bit is set.
    ///
    /// ```
    /// assert!(!lantern::context::TraceFlags::NONE.is_sampled());
    /// ```
    pub const fn is_sampled(self) -> bool {
        self.0 & 0x01 != 0
    }

    /// Whether the random bit is set.
    ///
    /// ```
    /// assert!(lantern::context::TraceFlags::RANDOM.is_random());
    /// ```
    pub const fn is_random(self) -> bool {
        self.0 & 0x02 != 0
    }

    /// These flags with the sampled bit set to `sampled`.
    ///
    /// ```
    /// let f = lantern::context::TraceFlags::RANDOM.with_sampled(true);
    /// assert_eq!(f.to_u8(), 0x03);
    /// ```
    pub const fn with_sampled(self, sampled: bool) -> Self {
        if sampled { TraceFlags(self.0 | 0x01) } else { TraceFlags(self.0 & !0x01) }
    }
}

/// Trace id, span id, flags and tracestate of one span, local or remote.
///
/// ```
/// use lantern::context::{SpanContext, TraceFlags, TraceState};
/// use lantern::{SpanId, TraceId};
/// let cx = SpanContext::new(
///     TraceId::from_u128(1).unwrap(),
///     SpanId::from_u64(2).unwrap(),
///     TraceFlags::SAMPLED,
///     true,
///     TraceState::default(),
/// );
/// assert!(cx.is_remote() && cx.is_sampled());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct SpanContext {
    trace_id: TraceId,
    span_id: SpanId,
    flags: TraceFlags,
    is_remote: bool,
    trace_state: TraceState,
}

impl SpanContext {
    /// Builds a span context.
    ///
    /// ```
    /// # use lantern::*;
    /// # use lantern::context::*;
    /// let cx = SpanContext::new(TraceId::random(), SpanId::random(), TraceFlags::NONE, false, TraceState::default());
    /// assert!(!cx.is_sampled());
    /// ```
    pub fn new(
        trace_id: TraceId,
        span_id: SpanId,
        flags: TraceFlags,
        is_remote: bool,
        trace_state: TraceState,
    ) -> Self {
        SpanContext { trace_id, span_id, flags, is_remote, trace_state }
    }

    /// The trace id.
    ///
    /// ```
    /// # use lantern::*;
    /// # use lantern::context::*;
    /// let t = TraceId::random();
    /// let cx = SpanContext::new(t, SpanId::random(), TraceFlags::NONE, false, TraceState::default());
    /// assert_eq!(cx.trace_id(), t);
    /// ```
    pub fn trace_id(&self) -> TraceId {
        self.trace_id
    }

    /// The span id.
    ///
    /// ```
    /// # use lantern::*;
    /// # use lantern::context::*;
    /// let s = SpanId::random();
    /// let cx = SpanContext::new(TraceId::random(), s, TraceFlags::NONE, false, TraceState::default());
    /// assert_eq!(cx.span_id(), s);
    /// ```
    pub fn span_id(&self) -> SpanId {
        self.span_id
    }

    /// The trace flags.
    ///
    /// ```
    /// # use lantern::*;
    /// # use lantern::context::*;
    /// let cx = SpanContext::new(TraceId::random(), SpanId::random(), TraceFlags::RANDOM, false, TraceState::default());
    /// assert!(cx.flags().is_random());
    /// ```
    pub fn flags(&self) -> TraceFlags {
        self.flags
    }

    /// Whether the trace is sampled.
    ///
    /// ```
    /// # use lantern::*;
    /// # use lantern::context::*;
    /// let cx = SpanContext::new(TraceId::random(), SpanId::random(), TraceFlags::SAMPLED, false, TraceState::default());
    /// assert!(cx.is_sampled());
    /// ```
    pub fn is_sampled(&self) -> bool {
        self.flags.is_sampled()
    }

    /// Whether this context was extracted from another process.
    ///
    /// ```
    /// # use lantern::*;
    /// # use lantern::context::*;
    /// let cx = SpanContext::new(TraceId::random(), SpanId::random(), TraceFlags::NONE, true, TraceState::default());
    /// assert!(cx.is_remote());
    /// ```
    pub fn is_remote(&self) -> bool {
        self.is_remote
    }

    /// The W3C tracestate.
    ///
    /// ```
    /// # use lantern::*;
    /// # use lantern::context::*;
    /// let cx = SpanContext::new(TraceId::random(), SpanId::random(), TraceFlags::NONE, true, TraceState::default());
    /// assert!(cx.trace_state().is_empty());
    /// ```
    pub fn trace_state(&self) -> &TraceState {
        &self.trace_state
    }
}
