#!/usr/bin/env python3
"""Soak HotROD with ordinary and hostile traffic, and watch the host.

Started by scripts/soak.sh (which builds and launches HotROD on free
loopback ports); can also be pointed at a running one. For DURATION seconds
it sends, all to 127.0.0.1 only:

- rides: GET /dispatch?customer=... at RATE a second (HotROD's own --load
  adds more);
- oversized input: 300 KB User-Agent headers, 4 KB baggage values for the
  allowlisted `customer`/`session` keys (each request a new value, which
  used to grow /metrics without bound), malformed traceparent/baggage;
- held connections: sockets to the debug server and to the UI that send
  nothing or half a request line and stay open;
- a forced-debug flood: `lantern-debug: 1` on every ride;
- page readers: /debug/traces, /debug/tracez, /debug/metrics and /metrics.

Every 10 s it samples HotROD's resident memory (/proc/PID/status) and the
latency of /debug/traces and /metrics, and prints a line. It fails (exit 1)
when RSS grows past CEILING + 64 MiB, or a page takes more than 1 s, and
prints a summary table either way. Every loop is bounded in time.
"""

import argparse
import random
import socket
import sys
import threading
import time
import urllib.request

STOP = threading.Event()
COUNTS = {"rides": 0, "ride_errors": 0, "hostile": 0, "hostile_refused": 0, "held": 0, "held_closed": 0,
          "pages": 0}
LOCK = threading.Lock()


def count(key, n=1):
    with LOCK:
        COUNTS[key] += n


def http_get(host, port, path, headers=None, timeout=5.0):
    """A raw HTTP/1.1 GET: status and body (bytes), or (0, b'') on failure."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(request)
            chunks = []
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        data = b"".join(chunks)
        head, _, body = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
        return status, body
    except (OSError, ValueError, IndexError):
        return 0, b""


def rides(ui, rate):
    while not STOP.is_set():
        started = time.monotonic()
        status, _ = http_get(*ui, f"/dispatch?customer={random.choice([123, 392, 567, 731])}",
                             headers={"lantern-debug": "1"})
        count("rides" if status == 200 else "ride_errors")
        STOP.wait(max(0.0, 1.0 / rate - (time.monotonic() - started)))


def hostile(ui, rate):
    agent = "A" * (300 * 1024)
    n = 0
    while not STOP.is_set():
        started = time.monotonic()
        n += 1
        kind = n % 3
        if kind == 0:
            headers = {"User-Agent": agent}
        elif kind == 1:
            headers = {"baggage": f"customer={n}{'c' * 4000},session={n}{'s' * 4000}"}
        else:
            headers = {"traceparent": "00-zz-" + "x" * 5000, "baggage": ";;;=,,," * 500}
        status, _ = http_get(*ui, f"/dispatch?customer=123&n={n}", headers=headers)
        count("hostile" if status else "hostile_refused")
        STOP.wait(max(0.0, 1.0 / rate - (time.monotonic() - started)))


def holders(targets, per_target):
    """Opens idle and half-sent connections, and reopens them as the server closes them."""
    socks = []
    deadline_each = 30.0
    while not STOP.is_set():
        socks = [(s, t) for s, t in socks if t > time.monotonic()]
        while len(socks) < per_target * len(targets) and not STOP.is_set():
            host, port = random.choice(targets)
            try:
                s = socket.create_connection((host, port), timeout=2)
                if random.random() < 0.5:
                    s.sendall(b"GET /debug/traces HTT")
                socks.append((s, time.monotonic() + deadline_each))
                count("held")
            except OSError:
                count("held_closed")
                break
        # Count the ones the server closed.
        alive = []
        for s, t in socks:
            try:
                s.setblocking(False)
                data = s.recv(1)
                if data == b"":
                    count("held_closed")
                    s.close()
                    continue
            except BlockingIOError:
                pass
            except OSError:
                count("held_closed")
                s.close()
                continue
            alive.append((s, t))
        socks = alive
        STOP.wait(1.0)
    for s, _ in socks:
        s.close()


def readers(debug):
    paths = ["/debug/traces", "/debug/tracez", "/debug/metrics", "/metrics", "/debug/traces?name=" + "n" * 3000]
    while not STOP.is_set():
        http_get(*debug, random.choice(paths), timeout=10)
        count("pages")
        STOP.wait(0.2)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def timed(debug, path):
    started = time.monotonic()
    status, body = http_get(*debug, path, timeout=10)
    return time.monotonic() - started, status, len(body)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--ui", required=True, help="host:port of HotROD's frontend")
    p.add_argument("--debug", required=True, help="host:port of Lantern's debug server")
    p.add_argument("--duration", type=int, default=600)
    p.add_argument("--rate", type=float, default=20, help="rides a second from this script")
    p.add_argument("--hostile-rate", type=float, default=20)
    p.add_argument("--held", type=int, default=200, help="held connections per target")
    p.add_argument("--ceiling-mib", type=int, default=64)
    a = p.parse_args()
    ui = (a.ui.split(":")[0], int(a.ui.split(":")[1]))
    debug = (a.debug.split(":")[0], int(a.debug.split(":")[1]))
    for host in (ui[0], debug[0]):
        assert host in ("127.0.0.1", "localhost"), "loopback only"

    threads = [threading.Thread(target=rides, args=(ui, a.rate / 4), daemon=True) for _ in range(4)]
    threads += [threading.Thread(target=hostile, args=(ui, a.hostile_rate / 2), daemon=True) for _ in range(2)]
    threads += [threading.Thread(target=holders, args=([ui, debug], a.held), daemon=True)]
    threads += [threading.Thread(target=readers, args=(debug,), daemon=True) for _ in range(2)]
    for t in threads:
        t.start()

    limit_kib = (a.ceiling_mib + 64) * 1024
    baseline = rss_kib(a.pid)
    failures = []
    print(f"soak: {a.duration} s, RSS limit {limit_kib // 1024} MiB (ceiling {a.ceiling_mib} MiB + 64), "
          f"RSS at start {baseline // 1024} MiB")
    print("  t(s)  rss(MiB)  traces(s)  metrics(s)  metrics(KiB)  rides  errors  hostile  held  closed  pages")
    worst = {"rss": 0, "traces": 0.0, "metrics": 0.0}
    start = time.monotonic()
    while time.monotonic() - start < a.duration:
        time.sleep(10)
        try:
            rss = rss_kib(a.pid)
        except FileNotFoundError:
            failures.append("HotROD exited")
            break
        t_traces, s1, _ = timed(debug, "/debug/traces")
        t_metrics, s2, n_metrics = timed(debug, "/metrics")
        worst["rss"] = max(worst["rss"], rss)
        worst["traces"] = max(worst["traces"], t_traces)
        worst["metrics"] = max(worst["metrics"], t_metrics)
        with LOCK:
            c = dict(COUNTS)
        print(f"{time.monotonic() - start:6.0f}  {rss / 1024:8.1f}  {t_traces:9.3f}  {t_metrics:10.3f}  "
              f"{n_metrics / 1024:12.1f}  {c['rides']:5}  {c['ride_errors']:6}  {c['hostile']:7}  {c['held']:4}  "
              f"{c['held_closed']:6}  {c['pages']:5}", flush=True)
        if rss > limit_kib:
            failures.append(f"RSS {rss // 1024} MiB over {limit_kib // 1024} MiB")
        if t_traces > 1.0 or s1 != 200:
            failures.append(f"/debug/traces took {t_traces:.2f} s (status {s1})")
        if t_metrics > 1.0 or s2 != 200:
            failures.append(f"/metrics took {t_metrics:.2f} s (status {s2})")
    STOP.set()
    for t in threads:
        t.join(timeout=15)
    print(f"soak: worst RSS {worst['rss'] / 1024:.1f} MiB, worst /debug/traces {worst['traces']:.3f} s, "
          f"worst /metrics {worst['metrics']:.3f} s; counts {COUNTS}")
    if failures:
        print("soak: FAILED: " + "; ".join(sorted(set(failures))))
        return 1
    print("soak: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
