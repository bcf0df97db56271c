#!/usr/bin/env python3
"""Writes the seed corpus, fuzz/corpus/<target>/: a handful of valid and
invalid inputs per target. Run it again after changing a target's input
format; the files it writes are the committed seeds.

extract_headers and otlp_env take `arbitrary`-derived structs: `encode_*`
below lays their fields out as arbitrary 1.x reads them (each Vec element
after a 0x01 "more" byte, a 0x00 to stop; integers little-endian from the
front; string lengths from the back), valid while a seed stays under 256
bytes. `cargo fuzz fmt <target> <file>` shows what a seed decodes to.
"""
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def write(target, seeds):
    d = os.path.join(HERE, "corpus", target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for name, data in seeds.items():
        if isinstance(data, str):
            data = data.encode()
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


class Layout:
    """Bytes read from the front, and lengths read from the back."""

    def __init__(self):
        self.front, self.back = bytearray(), bytearray()

    def string(self, s):
        b = s.encode()
        self.back.append(len(b))
        self.front += b

    def done(self):
        data = bytes(self.front) + bytes(reversed(self.back))
        assert len(data) <= 256, "seeds over 256 bytes read lengths as 2 bytes"
        return data


def encode_headers(pairs):
    """extract_headers: Vec<(Name, String)>; Name is Traceparent(case),
    Tracestate(case), Baggage(case) or Other(String), a variant being chosen
    by (u32 * 4) >> 32."""
    known = {"traceparent": 0, "tracestate": 1, "baggage": 2}
    lay = Layout()
    for name, value in pairs:
        lay.front.append(1)
        variant = known.get(name.lower(), 3)
        lay.front += struct.pack("<I", variant << 30)
        if variant < 3:
            # Bit i of the case byte upper-cases character i (mod 8).
            lay.front.append(sum(1 << i for i, c in enumerate(name[:8]) if c.isupper()))
        else:
            lay.string(name)
        lay.string(value)
    lay.front.append(0)
    return lay.done()


OTEL = [
    "OTEL_SDK_DISABLED", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_COMPRESSION", "OTEL_EXPORTER_OTLP_TIMEOUT",
] + [
    f"OTEL_EXPORTER_OTLP_{s}_{f}"
    for s in ("TRACES", "METRICS", "LOGS")
    for f in ("PROTOCOL", "ENDPOINT", "HEADERS", "COMPRESSION", "TIMEOUT")
] + [
    "OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER",
    "OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "OTEL_BSP_SCHEDULE_DELAY",
    "OTEL_BSP_EXPORT_TIMEOUT", "OTEL_METRIC_EXPORT_INTERVAL",
    "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
]


def encode_env(pairs):
    """otlp_env: Vec<(u8, String)>, the u8 an index into VARIABLES."""
    lay = Layout()
    for name, value in pairs:
        lay.front += bytes([1, OTEL.index(name)])
        lay.string(value)
    lay.front.append(0)
    return lay.done()


DEBUG_ROUTES = [
    "", "/metrics", "/debug", "/debug/", "/debug/traces", "/debug/traces/",
    "/debug/traces/4bf92f3577b34da6a3ce929d0e0e4736", "/debug/logs", "/debug/tracez", "/debug/api/tracez",
    "/debug/metrics", "/debug/sampling", "/debug/api/metrics", "/debug/api/sampling", "/debug/api/logs",
    "/debug/api/overview", "/debug/api/traces", "/debug/api/traces/",
    "/debug/api/traces/4bf92f3577b34da6a3ce929d0e0e4736",
]


def encode_request(route, tail="", raw=False, accept=None, head=False):
    """debug_query: a control byte (route, raw, Accept, HEAD), the tail, then
    after a newline the Accept value."""
    control = DEBUG_ROUTES.index(route) | (0x20 if raw else 0) | (0x40 if accept is not None else 0)
    control |= 0x80 if head else 0
    data = bytes([control]) + tail.encode()
    if accept is not None:
        data += b"\n" + accept.encode()
    return data


def main():
    write("traceparent", {
        "valid-sampled": TP,
        "valid-unsampled": TP[:-2] + "00",
        "valid-random-and-reserved-flags": TP[:-2] + "ff",
        "valid-padded": " \t" + TP + "\t ",
        "valid-future-version": "cc" + TP[2:] + "-what-comes-next",
        "invalid-future-no-dash": "cc" + TP[2:] + "x",
        "invalid-version-ff": "ff" + TP[2:],
        "invalid-00-too-long": TP + "-",
        "invalid-upper-hex": TP.upper(),
        "invalid-zero-trace": "00-" + "0" * 32 + "-00f067aa0ba902b7-01",
        "invalid-zero-parent": "00-4bf92f3577b34da6a3ce929d0e0e4736-" + "0" * 16 + "-01",
        "invalid-short": TP[:40],
        "invalid-separator": TP.replace("-", "_"),
        "invalid-non-ascii": TP[:-1] + "é",
    })
    write("tracestate", {
        "valid-two": "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
        "valid-several-headers": "rojo=00f067aa0ba902b7\0 congo=t61rcWkgMzE ,,\0\tfoo@bar=1 2",
        "valid-tenant-system": "tenant_1@sys-a*b/c=x,a/b*c-d_e=printable !~",
        "valid-empty-members": " , ,\t,",
        "valid-32-members": ",".join(f"k{i}=v{i}" for i in range(32)),
        "invalid-33-members": ",".join(f"k{i}=v{i}" for i in range(33)),
        "invalid-duplicate": "a=1\0a=2",
        "invalid-upper-key": "Rojo=1",
        "invalid-value-equals": "a=b=c",
        "invalid-newline-in-value": "a=b \x20,c=d\0e=f\x20\n",
        "invalid-system-digit": "t@1sys=v",
        "invalid-long-value": "a=" + "x" * 257,
    })
    write("baggage", {
        "valid-properties": "customer=ann%20b;ttl=30;private,tenant=acme",
        "valid-several-headers": "a=1\0b = 2 ; p = v \0,,c=zo%C3%AB%2C%20co",
        "valid-duplicate-key": "k=1,k=2,j=3",
        "valid-raw-percent": "k=100%,l=%zz,m=%41",
        "invalid-member-skipped": "bad key=1,good=2,=x,novalue,k=a\"b,k2=v;bad prop",
        "invalid-utf8-escape": "k=%FF%FE,ok=1",
        "over-64-members": ",".join(f"k{i}={i}" for i in range(70)),
        "over-8192-bytes": "big=" + "x" * 8200 + ",small=1,mid=" + "y" * 8000 + ",tail=2",
        "newline-in-value": "k=a\nb,l=c\r",
    })
    write("extract_headers", {
        "full-context": encode_headers([
            ("traceparent", TP), ("tracestate", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"),
            ("baggage", "customer=ann%20b;ttl=30"), ("content-type", "application/json"),
        ]),
        "mixed-case-names": encode_headers([("TraceParent", TP[:-2] + "00"), ("BAGGAGE", "a=1"), ("Baggage", "b=2")]),
        "two-traceparents": encode_headers([("traceparent", TP), ("traceparent", TP)]),
        "tracestate-alone": encode_headers([("tracestate", "a=1"), ("baggage", "k=v")]),
        "bad-tracestate": encode_headers([("traceparent", TP), ("tracestate", "a=1,a=2")]),
        "bad-name-and-value": encode_headers([("bad name", "x"), ("baggage", "k=\u00e9"), ("traceparent", TP + "\n")]),
        "empty": b"",
    })
    write("otlp_env", {
        "http-full": encode_env([
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"), ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20t0ken, x-tenant = acme"),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"), ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
        ]),
        "per-signal": encode_env([
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://[::1]:4317"), ("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "grpc"),
            ("OTEL_METRICS_EXPORTER", "none"), ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "x"),
            ("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "LowMemory"),
        ]),
        "batch": encode_env([
            ("OTEL_BSP_MAX_QUEUE_SIZE", "100"), ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "0"),
            ("OTEL_BSP_SCHEDULE_DELAY", "-1"), ("OTEL_BSP_EXPORT_TIMEOUT", "18446744073709551615"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "1000"), ("OTEL_SDK_DISABLED", "TRUE"),
        ]),
        "bad-endpoint": encode_env([("OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://x")]),
        "bad-header": encode_env([("OTEL_EXPORTER_OTLP_HEADERS", "k=%C3%28")]),
        "bad-protocol": encode_env([("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")]),
        "bad-exporter": encode_env([("OTEL_LOGS_EXPORTER", "console")]),
    })
    tid = "4bf92f3577b34da6a3ce929d0e0e4736"
    write("debug_query", {
        "overview": encode_request("/debug"),
        "overview-head": encode_request("/debug", head=True),
        "traces-filters": encode_request("/debug/traces", "?name=GET%20/checkout&min_ms=0.5&errors=true&limit=10&offset=0&attr=tenant%3Dacme"),
        "traces-api-bad": encode_request("/debug/api/traces", "?min_ms=NaN&limit=-1&offset=99999999999999999999&attr=noequals"),
        "trace-page": encode_request("/debug/traces/" + tid),
        "trace-api-bad-id": encode_request("/debug/api/traces/", "4BF92F3577B34DA6A3CE929D0E0E4736"),
        "trace-bad-id": encode_request("/debug/traces/", "zz%00%FF"),
        "logs": encode_request("/debug/logs", f"?level=warn&target=worker&trace_id={tid}&limit=5"),
        "logs-api-bad": encode_request("/debug/api/logs", "?level=loud&trace_id=xyz&limit=x"),
        "tracez": encode_request("/debug/tracez"),
        "tracez-bucket": encode_request("/debug/tracez", "?name=job&bucket=0"),
        "tracez-errors": encode_request("/debug/tracez", "?name=GET%20/checkout&errors=1"),
        "tracez-running": encode_request("/debug/tracez", "?name=long%20job&running=1&limit=3"),
        "tracez-conflict": encode_request("/debug/tracez", "?name=job&bucket=2&errors=1&running=1&limit=3"),
        "tracez-api": encode_request("/debug/api/tracez", "?name=db%20query&bucket=99&limit=1e9"),
        "metrics-page": encode_request("/debug/metrics", "?name=requests_total"),
        "metrics-api": encode_request("/debug/api/metrics", "?name=" + "n" * 300),
        "sampling": encode_request("/debug/sampling", "?x=1"),
        "exposition-openmetrics": encode_request("/metrics", accept="application/openmetrics-text; version=1.0.0"),
        "exposition-text": encode_request("/metrics", accept="text/plain;q=0.5, */*"),
        "injection": encode_request("/debug/traces", "?name=%3Cfz%3E&attr=k%3D%3Cfz%3E"),
        "not-found": encode_request("", "/nope?a=b"),
        "raw-space": encode_request("/debug/logs", "?level=warn x\x01\xff", raw=True),
        "bad-escapes": encode_request("/debug/logs", "?level=%zz&target=%&limit=%31"),
        "duplicate-params": encode_request("/debug/traces", "?limit=1&limit=2&name=a&name=b"),
    })


if __name__ == "__main__":
    main()
