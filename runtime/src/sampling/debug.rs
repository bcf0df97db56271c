//! Requests to force a trace to be sampled (debug traces), wherever they
//! come from: the `lantern.debug` span field, a server layer's debug header,
//! the `lantern-debug` baggage entry; and the debug id that names such a
//! trace so that it can be found again.
//!
//! A header or baggage value of `1` or `true` (any case) asks to force the
//! trace; `0`, `false` and the empty value do not; any other value asks too
//! and is the trace's *debug id* (`lantern-debug: ticket-123`), recorded on
//! its root span as [`DEBUG_ID_ATTRIBUTE`]. An id is untrusted input: it is
//! cut to 64 bytes, and every character that is not printable ASCII is
//! replaced by `_`.

use crate::baggage::Baggage;
use crate::text::Text;

/// The baggage entry that asks for a forced trace, when the process honours
/// it ([`crate::Builder::debug_baggage`]); its value is read as the debug
/// header's is (see the [module docs](crate::sampling)).
///
/// ```
/// assert_eq!(lantern::sampling::DEBUG_BAGGAGE_KEY, "lantern-debug");
/// ```
pub const DEBUG_BAGGAGE_KEY: &str = "lantern-debug";

/// The attribute holding a forced trace's debug id, on its root span: the
/// value of the debug header or baggage entry when it is not `1` or `true`,
/// or a `lantern.debug_id` field. Kept whatever the attribute cap; search
/// for it with [`TraceQuery::debug_id`](crate::buffer::TraceQuery::debug_id)
/// or `/debug/traces?debug_id=...`.
///
/// ```
/// let lantern = lantern::builder().try_init_local();
/// tracing::info_span!("checkout", lantern.debug = true, lantern.debug_id = "ticket-7").in_scope(|| {});
/// let root = lantern.buffer().snapshot().spans_named("checkout", 1).remove(0);
/// assert_eq!(root.attribute(lantern::sampling::DEBUG_ID_ATTRIBUTE).unwrap().as_str(), Some("ticket-7"));
/// ```
pub const DEBUG_ID_ATTRIBUTE: &str = "lantern.debug_id";

/// The longest debug id kept, in bytes.
const MAX_DEBUG_ID_BYTES: usize = 64;

/// What a root span asks of forcing: to be forced, and a debug id.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct DebugRequest {
    /// Sample the trace, within the cap of forced traces.
    pub(crate) forced: bool,
    /// The id to record on the root.
    pub(crate) id: Option<Text>,
}

impl DebugRequest {
    /// A header or baggage value read as a request (see the module docs):
    /// `None` when it does not ask.
    pub(crate) fn parse(value: &str) -> Option<DebugRequest> {
        let value = value.trim();
        if value.is_empty() || value == "0" || value.eq_ignore_ascii_case("false") {
            return None;
        }
        let plain = value == "1" || value.eq_ignore_ascii_case("true");
        Some(DebugRequest { forced: true, id: if plain { None } else { debug_id(value) } })
    }

    /// The request of a [`DEBUG_BAGGAGE_KEY`] entry in `baggage`.
    pub(crate) fn from_baggage(baggage: &Baggage) -> Option<DebugRequest> {
        baggage.get(DEBUG_BAGGAGE_KEY).and_then(DebugRequest::parse)
    }

    /// This request, completed by `other`: forced if either is, this id if
    /// there is one, else the other's.
    pub(crate) fn or(self, other: Option<DebugRequest>) -> DebugRequest {
        match other {
            None => self,
            Some(other) => DebugRequest { forced: self.forced || other.forced, id: self.id.or(other.id) },
        }
    }
}

/// `value` as a debug id: trimmed, each character that is not printable
/// ASCII replaced by `_`, cut to 64 bytes; `None` when nothing is left.
pub(crate) fn debug_id(value: &str) -> Option<Text> {
    let mut id = String::with_capacity(value.len().min(MAX_DEBUG_ID_BYTES));
    for c in value.trim().chars().take(MAX_DEBUG_ID_BYTES) {
        id.push(if c == ' ' || c.is_ascii_graphic() { c } else { '_' });
    }
    let id = id.trim_end();
    (!id.is_empty()).then(|| Text::new(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(value: &str) -> Option<Option<String>> {
        DebugRequest::parse(value).map(|r| r.id.map(String::from))
    }

    #[test]
    fn values_ask_plainly_with_an_id_or_not_at_all() {
        for plain in ["1", "true", " TRUE ", "True"] {
            assert_eq!(id(plain), Some(None), "{plain:?}");
        }
        for no in ["", " ", "0", "false", "FALSE"] {
            assert_eq!(id(no), None, "{no:?}");
        }
        assert_eq!(id("ticket-123"), Some(Some("ticket-123".into())));
        assert_eq!(id(" a b "), Some(Some("a b".into())));
    }

    #[test]
    fn ids_are_printable_ascii_and_bounded() {
        assert_eq!(debug_id("tick\u{e9}t\n1\u{7f}").as_deref(), Some("tick_t_1_"));
        assert_eq!(debug_id(&"x".repeat(1000)).map(|t| t.len()), Some(64));
        assert_eq!(debug_id(&"\u{e9}".repeat(100)).map(|t| t.len()), Some(64), "one byte per character kept");
        assert_eq!(debug_id("   "), None);
    }

    #[test]
    fn a_request_takes_what_it_lacks_from_another() {
        let field = DebugRequest { forced: true, id: None };
        let baggage = DebugRequest::parse("t-1");
        assert_eq!(field.clone().or(baggage.clone()), DebugRequest { forced: true, id: Some(Text::new("t-1")) });
        let named = DebugRequest { forced: false, id: Some(Text::new("mine")) };
        assert_eq!(named.or(baggage).id.as_deref(), Some("mine"));
        assert_eq!(field.clone().or(None), field);
    }
}
