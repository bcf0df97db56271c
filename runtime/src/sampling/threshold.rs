//! OpenTelemetry's consistent probability sampling, as `tracestate` carries
//! it: the rejection threshold `th` and the explicit randomness `rv`,
//! sub-keys of the `ot` member (`ot=th:c;rv:3ad1e0a5c1f2b4`).
//!
//! A trace's *randomness* is 56 bits: the `rv` of its `ot` member when the
//! caller sent one, else the trace id's right-most 56 bits (random by W3C
//! Trace Context Level 2). A probability `p` is applied as a *rejection
//! threshold* `T = 2^56 - round(p * 2^56)`: a trace is sampled when its
//! randomness is at least `T`. So every process using the same probability
//! makes the same decision, and a trace kept at `p` is kept at any higher
//! probability.
//!
//! `th` is `T` as 14 lower-case hex digits with the trailing zeros removed
//! (`p = 1` is `th:0`, `0.25` is `th:c`, `0.1` is `th:e6666666666666`); it
//! is read back with the digits padded on the right. The adjusted count of
//! a sampled trace, how many traces it stands for, is `2^56 / (2^56 - T)`.
//!
//! The tracestate of a new trace is the same for every root sampled with the
//! same threshold, so it is kept per thread ([`fresh`]): a sampled root pays
//! a reference count, not an allocation.

use std::cell::RefCell;

use crate::ids::TraceId;
use crate::trace_state::TraceState;

/// `2^56`: the threshold that samples nothing, and the count of randomness
/// values.
const NEVER: u64 = 1 << 56;
/// The digits of a threshold or a randomness value.
const DIGITS: usize = 14;
/// The OpenTelemetry member of `tracestate`.
const OT: &str = "ot";
/// Thresholds whose new-trace tracestate each thread keeps.
const CACHED: usize = 8;

/// The rejection threshold that samples `probability` of traces (clamped to
/// `[0, 1]`, NaN is 0).
pub(crate) fn threshold(probability: f64) -> u64 {
    let p = if probability.is_nan() { 0.0 } else { probability.clamp(0.0, 1.0) };
    // `p * 2^56` is at most 2^56: exact in an f64 and in the cast.
    NEVER - (p * NEVER as f64).round() as u64
}

/// The randomness a decision compares with a threshold: the caller's `rv`
/// when `trace_state` has a valid one, else the trace id's right-most 56
/// bits.
pub(crate) fn randomness(trace_id: TraceId, trace_state: Option<&TraceState>) -> u64 {
    let rv = trace_state.and_then(|ts| sub_key(ts, "rv")).filter(|rv| rv.len() == DIGITS).and_then(parse_hex);
    rv.unwrap_or((trace_id.to_u128() as u64) & (NEVER - 1))
}

/// How many traces one sampled with threshold `t` stands for; `None` for a
/// threshold that samples nothing.
pub(crate) fn adjusted_count(t: u64) -> Option<f64> {
    (t < NEVER).then(|| NEVER as f64 / (NEVER - t) as f64)
}

/// What a `tracestate` says of its threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Th {
    /// No `th` sub-key.
    Absent,
    /// A valid one.
    Valid(u64),
    /// One that does not parse: ignored.
    Invalid,
}

/// The threshold in `trace_state`.
pub(crate) fn read(trace_state: &TraceState) -> Th {
    match sub_key(trace_state, "th") {
        None => Th::Absent,
        Some(th) => match (1..=DIGITS).contains(&th.len()).then(|| parse_hex(th)).flatten() {
            Some(t) => Th::Valid(t << (4 * (DIGITS - th.len()))),
            None => Th::Invalid,
        },
    }
}

/// `trace_state` with `th` set to `t` in its `ot` member, or removed for
/// `None` (or a threshold that samples nothing). The other `ot` sub-keys
/// (`rv`, ...) stay, in order, after `th`; the member moves to the front, as
/// a member changed does. When `th` would take the `ot` value past 256
/// characters, `th` is left out rather than the others.
pub(crate) fn with_threshold(trace_state: &TraceState, t: Option<u64>) -> TraceState {
    let others: Vec<&str> = trace_state
        .get(OT)
        .into_iter()
        .flat_map(|ot| ot.split(';'))
        .filter(|m| !m.is_empty() && !m.starts_with("th:"))
        .collect();
    let rest = others.join(";");
    let without = || if rest.is_empty() { trace_state.remove(OT) } else { keep(trace_state, &rest) };
    match t.filter(|&t| t < NEVER) {
        None => without(),
        Some(t) => {
            let digits = format!("{t:014x}");
            let th = match digits.trim_end_matches('0') {
                "" => "0",
                trimmed => trimmed,
            };
            let value = if rest.is_empty() { format!("th:{th}") } else { format!("th:{th};{rest}") };
            trace_state.insert(OT, &value).unwrap_or_else(|_| without())
        }
    }
}

/// `trace_state` with `ot=value`, or unchanged if that cannot be written.
fn keep(trace_state: &TraceState, value: &str) -> TraceState {
    trace_state.insert(OT, value).unwrap_or_else(|_| trace_state.clone())
}

/// The tracestate of a new trace sampled with threshold `t`: `ot=th:...`.
/// Each thread keeps the last few, so that a root sampled with the same
/// threshold as one before it shares its list.
pub(crate) fn fresh(t: u64) -> TraceState {
    thread_local! {
        static RECENT: RefCell<Vec<(u64, TraceState)>> = const { RefCell::new(Vec::new()) };
    }
    let make = || with_threshold(&TraceState::default(), Some(t));
    RECENT
        .try_with(|recent| {
            let Ok(mut recent) = recent.try_borrow_mut() else { return make() };
            if let Some((_, ts)) = recent.iter().find(|(k, _)| *k == t) {
                return ts.clone();
            }
            let ts = make();
            if recent.len() == CACHED {
                recent.remove(0);
            }
            recent.push((t, ts.clone()));
            ts
        })
        .unwrap_or_else(|_| make())
}

/// The value of `key` in the `ot` member: `ot=th:c;rv:...` has `th` = `c`.
fn sub_key<'a>(trace_state: &'a TraceState, key: &str) -> Option<&'a str> {
    let ot = trace_state.get(OT)?;
    ot.split(';').find_map(|member| member.strip_prefix(key)?.strip_prefix(':'))
}

/// Lower-case hex digits, at most 14 (the callers check the length).
fn parse_hex(digits: &str) -> Option<u64> {
    let valid = digits.len() <= DIGITS && digits.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    valid.then(|| u64::from_str_radix(digits, 16).ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(header: &str) -> TraceState {
        TraceState::parse_headers([header].into_iter()).unwrap().0
    }

    fn th(p: f64) -> String {
        fresh(threshold(p)).header_value()
    }

    #[test]
    fn thresholds_are_written_as_the_specification_shows() {
        assert_eq!(th(1.0), "ot=th:0");
        assert_eq!(th(0.5), "ot=th:8");
        assert_eq!(th(0.25), "ot=th:c");
        assert_eq!(th(0.1), "ot=th:e6666666666666");
        assert_eq!(th(0.01), "ot=th:fd70a3d70a3d71");
        assert_eq!(th(0.953125), "ot=th:0c", "leading zeros stay");
        assert!(fresh(threshold(0.0)).is_empty(), "never sampled: no threshold");
        assert_eq!(threshold(f64::NAN), NEVER);
    }

    #[test]
    fn thresholds_read_back_with_the_digits_padded() {
        for p in [1.0, 0.5, 0.25, 0.1, 0.01, 0.001, 1.0 / 3.0, 1e-9] {
            assert_eq!(read(&fresh(threshold(p))), Th::Valid(threshold(p)), "{p}");
        }
        assert_eq!(read(&state("ot=th:c")), Th::Valid(0xc << 52));
        assert_eq!(adjusted_count(0xc << 52), Some(4.0));
        assert_eq!(adjusted_count(NEVER), None);
        for bad in ["ot=th:", "ot=th:C", "ot=th:xyz", "ot=th:fffffffffffffff", "ot=th:-1"] {
            assert_eq!(read(&state(bad)), Th::Invalid, "{bad}");
        }
        assert_eq!(read(&state("ot=rv:00000000000001,other=th:c")), Th::Absent);
    }

    #[test]
    fn the_ot_member_keeps_its_other_keys_and_moves_to_the_front() {
        let ts = state("a=1,ot=rv:0123456789abcd;th:8;x:y,b=2");
        let set = with_threshold(&ts, Some(threshold(0.25)));
        assert_eq!(set.header_value(), "ot=th:c;rv:0123456789abcd;x:y,a=1,b=2");
        let erased = with_threshold(&ts, None);
        assert_eq!(erased.header_value(), "ot=rv:0123456789abcd;x:y,a=1,b=2");
        assert_eq!(with_threshold(&state("ot=th:8,a=1"), None).header_value(), "a=1");
        let long = format!("ot=k:{}", "v".repeat(250));
        assert_eq!(with_threshold(&state(&long), Some(0)).get("ot").map(str::len), Some(252), "no room: left out");
    }

    #[test]
    fn randomness_is_the_explicit_rv_or_the_trace_ids_last_56_bits() {
        let id = TraceId::from_u128(0x1234_5678_9abc_def0_1122_3344_5566_7788).unwrap();
        assert_eq!(randomness(id, None), 0x22_3344_5566_7788);
        assert_eq!(randomness(id, Some(&state("ot=rv:00000000000001"))), 1);
        assert_eq!(randomness(id, Some(&state("ot=rv:1"))), 0x22_3344_5566_7788, "rv is 14 digits exactly");
    }
}
