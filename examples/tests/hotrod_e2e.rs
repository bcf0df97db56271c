//! HotROD end to end: the four services on ephemeral ports in this process,
//! Lantern installed globally, one ride requested over HTTP, then the ring
//! buffer and the metrics asked what happened.
//!
//! One test function: the global subscriber and `metrics` recorder can be
//! installed once per process. The simulated latencies are a tenth of the
//! demo's, so the ride takes well under a second. The servers stop at the
//! end (and the runtime with them).

use std::collections::BTreeSet;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use lantern::TraceId;
use lantern::buffer::{LogQuery, Trace};
use lantern::insights::{PatternConfig, PatternKind, find_patterns};
use lantern::metrics::MetricValue;
use lantern::record::{SpanKind, SpanRecord, Value};
use lantern::tail::CompletionConfig;
use lantern_examples::hotrod::frontend::Dispatch;
use lantern_examples::hotrod::{self, Config, Hotrod, Latencies};
use std::time::{Duration, Instant};

/// GETs `path` from `addr` with a plain (untraced) client: the status and body.
async fn get(addr: SocketAddr, path: &str) -> (http::StatusCode, String) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let request = http::Request::get(format!("http://{addr}{path}")).body(Empty::new()).unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

fn spans<'a>(trace: &'a Trace, name: &str, kind: SpanKind) -> Vec<&'a SpanRecord> {
    trace.spans.iter().filter(|s| s.name == name && s.kind == kind).map(|s| &**s).collect()
}

fn only<'a>(trace: &'a Trace, name: &str, kind: SpanKind) -> &'a SpanRecord {
    let found = spans(trace, name, kind);
    assert_eq!(found.len(), 1, "one {kind:?} span {name}");
    found[0]
}

fn service(span: &SpanRecord) -> Option<&str> {
    span.service.as_deref()
}

/// The server span is the remote child of the client span that called it:
/// the link across the process boundary that propagation has to make.
fn assert_called_by(server: &SpanRecord, client: &SpanRecord) {
    assert_eq!(server.trace_id, client.trace_id);
    assert_eq!(server.parent_span_id, Some(client.span_id), "{} is the child of {}", server.name, client.name);
    assert!(server.parent_is_remote, "{}'s parent came over the wire", server.name);
    assert_eq!(client.kind, SpanKind::Client);
    assert_eq!(server.kind, SpanKind::Server);
}

/// The console, read by the test: what HotROD prints on stderr.
#[derive(Clone, Default)]
struct Console(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Console {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Console {
    /// The console's lines once one contains `needle` (the writer thread
    /// writes them shortly after the event), or after 5 s.
    fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let text = String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned();
            if text.contains(needle) || Instant::now() > deadline {
                return text;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

#[test]
fn a_ride_is_one_trace_across_four_services() {
    let console = Console::default();
    let lantern = lantern::builder()
        .console(lantern::fmt::ConsoleFormat::Json)
        .console_filter("info")
        .console_writer(console.clone())
        .service_name("hotrod-e2e")
        .http_addr(None)
        .max_level(tracing::Level::INFO)
        .metrics(hotrod::metrics_config())
        .insights(true)
        .completion(CompletionConfig { quiet_period: Duration::from_millis(50), ..Default::default() })
        .try_init()
        .expect("the only global install of this test binary");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let config = Config { latencies: Latencies::default().scaled(0.1), ..Config::ephemeral() };
    let hotrod = rt.block_on(Hotrod::start(config.clone())).expect("ephemeral ports are free");
    let ports = [hotrod.frontend, hotrod.customer, hotrod.driver, hotrod.route].map(|a| a.port());
    assert!(ports.iter().all(|p| *p != 0), "the real ports were learnt: {ports:?}");

    let (status, body) = rt.block_on(get(hotrod.frontend, "/dispatch?customer=123"));
    assert_eq!(status, http::StatusCode::OK, "{body}");
    let dispatch: Dispatch = serde_json::from_str(&body).unwrap();
    assert!(dispatch.driver.starts_with("T7") && dispatch.driver.ends_with('C'), "{dispatch:?}");
    assert!(dispatch.eta_seconds >= 120.0, "{dispatch:?}");
    let trace_id = TraceId::from_hex(&dispatch.trace_id).expect("the answer names its trace");

    // Every span closed before the frontend answered: no waiting.
    lantern.buffer().flush();
    let snap = lantern.buffer().snapshot();
    let trace = snap.trace(trace_id).expect("the ride's trace is in the buffer");
    println!("one dispatch: {} spans in trace {trace_id}", trace.spans.len());
    assert!(trace.spans.len() >= 30, "about fifty spans expected, got {}", trace.spans.len());
    assert_eq!(trace.dropped_spans, 0);

    // Four services, and every span belongs to one of them.
    let services: BTreeSet<_> = trace.spans.iter().map(|s| service(s).unwrap_or("(the process)")).collect();
    assert_eq!(services, BTreeSet::from(["customer", "driver", "frontend", "route"]));

    // The frontend's server span is the root; its client spans its children.
    let root = only(&trace, "GET /dispatch", SpanKind::Server);
    assert_eq!(trace.root().map(|r| r.span_id), Some(root.span_id));
    assert_eq!((root.parent_span_id, service(root)), (None, Some("frontend")));
    assert_eq!(root.attribute("http.response.status_code"), Some(&Value::I64(200)));
    let clients = trace.spans.iter().filter(|s| s.kind == SpanKind::Client && service(s) == Some("frontend"));
    for client in clients {
        assert_eq!(client.parent_span_id, Some(root.span_id), "{} is the dispatch's own call", client.name);
    }

    // frontend -> customer (HTTP), and the query inside.
    let customer = only(&trace, "GET /customer", SpanKind::Server);
    assert_called_by(customer, only(&trace, "GET /customer", SpanKind::Client));
    assert_eq!(service(customer), Some("customer"));
    let query = only(&trace, "SQL SELECT", SpanKind::Client);
    assert_eq!((query.parent_span_id, service(query)), (Some(customer.span_id), Some("customer")));
    assert_eq!(query.attribute("db.system").and_then(Value::as_str), Some("mysql"));
    let statement = query.attribute("db.statement").and_then(Value::as_str).unwrap();
    assert!(statement.contains("customer_id=123"), "{statement}");

    // frontend -> driver (gRPC), and the Redis calls inside.
    let find_nearest = "driver.DriverService/FindNearest";
    let driver = only(&trace, find_nearest, SpanKind::Server);
    assert_called_by(driver, only(&trace, find_nearest, SpanKind::Client));
    assert_eq!(service(driver), Some("driver"));
    assert_eq!(driver.attribute("rpc.grpc.status_code"), Some(&Value::I64(0)));
    assert!(!driver.is_error(), "Redis timeouts are retried: the call itself succeeds");
    let find_ids = only(&trace, "FindDriverIDs", SpanKind::Client);
    assert_eq!((find_ids.parent_span_id, service(find_ids)), (Some(driver.span_id), Some("driver")));
    let get_driver = spans(&trace, "GetDriver", SpanKind::Client);
    assert!(get_driver.len() >= 10, "one GetDriver per driver, plus retries: {}", get_driver.len());
    for span in &get_driver {
        assert_eq!((span.parent_span_id, service(span)), (Some(driver.span_id), Some("driver")));
    }
    let driver_id = |s: &SpanRecord| s.attribute("driver_id").and_then(Value::as_str).unwrap().to_owned();
    let tried: BTreeSet<_> = get_driver.iter().map(|s| driver_id(s)).collect();
    let found: BTreeSet<_> = get_driver.iter().filter(|s| !s.is_error()).map(|s| driver_id(s)).collect();
    let failed = get_driver.iter().filter(|s| s.is_error()).count();
    println!("GetDriver: {} spans, {failed} timed out (each retried in a new span)", get_driver.len());
    assert_eq!(tried.len(), 10, "ten drivers near the customer");
    assert_eq!(get_driver.len(), found.len() + failed, "one success per driver found, after its failures");
    // A driver is left out only after three timeouts in a row (1 in 8000).
    assert!(found.len() >= 9, "{found:?}");

    // frontend -> route (HTTP), once per driver found, each with the baggage.
    let route_clients = spans(&trace, "GET /route", SpanKind::Client);
    let route_servers = spans(&trace, "GET /route", SpanKind::Server);
    assert_eq!(route_clients.len(), found.len(), "one route per driver");
    assert_eq!(route_servers.len(), route_clients.len());
    for server in &route_servers {
        let client = route_clients.iter().find(|c| Some(c.span_id) == server.parent_span_id).expect("its caller");
        assert_called_by(server, client);
        assert_eq!(service(server), Some("route"));
        assert_eq!(server.baggage.get("customer"), Some("123"), "the frontend's baggage reached the route service");
        assert!(server.baggage.get("session").is_some_and(|s| !s.is_empty()));
        let compute = trace.children(server.span_id).find(|s| s.name == "compute_route").expect("compute_route");
        assert_eq!(service(compute), Some("route"));
    }

    // The driver service's logs carry the trace id.
    let logs = snap.logs(&LogQuery { trace_id: Some(trace_id), limit: 1000, ..Default::default() });
    let driver_log = logs.iter().find(|l| l.service.as_deref() == Some("driver")).expect("a log of the driver service");
    println!("a driver log in the trace: {:?}", driver_log.body);
    assert!(logs.iter().any(|l| l.service.as_deref() == Some("frontend") && l.body == "dispatch successful"));
    // They carry the customer from the baggage (the metrics allowlist).
    let loading = logs.iter().find(|l| l.body == "loading customer").expect("the customer service's log");
    assert_eq!(loading.attribute("customer").and_then(Value::as_str), Some("123"));

    // The console shows the same log with its ids and baggage: the trace id
    // there is the one `/debug/traces/{id}` takes.
    let text = console.wait_for("dispatch successful"); // the ride's last line
    let line = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|l| l["body"] == "loading customer" && l["trace_id"] == trace_id.to_string())
        .unwrap_or_else(|| panic!("no console line for the ride's customer lookup in:\n{text}"));
    assert_eq!(line["baggage"]["customer"], "123", "{line}");
    assert_eq!(line["span_id"].as_str().map(str::len), Some(16));
    assert_eq!(lantern.console_dropped_lines(), Some(0));

    // The waterfall's hints: the GetDriver staircase, the SQL query the
    // longest span on the critical path.
    let findings = find_patterns(&trace, &PatternConfig::default());
    for f in &findings {
        println!("hint: {}: {}", f.kind, f.message);
    }
    let get_driver_ids: BTreeSet<_> = get_driver.iter().map(|s| s.span_id).collect();
    assert!(
        findings.iter().any(|f| f.kind == PatternKind::Staircase && f.spans.iter().all(|s| get_driver_ids.contains(s))),
        "the GetDriver calls are a staircase"
    );
    let longest = findings.iter().find(|f| f.kind == PatternKind::LongestSelfTime).expect("a longest span");
    assert_eq!(longest.spans, [query.span_id], "the SQL query is the longest span on the critical path");
    drop(snap);

    // route.calc.time, recorded in the route service, labelled by customer.
    let family = lantern.metrics().snapshot().into_iter().find(|f| f.name == hotrod::route::CALC_TIME).unwrap();
    let for_123: u64 = family
        .series
        .iter()
        .filter(|s| s.labels.iter().any(|(k, v)| k == "customer" && v == "123"))
        .map(|s| match &s.value {
            MetricValue::Histogram(h) => h.count,
            other => panic!("a histogram, not {other:?}"),
        })
        .sum();
    assert_eq!(for_123, found.len() as u64, "one route calculation per driver, for customer 123");
    assert!(family.series.iter().all(|s| s.labels.iter().any(|(k, _)| k == "session")), "and by session");

    // The UI, and the errors.
    let (status, index) = rt.block_on(get(hotrod.frontend, "/"));
    assert_eq!(status, http::StatusCode::OK);
    assert_eq!(index.matches("action=\"/ui/dispatch\"").count(), 4, "one button per customer");
    assert!(index.contains("Rachel&#x27;s Floral Designs"));
    let (status, page) = rt.block_on(get(hotrod.frontend, "/ui/dispatch?customer=392&session=e2e"));
    assert_eq!(status, http::StatusCode::OK, "{page}");
    assert!(page.contains("HotROD T7") && page.contains("Trom Chocolatier"), "{page}");
    assert_eq!(rt.block_on(get(hotrod.frontend, "/dispatch?customer=999")).0, http::StatusCode::NOT_FOUND);
    assert_eq!(rt.block_on(get(hotrod.frontend, "/dispatch")).0, http::StatusCode::BAD_REQUEST);

    // The service graph of the completed rides: the book's architecture.
    let deadline = Instant::now() + Duration::from_secs(20);
    let expected = [("frontend", "customer"), ("customer", "mysql"), ("frontend", "driver"), ("driver", "redis")];
    let graph = loop {
        let graph = lantern.handle().service_graph().expect("insights are on");
        if expected.iter().chain([&("frontend", "route")]).all(|(c, s)| graph.edge(c, s).is_some()) {
            break graph;
        }
        assert!(Instant::now() < deadline, "edges so far: {:?}", graph.edges);
        std::thread::sleep(Duration::from_millis(20));
    };
    println!("service graph: {:?}", graph.edges.iter().map(|e| (&e.client, &e.server, e.requests)).collect::<Vec<_>>());
    let mysql = graph.edge("customer", "mysql").unwrap();
    assert_eq!(mysql.connection_type, lantern::insights::ConnectionType::Database);
    assert!(graph.edge("frontend", "route").unwrap().requests >= 9, "one route call per driver found");
    assert!(graph.path("GET /dispatch").any(|e| e.server == "redis"), "what GET /dispatch touches");

    // The book's first bottleneck: the one database connection. Three rides
    // at once queue for it (and say so in their logs); with the chapter 2
    // fix, none waits.
    assert!(lock_waits(&rt, &lantern, hotrod.frontend) > 0, "concurrent queries wait for the one connection");
    rt.block_on(hotrod.shutdown());
    let fixed = Config { db_connection_mutex: false, ..config };
    let hotrod = rt.block_on(Hotrod::start(fixed)).expect("ephemeral ports are free");
    assert_eq!(lock_waits(&rt, &lantern, hotrod.frontend), 0, "--fix-disable-db-conn-mutex: no query waits");
    rt.block_on(hotrod.shutdown());
}

/// Three rides at once; the `waiting for lock` logs in their traces.
fn lock_waits(rt: &tokio::runtime::Runtime, lantern: &lantern::Guard, frontend: SocketAddr) -> usize {
    let rides = rt.block_on(async {
        let one = |c: &'static str| get(frontend, c);
        tokio::join!(one("/dispatch?customer=123"), one("/dispatch?customer=392"), one("/dispatch?customer=731"))
    });
    lantern.buffer().flush();
    let snap = lantern.buffer().snapshot();
    [rides.0, rides.1, rides.2]
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, http::StatusCode::OK, "{body}");
            let dispatch: Dispatch = serde_json::from_str(body).unwrap();
            let trace_id = TraceId::from_hex(&dispatch.trace_id).unwrap();
            let logs = snap.logs(&LogQuery { trace_id: Some(trace_id), limit: 1000, ..Default::default() });
            logs.iter().filter(|l| l.body.starts_with("waiting for lock")).count()
        })
        .sum()
}
