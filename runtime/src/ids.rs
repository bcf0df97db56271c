//! Trace and span identifiers.
//!
//! A [`TraceId`] is 128 bits and a [`SpanId`] 64 bits, as W3C Trace Context and
//! OTLP define them. Both are never zero: zero is the "invalid" id of the
//! specifications, and the parsers in [`crate::propagation`] reject it.
//!
//! New ids come from a per-thread generator (a wyrand stream seeded from the
//! standard library's random hasher keys), so making an id costs a couple of
//! nanoseconds and never touches shared state.

use std::cell::Cell;
use std::fmt;
use std::hash::Hasher;

/// A 128-bit trace id, shared by every span of one trace.
///
/// ```
/// let id = lantern::TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
/// assert_eq!(id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraceId(u128);

/// A 64-bit span id, unique within its trace.
///
/// ```
/// let id = lantern::SpanId::from_hex("00f067aa0ba902b7").unwrap();
/// assert_eq!(id.to_u64(), 0x00f0_67aa_0ba9_02b7);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpanId(u64);

impl TraceId {
    /// Wraps a raw value; `None` for the invalid all-zero id.
    ///
    /// ```
    /// assert!(lantern::TraceId::from_u128(0).is_none());
    /// assert!(lantern::TraceId::from_u128(1).is_some());
    /// ```
    pub const fn from_u128(value: u128) -> Option<Self> {
        if value == 0 { None } else { Some(Self(value)) }
    }

    /// The raw value.
    ///
    /// ```
    /// let id = lantern::TraceId::from_u128(42).unwrap();
    /// assert_eq!(id.to_u128(), 42);
    /// ```
    pub const fn to_u128(self) -> u128 {
        self.0
    }

    /// The 16 bytes in network (big-endian) order, as OTLP carries them.
    ///
    /// ```
    /// let id = lantern::TraceId::from_u128(1).unwrap();
    /// assert_eq!(id.to_bytes()[15], 1);
    /// ```
    pub const fn to_bytes(self) -> [u8; 16] {
        self.0.to_be_bytes()
    }

    /// Parses 32 lower-case hex digits; `None` for anything else or all zeros.
    ///
    /// ```
    /// assert!(lantern::TraceId::from_hex("4BF92F3577B34DA6A3CE929D0E0E4736").is_none());
    /// ```
    pub fn from_hex(hex: &str) -> Option<Self> {
        parse_lower_hex(hex, 32).and_then(Self::from_u128)
    }

    /// A fresh random trace id.
    ///
    /// ```
    /// assert_ne!(lantern::TraceId::random(), lantern::TraceId::random());
    /// ```
    pub fn random() -> Self {
        let hi = next_random_u64() as u128;
        let lo = next_random_u64() as u128;
        // Never zero: a zero draw from both halves is replaced by 1.
        Self(((hi << 64) | lo).max(1))
    }
}

impl SpanId {
    /// Wraps a raw value; `None` for the invalid all-zero id.
    ///
    /// ```
    /// assert!(lantern::SpanId::from_u64(0).is_none());
    /// ```
    pub const fn from_u64(value: u64) -> Option<Self> {
        if value == 0 { None } else { Some(Self(value)) }
    }

    /// The raw value.
    ///
    /// ```
    /// assert_eq!(lantern::SpanId::from_u64(7).unwrap().to_u64(), 7);
    /// ```
    pub const fn to_u64(self) -> u64 {
        self.0
    }

    /// The 8 bytes in network (big-endian) order, as OTLP carries them.
    ///
    /// ```
    /// assert_eq!(lantern::SpanId::from_u64(1).unwrap().to_bytes()[7], 1);
    /// ```
    pub const fn to_bytes(self) -> [u8; 8] {
        self.0.to_be_bytes()
    }

    /// Parses 16 lower-case hex digits; `None` for anything else or all zeros.
    ///
    /// ```
    /// assert!(lantern::SpanId::from_hex("0000000000000000").is_none());
    /// ```
    pub fn from_hex(hex: &str) -> Option<Self> {
        parse_lower_hex(hex, 16).and_then(|v| Self::from_u64(v as u64))
    }

    /// A fresh random span id.
    ///
    /// ```
    /// assert_ne!(lantern::SpanId::random(), lantern::SpanId::random());
    /// ```
    pub fn random() -> Self {
        Self(next_random_u64().max(1))
    }
}

fn parse_lower_hex(hex: &str, len: usize) -> Option<u128> {
    if hex.len() != len {
        return None;
    }
    let mut value: u128 = 0;
    for b in hex.bytes() {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            _ => return None,
        };
        value = (value << 4) | digit as u128;
    }
    Some(value)
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({:032x})", self.0)
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanId({:016x})", self.0)
    }
}

thread_local! {
    static RNG: Cell<u64> = Cell::new(seed());
}

fn seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_usize(&RNG as *const _ as usize);
    hasher.finish() | 1
}

/// wyrand: one multiply per draw, good statistical quality, per thread.
pub(crate) fn next_random_u64() -> u64 {
    RNG.with(|state| {
        let s = state.get().wrapping_add(0xa076_1d64_78bd_642f);
        state.set(s);
        let t = u128::from(s) * u128::from(s ^ 0xe703_7ed1_a0b4_28db);
        ((t >> 64) as u64) ^ (t as u64)
    })
}

/// The error from parsing a [`TraceId`] or [`SpanId`] from text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseIdError(());

impl fmt::Display for ParseIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a valid id: expected lower-case hex of the right length, not all zeros")
    }
}

impl std::error::Error for ParseIdError {}

impl std::str::FromStr for TraceId {
    type Err = ParseIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TraceId::from_hex(s).ok_or(ParseIdError(()))
    }
}

impl std::str::FromStr for SpanId {
    type Err = ParseIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SpanId::from_hex(s).ok_or(ParseIdError(()))
    }
}

/// A hasher for keys that are random already (trace and span ids, the
/// precomputed hash of a `metrics::Key`): hashing them again is waste.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Not used by id keys; FNV-1a keeps it correct for anything else.
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 ^= v;
    }
    fn write_u128(&mut self, v: u128) {
        self.0 ^= (v as u64) ^ ((v >> 64) as u64);
    }
}
