//! `/debug/graph` and `/debug/api/graph`: the service graph drawn from real
//! traces, the entry-operation selector, escaping, and the page when the
//! graph is off.

mod pages_support;
use pages_support::*;

use tracing::info_span;

/// `GET /dispatch` calls `customer` (in this process), which queries MySQL;
/// `GET /config` only reads Redis.
fn two_entries() {
    info_span!("GET /dispatch", otel.kind = "server").in_scope(|| {
        info_span!("HTTP GET", otel.kind = "client").in_scope(|| {
            let server = lantern::context::current()
                .child_span(|| info_span!("GET /customer", otel.kind = "server", service.name = "customer"));
            server.in_scope(|| {
                info_span!("SQL SELECT", otel.kind = "client", db.system = "mysql", otel.status_code = "ERROR")
                    .in_scope(|| {})
            });
        });
    });
    info_span!("GET /config", otel.kind = "server").in_scope(|| {
        info_span!("GET", otel.kind = "client", db.system = "redis").in_scope(|| {});
    });
}

fn analysed(lantern: &lantern::Guard, traces: u64) {
    wait_until("the traces analysed", || lantern.handle().service_graph().unwrap().traces >= traces);
}

#[test]
fn the_page_draws_every_node_and_edge_and_labels_them() {
    let lantern = start_with_graph();
    two_entries();
    analysed(&lantern, 2);
    let addr = lantern.http_addr().unwrap();
    let page = html(addr, "/debug/graph");

    assert!(page.contains("<svg class=\"graph\""), "an inline SVG drawing");
    for node in ["user", "frontend", "customer", "mysql", "redis"] {
        assert!(page.contains(&format!("<g class=\"node\" data-name=\"{node}\"")), "node {node}");
    }
    let edge = "<g class=\"edge\" data-client=\"customer\" data-server=\"mysql\"";
    let at = page.find(edge).expect("the customer -> mysql edge is drawn");
    let drawn = &page[at..at + page[at..].find("</g>").unwrap()];
    // Its label: rate, error % (the query failed), p99 bound.
    assert!(drawn.contains("100.0%") && drawn.contains("p99 ≤"), "{drawn}");
    assert!(drawn.contains("stroke=\"#c33\""), "a failing edge is red: {drawn}");

    // Nodes by depth: the callers left of those they call.
    let x = |name: &str| -> u32 {
        let at = page.find(&format!("data-name=\"{name}\"")).unwrap();
        let rect = &page[at..];
        let x = &rect[rect.find("<rect x=\"").unwrap() + 9..];
        x[..x.find('"').unwrap()].parse().unwrap()
    };
    assert!(x("user") < x("frontend") && x("frontend") < x("customer") && x("customer") < x("mysql"));

    let rows = rows(&page, "<tr class=\"edge\"");
    assert_eq!(rows.len(), 4, "user->frontend, frontend->customer, customer->mysql, frontend->redis");
    let user = rows.iter().find(|r| r.contains("data-client=\"user\"")).unwrap();
    assert!(user.contains("<td class=\"num\">2</td>"), "both entries came from the user: {user}");
}

#[test]
fn an_entry_operation_shows_only_what_it_touches() {
    let lantern = start_with_graph();
    two_entries();
    analysed(&lantern, 2);
    let addr = lantern.http_addr().unwrap();

    let page = html(addr, "/debug/graph?entry=GET%20%2Fconfig");
    assert!(page.contains("<option value=\"GET /config\" selected>"), "the selector shows the choice");
    assert!(page.contains("data-name=\"redis\""));
    assert!(!page.contains("data-name=\"mysql\""), "MySQL is touched by GET /dispatch only");

    let api = json(addr, "/debug/api/graph?entry=GET%20%2Fdispatch");
    let servers: Vec<&str> = api["edges"].as_array().unwrap().iter().map(|e| e["server"].as_str().unwrap()).collect();
    assert!(servers.contains(&"mysql") && !servers.contains(&"redis"), "{servers:?}");
    let all = json(addr, "/debug/api/graph");
    assert_eq!(all["edges"].as_array().unwrap().len(), 4);
    let mysql = all["edges"].as_array().unwrap().iter().find(|e| e["server"] == "mysql").unwrap();
    assert_eq!((mysql["requests"].as_u64(), mysql["failed"].as_u64()), (Some(1), Some(1)));
    assert_eq!(mysql["connection_type"], "database");
    assert!(mysql["rate_per_second"].as_f64().unwrap() > 0.0);
    assert_eq!(mysql["client_latency"]["count"], 1);
    let depth = |n: &str| all["nodes"].as_array().unwrap().iter().find(|x| x["name"] == n).unwrap()["depth"].clone();
    assert_eq!((depth("user"), depth("mysql")), (0.into(), 3.into()));
}

#[test]
fn recorded_names_are_escaped_and_an_unknown_entry_shows_nothing() {
    let lantern = start_with_graph();
    info_span!("GET /<b>", otel.kind = "server", service.name = "<script>alert(1)</script>").in_scope(|| {});
    analysed(&lantern, 1);
    let addr = lantern.http_addr().unwrap();
    let page = html(addr, "/debug/graph");
    assert!(!page.contains("<script>"), "names are escaped");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("GET /&lt;b&gt;"), "the entry in the selector is escaped");

    let page = html(addr, &format!("/debug/graph?entry={}", "x".repeat(5000)));
    assert!(page.contains("No edges yet"));
    assert!(page.len() < 20_000, "the echoed entry is bounded");
}

#[test]
fn with_the_graph_off_the_page_says_how_to_turn_it_on() {
    let lantern = lantern::builder().http_addr(Some(([127, 0, 0, 1], 0).into())).try_init_local();
    let addr = lantern.http_addr().unwrap();
    assert!(html(addr, "/debug/graph").contains("Builder::insights(true)"));
    assert_eq!(json(addr, "/debug/api/graph")["enabled"], false);
}
