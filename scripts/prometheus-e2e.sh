#!/usr/bin/env bash
# A real Prometheus server (Debian's `prometheus`, installed by setup.sh)
# scrapes examples/metrics.rs over OpenMetrics; its HTTP API must then return
# a RED series and an exemplar that carries a trace id.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v prometheus >/dev/null || { echo "prometheus-e2e: prometheus is not installed (scripts/setup.sh installs it)"; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cargo build -q -p lantern-examples --example metrics
target=$(cargo metadata -q --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
app_port=$(free_port)
prom_port=$(free_port)

LANTERN_HTTP_ADDR="127.0.0.1:$app_port" "$target/debug/examples/metrics" 120 >"$work/app.log" 2>&1 &
pids+=($!)

cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: lantern
    static_configs:
      - targets: ["127.0.0.1:$app_port"]
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$prom_port" --enable-feature=exemplar-storage \
  --log.level=warn >"$work/prometheus.log" 2>&1 &
pids+=($!)

if ! python3 scripts/prometheus_check.py "$prom_port"; then
  echo "--- app log"; tail -20 "$work/app.log"
  echo "--- prometheus log"; tail -20 "$work/prometheus.log"
  exit 1
fi
