#!/usr/bin/env bash
# Fuzzes every parser that reads network (or environment) input: the
# cargo-fuzz targets in fuzz/ (see fuzz/README.md).
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]   each target SECONDS (default 60)
#   bash scripts/fuzz.sh ci [TARGET...]          a short pass for CI: 10 s each
#
# LANTERN_FUZZ_DEV=1 builds the targets without optimisation (cargo fuzz
# --dev): quicker to build, slower to run, and with overflow checks on; what
# CI's short pass uses.
#
# Installs what it needs (a C++ compiler for libFuzzer, cargo-fuzz), builds
# every target once, runs each in turn from its seed corpus, and fails if any
# finds a crash (a panic, a failed assertion, a timeout, running out of
# memory). Only stable Rust is needed: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass
# its -Z flags. The corpus grown while fuzzing goes to fuzz/work/ (ignored
# by git), crashes to fuzz/artifacts/<target>/, logs to fuzz/work/logs/.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
[ $# -gt 0 ] && shift
[ "$seconds" = ci ] && seconds=10
case "$seconds" in
  '' | *[!0-9]*) echo "usage: bash scripts/fuzz.sh [SECONDS|ci] [TARGET...]" >&2; exit 2 ;;
esac

if ! command -v c++ >/dev/null; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -q --no-install-recommends g++ >/dev/null 2>&1 \
    || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q --no-install-recommends g++ >/dev/null; }
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz
fi

export RUSTC_BOOTSTRAP=1 CARGO_TERM_COLOR=never
cd fuzz
if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(cargo fuzz list); fi

build=(--sanitizer none)
[ "${LANTERN_FUZZ_DEV:-0}" = 1 ] && build+=(--dev)
start=$(date +%s)
echo "fuzz: building ${#targets[@]} targets (${build[*]})"
cargo fuzz build "${build[@]}"
echo "fuzz: built in $(($(date +%s) - start)) s; fuzzing each target for ${seconds} s"

mkdir -p work/logs
failed=()
for t in "${targets[@]}"; do
  mkdir -p "work/corpus/$t" "corpus/$t"
  args=(-max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1)
  [ -f "dict/$t.dict" ] && args+=(-dict="dict/$t.dict")
  log="work/logs/$t.log"
  # The first corpus directory is where libFuzzer writes what it finds: the
  # ignored work/ one, so the committed seeds (the second) stay as they are.
  if cargo fuzz run "${build[@]}" "$t" "work/corpus/$t" "corpus/$t" -- "${args[@]}" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1 || true)
    printf 'fuzz: %-16s ok   %12s runs  %s\n' "$t" "${runs:-?}" "$cov"
  else
    printf 'fuzz: %-16s FAILED (log: fuzz/%s)\n' "$t" "$log"
    grep -E -A12 "panicked at|ERROR: libFuzzer|==[0-9]+== ERROR|Test unit written" "$log" | head -n 40 || tail -n 40 "$log"
    failed+=("$t")
  fi
done

echo "fuzz: done in $(($(date +%s) - start)) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes in: ${failed[*]} (inputs in fuzz/artifacts/; replay with"
  echo "      RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none <target> <file>, from fuzz/)"
  exit 1
fi
