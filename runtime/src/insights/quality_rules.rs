//! The semantic-convention table of the tracing-quality checks: which
//! attributes a span of a kind and a convention family must have (see the
//! [module docs](super#tracing-quality)).
//!
//! A span's families are read from its attributes: `rpc.system` makes it
//! `rpc`; a `messaging.*` attribute, or the producer or consumer kind,
//! `messaging`; a `db.*` attribute `db`; an `http.*` or `url.*` attribute
//! `http`. A span can be in several (an HTTP call to a database is `http`
//! and `db`): each family's rules apply. A span in none (an internal span,
//! a client span of a protocol the table does not know) needs nothing.

use crate::record::{SpanKind, SpanRecord, Value};

/// The attribute the middleware sets on a server or consumer span that
/// started a new trace although the request carried tracing headers; its
/// value says which (`invalid_traceparent`, `tracestate_only`,
/// `other_propagator`, `baggage_only`).
pub(crate) const CONTEXT_LOST: &str = "lantern.context_lost";

/// A convention family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    Http,
    Rpc,
    Db,
    Messaging,
}

impl Family {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Family::Http => "http",
            Family::Rpc => "rpc",
            Family::Db => "db",
            Family::Messaging => "messaging",
        }
    }
}

/// One required attribute: its name, and older names that count as it.
pub(crate) struct Required {
    pub(crate) family: Family,
    pub(crate) kind: SpanKind,
    pub(crate) attribute: &'static str,
    pub(crate) older: &'static [&'static str],
}

const fn req(family: Family, kind: SpanKind, attribute: &'static str, older: &'static [&'static str]) -> Required {
    Required { family, kind, attribute, older }
}

/// The table, small on purpose: what the OpenTelemetry semantic
/// conventions mark *required* and a reader of a trace misses most.
pub(crate) const REQUIRED: [Required; 11] = [
    req(Family::Http, SpanKind::Server, "http.request.method", &["http.method"]),
    req(Family::Http, SpanKind::Server, "http.route", &[]),
    req(Family::Http, SpanKind::Client, "http.request.method", &["http.method"]),
    req(Family::Http, SpanKind::Client, "server.address", &["net.peer.name"]),
    req(Family::Http, SpanKind::Client, "url.full", &["http.url"]),
    req(Family::Rpc, SpanKind::Server, "rpc.service", &[]),
    req(Family::Rpc, SpanKind::Server, "rpc.method", &[]),
    req(Family::Rpc, SpanKind::Client, "rpc.service", &[]),
    req(Family::Rpc, SpanKind::Client, "rpc.method", &[]),
    req(Family::Db, SpanKind::Client, "db.system", &["db.system.name"]),
    // Producer, consumer, and a client of a broker (a Kafka poll, say).
    req(Family::Messaging, SpanKind::Client, "messaging.system", &[]),
];

/// The messaging rule for producer and consumer spans (the table's last
/// row applies to them too).
const MESSAGING_KINDS: [SpanKind; 3] = [SpanKind::Client, SpanKind::Producer, SpanKind::Consumer];

/// The families a span is in, as a bit set over [`Family`].
fn families(s: &SpanRecord) -> [bool; 4] {
    let mut f = [false; 4];
    for kv in s.attributes.iter() {
        let k = &*kv.key;
        f[0] |= k.starts_with("http.") || k.starts_with("url.");
        f[1] |= k == "rpc.system";
        f[2] |= k.starts_with("db.");
        f[3] |= k.starts_with("messaging.");
    }
    f[3] |= matches!(s.kind, SpanKind::Producer | SpanKind::Consumer);
    f
}

fn has(s: &SpanRecord, key: &str) -> bool {
    match s.attribute(key) {
        Some(Value::Str(v)) => !v.as_str().is_empty(),
        Some(_) => true,
        None => false,
    }
}

/// Calls `missing(i)` for each row `i` of [`REQUIRED`] that `s` breaks.
pub(crate) fn missing(s: &SpanRecord, mut missing: impl FnMut(usize)) {
    if s.kind == SpanKind::Internal {
        return;
    }
    let f = families(s);
    for (i, r) in REQUIRED.iter().enumerate() {
        let in_family = f[r.family as usize];
        let kind = if r.family == Family::Messaging { MESSAGING_KINDS.contains(&s.kind) } else { r.kind == s.kind };
        if in_family && kind && !has(s, r.attribute) && !r.older.iter().any(|o| has(s, o)) {
            missing(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::KeyValue;

    fn span(kind: SpanKind, attrs: &[(&'static str, &'static str)]) -> SpanRecord {
        let mut s = SpanRecord::new(crate::sampling::test_metadata());
        s.kind = kind;
        s.attributes = attrs.iter().map(|&(k, v)| KeyValue::new(k, v)).collect();
        s
    }

    fn names(s: &SpanRecord) -> Vec<&'static str> {
        let mut out = Vec::new();
        missing(s, |i| out.push(REQUIRED[i].attribute));
        out
    }

    #[test]
    fn http_server_needs_method_and_route() {
        assert_eq!(names(&span(SpanKind::Server, &[("http.request.method", "GET")])), ["http.route"]);
        let full = span(SpanKind::Server, &[("http.request.method", "GET"), ("http.route", "/a")]);
        assert!(names(&full).is_empty());
        assert_eq!(names(&span(SpanKind::Server, &[("http.method", "GET"), ("http.route", "")])), ["http.route"]);
    }

    #[test]
    fn families_combine_and_unknown_spans_need_nothing() {
        let s = span(SpanKind::Client, &[("url.full", "http://es:9200/_search"), ("db.operation.name", "search")]);
        assert_eq!(names(&s), ["http.request.method", "server.address", "db.system"]);
        assert!(names(&span(SpanKind::Client, &[])).is_empty());
        assert!(names(&span(SpanKind::Internal, &[("http.route", "/")])).is_empty());
        assert_eq!(names(&span(SpanKind::Producer, &[])), ["messaging.system"]);
        assert_eq!(names(&span(SpanKind::Server, &[("rpc.system", "grpc")])), ["rpc.service", "rpc.method"]);
    }
}
