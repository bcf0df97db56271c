"""Polls a Prometheus server until it has scraped Lantern's metrics example:
a RED series from its server spans, an exemplar with a trace id, the
service graph's series under the OpenTelemetry Collector servicegraph
connector's names and labels, and a tracing-quality score."""

import json
import sys
import time
import urllib.parse
import urllib.request

BASE = f"http://127.0.0.1:{sys.argv[1]}/api/v1"


def api(path, **params):
    url = f"{BASE}/{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=5) as r:
        body = json.load(r)
    assert body["status"] == "success", body
    return body["data"]


def check():
    up = api("query", query='up{job="lantern"}')["result"]
    if not up or up[0]["value"][1] != "1":
        return f"target not up yet: {up}"
    calls = api("query", query='span_calls_total{span_name="HTTP GET /dispatch",span_kind="server"}')["result"]
    if not calls or float(calls[0]["value"][1]) <= 0:
        return f"no span_calls_total yet: {calls}"
    labelled = api("query", query='dispatch_requests_total{customer="Trom Chocolatier"}')["result"]
    if not labelled:
        return "no series labelled from baggage yet"
    now = time.time()
    exemplars = api("query_exemplars", query="driver_eta_seconds_bucket", start=now - 300, end=now)
    ids = [e["labels"].get("trace_id") for s in exemplars for e in s["exemplars"]]
    if not any(ids):
        return f"no exemplar yet: {exemplars}"
    tid = next(i for i in ids if i)
    service = 'client="metrics-example",server="mysql",connection_type="database"'
    edge = api("query", query=f"traces_service_graph_request_total{{{service}}}")["result"]
    if not edge or float(edge[0]["value"][1]) <= 0:
        return f"no service-graph edge to mysql yet: {edge}"
    user = api("query", query='traces_service_graph_request_total{client="user",server="metrics-example"}')["result"]
    if not user:
        return "no user -> metrics-example edge yet"
    failed = api("query", query=f"traces_service_graph_request_failed_total{{{service}}}")["result"]
    buckets = api("query", query=f"traces_service_graph_request_client_seconds_bucket{{{service}}}")["result"]
    server = api("query", query=f"traces_service_graph_request_server_seconds_count{{{service}}}")["result"]
    if not failed or not buckets or not server:
        return f"service-graph series incomplete: failed={failed} buckets={len(buckets)} server={server}"
    les = sorted(float(b["metric"]["le"]) for b in buckets)
    assert les[:3] == [0.002, 0.004, 0.006] and les[-1] == float("inf"), les
    score = api("query", query='lantern_quality_score{service="metrics-example"}')["result"]
    if not score:
        return "no lantern_quality_score yet"
    assert len(tid) == 32 and int(tid, 16), tid
    print(f"prometheus-e2e: ok: span_calls_total={calls[0]['value'][1]}, "
          f"{len(ids)} exemplars, e.g. trace_id={tid}; service graph: "
          f"metrics-example -> mysql {edge[0]['value'][1]} requests; quality score {score[0]['value'][1]}")
    return None


deadline = time.time() + 90
last = "not started"
while time.time() < deadline:
    try:
        last = check()
        if last is None:
            sys.exit(0)
    except OSError as e:  # the server is still starting
        last = f"prometheus not reachable: {e}"
    time.sleep(1)
print(f"prometheus-e2e: FAILED: {last}")
sys.exit(1)
