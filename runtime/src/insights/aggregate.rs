//! The aggregator: the graph's bounded tables, fed by the trace completion
//! hook on the ingest thread and read by the handle and `/metrics`.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Arc;

use foldhash::fast::FixedState;
use parking_lot::Mutex;

use super::extract::{Found, Request, extract};
use super::graph::{ConnectionType, Edge, LatencyHistogram, PathEdge, ServiceGraph, Unpaired};
use super::worker::{AnalysedTrace, Analysis};
use crate::metrics::labels::bounded_value;

/// At most this many (client, server, connection type) edges.
pub(crate) const MAX_EDGES: usize = 1000;
/// At most this many (entry, client, server, connection type) edges.
pub(crate) const MAX_PATH_EDGES: usize = 4000;
/// At most this many (client, server, connection type) unpaired series.
pub(crate) const MAX_UNPAIRED: usize = 1000;

/// An edge's key: (entry, client, server, connection type); the entry is
/// empty in the table of plain edges.
type Key = (String, String, String, ConnectionType);

#[derive(Default)]
struct Counts {
    requests: u64,
    failed: u64,
    client: LatencyHistogram,
    server: LatencyHistogram,
}

/// A table of edges in first-seen order, bounded. Looked up by a hash of
/// the borrowed names, so that counting a known edge allocates nothing.
struct Table {
    /// Rows by the hash of their key (a rare collision shares the list).
    index: HashMap<u64, Vec<usize>, FixedState>,
    rows: Vec<(Key, Counts)>,
    max: usize,
    overflow: u64,
}

impl Table {
    fn new(max: usize) -> Table {
        Table { index: HashMap::with_hasher(FixedState::default()), rows: Vec::new(), max, overflow: 0 }
    }

    /// The row of `key`, made if there is room.
    fn row(&mut self, entry: &str, client: &str, server: &str, ct: ConnectionType) -> Option<&mut Counts> {
        let (entry, client, server) = (bounded(entry), bounded(client), bounded(server));
        let hash = FixedState::default().hash_one((entry, client, server, ct));
        let same = |(e, c, s, t): &Key| e == entry && c == client && s == server && *t == ct;
        let found = self.index.get(&hash).and_then(|rows| rows.iter().copied().find(|&i| same(&self.rows[i].0)));
        let i = match found {
            Some(i) => i,
            None if self.rows.len() < self.max => {
                let key = (entry.to_owned(), client.to_owned(), server.to_owned(), ct);
                self.index.entry(hash).or_default().push(self.rows.len());
                self.rows.push((key, Counts::default()));
                self.rows.len() - 1
            }
            None => return None,
        };
        Some(&mut self.rows[i].1)
    }

    fn add(&mut self, entry: &str, r: &Request<'_>) {
        let Some(c) = self.row(entry, r.client, r.server, r.connection_type) else {
            self.overflow += 1;
            return;
        };
        c.requests += 1;
        c.failed += u64::from(r.failed);
        c.client.record(r.client_seconds);
        c.server.record(r.server_seconds);
    }

    fn edges(&self) -> impl Iterator<Item = (&str, Edge)> {
        self.rows.iter().map(|((entry, client, server, ct), c)| {
            let edge = Edge {
                client: client.clone(),
                server: server.clone(),
                connection_type: *ct,
                requests: c.requests,
                failed: c.failed,
                client_latency: c.client.clone(),
                server_latency: c.server.clone(),
            };
            (entry.as_str(), edge)
        })
    }
}

fn bounded(name: &str) -> &str {
    bounded_value(name).0
}

struct Tables {
    edges: Table,
    paths: Table,
    /// Unpaired spans: the key's entry is empty and the counts' `requests`
    /// count the spans.
    unpaired: Table,
    traces: u64,
}

/// The service graph's state: a [`TraceListener`] that the builder installs
/// ([`Builder::service_graph`](crate::Builder::service_graph)), read through
/// the handle and by the metrics store.
pub(crate) struct GraphState {
    /// The resource's service name, for spans with none of their own.
    service: Arc<str>,
    tables: Mutex<Tables>,
    /// When counting began.
    started: std::time::Instant,
}

impl GraphState {
    pub(crate) fn new(service: &str) -> GraphState {
        GraphState::with_bounds(service, MAX_EDGES, MAX_PATH_EDGES, MAX_UNPAIRED)
    }

    pub(crate) fn with_bounds(service: &str, edges: usize, paths: usize, unpaired: usize) -> GraphState {
        let tables =
            Tables { edges: Table::new(edges), paths: Table::new(paths), unpaired: Table::new(unpaired), traces: 0 };
        GraphState { service: service.into(), tables: Mutex::new(tables), started: std::time::Instant::now() }
    }

    /// Adds what one trace holds: extraction outside the lock, then one
    /// short lock to count.
    fn add(&self, found: &Found<'_>) {
        let mut t = self.tables.lock();
        t.traces += 1;
        for r in &found.requests {
            t.edges.add("", r);
            t.paths.add(found.entry, r);
        }
        for u in &found.unpaired {
            match t.unpaired.row("", u.client, u.server, u.connection_type) {
                Some(c) => c.requests += 1,
                None => t.unpaired.overflow += 1,
            }
        }
    }

    /// A copy of the graph now.
    pub(crate) fn snapshot(&self) -> ServiceGraph {
        let t = self.tables.lock();
        ServiceGraph {
            edges: t.edges.edges().map(|(_, e)| e).collect(),
            paths: t.paths.edges().map(|(entry, edge)| PathEdge { entry: entry.to_owned(), edge }).collect(),
            unpaired: t
                .unpaired
                .rows
                .iter()
                .map(|((_, client, server, ct), c)| Unpaired {
                    client: client.clone(),
                    server: server.clone(),
                    connection_type: *ct,
                    spans: c.requests,
                })
                .collect(),
            traces: t.traces,
            elapsed: self.started.elapsed(),
            edges_overflow: t.edges.overflow,
            paths_overflow: t.paths.overflow,
            unpaired_overflow: t.unpaired.overflow,
        }
    }
}

impl Analysis for GraphState {
    fn analyse(&self, trace: &AnalysedTrace<'_>) {
        let entry = trace.done.trace.root().map_or("", |r| &r.name);
        let found = extract(&trace.tree, entry, &self.service);
        self.add(&found);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(client: &'a str, server: &'a str) -> Request<'a> {
        Request {
            client,
            server,
            connection_type: ConnectionType::Plain,
            failed: true,
            client_seconds: 0.003,
            server_seconds: 20.0,
        }
    }

    #[test]
    fn requests_past_the_caps_are_counted_as_overflow() {
        let g = GraphState::with_bounds("svc", 1, 2, 1);
        let found = Found {
            entry: "GET /",
            requests: vec![request("a", "b"), request("a", "c"), request("a", "b")],
            unpaired: Vec::new(),
        };
        g.add(&found);
        let s = g.snapshot();
        assert_eq!(s.edges.len(), 1);
        assert_eq!((s.edges[0].requests, s.edges[0].failed), (2, 2));
        assert_eq!(s.edges_overflow, 1);
        assert_eq!(s.paths.len(), 2);
        assert_eq!(s.paths_overflow, 0);
        // 3 ms falls in the 4 ms bucket, 20 s past the last bound.
        assert_eq!(s.edges[0].client_latency.buckets[1], 2);
        assert_eq!(s.edges[0].server_latency.buckets[16], 2);
    }

    #[test]
    fn long_names_are_cut() {
        let g = GraphState::new("svc");
        let long = "x".repeat(10_000);
        g.add(&Found { entry: &long, requests: vec![request(&long, "b")], unpaired: Vec::new() });
        let s = g.snapshot();
        assert!(s.edges[0].client.len() <= crate::metrics::labels::MAX_LABEL_VALUE_BYTES);
        assert!(s.paths[0].entry.len() <= crate::metrics::labels::MAX_LABEL_VALUE_BYTES);
    }
}
