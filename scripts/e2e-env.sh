#!/usr/bin/env bash
# Run a command inside a private test environment: its own pcscd (with the vpcd virtual readers on
# 127.0.0.1:35963/35964) in a private mount + network namespace, so a test run never collides with a
# host pcscd or another test run. Each test starts its own dbus-daemon and notification server.
#
# Usage: unshare --mount --net --kill-child scripts/e2e-env.sh <command...>   (scripts/test.sh does this)
set -euo pipefail

T=$(mktemp -d /tmp/mynawatch-e2e.XXXXXX)
export MW_E2E_DIR=$T
mkdir -p /run/pcscd && mount -t tmpfs tmpfs /run/pcscd   # private pcscd socket dir (needs the mount ns)
ip link set lo up                                        # a fresh net ns has lo down
# Never let a test reach the session bus of whoever runs this (path sockets cross net namespaces).
unset DBUS_SESSION_BUS_ADDRESS DBUS_SYSTEM_BUS_ADDRESS

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT

pcscd --foreground --debug --apdu >"$T/pcscd.log" 2>&1 &
pids+=($!)
export MW_PCSCD_PID=$!
for _ in $(seq 100); do ss -Hltn 'sport = :35963' | grep -q . && break; sleep 0.1; done
ss -Hltn 'sport = :35963' | grep -q . || { echo "e2e-env: pcscd/vpcd did not come up; log:" >&2; cat "$T/pcscd.log" >&2; exit 1; }

"$@"   # not exec: the EXIT trap must run
