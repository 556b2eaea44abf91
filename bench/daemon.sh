#!/usr/bin/env bash
# Daemon benchmark: builds the release daemon, then runs bench/daemon.rs inside the private
# pcscd + vpcd namespace (scripts/e2e-env.sh) with a private session bus, and prints the machine,
# the versions and one table (insertion → status on D-Bus split into pcscd / card I/O / our own
# processing, idle CPU and wake-ups over 130 s (fails unless 0), RSS, cold start, binary size). Run by hand; not a test.
# MW_IDLE_SECS shortens the idle window.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --features sim --no-run --bench daemon 2>&1 | tail -n 1 >&2
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1), Linux $(uname -r)"
echo "versions: $(rustc -V); pcscd $(pcscd --version 2>/dev/null | head -n1 | sed 's/^pcsc-lite version //; s/\.$//');" \
  "vsmartcard-vpcd $(dpkg-query -W -f '${Version}' vsmartcard-vpcd 2>/dev/null); dbus $(dpkg-query -W -f '${Version}' dbus 2>/dev/null)"
echo
ns=(unshare --mount --net --kill-child)
[ "$(id -u)" -eq 0 ] || ns=(unshare --map-root-user --mount --net --kill-child)
"${ns[@]}" scripts/e2e-env.sh cargo bench --features sim --offline --bench daemon
