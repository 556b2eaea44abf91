#!/usr/bin/env bash
# Soak benchmark: tests/soak.rs's insert/remove soak with 1,000 cycles (MW_SOAK_CYCLES) against the
# release daemon, inside the private pcscd + vpcd namespace (scripts/e2e-env.sh). Both readers,
# five cards, every fourth cycle pulled mid-read. Prints the machine and one table: RSS after 1/10
# of the cycles and at the end. The test itself fails if RSS grew by 2 MiB or more, if a reminder or
# notification was duplicated, or if the daemon stopped answering. Run by hand (~10 min); not CI.
set -euo pipefail
cd "$(dirname "$0")/.."
cycles=${MW_SOAK_CYCLES:-1000}
cargo test --release --features sim --no-run --test soak 2>&1 | tail -n 1 >&2
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1), Linux $(uname -r)"
echo "versions: $(rustc -V); pcscd $(pcscd --version 2>/dev/null | head -n1 | sed 's/^pcsc-lite version //; s/\.$//');" \
  "vsmartcard-vpcd $(dpkg-query -W -f '${Version}' vsmartcard-vpcd 2>/dev/null)"
echo
log=$(mktemp /tmp/mynawatch-soak.XXXXXX)
trap 'rm -f "$log"' EXIT
ns=(unshare --mount --net --kill-child)
[ "$(id -u)" -eq 0 ] || ns=(unshare --map-root-user --mount --net --kill-child)
start=$(date +%s)
MW_SOAK_CYCLES=$cycles "${ns[@]}" scripts/e2e-env.sh \
  cargo test --release --features sim --offline --test soak soak_insert_remove_cycles -- --include-ignored --nocapture >"$log" 2>&1 \
  || { cat "$log" >&2; echo "soak FAILED" >&2; exit 1; }
secs=$(( $(date +%s) - start ))
grep '^soak:' "$log" >&2
check=$(sed -n 's/^soak: RSS after \([0-9]*\) cycles: \([0-9]*\) KiB$/\1 \2/p' "$log" | head -n1)
end=$(sed -n 's/^soak: RSS after \([0-9]*\) cycles: \([0-9]*\) KiB (\([0-9]*\) pulled.*/\1 \2 \3/p' "$log")
read -r c1 r1 <<<"$check"
read -r c2 r2 pulled <<<"$end"
echo "| cycles | pulled mid-read | wall time s | RSS after $c1 cycles KiB | RSS after $c2 cycles KiB | growth KiB | duplicate reminders/notifications |"
echo "|---|---|---|---|---|---|---|"
echo "| $c2 | $pulled | $secs | $r1 | $r2 | $((r2 - r1)) | 0 (asserted) |"
