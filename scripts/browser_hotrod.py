"""Loads the insights pages of a running HotROD (examples/hotrod) in
headless Chromium and checks the DOM the browser rendered against the JSON
twins under /debug/api/:

1. `/debug/graph`: the book's architecture, drawn from completed traces:
   nodes frontend, customer, mysql, driver, redis and route (`g.node`),
   edges frontend -> customer -> mysql, frontend -> driver -> redis and
   frontend -> route (`g.edge`), each also in /debug/api/graph, and the
   callers drawn left of those they call.

Usage: browser_hotrod.py BASE_URL WORK_DIR  (standard library only)
"""

import sys
import time

import browser_check as bc

NODES = {"frontend", "customer", "mysql", "driver", "redis", "route"}
EDGES = {("frontend", "customer"), ("customer", "mysql"), ("frontend", "driver"), ("driver", "redis"),
         ("frontend", "route")}


def wait_for_graph():
    """The graph once every expected edge is in its JSON (rides complete
    after the quiet period)."""
    deadline = time.time() + 60
    while True:
        twin = bc.get_json("/debug/api/graph")
        bc.check(twin.get("enabled"), "/debug/api/graph: the service graph is off in HotROD")
        edges = {(e["client"], e["server"]) for e in twin["edges"]}
        if EDGES <= edges:
            return twin
        if time.time() > deadline:
            raise bc.Failed(f"/debug/api/graph: after 60 s, edges {sorted(edges)} lack {sorted(EDGES - edges)}")
        time.sleep(0.5)


def x_of(node):
    rects = node.find_all("rect")
    bc.check(rects, f"graph: node {node.attrs.get('data-name')} has no rect")
    return float(rects[0].attrs["x"])


def check_graph():
    twin = wait_for_graph()
    dom = bc.rendered("/debug/graph")
    svgs = dom.find_all("svg", cls="graph")
    bc.check(len(svgs) == 1, f"graph: {len(svgs)} svg.graph in the DOM")
    nodes = {n.attrs.get("data-name"): n for n in svgs[0].find_all("g", cls="node")}
    bc.check(NODES <= set(nodes), f"graph: nodes {sorted(nodes)} lack {sorted(NODES - set(nodes))}")
    drawn = {(e.attrs.get("data-client"), e.attrs.get("data-server")) for e in svgs[0].find_all("g", cls="edge")}
    bc.check(EDGES <= drawn, f"graph: edges drawn {sorted(drawn)} lack {sorted(EDGES - drawn)}")
    json_edges = {(e["client"], e["server"]) for e in twin["edges"]}
    bc.check(drawn <= json_edges, f"graph: drawn edges {sorted(drawn - json_edges)} are not in the JSON twin")
    for client, server in EDGES:
        bc.check(x_of(nodes[client]) < x_of(nodes[server]), f"graph: {client} is not drawn left of {server}")
    rows = dom.find_all("tr", cls="edge")
    bc.check(len(rows) == len(twin["edges"]), f"graph: {len(rows)} edge rows, the JSON twin has {len(twin['edges'])}")
    return f"{len(nodes)} nodes, {len(drawn)} edges drawn, including {', '.join(f'{c}->{s}' for c, s in sorted(EDGES))}"


def main():
    bc.configure(sys.argv[1], "", sys.argv[2])
    results = []
    for name, fn in [("graph", check_graph)]:
        try:
            results.append((name, True, fn()))
        except bc.Failed as e:
            results.append((name, False, str(e)))
        except (OSError, ValueError, KeyError, TypeError) as e:
            results.append((name, False, f"{type(e).__name__}: {e}"))
    for name, ok, detail in results:
        print(f"browser-e2e: hotrod: {'ok' if ok else 'FAILED'}: {name}: {detail}")
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
