//! W3C `tracestate`: vendor-specific trace data carried beside the trace id.
//!
//! A `traceparent` says *which* trace a request belongs to; `tracestate`
//! lets each tracing vendor on the request's path add a little opaque data of
//! its own (a sampling decision, a tenant, an upstream id) without touching
//! the others'. Lantern does not interpret the members: it validates them,
//! keeps them in order, and propagates them with the span context.
//!
//! # Design
//!
//! - **Valid by construction.** Received headers are checked as they are
//!   parsed, and members added here by [`TraceState::insert`]; so any
//!   `TraceState` in the process can be injected as it is, and the values
//!   written are always valid header text.
//! - **Strict on receipt.** One broken rule drops the whole received list:
//!   a partly understood tracestate could attribute one vendor's data to
//!   another, so none is better than half. A key given twice is the one
//!   exception: the specification lets a vendor discard duplicates, so the
//!   first occurrence is kept and the later ones are dropped (and counted).
//! - **Immutable and shared.** A span context is copied into every child
//!   span and every record, so [`TraceState`] is one reference-counted list,
//!   and "changing" it makes a new one. The empty state holds no allocation.
//!
//! The grammar and limits are listed on [`TraceState`], where the public
//! documentation shows them.

use std::fmt;
use std::sync::Arc;

/// The most members a `tracestate` may have.
const MAX_MEMBERS: usize = 32;

/// An ordered, immutable list of `tracestate` members, newest first.
///
/// # The rules enforced (W3C Trace Context Level 2, section 3.3)
///
/// - At most 32 list members. A received header with more is dropped whole;
///   [`TraceState::insert`] into a full list drops the last (oldest) member.
/// - A key is `( lcalpha / DIGIT ) 0*255 ( keychar )` with `keychar =
///   lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"`: a lower-case letter or
///   digit, then up to 255 of those or `_-*/@`. So `@` may appear anywhere
///   after the first character (`tenant@system`, `a@b@c`, `vendor@`); the
///   older grammar that split keys into a tenant and a system is gone.
/// - A value is 1 to 256 printable ASCII characters (0x20 to 0x7E) other
///   than `,` and `=`, and does not end with a space.
/// - Optional white space (spaces and tabs) may surround each member, so a
///   received `k=v ` is the member `k=v`; empty members (`a=1,,b=2`) are
///   skipped.
/// - One malformed member drops the whole header: half a tracestate could
///   misattribute vendor data, so none is better.
/// - A key given twice keeps its first occurrence; the later ones are
///   dropped (and counted, as
///   [`tracestate_duplicate_dropped`](crate::propagation::RejectedCounts::tracestate_duplicate_dropped)),
///   not the whole header. Only kept members count towards the 32.
/// - Several `tracestate` header values are one list, combined in order.
/// - A member added or updated moves to the front: the list is newest first.
///
/// ```
/// let ts = lantern::context::TraceState::default().insert("vendor", "value").unwrap();
/// assert_eq!(ts.get("vendor"), Some("value"));
/// assert_eq!(ts.header_value(), "vendor=value");
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct TraceState {
    /// `None` when empty, so the common case costs no allocation.
    members: Option<Arc<[(String, String)]>>,
}

/// Why a `tracestate` key, value or header was refused.
///
/// ```
/// let err = lantern::context::TraceState::default().insert("Upper", "v").unwrap_err();
/// assert_eq!(err.to_string(), "invalid tracestate key: expected [a-z0-9][_0-9a-z-*/@]{0,255}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceStateError {
    kind: ErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorKind {
    Key,
    Value,
    Member,
    TooMany,
}

impl fmt::Display for TraceStateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.kind {
            ErrorKind::Key => "invalid tracestate key: expected [a-z0-9][_0-9a-z-*/@]{0,255}",
            ErrorKind::Value => {
                "invalid tracestate value: expected 1 to 256 printable ASCII characters, \
                 no ',' or '=', not ending in a space"
            }
            ErrorKind::Member => "invalid tracestate member: expected key=value",
            ErrorKind::TooMany => "tracestate has more than 32 members",
        })
    }
}

impl std::error::Error for TraceStateError {}

fn err(kind: ErrorKind) -> TraceStateError {
    TraceStateError { kind }
}

fn is_key_char(b: u8) -> bool {
    matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'*' | b'/' | b'@')
}

/// `( lcalpha / DIGIT ) 0*255 ( keychar )`.
fn valid_key(key: &str) -> bool {
    match key.as_bytes().split_first() {
        Some((&first, rest)) => {
            (first.is_ascii_lowercase() || first.is_ascii_digit())
                && rest.len() <= 255
                && rest.iter().all(|&c| is_key_char(c))
        }
        None => false,
    }
}

fn valid_value(value: &str) -> bool {
    let b = value.as_bytes();
    (1..=256).contains(&b.len())
        && b.iter().all(|&c| (0x20..=0x7e).contains(&c) && c != b',' && c != b'=')
        && b.last() != Some(&b' ')
}

fn from_members(members: Vec<(String, String)>) -> TraceState {
    TraceState { members: (!members.is_empty()).then(|| members.into()) }
}

impl TraceState {
    /// The value of `key`, if present.
    ///
    /// ```
    /// let ts = lantern::context::TraceState::default().insert("congo", "t61rcWkgMzE").unwrap();
    /// assert_eq!(ts.get("congo"), Some("t61rcWkgMzE"));
    /// assert_eq!(ts.get("rojo"), None);
    /// ```
    pub fn get(&self, key: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// A copy with `key=value` at the front, replacing any older value of
    /// `key`. If that makes 33 members, the last one is dropped. Fails on a
    /// key or value that breaks the grammar (see [`TraceState`]).
    ///
    /// ```
    /// let ts = lantern::context::TraceState::default().insert("a", "1").unwrap().insert("b", "2").unwrap();
    /// assert_eq!(ts.header_value(), "b=2,a=1");
    /// let ts = ts.insert("a", "3").unwrap();
    /// assert_eq!(ts.header_value(), "a=3,b=2");
    /// assert!(ts.insert("a", "trailing space ").is_err());
    /// ```
    pub fn insert(&self, key: &str, value: &str) -> Result<TraceState, TraceStateError> {
        if !valid_key(key) {
            return Err(err(ErrorKind::Key));
        }
        if !valid_value(value) {
            return Err(err(ErrorKind::Value));
        }
        let mut members = Vec::with_capacity((self.len() + 1).min(MAX_MEMBERS));
        members.push((key.to_owned(), value.to_owned()));
        members.extend(
            self.iter().filter(|(k, _)| *k != key).take(MAX_MEMBERS - 1).map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        Ok(from_members(members))
    }

    /// A copy without `key` (the same list if `key` is absent).
    ///
    /// ```
    /// let ts = lantern::context::TraceState::default().insert("a", "1").unwrap().insert("b", "2").unwrap();
    /// assert_eq!(ts.remove("a").header_value(), "b=2");
    /// assert!(ts.remove("a").remove("b").is_empty());
    /// ```
    pub fn remove(&self, key: &str) -> TraceState {
        if self.get(key).is_none() {
            return self.clone();
        }
        from_members(self.iter().filter(|(k, _)| *k != key).map(|(k, v)| (k.to_owned(), v.to_owned())).collect())
    }

    /// The members in order, newest first.
    ///
    /// ```
    /// let ts = lantern::context::TraceState::default().insert("a", "1").unwrap();
    /// assert_eq!(ts.iter().collect::<Vec<_>>(), [("a", "1")]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.members.iter().flat_map(|m| m.iter()).map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The number of members, at most 32.
    ///
    /// ```
    /// let ts = lantern::context::TraceState::default().insert("a", "1").unwrap();
    /// assert_eq!(ts.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.members.as_ref().map_or(0, |m| m.len())
    }

    /// Whether there is no member.
    ///
    /// ```
    /// assert!(lantern::context::TraceState::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.members.is_none()
    }

    /// The `tracestate` header value, `k1=v1,k2=v2`; empty when there is no
    /// member (and then the header is not sent at all).
    ///
    /// ```
    /// let ts = lantern::context::TraceState::default().insert("rojo", "00f067aa0ba902b7").unwrap();
    /// assert_eq!(ts.header_value(), "rojo=00f067aa0ba902b7");
    /// assert_eq!(lantern::context::TraceState::default().header_value(), "");
    /// ```
    pub fn header_value(&self) -> String {
        let mut out = String::with_capacity(self.iter().map(|(k, v)| k.len() + v.len() + 2).sum());
        for (i, (k, v)) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(k);
            out.push('=');
            out.push_str(v);
        }
        out
    }

    /// Parses one or more received `tracestate` header values as one list,
    /// in order. Any rule broken fails the whole list, except a repeated
    /// key, whose later occurrences are dropped: their number is returned
    /// beside the list. See [`TraceState`]. Public as
    /// [`crate::propagation::parse_tracestate`].
    pub(crate) fn parse_headers<'a>(
        values: impl Iterator<Item = &'a str>,
    ) -> Result<(TraceState, usize), TraceStateError> {
        let mut members: Vec<(String, String)> = Vec::new();
        let mut duplicates = 0;
        for value in values {
            for member in value.split(',') {
                let member = member.trim_matches([' ', '\t']);
                if member.is_empty() {
                    continue;
                }
                let (k, v) = member.split_once('=').ok_or(err(ErrorKind::Member))?;
                if !valid_key(k) {
                    return Err(err(ErrorKind::Key));
                }
                if !valid_value(v) {
                    return Err(err(ErrorKind::Value));
                }
                if members.iter().any(|(key, _)| key == k) {
                    duplicates += 1;
                    continue;
                }
                if members.len() == MAX_MEMBERS {
                    return Err(err(ErrorKind::TooMany));
                }
                members.push((k.to_owned(), v.to_owned()));
            }
        }
        Ok((from_members(members), duplicates))
    }
}

impl fmt::Debug for TraceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceState({:?})", self.header_value())
    }
}
