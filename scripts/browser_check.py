"""Loads Lantern's debug pages, served by examples/hello.rs, in headless
Chromium and checks the DOM the browser rendered against the JSON twins
under /debug/api/:

1. the waterfall of hello's error trace has one `tr.row` per span, in the
   JSON's order, with the span names of an order (order, checkout,
   fetch_price x3, send_receipt) and the JSON's span ids and error flags;
2. the critical path is marked: rows with class `critical` and a
   `span.mark-critical`, the JSON's critical flags, the root among them;
3. `/debug/tracez`: the row `tr.tracez[data-name="fetch_price"]` has one
   `td.bucket` per latency bucket 0..8 and a `td.errors`, and its bucket
   counts sum to what `/debug/api/tracez` says for fetch_price (> 0);
4. the customer's note `<script>alert(1)</script>` shows as text in the
   waterfall, and no page has a `<script>` element.

Usage: browser_check.py BASE_URL TRACE_ID WORK_DIR  (standard library only)
"""

import collections
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from html.parser import HTMLParser

BASE, TRACE_ID, WORK = "", "", ""


def configure(base, trace_id, work):
    """Where the pages are served, the trace to check, the scratch dir
    (scripts/browser_hotrod.py imports this module and sets its own)."""
    global BASE, TRACE_ID, WORK
    BASE, TRACE_ID, WORK = base.rstrip("/"), trace_id, work

NOTE = "<script>alert(1)</script>"
# What one of hello's orders with a unicorn makes (examples/hello.rs).
ORDER_SPANS = collections.Counter({"order": 1, "checkout": 1, "fetch_price": 3, "send_receipt": 1})
BUCKETS = [str(i) for i in range(9)]
CHROMIUM_TIMEOUT = 30
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Failed(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failed(message)


# A small DOM: enough to query what Chromium serialized.


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    def classes(self):
        return (self.attrs.get("class") or "").split()

    def text(self):
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def own_text(self):
        """The text directly in this element, not in its child elements."""
        return "".join(c for c in self.children if isinstance(c, str))

    def find_all(self, tag=None, cls=None, **attrs):
        out = []
        stack = list(reversed(self.children))
        while stack:
            n = stack.pop()
            if isinstance(n, str):
                continue
            if (tag is None or n.tag == tag) and (cls is None or cls in n.classes()) and all(
                n.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items()
            ):
                out.append(n)
            stack.extend(reversed(n.children))
        return out


class DomBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.cur)
        self.cur.children.append(node)
        if tag not in VOID:
            self.cur = node

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def parse(html):
    b = DomBuilder()
    b.feed(html)
    b.close()
    return b.root


# Fetching: JSON and status with urllib, rendered DOM with Chromium.


def fetch(path):
    try:
        with urllib.request.urlopen(BASE + path, timeout=10) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def get_json(path):
    status, body = fetch(path)
    check(status == 200, f"GET {path}: HTTP {status}: {body[:200]}")
    return json.loads(body)


def chromium():
    for c in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if c and os.access(c, os.X_OK):
            return c
    raise Failed("chromium is not installed (scripts/setup.sh installs it)")


def rendered(path):
    """The DOM of `path` after headless Chromium loaded and rendered it."""
    status, _ = fetch(path)
    check(status == 200, f"GET {path}: HTTP {status} (is the page served?)")
    profile = tempfile.mkdtemp(prefix="chromium-", dir=WORK)
    args = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=2000",
            f"--user-data-dir={profile}", "--dump-dom", BASE + path]
    with open(os.path.join(WORK, "chromium.log"), "ab") as log:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=CHROMIUM_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise Failed(f"chromium did not render {path} within {CHROMIUM_TIMEOUT} s (an alert() dialog blocks "
                         "headless Chromium: did markup from a span run as a script?)")
        finally:
            try:  # helpers it may have left behind
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    html = out.decode("utf-8", "replace")
    check(proc.returncode == 0, f"chromium exited with {proc.returncode} on {path}")
    check("<html" in html and "</html>" in html, f"chromium dumped no DOM for {path}: {html[:200]!r}")
    dom = parse(html)
    scripts = dom.find_all("script")
    check(not scripts, f"{path}: the DOM has {len(scripts)} <script> element(s): {[s.text()[:60] for s in scripts]}")
    return dom


# The checks.


def check_waterfall(dom, twin):
    rows = dom.find_all("tr", cls="row")
    spans = twin["spans"]
    check(twin.get("omitted_spans", 0) == 0, f"the JSON twin left out {twin.get('omitted_spans')} spans")
    check(len(rows) == len(spans), f"waterfall: {len(rows)} tr.row in the DOM, the JSON twin has {len(spans)} spans")
    names = []
    for r in rows:
        summary = r.find_all("summary")
        check(summary, f"waterfall: row {r.attrs.get('data-span-id')} has no <summary>")
        names.append(summary[0].own_text().strip())
    check(names == [s["name"] for s in spans], f"waterfall: row names {names} != JSON {[s['name'] for s in spans]}")
    check(collections.Counter(names) == ORDER_SPANS, f"waterfall: span names {names}, expected {dict(ORDER_SPANS)}")
    ids = [r.attrs.get("data-span-id") for r in rows]
    check(ids == [s["span_id"] for s in spans], f"waterfall: data-span-id {ids} != JSON {[s['span_id'] for s in spans]}")
    errors = ["error" in r.classes() for r in rows]
    check(errors == [bool(s["error"]) for s in spans], f"waterfall: error classes {errors} != JSON")
    check(any(errors), "waterfall: no row has class error, but the trace has an error")
    check(all(n == "fetch_price" for n, e in zip(names, errors) if e), f"waterfall: error rows {names}/{errors}")
    return f"{len(rows)} rows ({', '.join(names)}) match the JSON twin, {sum(errors)} error row(s)"


def check_critical(dom, twin):
    rows = dom.find_all("tr", cls="row")
    spans = twin["spans"]
    critical = ["critical" in r.classes() for r in rows]
    check(any(critical), "critical path: no tr.row has class critical")
    for r, c in zip(rows, critical):
        marks = r.find_all("span", cls="mark-critical")
        check(bool(marks) == c, f"critical path: row {r.attrs.get('data-span-id')} critical={c} but {len(marks)} span.mark-critical")
    check(critical == [bool(s["critical"]) for s in spans], f"critical path: classes {critical} != JSON {[s['critical'] for s in spans]}")
    roots = [i for i, s in enumerate(spans) if not s.get("parent_span_id")]
    check(len(roots) == 1, f"critical path: {len(roots)} roots in the JSON twin")
    root = roots[0]
    check(critical[root], f"critical path: the root row ({spans[root]['name']}) is not critical")
    check(set(twin.get("critical_path", [])) == {s["span_id"] for s in spans if s["critical"]},
          "critical path: the JSON's critical_path and its rows' flags differ")
    names = [s["name"] for s, c in zip(spans, critical) if c]
    return f"{sum(critical)} critical rows with span.mark-critical, root `{spans[root]['name']}` included: {', '.join(names)}"


def tracez_entry(name):
    """The row of /debug/api/tracez for spans named `name`: {"name",
    "running", "buckets": [9 counts], "errors", "finished"} in "rows"
    (runtime/src/server/tracez_page.rs); returns (finished, errors)."""
    twin = get_json("/debug/api/tracez")
    rows = [r for r in twin["rows"] if r["name"] == name]
    check(len(rows) == 1, f"/debug/api/tracez: {len(rows)} rows named {name}")
    row = rows[0]
    check(len(row["buckets"]) == 9 and sum(row["buckets"]) == row["finished"],
          f"/debug/api/tracez: {name}: buckets {row['buckets']} do not sum to finished={row['finished']}")
    return row["finished"], row["errors"]


def number(td):
    text = td.text().strip().replace(",", "").replace("\u202f", "").replace(" ", "")
    if text in ("", "-", "\u2013", "\u00b7"):
        return 0
    check(text.isdigit(), f"tracez: {td.attrs} holds {text!r}, not a count")
    return int(text)


def check_tracez():
    before, errors_before = tracez_entry("fetch_price")
    dom = rendered("/debug/tracez")
    after, errors_after = tracez_entry("fetch_price")
    rows = dom.find_all("tr", cls="tracez", data_name="fetch_price")
    check(len(rows) == 1, f'tracez: {len(rows)} tr.tracez[data-name="fetch_price"] in the DOM')
    cells = [td for td in rows[0].find_all("td") if "bucket" in td.classes()]
    check([td.attrs.get("data-bucket") for td in cells] == BUCKETS,
          f"tracez: bucket cells {[td.attrs.get('data-bucket') for td in cells]}, expected data-bucket 0..8 in order")
    check(all("num" in td.classes() for td in cells), "tracez: a bucket cell lacks class num")
    counts = [number(td) for td in cells]
    errors = [td for td in rows[0].find_all("td") if "errors" in td.classes()]
    check(len(errors) == 1, f"tracez: {len(errors)} td.errors in the fetch_price row")
    total = sum(counts)
    # hello keeps placing orders: the page is read between the two JSON reads.
    check(before <= total <= after,
          f"tracez: the page's buckets {counts} sum to {total}, the JSON twin said {before} before and {after} after")
    check(total > 0, "tracez: no fetch_price span counted")
    failed = number(errors[0])
    check(errors_before <= failed <= errors_after,
          f"tracez: the page's errors cell says {failed}, the JSON twin {errors_before} before and {errors_after} after")
    return f"fetch_price buckets {counts} sum to {total} (JSON twin: {before}..{after}), {failed} errors"


def check_note(dom, raw):
    text = dom.text()
    check(NOTE in text, f"the note {NOTE} is not in the waterfall's text")
    order = [r for r in dom.find_all("tr", cls="row") if r.find_all("summary")[0].own_text().strip() == "order"]
    check(order and NOTE in order[0].text(), "the note is not in the order row's text")
    check("&lt;script&gt;alert(1)&lt;/script&gt;" in raw, "the served HTML does not escape the note")
    return f"{NOTE} is text in the order row (escaped in the HTML), no <script> element in any page"


def main():
    results = []
    trace = f"/debug/traces/{TRACE_ID}"

    def run(name, fn, *args):
        try:
            results.append((name, True, fn(*args)))
        except Failed as e:
            results.append((name, False, str(e)))
        except (OSError, ValueError, KeyError, TypeError) as e:
            results.append((name, False, f"{type(e).__name__}: {e}"))

    try:
        twin = get_json(f"/debug/api/traces/{TRACE_ID}")
        dom = rendered(trace)
        raw = fetch(trace)[1]
        # Other pages render, and none has a script either.
        for path in ("/debug", "/debug/traces", "/debug/logs"):
            rendered(path)
    except (Failed, OSError, ValueError) as e:
        print(f"browser-e2e: FAILED: {e}")
        return 1
    run("waterfall rows", check_waterfall, dom, twin)
    run("critical path", check_critical, dom, twin)
    run("tracez", check_tracez)
    run("note as text", check_note, dom, raw)
    for name, ok, detail in results:
        print(f"browser-e2e: {'ok' if ok else 'FAILED'}: {name}: {detail}")
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    configure(*sys.argv[1:4])
    sys.exit(main())
