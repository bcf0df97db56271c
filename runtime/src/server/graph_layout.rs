//! Where `/debug/graph` draws each node: by depth from the graph's sources,
//! left to right, one column a depth.
//!
//! A node's depth is its distance from a *source*, a node no edge points
//! to (`user`, or the entry service), found breadth first; a node that no
//! source reaches (it sits on a cycle of calls) starts a walk of its own at
//! depth 0. Every node gets exactly one place, whatever the edges are, in
//! time linear in the graph's size.

use std::collections::{HashMap, VecDeque};

use crate::insights::Edge;

/// Width of a node's box, and the room between columns.
pub(crate) const NODE_WIDTH: u32 = 150;
pub(crate) const COLUMN_GAP: u32 = 210;
/// Height of a node's box, and the room between rows.
pub(crate) const NODE_HEIGHT: u32 = 34;
pub(crate) const ROW_GAP: u32 = 56;
/// Margin around the drawing.
pub(crate) const MARGIN: u32 = 16;

/// One node and its place.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    pub(crate) name: String,
    pub(crate) depth: usize,
    /// Its row in its column.
    pub(crate) row: usize,
}

impl Node {
    /// The top-left corner of its box.
    pub(crate) fn x(&self) -> u32 {
        MARGIN + self.depth as u32 * (NODE_WIDTH + COLUMN_GAP)
    }

    pub(crate) fn y(&self) -> u32 {
        MARGIN + self.row as u32 * (NODE_HEIGHT + ROW_GAP)
    }
}

/// The nodes of `edges` and their places, with the drawing's size.
#[derive(Clone, Debug, Default)]
pub(crate) struct Layout {
    pub(crate) nodes: Vec<Node>,
    index: HashMap<String, usize>,
    pub(crate) width: u32,
    pub(crate) height: u32,
}

impl Layout {
    /// Lays out the nodes that `edges` join.
    pub(crate) fn new(edges: &[&Edge]) -> Layout {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut names: Vec<&str> = Vec::new();
        let mut out: Vec<Vec<usize>> = Vec::new();
        let mut indegree: Vec<usize> = Vec::new();
        let mut id = |name: &str, names: &mut Vec<&str>, out: &mut Vec<Vec<usize>>, indegree: &mut Vec<usize>| {
            *index.entry(name.to_owned()).or_insert_with(|| {
                out.push(Vec::new());
                indegree.push(0);
                names.push("");
                names.len() - 1
            })
        };
        let mut pairs = Vec::with_capacity(edges.len());
        for e in edges {
            let c = id(&e.client, &mut names, &mut out, &mut indegree);
            let s = id(&e.server, &mut names, &mut out, &mut indegree);
            pairs.push((c, s));
        }
        for (e, &(c, s)) in edges.iter().zip(&pairs) {
            names[c] = &e.client;
            names[s] = &e.server;
            if c != s {
                out[c].push(s);
                indegree[s] += 1;
            }
        }
        let n = names.len();
        let mut depth: Vec<Option<usize>> = vec![None; n];
        let sources = (0..n).filter(|&i| indegree[i] == 0);
        let rest = 0..n;
        for start in sources.chain(rest) {
            if depth[start].is_some() {
                continue;
            }
            depth[start] = Some(0);
            let mut queue = VecDeque::from([start]);
            while let Some(i) = queue.pop_front() {
                let d = depth[i].unwrap_or(0);
                for &j in &out[i] {
                    if depth[j].is_none() {
                        depth[j] = Some(d + 1);
                        queue.push_back(j);
                    }
                }
            }
        }
        let mut rows_in: Vec<usize> = Vec::new();
        let mut nodes = Vec::with_capacity(n);
        for (i, name) in names.iter().enumerate() {
            let d = depth[i].unwrap_or(0);
            if rows_in.len() <= d {
                rows_in.resize(d + 1, 0);
            }
            nodes.push(Node { name: (*name).to_owned(), depth: d, row: rows_in[d] });
            rows_in[d] += 1;
        }
        let columns = rows_in.len() as u32;
        let rows = rows_in.iter().copied().max().unwrap_or(0) as u32;
        let width = 2 * MARGIN + columns * NODE_WIDTH + columns.saturating_sub(1) * COLUMN_GAP;
        let height = 2 * MARGIN + rows * NODE_HEIGHT + rows.saturating_sub(1) * ROW_GAP;
        let index = nodes.iter().enumerate().map(|(i, n)| (n.name.clone(), i)).collect();
        Layout { nodes, index, width, height }
    }

    /// The node named `name`.
    pub(crate) fn node(&self, name: &str) -> Option<&Node> {
        self.index.get(name).map(|&i| &self.nodes[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insights::{ConnectionType, LatencyHistogram};

    fn edge(client: &str, server: &str) -> Edge {
        Edge {
            client: client.into(),
            server: server.into(),
            connection_type: ConnectionType::Plain,
            requests: 1,
            failed: 0,
            client_latency: LatencyHistogram::default(),
            server_latency: LatencyHistogram::default(),
        }
    }

    #[test]
    fn nodes_sit_at_their_distance_from_the_sources() {
        let edges = [edge("user", "frontend"), edge("frontend", "customer"), edge("customer", "mysql")];
        let edges: Vec<&Edge> = edges.iter().collect();
        let layout = Layout::new(&edges);
        let depth = |n: &str| layout.node(n).unwrap().depth;
        assert_eq!((depth("user"), depth("frontend"), depth("customer"), depth("mysql")), (0, 1, 2, 3));
        assert!(layout.node("frontend").unwrap().x() > layout.node("user").unwrap().x());
    }

    #[test]
    fn a_cycle_and_a_self_call_each_get_one_place() {
        let edges = [edge("a", "b"), edge("b", "a"), edge("c", "c")];
        let edges: Vec<&Edge> = edges.iter().collect();
        let layout = Layout::new(&edges);
        assert_eq!(layout.nodes.len(), 3);
        assert_eq!(layout.node("a").unwrap().depth, 0);
        assert_eq!(layout.node("b").unwrap().depth, 1);
        assert_eq!(layout.node("c").unwrap().depth, 0);
        // Two nodes in column 0: different rows.
        assert_ne!(layout.node("a").unwrap().row, layout.node("c").unwrap().row);
    }

    #[test]
    fn an_empty_graph_has_no_nodes() {
        let layout = Layout::new(&[]);
        assert!(layout.nodes.is_empty());
    }
}
