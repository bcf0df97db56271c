//! Small text helpers shared by the recorders and the readers.

/// Bytes of a name (span name, root name, label) that tell names apart;
/// longer names are cut there wherever they are counted or shown.
pub(crate) const MAX_NAME_BYTES: usize = 256;

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
