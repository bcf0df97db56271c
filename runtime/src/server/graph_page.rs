//! `/debug/graph` (and `/debug/api/graph`): the service graph built from
//! completed traces (see [`crate::insights`]), drawn as server-rendered SVG:
//! nodes laid out by depth from the callers ([`super::graph_layout`]),
//! edges labelled with their mean rate since counting began, error % and
//! the client-side p99 (the upper bound of its latency bucket; the server
//! side's for requests from the virtual `user`). `?entry=`
//! shows the edges of the traces entering by that operation only (the
//! path-aware graph); a form lists the entries. Below the drawing, every
//! edge in a table, and the spans that could not be paired.
//!
//! The page draws the [`MAX_DRAWN`] busiest edges; the JSON has them all.
//! Markup: the drawing is `<svg class="graph">` with one `<g class="node"
//! data-name>` a node and one `<g class="edge" data-client data-server>` an
//! edge; the table rows are `<tr class="edge" data-client data-server>`,
//! with cells client, server, type, requests, rate, failed, error %, client
//! p99, server p99. Written with `maud`: every recorded name is escaped by
//! construction.

use axum::Json;
use axum::extract::{Query, State};
use axum::response::Response;
use maud::{Markup, html};
use serde_json::{Value as Json_, json};

use super::graph_layout::{Layout, NODE_HEIGHT, NODE_WIDTH};
use super::html::{bound, page};
use super::sources::Sources;
use crate::insights::{Edge, LatencyHistogram, ServiceGraph};

/// Edges the drawing shows at most, the busiest.
pub(crate) const MAX_DRAWN: usize = 200;

/// Characters of a node's name drawn in its box (the whole name is its
/// tooltip).
const NAME_CHARS: usize = 22;

#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct GraphParams {
    entry: Option<String>,
}

impl GraphParams {
    fn entry(mut self) -> Option<String> {
        bound(&mut self.entry);
        self.entry.filter(|e| !e.is_empty())
    }
}

/// The edges to show: all, or one entry's.
fn selected<'a>(graph: &'a ServiceGraph, entry: Option<&'a str>) -> Vec<&'a Edge> {
    let mut edges: Vec<&Edge> = match entry {
        None => graph.edges.iter().collect(),
        Some(entry) => graph.path(entry).collect(),
    };
    edges.sort_by_key(|e| std::cmp::Reverse(e.requests));
    edges
}

fn rate(graph: &ServiceGraph, e: &Edge) -> f64 {
    let seconds = graph.elapsed.as_secs_f64();
    if seconds > 0.0 { e.requests as f64 / seconds } else { 0.0 }
}

fn error_ratio(e: &Edge) -> f64 {
    if e.requests == 0 { 0.0 } else { e.failed as f64 / e.requests as f64 }
}

/// The p99 bound in seconds; `None` with no request or past the last
/// bucket.
fn p99(h: &LatencyHistogram) -> Option<f64> {
    h.quantile_bound(0.99).filter(|b| b.is_finite())
}

fn p99_text(h: &LatencyHistogram) -> String {
    match (h.count, p99(h)) {
        (0, _) => "–".to_owned(),
        (_, Some(b)) if b < 1.0 => format!("≤ {:.0} ms", b * 1000.0),
        (_, Some(b)) => format!("≤ {b} s"),
        (_, None) => "> 15 s".to_owned(),
    }
}

/// The latency an edge's label shows: the client's, but for requests from
/// the virtual `user` (which has no client side), the server's.
fn label_latency(e: &Edge) -> &LatencyHistogram {
    if e.client == crate::insights::extract::USER { &e.server_latency } else { &e.client_latency }
}

fn short(name: &str) -> String {
    match name.char_indices().nth(NAME_CHARS) {
        Some((at, _)) => format!("{}…", &name[..at]),
        None => name.to_owned(),
    }
}

pub(crate) async fn graph(State(s): State<Sources>, Query(params): Query<GraphParams>) -> Response {
    let service = s.handle.resource().service_name().to_owned();
    let body = match s.handle.service_graph() {
        None => html! {
            h1 { "Service graph" }
            p { "The service graph is off. Turn it on with " code { "Builder::service_graph(true)" }
                " or " code { "Builder::insights(true)" } "." }
        },
        Some(graph) => body(&graph, params.entry().as_deref()),
    };
    page("service graph", &service, &body.into_string())
}

fn body(graph: &ServiceGraph, entry: Option<&str>) -> Markup {
    let edges = selected(graph, entry);
    let drawn = &edges[..edges.len().min(MAX_DRAWN)];
    html! {
        h1 { "Service graph" }
        p {
            (graph.traces) " traces analysed over " (format!("{:.0}", graph.elapsed.as_secs_f64())) " s; "
            "rates are means over that time, p99 the bound of its latency bucket."
            @if graph.edges_overflow + graph.paths_overflow + graph.unpaired_overflow > 0 {
                " Past the caps: " (graph.edges_overflow) " requests, " (graph.paths_overflow)
                " by entry, " (graph.unpaired_overflow) " unpaired spans."
            }
        }
        form method="get" action="/debug/graph" {
            label { "Entry operation " select name="entry" {
                option value="" selected[entry.is_none()] { "all (the whole process)" }
                @for e in graph.entries() {
                    option value=(e) selected[entry == Some(e)] { (e) }
                }
            } }
            " " button type="submit" { "show" }
        }
        @if edges.is_empty() {
            p.empty { "No edges yet: they appear as traces complete." }
        } @else {
            (drawing(graph, drawn))
            @if drawn.len() < edges.len() {
                p { "The drawing shows the " (drawn.len()) " busiest of " (edges.len()) " edges." }
            }
        }
        h2 { "Edges" }
        table {
            tr { th { "client" } th { "server" } th { "type" } th { "requests" } th { "rate" } th { "failed" }
                 th { "error %" } th { "client p99" } th { "server p99" } }
            @for e in &edges {
                tr.edge data-client=(e.client) data-server=(e.server) {
                    td { (e.client) } td { (e.server) } td { (e.connection_type.as_str()) }
                    td.num { (e.requests) } td.num { (format!("{:.2}/s", rate(graph, e))) }
                    td.num { (e.failed) } td.num { (format!("{:.1}%", error_ratio(e) * 100.0)) }
                    td.num { (p99_text(&e.client_latency)) } td.num { (p99_text(&e.server_latency)) }
                }
            }
        }
        @if !graph.unpaired.is_empty() {
            h2 { "Unpaired spans" }
            p { "A client span with no server child and no peer attribute, or a server span whose caller is \
                 another process: that side is for the other process (or a collector seeing both) to count." }
            table {
                tr { th { "client" } th { "server" } th { "type" } th { "spans" } }
                @for u in &graph.unpaired {
                    tr.unpaired { td { (u.client) } td { (u.server) } td { (u.connection_type.as_str()) }
                        td.num { (u.spans) } }
                }
            }
        }
    }
}

/// The SVG drawing of `edges`.
fn drawing(graph: &ServiceGraph, edges: &[&Edge]) -> Markup {
    let layout = Layout::new(edges);
    let (w, h) = (layout.width, layout.height);
    let (nw, nh) = (NODE_WIDTH, NODE_HEIGHT);
    html! {
        svg.graph xmlns="http://www.w3.org/2000/svg" width=(w) height=(h) viewBox=(format!("0 0 {w} {h}"))
            role="img" aria-label="service graph" {
            defs {
                marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7"
                    orient="auto" { path d="M 0 0 L 10 5 L 0 10 z" fill="#667" {} }
            }
            @for e in edges {
                @if let (Some(c), Some(s)) = (layout.node(&e.client), layout.node(&e.server)) {
                    @let (x1, y1) = (c.x() + nw, c.y() + nh / 2);
                    @let (x2, y2) = (s.x(), s.y() + nh / 2);
                    @let d = if c.name == s.name {
                        format!("M {x1} {y1} c 40 -40, 40 40, 0 8")
                    } else {
                        format!("M {x1} {y1} C {} {y1}, {} {y2}, {x2} {y2}", x1 + 60, x2.saturating_sub(60))
                    };
                    @let failing = error_ratio(e) > 0.01;
                    g.edge data-client=(e.client) data-server=(e.server) {
                        title { (e.client) " → " (e.server) ": " (e.requests) " requests, " (e.failed) " failed" }
                        path d=(d) fill="none" stroke=(if failing { "#c33" } else { "#889" }) stroke-width="1.5"
                            marker-end="url(#arrow)" {}
                        // Two lines over the middle of the edge, on a halo
                        // of the background so that crossing lines do not
                        // hide them.
                        text x=((x1 + x2) / 2) y=((y1 + y2) / 2 - 14) font-size="10.5" text-anchor="middle"
                            fill=(if failing { "#a00" } else { "#333" }) stroke="#fafbfd" stroke-width="3"
                            paint-order="stroke" {
                            tspan { (format!("{:.2}/s · {:.1}% err", rate(graph, e), error_ratio(e) * 100.0)) }
                            tspan x=((x1 + x2) / 2) dy="12" { "p99 " (p99_text(label_latency(e))) }
                        }
                    }
                }
            }
            @for n in &layout.nodes {
                g.node data-name=(n.name) {
                    title { (n.name) }
                    rect x=(n.x()) y=(n.y()) width=(nw) height=(nh) rx="6" fill="#eef1fb" stroke="#99a" {}
                    text x=(n.x() + nw / 2) y=(n.y() + nh / 2 + 4) font-size="12" text-anchor="middle" {
                        (short(&n.name))
                    }
                }
            }
        }
    }
}

pub(crate) async fn graph_api(State(s): State<Sources>, Query(params): Query<GraphParams>) -> Json<Json_> {
    let Some(graph) = s.handle.service_graph() else {
        return Json(json!({ "enabled": false }));
    };
    let entry = params.entry();
    let edges = selected(&graph, entry.as_deref());
    let layout = Layout::new(&edges);
    let hist = |h: &LatencyHistogram| json!({ "buckets": h.buckets, "sum": h.sum, "count": h.count });
    Json(json!({
        "enabled": true,
        "traces": graph.traces,
        "elapsed_seconds": graph.elapsed.as_secs_f64(),
        "entry": entry,
        "entries": graph.entries(),
        "nodes": layout.nodes.iter().map(|n| json!({ "name": n.name, "depth": n.depth })).collect::<Vec<_>>(),
        "edges": edges.iter().map(|e| json!({
            "client": e.client,
            "server": e.server,
            "connection_type": e.connection_type.as_str(),
            "requests": e.requests,
            "failed": e.failed,
            "rate_per_second": rate(&graph, e),
            "error_ratio": error_ratio(e),
            "client_p99_seconds": p99(&e.client_latency),
            "server_p99_seconds": p99(&e.server_latency),
            "client_latency": hist(&e.client_latency),
            "server_latency": hist(&e.server_latency),
        })).collect::<Vec<_>>(),
        "unpaired": graph.unpaired.iter().map(|u| json!({
            "client": u.client, "server": u.server,
            "connection_type": u.connection_type.as_str(), "spans": u.spans,
        })).collect::<Vec<_>>(),
        "overflow": {
            "edges": graph.edges_overflow,
            "paths": graph.paths_overflow,
            "unpaired": graph.unpaired_overflow,
        },
        "bucket_bounds_seconds": crate::insights::LATENCY_BUCKETS,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_shortened_at_a_character_boundary() {
        assert_eq!(short("frontend"), "frontend");
        let long = "é".repeat(40);
        assert_eq!(short(&long).chars().count(), NAME_CHARS + 1);
    }
}
