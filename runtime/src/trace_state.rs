//! W3C `tracestate`: vendor-specific trace data carried beside the trace id.
//!
//! The rules enforced, from W3C Trace Context Level 2:
//!
//! - at most 32 list members; a header with more is dropped whole;
//! - keys are `[a-z0-9][_0-9a-z\-*/]{0,255}`, or multi-tenant
//!   `tenant@system` with tenant `[a-z0-9][_0-9a-z\-*/]{0,240}` and system
//!   `[a-z][_0-9a-z\-*/]{0,13}`;
//! - values are 1 to 256 printable ASCII characters (0x20-0x7E) other than
//!   `,` and `=`, and do not end with a space;
//! - optional white space around members; empty members are skipped;
//! - one bad member, or a key given twice, drops the whole header;
//! - several `tracestate` headers are one list, combined in order;
//! - a member added or updated moves to the front (the newest first).

use std::sync::Arc;

const MAX_MEMBERS: usize = 32;

/// An ordered, immutable list of `tracestate` members (newest first).
///
/// ```
/// let ts = lantern::TraceState::default().insert("vendor", "value").unwrap();
/// assert_eq!(ts.get("vendor"), Some("value"));
/// assert_eq!(ts.header_value(), "vendor=value");
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct TraceState {
    members: Option<Arc<[(String, String)]>>,
}

/// Why a `tracestate` key, value or header was refused.
///
/// ```
/// let err = lantern::TraceState::default().insert("Upper", "v").unwrap_err();
/// assert!(err.to_string().contains("key"));
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
    Duplicate,
    TooMany,
}

impl std::fmt::Display for TraceStateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.kind {
            ErrorKind::Key => "invalid tracestate key",
            ErrorKind::Value => "invalid tracestate value",
            ErrorKind::Member => "invalid tracestate member: expected key=value",
            ErrorKind::Duplicate => "tracestate key given twice",
            ErrorKind::TooMany => "tracestate has more than 32 members",
        })
    }
}

impl std::error::Error for TraceStateError {}

fn err(kind: ErrorKind) -> TraceStateError {
    TraceStateError { kind }
}

fn is_key_char(b: u8) -> bool {
    matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'*' | b'/')
}

fn valid_simple_key(key: &str, max: usize, first_digit_ok: bool) -> bool {
    let b = key.as_bytes();
    let first_ok = match b.first() {
        Some(c) if c.is_ascii_lowercase() => true,
        Some(c) if c.is_ascii_digit() => first_digit_ok,
        _ => false,
    };
    first_ok && b.len() <= max && b[1..].iter().all(|&c| is_key_char(c))
}

fn valid_key(key: &str) -> bool {
    match key.split_once('@') {
        None => valid_simple_key(key, 256, true),
        Some((tenant, system)) => valid_simple_key(tenant, 241, true) && valid_simple_key(system, 14, false),
    }
}

fn valid_value(value: &str) -> bool {
    let b = value.as_bytes();
    (1..=256).contains(&b.len())
        && b.iter().all(|&c| (0x20..=0x7e).contains(&c) && c != b',' && c != b'=')
        && b.last() != Some(&b' ')
}

impl TraceState {
    /// The value of `key`, if present.
    ///
    /// ```
    /// assert_eq!(lantern::TraceState::default().get("k"), None);
    /// ```
    pub fn get(&self, key: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// A copy with `key=value` moved to the front (replacing an older value);
    /// the last member is dropped if that makes 33.
    ///
    /// ```
    /// let ts = lantern::TraceState::default().insert("a", "1").unwrap().insert("b", "2").unwrap();
    /// assert_eq!(ts.header_value(), "b=2,a=1");
    /// ```
    pub fn insert(&self, key: &str, value: &str) -> Result<TraceState, TraceStateError> {
        if !valid_key(key) {
            return Err(err(ErrorKind::Key));
        }
        if !valid_value(value) {
            return Err(err(ErrorKind::Value));
        }
        let mut members: Vec<(String, String)> = vec![(key.to_owned(), value.to_owned())];
        members.extend(self.iter().filter(|(k, _)| *k != key).map(|(k, v)| (k.to_owned(), v.to_owned())));
        members.truncate(MAX_MEMBERS);
        Ok(TraceState { members: Some(members.into()) })
    }

    /// A copy without `key`.
    ///
    /// ```
    /// let ts = lantern::TraceState::default().insert("a", "1").unwrap().remove("a");
    /// assert!(ts.is_empty());
    /// ```
    pub fn remove(&self, key: &str) -> TraceState {
        let members: Vec<_> = self.iter().filter(|(k, _)| *k != key).map(|(k, v)| (k.into(), v.into())).collect();
        if members.is_empty() { TraceState::default() } else { TraceState { members: Some(members.into()) } }
    }

    /// The members in order, newest first.
    ///
    /// ```
    /// let ts = lantern::TraceState::default().insert("a", "1").unwrap();
    /// assert_eq!(ts.iter().collect::<Vec<_>>(), [("a", "1")]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.members.iter().flat_map(|m| m.iter()).map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of members.
    ///
    /// ```
    /// assert_eq!(lantern::TraceState::default().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.members.as_ref().map_or(0, |m| m.len())
    }

    /// Whether there is no member.
    ///
    /// ```
    /// assert!(lantern::TraceState::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The header value, `k1=v1,k2=v2`.
    ///
    /// ```
    /// assert_eq!(lantern::TraceState::default().header_value(), "");
    /// ```
    pub fn header_value(&self) -> String {
        let mut out = String::new();
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

    /// Parses one or more `tracestate` header values, combined in order.
    ///
    /// ```
    /// let ts = lantern::TraceState::parse_headers(["a=1", " b=2 ,,c=3"]).unwrap();
    /// assert_eq!(ts.header_value(), "a=1,b=2,c=3");
    /// assert!(lantern::TraceState::parse_headers(["a=1,a=2"]).is_err());
    /// ```
    pub fn parse_headers<'a>(values: impl IntoIterator<Item = &'a str>) -> Result<TraceState, TraceStateError> {
        let mut members: Vec<(String, String)> = Vec::new();
        for value in values {
            for member in value.split(',') {
                let member = member.trim_matches(|c| c == ' ' || c == '\t');
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
                    return Err(err(ErrorKind::Duplicate));
                }
                if members.len() == MAX_MEMBERS {
                    return Err(err(ErrorKind::TooMany));
                }
                members.push((k.to_owned(), v.to_owned()));
            }
        }
        Ok(if members.is_empty() { TraceState::default() } else { TraceState { members: Some(members.into()) } })
    }
}

impl std::fmt::Debug for TraceState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TraceState({:?})", self.header_value())
    }
}
