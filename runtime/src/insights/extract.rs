//! Edge extraction: what one completed trace says about who called whom,
//! with the OpenTelemetry Collector `servicegraph` connector's semantics
//! (see the [module docs](super)).

use std::sync::Arc;

use super::graph::ConnectionType;
use super::tree::TraceTree;
use crate::record::{SpanKind, SpanRecord, Value};

/// The attributes a virtual node is named from, in order.
const PEER_ATTRIBUTES: [&str; 6] =
    ["peer.service", "db.system", "db.name", "db.namespace", "server.address", "messaging.system"];

/// The client of a server span with no parent at all, as the connector
/// names it.
pub(crate) const USER: &str = "user";

/// One request found in a trace.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Request<'a> {
    pub(crate) client: &'a str,
    pub(crate) server: &'a str,
    pub(crate) connection_type: ConnectionType,
    pub(crate) failed: bool,
    pub(crate) client_seconds: f64,
    pub(crate) server_seconds: f64,
}

/// One span that could not be paired; the unknown side is empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Unpaired<'a> {
    pub(crate) client: &'a str,
    pub(crate) server: &'a str,
    pub(crate) connection_type: ConnectionType,
}

/// What one trace holds.
#[derive(Debug, Default)]
pub(crate) struct Found<'a> {
    /// The root span's name (empty when the trace has no root here).
    pub(crate) entry: &'a str,
    pub(crate) requests: Vec<Request<'a>>,
    pub(crate) unpaired: Vec<Unpaired<'a>>,
}

/// The requests and unpaired spans of the trace indexed by `tree`, whose
/// entry operation is `entry`; `default_service` names the spans with no
/// `service.name` of their own. One pass over the tree's index, one to
/// pair: linear in the trace's size, and no hashing.
pub(crate) fn extract<'a>(tree: &TraceTree<'a>, entry: &'a str, default_service: &'a str) -> Found<'a> {
    let spans = &tree.spans;
    let mut found = Found { entry, ..Found::default() };
    // The first server or consumer child of each span (a producer's other
    // consumer children are paired from their side, below).
    let mut receiver_of: Vec<Option<usize>> = vec![None; spans.len()];
    for (i, s) in spans.iter().enumerate() {
        if let (true, Some(p)) = (is_receiver(s.kind), tree.parent[i]) {
            receiver_of[p].get_or_insert(i);
        }
    }
    let service = |s: &'a Arc<SpanRecord>| s.service.as_deref().unwrap_or(default_service);
    for (i, &s) in spans.iter().enumerate() {
        match s.kind {
            SpanKind::Client | SpanKind::Producer => match receiver_of[i] {
                Some(r) => found.requests.push(pair(service(s), s, service(spans[r]), spans[r])),
                None => match virtual_node(s) {
                    Some((server, connection_type)) => {
                        let client_seconds = s.duration().as_secs_f64();
                        let database = connection_type == ConnectionType::Database;
                        found.requests.push(Request {
                            client: service(s),
                            server,
                            connection_type,
                            failed: s.is_error(),
                            client_seconds,
                            server_seconds: if database { client_seconds } else { 0.0 },
                        });
                    }
                    None => found.unpaired.push(Unpaired {
                        client: service(s),
                        server: "",
                        connection_type: connection(s.kind),
                    }),
                },
            },
            SpanKind::Server | SpanKind::Consumer => {
                let caller = tree.parent[i];
                match (s.parent_span_id, caller) {
                    // Paired above, from the client's side (unless another
                    // receiver took that client: then this one is unpaired).
                    (Some(_), Some(c)) if is_caller(spans[c].kind) && receiver_of[c] == Some(i) => {}
                    // A message handed to several consumers (a fan-out to
                    // consumer groups): each is a request of the producer.
                    (Some(_), Some(c)) if spans[c].kind == SpanKind::Producer && s.kind == SpanKind::Consumer => {
                        found.requests.push(pair(service(spans[c]), spans[c], service(s), s));
                    }
                    // A request from outside anything traced.
                    (None, _) => found.requests.push(Request {
                        client: USER,
                        server: service(s),
                        connection_type: ConnectionType::VirtualNode,
                        failed: s.is_error(),
                        client_seconds: 0.0,
                        server_seconds: s.duration().as_secs_f64(),
                    }),
                    // The caller is in another process, or is not a client.
                    _ => found.unpaired.push(Unpaired {
                        client: "",
                        server: service(s),
                        connection_type: connection(s.kind),
                    }),
                }
            }
            SpanKind::Internal => {}
        }
    }
    found
}

/// The request from `client` (a client or producer span) that `server` (its
/// server or consumer child) received.
fn pair<'a>(client_service: &'a str, client: &SpanRecord, server_service: &'a str, server: &SpanRecord) -> Request<'a> {
    let messaging = client.kind == SpanKind::Producer || server.kind == SpanKind::Consumer;
    Request {
        client: client_service,
        server: server_service,
        connection_type: if messaging { ConnectionType::MessagingSystem } else { ConnectionType::Plain },
        failed: client.is_error() || server.is_error(),
        client_seconds: client.duration().as_secs_f64(),
        server_seconds: server.duration().as_secs_f64(),
    }
}

fn is_receiver(kind: SpanKind) -> bool {
    matches!(kind, SpanKind::Server | SpanKind::Consumer)
}

fn is_caller(kind: SpanKind) -> bool {
    matches!(kind, SpanKind::Client | SpanKind::Producer)
}

fn connection(kind: SpanKind) -> ConnectionType {
    match kind {
        SpanKind::Producer | SpanKind::Consumer => ConnectionType::MessagingSystem,
        _ => ConnectionType::Plain,
    }
}

/// The virtual node a client span with no server reaches: named from the
/// first of [`PEER_ATTRIBUTES`] it has; a database when it has `db.system`
/// or `db.name`.
pub(crate) fn virtual_node(s: &SpanRecord) -> Option<(&str, ConnectionType)> {
    let text = |key: &str| s.attribute(key).and_then(Value::as_str).filter(|v| !v.is_empty());
    let name = PEER_ATTRIBUTES.iter().find_map(|k| text(k))?;
    let database = text("db.system").is_some() || text("db.name").is_some();
    Some((name, if database { ConnectionType::Database } else { ConnectionType::VirtualNode }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buffer::snapshot::Trace;
    use crate::ids::{SpanId, TraceId};
    use crate::record::KeyValue;

    fn span(
        id: u64,
        parent: Option<u64>,
        kind: SpanKind,
        service: &str,
        attrs: &[(&'static str, &'static str)],
    ) -> Arc<SpanRecord> {
        let mut s = SpanRecord::new(crate::sampling::test_metadata());
        s.name = format!("op{id}").into();
        s.span_id = SpanId::from_u64(id).unwrap();
        s.parent_span_id = parent.and_then(SpanId::from_u64);
        s.kind = kind;
        s.service = Some(service.into());
        s.attributes = attrs.iter().map(|&(k, v)| KeyValue::new(k, v)).collect();
        Arc::new(s)
    }

    fn trace(spans: Vec<Arc<SpanRecord>>) -> Trace {
        Trace { trace_id: TraceId::from_u128(1).unwrap(), spans, dropped_spans: 0 }
    }

    /// What `t` holds, entered by its root.
    fn found_in(t: &Trace) -> Found<'_> {
        let entry = t.root().map_or("", |r| &r.name);
        extract(&TraceTree::new(t), entry, "x")
    }

    #[test]
    fn a_client_and_its_server_make_one_request_and_nothing_unpaired() {
        let t = trace(vec![
            span(1, None, SpanKind::Internal, "front", &[]),
            span(2, Some(1), SpanKind::Client, "front", &[]),
            span(3, Some(2), SpanKind::Server, "back", &[]),
        ]);
        let found = found_in(&t);
        assert_eq!(found.entry, "op1");
        assert_eq!(found.requests.len(), 1);
        assert_eq!((found.requests[0].client, found.requests[0].server), ("front", "back"));
        assert!(found.unpaired.is_empty());
    }

    #[test]
    fn a_second_server_under_one_client_is_unpaired() {
        let t = trace(vec![
            span(2, None, SpanKind::Client, "front", &[]),
            span(3, Some(2), SpanKind::Server, "back", &[]),
            span(4, Some(2), SpanKind::Server, "back", &[]),
        ]);
        let found = found_in(&t);
        assert_eq!(found.requests.len(), 1);
        assert_eq!(
            found.unpaired,
            vec![Unpaired { client: "", server: "back", connection_type: ConnectionType::Plain }]
        );
    }

    #[test]
    fn peer_attributes_name_virtual_nodes_in_order() {
        let t = trace(vec![span(1, None, SpanKind::Client, "a", &[("db.name", "orders"), ("peer.service", "pg")])]);
        let r = &found_in(&t).requests[0];
        assert_eq!((r.server, r.connection_type), ("pg", ConnectionType::Database));
        assert_eq!(r.server_seconds, r.client_seconds);
    }
}
