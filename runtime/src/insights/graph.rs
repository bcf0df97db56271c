//! The service graph as a reader gets it: [`ServiceGraph`], its [`Edge`]s,
//! their [`LatencyHistogram`]s, and the [`Unpaired`] spans.

/// The latency buckets' upper bounds in seconds (inclusive): the
/// OpenTelemetry Collector `servicegraph` connector's default
/// `latency_histogram_buckets` (2, 4, 6, 8, 10, 50, 100, 200, 400 and
/// 800 ms, 1, 1.4, 2, 5, 10 and 15 s), so that Lantern's histograms add up
/// with a collector's. A last bucket, unbounded, takes the rest.
///
/// ```
/// assert_eq!(lantern::insights::LATENCY_BUCKETS.len(), 16);
/// assert_eq!(lantern::insights::LATENCY_BUCKETS[0], 0.002);
/// ```
pub const LATENCY_BUCKETS: [f64; 16] =
    [0.002, 0.004, 0.006, 0.008, 0.01, 0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.4, 2.0, 5.0, 10.0, 15.0];

/// What kind of connection an edge is: the `connection_type` label.
///
/// ```
/// use lantern::insights::ConnectionType;
/// assert_eq!(ConnectionType::Plain.as_str(), "");
/// assert_eq!(ConnectionType::Database.as_str(), "database");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ConnectionType {
    /// A client span and its server span (the label is empty).
    Plain,
    /// A producer span and its consumer span.
    MessagingSystem,
    /// A client span with `db.system` or `db.name`, and no server span: the
    /// database is a virtual node.
    Database,
    /// A client span with no server span, named from its peer attributes;
    /// or a server span with no parent at all, from the virtual `user`.
    VirtualNode,
}

impl ConnectionType {
    /// The label value: `""`, `messaging_system`, `database` or
    /// `virtual_node`.
    ///
    /// ```
    /// assert_eq!(lantern::insights::ConnectionType::MessagingSystem.as_str(), "messaging_system");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionType::Plain => "",
            ConnectionType::MessagingSystem => "messaging_system",
            ConnectionType::Database => "database",
            ConnectionType::VirtualNode => "virtual_node",
        }
    }
}

/// A latency distribution over [`LATENCY_BUCKETS`].
///
/// ```
/// let h = lantern::insights::LatencyHistogram::default();
/// assert_eq!(h.count, 0);
/// assert_eq!(h.buckets.len(), lantern::insights::LATENCY_BUCKETS.len() + 1);
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct LatencyHistogram {
    /// Values per bucket, not cumulative: `buckets[i]` counts the values
    /// at most `LATENCY_BUCKETS[i]` and above the bucket before; the last
    /// one those above 15 s.
    pub buckets: [u64; LATENCY_BUCKETS.len() + 1],
    /// The sum of the values, in seconds.
    pub sum: f64,
    /// How many values.
    pub count: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram { buckets: [0; LATENCY_BUCKETS.len() + 1], sum: 0.0, count: 0 }
    }
}

impl LatencyHistogram {
    /// Adds one value in seconds (cheap: a search over 16 bounds).
    pub(crate) fn record(&mut self, seconds: f64) {
        let i = LATENCY_BUCKETS.partition_point(|&upper| upper < seconds);
        self.buckets[i] += 1;
        self.sum += seconds;
        self.count += 1;
    }

    pub(crate) fn merge(&mut self, other: &LatencyHistogram) {
        self.buckets.iter_mut().zip(&other.buckets).for_each(|(a, b)| *a += b);
        self.sum += other.sum;
        self.count += other.count;
    }

    /// The upper bound of the bucket that holds quantile `q` (0 to 1), in
    /// seconds: `f64::INFINITY` past the last bound, `None` when empty.
    ///
    /// ```
    /// let h = lantern::insights::LatencyHistogram::default();
    /// assert_eq!(h.quantile_bound(0.99), None);
    /// ```
    pub fn quantile_bound(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(LATENCY_BUCKETS.get(i).copied().unwrap_or(f64::INFINITY));
            }
        }
        Some(f64::INFINITY)
    }
}

/// One edge of the graph: requests from `client` to `server`.
///
/// ```
/// fn error_rate(e: &lantern::insights::Edge) -> f64 {
///     e.failed as f64 / e.requests.max(1) as f64
/// }
/// # let _ = error_rate;
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Edge {
    /// The calling service (or `user` for a request from outside).
    pub client: String,
    /// The called service, or the virtual node (`mysql`, `redis`).
    pub server: String,
    /// What kind of connection.
    pub connection_type: ConnectionType,
    /// Requests seen.
    pub requests: u64,
    /// Of those, the ones where the client or the server span failed.
    pub failed: u64,
    /// The client span's durations.
    pub client_latency: LatencyHistogram,
    /// The server span's durations (the client's, for a database; zero for
    /// another virtual node, as the connector records them).
    pub server_latency: LatencyHistogram,
}

/// The edges of the traces that one entry operation started: what
/// `GET /dispatch` touches.
///
/// ```
/// fn touches(p: &lantern::insights::PathEdge, service: &str) -> bool {
///     p.edge.server == service
/// }
/// # let _ = touches;
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct PathEdge {
    /// The root span's name of the traces this edge was seen in.
    pub entry: String,
    /// The edge, counted over those traces only.
    pub edge: Edge,
}

/// Spans that could not be paired within their trace, by the side that is
/// known: the `client` for a client or producer span with no server,
/// consumer or peer attribute; the `server` for a server or consumer span
/// whose caller is in another process (or not a client).
///
/// ```
/// fn from_outside(u: &lantern::insights::Unpaired) -> bool { u.client.is_empty() }
/// # let _ = from_outside;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Unpaired {
    /// The client's service, or empty.
    pub client: String,
    /// The server's service, or empty.
    pub server: String,
    /// What kind of connection the span would have made.
    pub connection_type: ConnectionType,
    /// Spans counted.
    pub spans: u64,
}

/// The service graph built from the traces completed in this process, from
/// [`Handle::service_graph`](crate::Handle::service_graph). Counts are
/// since start.
///
/// ```
/// let lantern = lantern::builder().service_graph(true).try_init_local();
/// let graph = lantern.handle().service_graph().unwrap();
/// assert!(graph.edges.is_empty());
/// assert_eq!(graph.traces, 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct ServiceGraph {
    /// Edges by (client, server, connection type), first seen first.
    pub edges: Vec<Edge>,
    /// The same edges by entry operation, first seen first.
    pub paths: Vec<PathEdge>,
    /// Unpaired spans by (client, server, connection type).
    pub unpaired: Vec<Unpaired>,
    /// Traces analysed.
    pub traces: u64,
    /// How long the graph has been counting: the counts divided by it give
    /// the mean rates since then.
    pub elapsed: std::time::Duration,
    /// Requests not counted because the edge table was full.
    pub edges_overflow: u64,
    /// Requests not counted by entry because the path table was full.
    pub paths_overflow: u64,
    /// Unpaired spans not counted because their table was full.
    pub unpaired_overflow: u64,
}

impl ServiceGraph {
    /// The edge from `client` to `server`, of any connection type.
    ///
    /// ```
    /// let graph = lantern::insights::ServiceGraph::default();
    /// assert!(graph.edge("frontend", "mysql").is_none());
    /// ```
    pub fn edge(&self, client: &str, server: &str) -> Option<&Edge> {
        self.edges.iter().find(|e| e.client == client && e.server == server)
    }

    /// The edges of the traces whose root span is named `entry`.
    ///
    /// ```
    /// let graph = lantern::insights::ServiceGraph::default();
    /// assert_eq!(graph.path("GET /dispatch").count(), 0);
    /// ```
    pub fn path<'a>(&'a self, entry: &'a str) -> impl Iterator<Item = &'a Edge> + 'a {
        self.paths.iter().filter(move |p| p.entry == entry).map(|p| &p.edge)
    }

    /// The entry operations seen, first seen first.
    ///
    /// ```
    /// assert!(lantern::insights::ServiceGraph::default().entries().is_empty());
    /// ```
    pub fn entries(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for p in &self.paths {
            if !out.contains(&p.entry.as_str()) {
                out.push(&p.entry);
            }
        }
        out
    }
}
