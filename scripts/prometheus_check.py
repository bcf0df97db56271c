"""Polls a Prometheus server until it has scraped Lantern's metrics example:
a RED series from its server spans and an exemplar with a trace id."""

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
    assert len(tid) == 32 and int(tid, 16), tid
    print(f"prometheus-e2e: ok: span_calls_total={calls[0]['value'][1]}, "
          f"{len(ids)} exemplars, e.g. trace_id={tid}")
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
