#!/usr/bin/env bash
# The README's test command: set-up, then every test of the workspace
# (unit, integration, doc and compile-fail UI tests), then a real Prometheus
# server scraping the metrics example, then a real browser (headless
# Chromium) rendering the debug pages that the hello example serves.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo test --workspace --lib --bins --tests --examples
cargo test --workspace --doc
bash scripts/prometheus-e2e.sh
bash scripts/browser-e2e.sh
