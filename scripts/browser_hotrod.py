"""Loads the insights pages of a running HotROD (examples/hotrod) in
headless Chromium and checks the DOM the browser rendered against the JSON
twins under /debug/api/:

1. `/debug/graph`: the book's architecture, drawn from completed traces:
   nodes frontend, customer, mysql, driver, redis and route (`g.node`),
   edges frontend -> customer -> mysql, frontend -> driver -> redis and
   frontend -> route (`g.edge`), each also in /debug/api/graph, and the
   callers drawn left of those they call;
2. the waterfall of a ride (`/debug/traces/{id}`): a staircase hint
   (`li.hint[data-pattern=staircase]`) whose links all lead to rows of
   `GetDriver` spans, the driver service's Redis calls one after the other,
   and the longest-self-time hint on the customer's `SQL SELECT` (in at
   least 4 rides of 5 by the JSON twins' `findings`: a scheduling stall
   on a loaded machine can make another span longer), and a
   `a.hint-mark` in those rows;
3. `/debug/insights`: the row of `GET /dispatch` has its span-count trend,
   an `svg.trend` with at least one bar, and the traces the JSON counts.

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


def longest_names(twin):
    """The span names the longest-self-time finding of a ride names."""
    names = {sp["span_id"]: sp["name"] for sp in twin["spans"]}
    return [[names.get(i) for i in f["spans"]] for f in twin["findings"] if f["kind"] == "longest_self_time"]


def rides():
    """The completed rides among the newest `GET /dispatch` traces with a
    staircase and a longest-self-time finding (rides keep coming in the
    background): (trace id, JSON twin)."""
    listing = bc.get_json("/debug/api/traces?name=GET%20%2Fdispatch&limit=20")
    found = []
    for t in listing["traces"]:
        twin = bc.get_json(f"/debug/api/traces/{t['trace_id']}")
        names = {s["name"] for s in twin["spans"]}
        kinds = {f["kind"] for f in twin.get("findings", [])}
        if {"GetDriver", "SQL SELECT", "GET /dispatch"} <= names and {"staircase", "longest_self_time"} <= kinds:
            found.append((t["trace_id"], twin))
    bc.check(found, f"no ride with a staircase and a longest-self-time finding among {len(listing['traces'])} "
                    "GET /dispatch traces")
    return found


def check_hints():
    # The customer's query is the longest span of a ride; a scheduling
    # stall on a loaded machine can make another span longer now and then,
    # so most rides, not every one, must say so.
    found = rides()
    on_sql = [(tid, twin) for tid, twin in found if longest_names(twin) == [["SQL SELECT"]]]
    bc.check(len(on_sql) * 5 >= len(found) * 4,
             f"the longest-self-time finding names SQL SELECT in {len(on_sql)} of {len(found)} rides: "
             f"{[longest_names(t) for _, t in found]}")
    trace_id, _ = on_sql[0]
    dom = bc.rendered(f"/debug/traces/{trace_id}")
    rows = {r.attrs.get("id"): r for r in dom.find_all("tr", cls="row")}

    def row_name(href):
        row = rows.get(href.lstrip("#"))
        bc.check(row is not None, f"hint link {href} leads to no row")
        return row.find_all("summary")[0].own_text().strip()

    hints = dom.find_all("li", cls="hint")
    stairs = [h for h in hints if h.attrs.get("data-pattern") == "staircase"]
    bc.check(stairs, f"waterfall: no staircase hint among {[h.attrs.get('data-pattern') for h in hints]}")
    links = [a.attrs["href"] for a in stairs[0].find_all("a") if a.attrs.get("href", "").startswith("#span-")]
    bc.check(len(links) >= 3, f"staircase hint links {len(links)} spans")
    names = {row_name(h) for h in links}
    bc.check(names == {"GetDriver"}, f"staircase hint leads to {names}, not only GetDriver")
    longest = [h for h in hints if h.attrs.get("data-pattern") == "longest_self_time"]
    bc.check(longest, "waterfall: no longest-self-time hint")
    target = [row_name(a.attrs["href"]) for a in longest[0].find_all("a") if a.attrs.get("href", "").startswith("#span-")]
    bc.check(target == ["SQL SELECT"], f"longest-self-time hint leads to {target}")
    marked = [r for r in rows.values() if r.find_all("a", cls="hint-mark")]
    bc.check(any(r.find_all("summary")[0].own_text().strip() == "GetDriver" for r in marked),
             "no GetDriver row carries a hint mark")
    return (f"{len(on_sql)} of {len(found)} rides name SQL SELECT longest; ride {trace_id}: staircase over {len(links)} GetDriver calls, longest self time on SQL SELECT; "
            f"{len(hints)} hints, {len(marked)} rows marked")


def check_insights():
    deadline = time.time() + 30
    while True:
        twin = bc.get_json("/debug/api/insights")
        ops = {o["root"]: o for o in twin.get("operations", [])}
        if "GET /dispatch" in ops:
            break
        bc.check(time.time() < deadline, f"/debug/api/insights: no GET /dispatch among {sorted(ops)}")
        time.sleep(0.5)
    dom = bc.rendered("/debug/insights")
    rows = dom.find_all("tr", cls="operation", data_root="GET /dispatch")
    bc.check(len(rows) == 1, f"insights: {len(rows)} rows for GET /dispatch")
    charts = rows[0].find_all("svg", cls="trend")
    bc.check(len(charts) >= 4, f"insights: {len(charts)} trend charts in the GET /dispatch row")
    spans_chart = charts[1]
    bars = spans_chart.find_all("rect")
    bc.check(bars and int(spans_chart.attrs.get("data-bars", "0")) == len(bars), "insights: the span-count trend has no bar")
    bc.check(any(float(b.attrs.get("height", "0")) > 0 for b in bars), "insights: every span-count bar is flat")
    count = ops["GET /dispatch"]["span_count"]
    return f"GET /dispatch: {ops['GET /dispatch']['traces']} traces, span-count trend of {len(bars)} bar(s), {count}"


def main():
    bc.configure(sys.argv[1], "", sys.argv[2])
    results = []
    for name, fn in [("graph", check_graph), ("hints", check_hints), ("insights", check_insights)]:
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
