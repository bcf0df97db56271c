//! W3C Baggage: key-value pairs that travel with a trace across processes.
//!
//! A [`Baggage`] is a cheap-to-clone, copy-on-write list of members. An empty
//! one holds no allocation, so spans without baggage pay nothing for it.
//!
//! The W3C limits are enforced when setting an entry: at most 64 members,
//! and at most 8192 bytes once serialised as a `baggage` header. Keys are
//! RFC 7230 tokens; values are any text (percent-encoded on the wire).

use std::sync::Arc;

/// At most this many members.
pub(crate) const MAX_MEMBERS: usize = 64;
/// At most this many bytes in the serialised header.
pub(crate) const MAX_BYTES: usize = 8192;

/// One baggage member: a key, a value and optional properties (`;prop;k=v`).
///
/// ```
/// let mut b = lantern::Baggage::default();
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
    /// let mut b = lantern::Baggage::default();
    /// b.insert("k", "v").unwrap();
    /// assert_eq!(b.iter().next().unwrap().key(), "k");
    /// ```
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The value, decoded.
    ///
    /// ```
    /// let mut b = lantern::Baggage::default();
    /// b.insert("k", "a b").unwrap();
    /// assert_eq!(b.entry("k").unwrap().value(), "a b");
    /// ```
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The raw properties after the value, without the leading `;`.
    ///
    /// ```
    /// let mut b = lantern::Baggage::default();
    /// b.insert("k", "v").unwrap();
    /// assert_eq!(b.entry("k").unwrap().properties(), None);
    /// ```
    pub fn properties(&self) -> Option<&str> {
        self.properties.as_deref()
    }

    /// Bytes this member takes in a `baggage` header.
    pub(crate) fn encoded_len(&self) -> usize {
        self.key.len()
            + 1
            + crate::propagation::encode_baggage_value(&self.value).len()
            + self.properties.as_ref().map_or(0, |p| p.len() + 1)
    }

    pub(crate) fn new(key: String, value: String, properties: Option<String>) -> Self {
        BaggageEntry { key, value, properties }
    }
}

/// A cheaply cloned set of baggage members.
///
/// ```
/// let mut b = lantern::Baggage::default();
/// b.insert("customer", "123").unwrap();
/// assert_eq!(b.get("customer"), Some("123"));
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Baggage {
    members: Option<Arc<Vec<BaggageEntry>>>,
}

/// Why a baggage entry was refused.
///
/// ```
/// let err = lantern::Baggage::default().insert("bad key", "v").unwrap_err();
/// assert!(err.to_string().contains("key"));
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

impl std::fmt::Display for BaggageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.kind {
            ErrorKind::Key => "invalid baggage key: expected an RFC 7230 token",
            ErrorKind::Properties => "invalid baggage properties: expected `;`-separated tokens or key=value",
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
}

/// RFC 7230 `token`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn valid_properties(props: &str) -> bool {
    props.split(';').all(|p| {
        let p = p.trim_matches(|c| c == ' ' || c == '\t');
        match p.split_once('=') {
            Some((k, v)) => {
                is_token(k.trim_end()) && v.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b',' && b != b';')
            }
            None => is_token(p),
        }
    })
}

impl Baggage {
    /// The value of `key`.
    ///
    /// ```
    /// assert_eq!(lantern::Baggage::default().get("k"), None);
    /// ```
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entry(key).map(|e| e.value())
    }

    /// The whole member for `key`.
    ///
    /// ```
    /// assert!(lantern::Baggage::default().entry("k").is_none());
    /// ```
    pub fn entry(&self, key: &str) -> Option<&BaggageEntry> {
        self.iter().find(|e| e.key == key)
    }

    /// Sets `key` to `value`; see [`Baggage::insert_with_properties`].
    ///
    /// ```
    /// let mut b = lantern::Baggage::default();
    /// b.insert("k", "v1").unwrap();
    /// b.insert("k", "v2").unwrap();
    /// assert_eq!((b.len(), b.get("k")), (1, Some("v2")));
    /// ```
    pub fn insert(&mut self, key: &str, value: &str) -> Result<(), BaggageError> {
        self.insert_with_properties(key, value, None)
    }

    /// Sets `key` to `value` with raw properties (`ttl=30;private`). Fails,
    /// changing nothing, on an invalid key or properties, or when the result
    /// would break the W3C limits (64 members, 8192 bytes).
    ///
    /// ```
    /// let mut b = lantern::Baggage::default();
    /// assert!(b.insert("big", &"x".repeat(9000)).is_err());
    /// assert!(b.is_empty());
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
        let count = others.clone().count() + 1;
        if count > MAX_MEMBERS {
            return Err(BaggageError { kind: ErrorKind::TooMany });
        }
        let bytes: usize = others.map(|e| e.encoded_len() + 1).sum::<usize>() + entry.encoded_len();
        if bytes > MAX_BYTES {
            return Err(BaggageError { kind: ErrorKind::TooLarge });
        }
        let members = Arc::make_mut(self.members.get_or_insert_with(Default::default));
        members.retain(|e| e.key != key);
        members.push(entry);
        Ok(())
    }

    /// Removes `key`.
    ///
    /// ```
    /// let mut b = lantern::Baggage::default();
    /// b.insert("k", "v").unwrap();
    /// b.remove("k");
    /// assert!(b.is_empty());
    /// ```
    pub fn remove(&mut self, key: &str) {
        if self.entry(key).is_some() {
            if let Some(members) = self.members.as_mut() {
                Arc::make_mut(members).retain(|e| e.key != key);
            }
        }
    }

    /// Members in insertion order.
    ///
    /// ```
    /// assert_eq!(lantern::Baggage::default().iter().count(), 0);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &BaggageEntry> + Clone {
        self.members.iter().flat_map(|m| m.iter())
    }

    /// Number of members.
    ///
    /// ```
    /// assert_eq!(lantern::Baggage::default().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.members.as_ref().map_or(0, |m| m.len())
    }

    /// Whether there is no member.
    ///
    /// ```
    /// assert!(lantern::Baggage::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a member parsed from a header, without re-validating it.
    pub(crate) fn push_parsed(&mut self, entry: BaggageEntry) {
        let members = Arc::make_mut(self.members.get_or_insert_with(Default::default));
        members.retain(|e| e.key != entry.key);
        members.push(entry);
    }
}

impl std::fmt::Debug for Baggage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter().map(|e| (e.key(), e.value()))).finish()
    }
}
