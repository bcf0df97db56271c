#!/usr/bin/env bash
# A real browser (Debian's `chromium`, installed by setup.sh, headless) loads
# the debug pages that examples/hello.rs serves; scripts/browser_check.py
# checks the DOM it rendered: the waterfall's rows and critical path against
# the JSON twin, the tracez counts, and markup in a span field shown as text
# with no <script> element. Then HotROD serves the insights pages, and
# scripts/browser_hotrod.py checks the service graph drawn from its rides,
# the hints on a ride's waterfall and the span-count trend on /debug/insights.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x /usr/bin/chromium ]; then chromium=/usr/bin/chromium; else chromium=$(command -v chromium || true); fi
[ -n "$chromium" ] || { echo "browser-e2e: chromium is not installed (scripts/setup.sh installs it)"; exit 1; }

work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

show_logs() {
  echo "--- hello's output"; tail -20 "$work/hello.log"
  if [ -s "$work/chromium.log" ]; then echo "--- chromium's stderr"; tail -10 "$work/chromium.log"; fi
}

cargo build -q -p lantern-examples --example hello
target=$(cargo metadata -q --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')

# Port 0: any free port; hello prints the URLs it serves, then serves until killed.
HELLO_ONCE=0 LANTERN_HTTP_ADDR=127.0.0.1:0 "$target/debug/examples/hello" >"$work/hello.log" 2>&1 &
pid=$!

deadline=$((SECONDS + 30))
until grep -q '^lantern: placing an order' "$work/hello.log"; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "browser-e2e: FAILED: hello exited before serving"; show_logs; exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "browser-e2e: FAILED: no URL lines from hello within 30 s"; show_logs; exit 1
  fi
  sleep 0.1
done
base=$(sed -n 's|^lantern: debug pages at \(http://[^ ]*\)/debug$|\1|p' "$work/hello.log" | head -1)
trace_id=$(sed -n 's|^lantern: trace with an error: http://[^ ]*/debug/traces/\([0-9a-f]\{32\}\)$|\1|p' "$work/hello.log" | head -1)
if [ -z "$base" ] || [ -z "$trace_id" ]; then
  echo "browser-e2e: FAILED: hello's URL lines are not in the expected form"; show_logs; exit 1
fi

if ! CHROMIUM="$chromium" python3 scripts/browser_check.py "$base" "$trace_id" "$work"; then
  show_logs
  exit 1
fi
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
pid=""

# Then HotROD, with rides in the background, for the insights pages
# (scripts/browser_hotrod.py): the service graph of its four services.
cargo build -q -p lantern-examples --example hotrod
LANTERN_HTTP_ADDR=127.0.0.1:0 "$target/debug/examples/hotrod" --ports-from-zero --latency-scale 0.3 --load 5 \
  >"$work/hotrod.log" 2>&1 &
pid=$!
deadline=$((SECONDS + 30))
until grep -q '^hotrod: debug pages: ' "$work/hotrod.log" 2>/dev/null; do
  if ! kill -0 "$pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
    echo "browser-e2e: FAILED: HotROD did not print its debug pages' URL"; tail -20 "$work/hotrod.log"; exit 1
  fi
  sleep 0.1
done
hotrod_base=$(sed -n 's|^hotrod: debug pages: \(http://[^ ]*\)/debug$|\1|p' "$work/hotrod.log" | head -1)
if ! CHROMIUM="$chromium" python3 scripts/browser_hotrod.py "$hotrod_base" "$work"; then
  echo "--- HotROD's output"; tail -20 "$work/hotrod.log"
  exit 1
fi
