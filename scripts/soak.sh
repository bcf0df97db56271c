#!/usr/bin/env bash
# Soak test (not in CI; run by hand, figures in benches/README.md): HotROD
# under load for SOAK_SECONDS (default 600) with hostile traffic mixed in
# (oversized headers and baggage, held connections, a forced-debug flood),
# sampling its RSS and page latency every 10 s. Fails if RSS grows past the
# ring ceiling + 64 MiB or a page takes over 1 s. Loopback only; stops
# HotROD when done.
#
#   bash scripts/soak.sh                 # 10 minutes
#   SOAK_SECONDS=60 bash scripts/soak.sh # a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${SOAK_SECONDS:-600}"
load="${SOAK_LOAD:-20}"
cargo build -q --release --example hotrod
target="${CARGO_TARGET_DIR:-target}"
log="$(mktemp)"
LANTERN_HTTP_ADDR=127.0.0.1:0 "$target/release/examples/hotrod" --ports-from-zero --load "$load" --latency-scale 0.2 \
  > "$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
  grep -q "debug pages:" "$log" && break
  sleep 0.1
done
ui=$(grep -o 'UI: http://[0-9.:]*' "$log" | head -1 | sed 's|UI: http://||')
debug=$(grep -o 'debug pages: http://[0-9.:]*' "$log" | head -1 | sed 's|debug pages: http://||')
[ -n "$ui" ] && [ -n "$debug" ] || { cat "$log"; echo "soak: HotROD did not start"; exit 1; }
echo "soak: HotROD pid $pid, UI $ui, debug $debug, --load $load"
python3 scripts/soak.py --pid "$pid" --ui "$ui" --debug "$debug" --duration "$seconds"
