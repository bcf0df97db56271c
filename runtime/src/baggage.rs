//! W3C Baggage: key-value pairs that travel with a trace across processes.
//!
//! Baggage is application data (a customer id, a tenant, a feature flag)
//! that every service on a request's path can read without each passing it
//! on by hand. Lantern keeps it on the span: spans inherit their parent's
//! baggage, and the propagators carry it in the `baggage` header.
//!
//! A [`Baggage`] is a cheap-to-clone, copy-on-write list of members. An empty
//! one holds no allocation, so spans without baggage pay nothing for it, and
//! a child span shares its parent's list until one of them changes it.
//!
//! # Design
//!
//! - **Valid by construction.** Every way in checks the grammar and the
//!   limits: [`Baggage::insert`] refuses what would break them, and the
//!   header parser drops it. So any `Baggage` can be injected as it is, and
//!   the header written never passes the limits of the receiving side.
//! - **Lenient on receipt.** Baggage is best effort: one malformed member
//!   from a peer costs that member, not the rest.
//!
//! The grammar and limits are listed on [`Baggage`], where the public
//! documentation shows them.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// At most this many members.
pub(crate) const MAX_MEMBERS: usize = 64;
/// At most this many bytes in the serialised header.
pub(crate) const MAX_BYTES: usize = 8192;

/// One baggage member: a key, a value and optional properties (`ttl=30;private`).
///
/// ```
/// let mut b = lantern::context::Baggage::default();
/// b.insert_with_properties("k", "v", Some("ttl=30")).unwrap();
/// assert_eq!(b.entry("k").unwrap().properties(), Some("ttl=30"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BaggageEntry {
    key: String,
    value: String,
    properties: Option<String>,
}

impl BaggageEntry {
    /// The key.
    ///
    /// ```
    /// let mut b = lantern::context::Baggage::default();
    /// b.insert("k", "v").unwrap();
    /// assert_eq!(b.iter().next().unwrap().key(), "k");
    /// ```
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The value, decoded.
    ///
    /// ```
    /// let b = lantern::propagation::parse_baggage(["k=a%20b"]);
    /// assert_eq!(b.entry("k").unwrap().value(), "a b");
    /// ```
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The raw properties after the value, without the leading `;`.
    ///
    /// ```
    /// let b = lantern::propagation::parse_baggage(["k=v;ttl=30;private"]);
    /// assert_eq!(b.entry("k").unwrap().properties(), Some("ttl=30;private"));
    /// ```
    pub fn properties(&self) -> Option<&str> {
        self.properties.as_deref()
    }

    /// Bytes this member takes in a `baggage` header.
    pub(crate) fn encoded_len(&self) -> usize {
        self.key.len() + 1 + encoded_value_len(&self.value) + self.properties.as_ref().map_or(0, |p| p.len() + 1)
    }

    /// A member whose key and properties the caller has validated.
    pub(crate) fn new(key: String, value: String, properties: Option<String>) -> Self {
        BaggageEntry { key, value, properties }
    }
}

/// A cheaply cloned, copy-on-write set of baggage members, in insertion order.
///
/// # The rules enforced (W3C Baggage)
///
/// - Keys are RFC 7230 tokens: letters, digits and ``!#$%&'*+-.^_`|~``.
/// - Values are any text; the `baggage` header carries them percent-encoded.
/// - Properties (`;ttl=30;private`) are `;`-separated tokens or
///   `token=value` pairs, the value made of `baggage-octet`s (printable
///   ASCII but space, `"`, `,`, `;` and `\`); they are kept raw, not decoded.
/// - At most 64 members, and at most 8192 bytes once serialised as a
///   `baggage` header. [`Baggage::insert`] refuses, changing nothing, an entry
///   that would pass either limit; the propagators drop (and count) received
///   members that would.
///
/// ```
/// let mut b = lantern::context::Baggage::default();
/// b.insert("customer", "123").unwrap();
/// let copy = b.clone(); // shares the list
/// b.insert("tenant", "acme").unwrap(); // copies it
/// assert_eq!((copy.len(), b.len()), (1, 2));
/// ```
#[derive(Clone, Default)]
pub struct Baggage {
    /// `None` when empty: an empty baggage never allocates.
    members: Option<Arc<Vec<BaggageEntry>>>,
}

/// Why a baggage entry was refused.
///
/// ```
/// let err = lantern::context::Baggage::default().insert("bad key", "v").unwrap_err();
/// assert_eq!(err.to_string(), "invalid baggage key: expected an RFC 7230 token");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaggageError {
    kind: ErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorKind {
    Key,
    Properties,
    TooMany,
    TooLarge,
    NoSpan,
}

impl fmt::Display for BaggageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.kind {
            ErrorKind::Key => "invalid baggage key: expected an RFC 7230 token",
            ErrorKind::Properties => "invalid baggage properties: expected `;`-separated tokens or token=value",
            ErrorKind::TooMany => "baggage would exceed 64 members",
            ErrorKind::TooLarge => "baggage would exceed 8192 bytes",
            ErrorKind::NoSpan => "there is no current span to carry baggage",
        })
    }
}

impl std::error::Error for BaggageError {}

impl BaggageError {
    pub(crate) fn no_current_span() -> Self {
        BaggageError { kind: ErrorKind::NoSpan }
    }

    /// Whether the entry was refused for the 64-member or 8192-byte limit.
    pub(crate) fn is_over_limit(&self) -> bool {
        matches!(self.kind, ErrorKind::TooMany | ErrorKind::TooLarge)
    }
}

/// RFC 7230 `token`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// W3C `baggage-octet`: printable ASCII but space, `"`, `,`, `;` and `\`.
pub(crate) fn is_baggage_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2b | 0x2d..=0x3a | 0x3c..=0x5b | 0x5d..=0x7e)
}

pub(crate) fn trim_ows(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

/// `property *( OWS ";" OWS property )`, each property `token` or
/// `token OWS "=" OWS *baggage-octet`.
pub(crate) fn valid_properties(props: &str) -> bool {
    props.split(';').all(|p| match trim_ows(p).split_once('=') {
        Some((k, v)) => is_token(trim_ows(k)) && trim_ows(v).bytes().all(is_baggage_octet),
        None => is_token(trim_ows(p)),
    })
}

impl Baggage {
    /// The value of `key`.
    ///
    /// ```
    /// let b = lantern::propagation::parse_baggage(["customer=ann"]);
    /// assert_eq!(b.get("customer"), Some("ann"));
    /// assert_eq!(b.get("tenant"), None);
    /// ```
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entry(key).map(|e| e.value())
    }

    /// The whole member for `key`.
    ///
    /// ```
    /// let b = lantern::propagation::parse_baggage(["k=v;private"]);
    /// assert_eq!(b.entry("k").unwrap().properties(), Some("private"));
    /// ```
    pub fn entry(&self, key: &str) -> Option<&BaggageEntry> {
        self.iter().find(|e| e.key == key)
    }

    /// Sets `key` to `value`; see [`Baggage::insert_with_properties`].
    ///
    /// ```
    /// let mut b = lantern::context::Baggage::default();
    /// b.insert("k", "v1").unwrap();
    /// b.insert("k", "v2").unwrap();
    /// assert_eq!((b.len(), b.get("k")), (1, Some("v2")));
    /// ```
    pub fn insert(&mut self, key: &str, value: &str) -> Result<(), BaggageError> {
        self.insert_with_properties(key, value, None)
    }

    /// Sets `key` to `value` with raw properties (`ttl=30;private`); an
    /// existing `key` is replaced and moves to the end. Fails, changing
    /// nothing, on an invalid key or properties, or when the result would
    /// break the W3C limits (64 members, 8192 bytes serialised).
    ///
    /// ```
    /// let mut b = lantern::context::Baggage::default();
    /// let err = b.insert("big", &"x".repeat(9000)).unwrap_err();
    /// assert_eq!(err.to_string(), "baggage would exceed 8192 bytes");
    /// assert!(b.is_empty());
    /// assert!(b.insert_with_properties("k", "v", Some("bad prop")).is_err());
    /// ```
    pub fn insert_with_properties(
        &mut self,
        key: &str,
        value: &str,
        properties: Option<&str>,
    ) -> Result<(), BaggageError> {
        if !is_token(key) {
            return Err(BaggageError { kind: ErrorKind::Key });
        }
        if properties.is_some_and(|p| !valid_properties(p)) {
            return Err(BaggageError { kind: ErrorKind::Properties });
        }
        let entry = BaggageEntry::new(key.into(), value.into(), properties.map(Into::into));
        let others = self.iter().filter(|e| e.key != key);
        if others.clone().count() + 1 > MAX_MEMBERS {
            return Err(BaggageError { kind: ErrorKind::TooMany });
        }
        // Each other member plus its ',' separator, then the new member.
        let bytes: usize = others.map(|e| e.encoded_len() + 1).sum::<usize>() + entry.encoded_len();
        if bytes > MAX_BYTES {
            return Err(BaggageError { kind: ErrorKind::TooLarge });
        }
        let members = Arc::make_mut(self.members.get_or_insert_with(Default::default));
        members.retain(|e| e.key != key);
        members.push(entry);
        Ok(())
    }

    /// Removes `key`, returning its member if it was there.
    ///
    /// ```
    /// let mut b = lantern::context::Baggage::default();
    /// b.insert("k", "v").unwrap();
    /// assert_eq!(b.remove("k").unwrap().value(), "v");
    /// assert!(b.is_empty() && b == lantern::context::Baggage::default());
    /// ```
    pub fn remove(&mut self, key: &str) -> Option<BaggageEntry> {
        let index = self.iter().position(|e| e.key == key)?;
        let members = Arc::make_mut(self.members.as_mut()?);
        let removed = members.remove(index);
        if members.is_empty() {
            self.members = None;
        }
        Some(removed)
    }

    /// Members in insertion order.
    ///
    /// ```
    /// let b = lantern::propagation::parse_baggage(["a=1,b=2"]);
    /// assert_eq!(b.iter().map(|e| e.key()).collect::<Vec<_>>(), ["a", "b"]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &BaggageEntry> + Clone {
        self.members.iter().flat_map(|m| m.iter())
    }

    /// Number of members, at most 64.
    ///
    /// ```
    /// assert_eq!(lantern::propagation::parse_baggage(["a=1,b=2"]).len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.members.as_ref().map_or(0, |m| m.len())
    }

    /// Whether there is no member.
    ///
    /// ```
    /// assert!(lantern::context::Baggage::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Baggage holding `members`, which the caller keeps within the limits
    /// and free of duplicate keys.
    pub(crate) fn from_members(members: Vec<BaggageEntry>) -> Self {
        Baggage { members: (!members.is_empty()).then(|| Arc::new(members)) }
    }
}

impl PartialEq for Baggage {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Baggage {}

impl Hash for Baggage {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.len());
        self.iter().for_each(|e| e.hash(state));
    }
}

impl fmt::Debug for Baggage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter().map(|e| (e.key(), e.value()))).finish()
    }
}

/// Everything outside the W3C `baggage-octet` set (0x21, 0x23-0x2B,
/// 0x2D-0x3A, 0x3C-0x5B, 0x5D-0x7E), and `%` itself. Non-ASCII bytes are
/// always encoded.
pub(crate) const NOT_BAGGAGE_OCTET: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b',').add(b';').add(b'\\').add(b'%');

/// The length of `value` percent-encoded, without building the string.
pub(crate) fn encoded_value_len(value: &str) -> usize {
    utf8_percent_encode(value, NOT_BAGGAGE_OCTET).map(str::len).sum()
}
