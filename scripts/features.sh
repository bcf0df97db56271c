#!/usr/bin/env bash
# Every feature combination a user can pick for `lantern` compiles without a
# warning (so `cfg(not(feature = ...))` branches stay honest), the import
# graph of the runtime has no circle, and the docs build without a broken
# link, and every public item has one path. Part of `.ci/run`.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 scripts/import_cycles.py --test > /tmp/import_cycles_selftest.log 2>&1 || { cat /tmp/import_cycles_selftest.log; exit 1; }
python3 scripts/import_cycles.py runtime/src
for features in "" console server middleware axum "middleware,axum" server,middleware remote-sampling "middleware,remote-sampling"; do
  echo "features: lantern --no-default-features --features '$features'"
  cargo clippy -q -p lantern --no-default-features --features "$features" -- -D warnings
done
echo "features: lantern --all-features"
cargo clippy -q -p lantern --all-features --all-targets -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc -q -p lantern -p lantern-otlp -p lantern-macros --no-deps --all-features
# One path per public item, a small root (rustdoc JSON; see the script).
python3 scripts/public_paths.py
