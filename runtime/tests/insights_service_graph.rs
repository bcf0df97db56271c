//! The service graph from real `tracing` spans: client and server in one
//! process and across two, producer and consumer, virtual nodes, failures,
//! the path-aware split, the caps, and the `traces_service_graph_*` series
//! on `/metrics` under the connector's exact names and labels.

mod pages_support;
use pages_support::*;

use std::time::{Duration, Instant};

use lantern::insights::{ConnectionType, ServiceGraph};
use tracing::info_span;

/// The graph once `traces` traces have been analysed.
fn graph_after(lantern: &lantern::Guard, traces: u64) -> ServiceGraph {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let graph = lantern.handle().service_graph().expect("the graph is on");
        if graph.traces >= traces {
            return graph;
        }
        assert!(Instant::now() < deadline, "only {} of {traces} traces analysed", graph.traces);
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A client span of the current service calling `service`, hosted in this
/// process: the server span continues the client's context, as the HTTP
/// middleware does with the `traceparent` header.
fn call(service: &str, server_status: Option<&str>) {
    info_span!("HTTP GET", otel.kind = "client").in_scope(|| {
        let cx = lantern::context::current();
        let server = cx.child_span(|| match server_status {
            Some(code) => info_span!("GET /api", otel.kind = "server", service.name = service, otel.status_code = code),
            None => info_span!("GET /api", otel.kind = "server", service.name = service),
        });
        server.in_scope(|| std::thread::sleep(Duration::from_millis(1)));
    });
}

#[test]
fn a_client_and_its_server_in_one_process_make_one_edge() {
    let lantern = start_with_graph();
    info_span!("GET /dispatch", otel.kind = "server").in_scope(|| call("customer", None));
    let graph = graph_after(&lantern, 1);

    let edge = graph.edge("frontend", "customer").expect("frontend -> customer");
    assert_eq!(edge.connection_type, ConnectionType::Plain);
    assert_eq!((edge.requests, edge.failed), (1, 0));
    assert_eq!((edge.client_latency.count, edge.server_latency.count), (1, 1));
    assert!(edge.server_latency.sum >= 0.001 && edge.client_latency.sum >= edge.server_latency.sum, "{edge:?}");
    // The root server span has no parent at all: a request from the
    // virtual `user`, as the connector counts it.
    let user = graph.edge("user", "frontend").expect("user -> frontend");
    assert_eq!((user.connection_type, user.requests), (ConnectionType::VirtualNode, 1));
    assert!(graph.unpaired.is_empty(), "{:?}", graph.unpaired);
}

#[test]
fn a_server_called_from_another_process_is_counted_unpaired_on_its_side() {
    let lantern = start_with_graph();
    let mut headers = http::HeaderMap::new();
    headers.insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
    let server = lantern::propagation::extract(&headers).child_span(|| info_span!("GET /remote", otel.kind = "server"));
    server.in_scope(|| info_span!("work").in_scope(|| {}));
    drop(server);
    let graph = graph_after(&lantern, 1);

    assert!(graph.edges.is_empty(), "the client is the other process's to count: {:?}", graph.edges);
    assert_eq!(graph.unpaired.len(), 1);
    let u = &graph.unpaired[0];
    assert_eq!(
        (u.client.as_str(), u.server.as_str(), u.connection_type, u.spans),
        ("", "frontend", ConnectionType::Plain, 1)
    );
}

#[test]
fn a_producer_and_its_consumer_make_a_messaging_edge() {
    let lantern = start_with_graph();
    info_span!("publish job").in_scope(|| {
        info_span!("jobs send", otel.kind = "producer").in_scope(|| {
            let cx = lantern::context::current();
            cx.child_span(|| info_span!("jobs process", otel.kind = "consumer", service.name = "worker"))
                .in_scope(|| {});
        })
    });
    let graph = graph_after(&lantern, 1);
    let edge = graph.edge("frontend", "worker").expect("frontend -> worker");
    assert_eq!((edge.connection_type, edge.requests), (ConnectionType::MessagingSystem, 1));
    assert!(graph.unpaired.is_empty());
}

#[test]
fn a_message_fanned_out_to_two_consumer_groups_makes_two_edges() {
    let lantern = start_with_graph();
    info_span!("POST /messages", otel.kind = "server").in_scope(|| {
        info_span!("send messages", otel.kind = "producer").in_scope(|| {
            let cx = lantern::context::current();
            for group in ["storage", "giphy"] {
                cx.child_span(|| info_span!("process messages", otel.kind = "consumer", service.name = group))
                    .in_scope(|| {});
            }
        })
    });
    let graph = graph_after(&lantern, 1);
    for group in ["storage", "giphy"] {
        let edge = graph.edge("frontend", group).unwrap_or_else(|| panic!("frontend -> {group}: {graph:?}"));
        assert_eq!((edge.connection_type, edge.requests), (ConnectionType::MessagingSystem, 1));
    }
    assert!(graph.unpaired.is_empty(), "{:?}", graph.unpaired);
}

#[test]
fn client_spans_with_no_server_reach_virtual_nodes_or_are_unpaired() {
    let lantern = start_with_graph();
    info_span!("GET /customer").in_scope(|| {
        info_span!("SQL SELECT", otel.kind = "client", db.system = "mysql", db.namespace = "customers").in_scope(|| {});
        info_span!("FindDriverIDs", otel.kind = "client", peer.service = "redis").in_scope(|| {});
        info_span!("GET", otel.kind = "client", server.address = "route.local").in_scope(|| {});
        info_span!("mystery", otel.kind = "client").in_scope(|| {});
    });
    let graph = graph_after(&lantern, 1);

    let mysql = graph.edge("frontend", "mysql").expect("frontend -> mysql");
    assert_eq!(mysql.connection_type, ConnectionType::Database);
    assert_eq!(mysql.server_latency, mysql.client_latency, "a database's only span is the client's");
    let redis = graph.edge("frontend", "redis").expect("frontend -> redis");
    assert_eq!(redis.connection_type, ConnectionType::VirtualNode);
    assert_eq!(graph.edge("frontend", "route.local").map(|e| e.connection_type), Some(ConnectionType::VirtualNode));
    assert_eq!(graph.unpaired.len(), 1);
    assert_eq!((graph.unpaired[0].client.as_str(), graph.unpaired[0].server.as_str()), ("frontend", ""));
}

#[test]
fn a_request_failed_when_either_side_failed() {
    let lantern = start_with_graph();
    info_span!("batch").in_scope(|| {
        call("billing", None);
        call("billing", Some("ERROR"));
        info_span!("HTTP POST", otel.kind = "client", otel.status_code = "ERROR").in_scope(|| {
            let cx = lantern::context::current();
            cx.child_span(|| info_span!("POST /pay", otel.kind = "server", service.name = "billing")).in_scope(|| {});
        });
    });
    let graph = graph_after(&lantern, 1);
    let edge = graph.edge("frontend", "billing").unwrap();
    assert_eq!((edge.requests, edge.failed), (3, 2));
}

#[test]
fn edges_are_also_kept_by_the_entry_operation_that_led_to_them() {
    let lantern = start_with_graph();
    info_span!("GET /dispatch").in_scope(|| {
        call("customer", None);
        info_span!("GetDriver", otel.kind = "client", peer.service = "redis").in_scope(|| {});
    });
    info_span!("GET /route").in_scope(|| call("route", None));
    info_span!("GET /dispatch").in_scope(|| call("customer", None));
    let graph = graph_after(&lantern, 3);

    let servers = |entry| {
        let mut s: Vec<(String, u64)> = graph.path(entry).map(|e| (e.server.clone(), e.requests)).collect();
        s.sort();
        s
    };
    assert_eq!(servers("GET /dispatch"), [("customer".to_owned(), 2), ("redis".to_owned(), 1)]);
    assert_eq!(servers("GET /route"), [("route".to_owned(), 1)]);
    assert_eq!(graph.entries(), ["GET /dispatch", "GET /route"]);
    // The whole process touches all three.
    assert_eq!(graph.edges.len(), 3);
    assert_eq!(graph.edge("frontend", "customer").unwrap().requests, 2);
}

#[test]
fn edges_past_the_caps_are_counted_as_overflow() {
    let lantern = start_with_graph();
    // 4 entries x 1001 virtual nodes: 1001 edges (cap 1000), 4004 edges by
    // entry (cap 4000).
    for entry in ["a", "b", "c", "d"] {
        info_span!("entry", otel.name = entry).in_scope(|| {
            for i in 0..1001 {
                let peer = format!("node-{i}");
                info_span!("call", otel.kind = "client", peer.service = peer.as_str()).in_scope(|| {});
            }
        });
    }
    let graph = graph_after(&lantern, 4);
    assert_eq!(graph.edges.len(), 1000);
    assert_eq!(graph.edges_overflow, 4, "node-1000, once per trace");
    assert_eq!(graph.paths.len(), 4000);
    assert_eq!(graph.paths_overflow, 4);

    let body = metrics(&lantern);
    assert!(
        body.contains("traces_service_graph_request_total{otel_metric_overflow=\"true\"} 4\n"),
        "{}",
        &body[..2000]
    );
}

fn metrics(lantern: &lantern::Guard) -> String {
    let (status, _, body) = get(lantern.http_addr().unwrap(), "/metrics");
    assert_eq!(status, 200, "{body}");
    body
}

#[test]
fn metrics_carry_the_connector_names_and_labels() {
    let lantern = start_with_graph();
    info_span!("GET /dispatch").in_scope(|| call("customer", Some("ERROR")));
    let mut headers = http::HeaderMap::new();
    headers.insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
    lantern::propagation::extract(&headers)
        .child_span(|| info_span!("GET /remote", otel.kind = "server"))
        .in_scope(|| {});
    graph_after(&lantern, 2);

    let body = metrics(&lantern);
    let labels = "client=\"frontend\",server=\"customer\",connection_type=\"\"";
    for line in [
        "# TYPE traces_service_graph_request_total counter".to_owned(),
        format!("traces_service_graph_request_total{{{labels}}} 1"),
        "# TYPE traces_service_graph_request_failed_total counter".to_owned(),
        format!("traces_service_graph_request_failed_total{{{labels}}} 1"),
        "# TYPE traces_service_graph_request_server_seconds histogram".to_owned(),
        format!("traces_service_graph_request_server_seconds_bucket{{{labels},le=\"0.002\"}}"),
        format!("traces_service_graph_request_server_seconds_bucket{{{labels},le=\"15.0\"}} 1"),
        format!("traces_service_graph_request_server_seconds_bucket{{{labels},le=\"+Inf\"}} 1"),
        format!("traces_service_graph_request_server_seconds_count{{{labels}}} 1"),
        format!("traces_service_graph_request_server_seconds_sum{{{labels}}} "),
        "# TYPE traces_service_graph_request_client_seconds histogram".to_owned(),
        format!("traces_service_graph_request_client_seconds_count{{{labels}}} 1"),
        "# TYPE traces_service_graph_unpaired_spans_total counter".to_owned(),
        "traces_service_graph_unpaired_spans_total{client=\"\",server=\"frontend\",connection_type=\"\"} 1".to_owned(),
    ] {
        assert!(body.lines().any(|l| l.starts_with(&line)), "missing {line}:\n{body}");
    }
    // Exactly the connector's names: no prefix, no doubled suffix.
    assert!(!body.contains("lantern_traces") && !body.contains("_total_total"), "{body}");
    // Sixteen bounds and +Inf.
    let buckets = body
        .lines()
        .filter(|l| l.starts_with(&format!("traces_service_graph_request_client_seconds_bucket{{{labels}")))
        .count();
    assert_eq!(buckets, 17);
}

#[test]
fn the_graph_is_off_by_default() {
    let lantern = lantern::builder().try_init_local();
    assert!(lantern.handle().service_graph().is_none());
    assert!(!lantern.handle().tail().enabled);
}
