//! Text as records keep it, and small text helpers shared by the recorders
//! and the readers.
//!
//! [`Text`] is what a string attribute or a log body holds. Short text (up
//! to 24 bytes: most field values, most messages) is stored inline, in the
//! record itself, so recording it allocates nothing; a `&'static str` is
//! borrowed whatever its length; only longer owned text goes to the heap.

use std::borrow::{Borrow, Cow};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use compact_str::CompactString;

/// Bytes of a name (span name, root name, label) that tell names apart;
/// longer names are cut there wherever they are counted or shown.
pub(crate) const MAX_NAME_BYTES: usize = 256;

/// A duration as people read it: `850 µs`, `12.3 ms`, `4.20 s`.
pub(crate) fn human_duration(d: std::time::Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1000.0 {
        format!("{us:.0} µs")
    } else if us < 1e6 {
        format!("{:.1} ms", us / 1000.0)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

/// `s` cut to at most `max` bytes, at a character boundary.
pub(crate) fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// An immutable string of a record: inline up to 24 bytes, borrowed when
/// `'static`, on the heap otherwise. It reads as a `&str`.
///
/// ```
/// use lantern::record::Text;
/// let short = Text::new("GET /customer");
/// assert_eq!(short, "GET /customer");
/// assert_eq!(short.len(), 13);
/// assert_eq!(Text::from(String::from("owned")).as_str(), "owned");
/// ```
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Text(CompactString);

impl Text {
    /// Text copied from `s`: inline when it is 24 bytes or fewer.
    ///
    /// ```
    /// assert_eq!(lantern::record::Text::new("a"), "a");
    /// ```
    pub fn new(s: &str) -> Text {
        Text(CompactString::new(s))
    }

    /// Text that borrows a `&'static str` (or holds it inline when short):
    /// never allocates.
    ///
    /// ```
    /// const NAME: lantern::record::Text = lantern::record::Text::from_static("checkout");
    /// assert_eq!(NAME, "checkout");
    /// ```
    pub const fn from_static(s: &'static str) -> Text {
        Text(CompactString::const_new(s))
    }

    /// The text.
    ///
    /// ```
    /// assert_eq!(lantern::record::Text::new("x").as_str(), "x");
    /// ```
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Heap bytes this text holds (0 when inline or static).
    pub(crate) fn heap_size(&self) -> usize {
        if self.0.is_heap_allocated() { self.0.capacity() } else { 0 }
    }

    /// An empty text to write into (inline until it outgrows 24 bytes).
    pub(crate) fn builder() -> CompactString {
        CompactString::const_new("")
    }

    pub(crate) fn from_compact(s: CompactString) -> Text {
        Text(s)
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.0.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.0.as_str()
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.0.as_str()
    }
}

impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<&'static str> for Text {
    fn from(s: &'static str) -> Text {
        Text::from_static(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        // Short strings move inline (the `String` is freed); long ones keep
        // their buffer.
        Text(CompactString::from(s))
    }
}

impl From<Cow<'static, str>> for Text {
    fn from(s: Cow<'static, str>) -> Text {
        match s {
            Cow::Borrowed(s) => Text::from_static(s),
            Cow::Owned(s) => Text::from(s),
        }
    }
}

impl From<Text> for String {
    fn from(t: Text) -> String {
        t.0.into_string()
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<Cow<'_, str>> for Text {
    fn eq(&self, other: &Cow<'_, str>) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<Text> for str {
    fn eq(&self, other: &Text) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        *self == other.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::Text;

    #[test]
    fn short_text_is_inline_and_static_text_is_borrowed() {
        assert_eq!(Text::new("0123456789abcdef01234567").heap_size(), 0, "24 bytes fit inline");
        assert!(Text::new(&"x".repeat(25)).heap_size() >= 25, "25 bytes go to the heap");
        assert_eq!(Text::from_static("a static str longer than twenty-four bytes").heap_size(), 0);
        assert_eq!(Text::from(String::from("short")).heap_size(), 0);
    }
}
