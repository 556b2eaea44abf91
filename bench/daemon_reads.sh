#!/usr/bin/env bash
# Loop-freedom benchmark: builds the release daemon, then runs bench/daemon_reads.rs inside the
# private pcscd + vpcd namespace (scripts/e2e-env.sh) and prints one table: D-Bus latency while a
# slow card is read (p50/p99/max), SIGTERM mid-read → exit, threads and RSS. Run by hand; not a test.
# MW_SLOW_MS sets the virtual card's delay per APDU (default 600: 16 APDUs, ~10 s, inside the
# daemon's 15 s read deadline).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --features sim --no-run --bench daemon_reads 2>&1 | tail -n 1 >&2
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1), Linux $(uname -r)"
echo "versions: $(rustc -V); pcscd $(pcscd --version 2>/dev/null | head -n1 | sed 's/^pcsc-lite version //; s/\.$//')"
echo
ns=(unshare --mount --net --kill-child)
[ "$(id -u)" -eq 0 ] || ns=(unshare --map-root-user --mount --net --kill-child)
"${ns[@]}" scripts/e2e-env.sh cargo bench --features sim --offline --bench daemon_reads
