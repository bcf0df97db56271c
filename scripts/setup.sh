#!/usr/bin/env bash
# Everything a fresh machine needs: the Rust components the checks use.
set -euo pipefail
if command -v rustup >/dev/null; then
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt || echo "setup: rustfmt missing"
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy || echo "setup: clippy missing"
fi
