#!/usr/bin/env bash
# Runs every libFuzzer target in fuzz/ for a bounded time and prints one table
# (target, seconds, runs, execs/s, corpus size, crashes). Exit 1 if any target crashed; the
# crashing inputs are in fuzz/artifacts/<target>/ (turn them into named regression tests).
# Usage: bench/fuzz.sh [SECONDS_PER_TARGET (default 60)] [TARGET...]
# Needs cargo-fuzz (installed on demand) and a nightly compiler, or stable with RUSTC_BOOTSTRAP=1
# (libFuzzer's sanitizer flags are nightly-only; that is what this script uses).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
[[ $secs =~ ^[0-9]+$ ]] || { echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2; }
export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz (crates.io) …" >&2
  cargo install cargo-fuzz --locked >&2
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cd fuzz && cargo fuzz list)
# -O: optimised, -a: debug assertions on (overflow checks, debug_assert!) like the tests.
(cd fuzz && cargo fuzz build -O -a) >&2

logs=$(mktemp -d /tmp/mw-fuzz.XXXXXX)
trap 'rm -rf "$logs"' EXIT
rows=() failed=0
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  seeds=()
  [ -d "fuzz/seeds/$t" ] && seeds=("seeds/$t")
  before=$(find "fuzz/artifacts/$t" -type f | wc -l)
  echo "fuzzing $t for ${secs}s …" >&2
  set +e
  (cd fuzz && cargo fuzz run -O -a "$t" "corpus/$t" "${seeds[@]}" -- \
      -max_total_time="$secs" -timeout=10 -max_len=16384 -print_final_stats=1 \
      >"$logs/$t.log" 2>&1)
  rc=$?
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t.log" | tail -n1)
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$logs/$t.log" | tail -n1)
  corpus=$(find "fuzz/corpus/$t" -type f | wc -l)
  crashes=$(( $(find "fuzz/artifacts/$t" -type f | wc -l) - before ))
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes="exit $rc"; fi
  if [ "$crashes" != 0 ]; then
    failed=1
    echo "--- $t: last lines of the libFuzzer log ---" >&2
    tail -n 30 "$logs/$t.log" >&2
  fi
  rows+=("| $t | $secs | ${runs:-?} | ${eps:-?} | $corpus | $crashes |")
done

echo "| target | seconds | runs | execs/s | corpus files | new crashes |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
exit "$failed"
