#!/usr/bin/env bash
# Card-read benchmark: builds, then runs bench/card.rs inside the private pcscd + vpcd namespace
# (scripts/e2e-env.sh) and prints its table. Needs root (or an unprivileged user namespace).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --no-run --bench card
ns=(unshare --mount --net --kill-child)
[ "$(id -u)" -eq 0 ] || ns=(unshare --map-root-user --mount --net --kill-child)
"${ns[@]}" scripts/e2e-env.sh cargo bench --offline --bench card
