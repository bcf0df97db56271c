#!/usr/bin/env bash
# Everything a fresh machine needs: the Rust components the checks use, and
# the programs the end-to-end tests drive (Prometheus, Chromium, Redis).
set -euo pipefail
if command -v rustup >/dev/null; then
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt || echo "setup: rustfmt missing"
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy || echo "setup: clippy missing"
fi
# A real Prometheus server for scripts/prometheus-e2e.sh (Debian's package).
if ! command -v prometheus >/dev/null; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -q --no-install-recommends prometheus >/dev/null 2>&1 \
    || { $sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q --no-install-recommends prometheus >/dev/null; } \
    || echo "setup: could not install prometheus"
fi
# A real browser for scripts/browser-e2e.sh (Debian's headless-capable Chromium).
if ! [ -x /usr/bin/chromium ] && ! command -v chromium >/dev/null; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 \
    || { $sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q --no-install-recommends chromium >/dev/null; } \
    || echo "setup: could not install chromium"
fi
# A real Redis for Tracing Talk (examples/tracing-talk) and its end-to-end
# test, which start their own redis-server on a free loopback port.
if ! command -v redis-server >/dev/null; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -q --no-install-recommends redis-server >/dev/null 2>&1 \
    || { $sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q --no-install-recommends redis-server >/dev/null; } \
    || echo "setup: could not install redis-server"
fi
