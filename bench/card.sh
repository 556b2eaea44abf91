#!/usr/bin/env bash
# Card-read benchmark: builds, installs the reference reader jpki-cli (crates.io) on demand into
# bench/.tools/ (gitignored), then runs bench/card.rs inside the private pcscd + vpcd namespace
# (scripts/e2e-env.sh) and prints the machine, the versions and one table. Run by hand; not a test.
# Needs root (or an unprivileged user namespace), pcscd + vsmartcard-vpcd + opensc (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
JPKI_CLI_VERSION=0.4.3
tools=$PWD/bench/.tools
if [ ! -x "$tools/bin/jpki-cli" ]; then
  echo "installing jpki-cli $JPKI_CLI_VERSION (crates.io) into bench/.tools/ for the comparison …" >&2
  cargo install jpki-cli --version "$JPKI_CLI_VERSION" --locked --root "$tools" >&2
fi
export JPKI_CLI=$tools/bin/jpki-cli
cargo bench --features sim --no-run --bench card 2>&1 | tail -n 1 >&2

echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1), Linux $(uname -r)"
echo "versions: $(rustc -V); pcscd $(pcscd --version 2>/dev/null | head -n1 | sed 's/^pcsc-lite version //; s/\.$//');" \
  "OpenSC $(dpkg-query -W -f '${Version}' opensc 2>/dev/null); vsmartcard-vpcd $(dpkg-query -W -f '${Version}' vsmartcard-vpcd 2>/dev/null);" \
  "jpki-cli $("$JPKI_CLI" --version | awk '{print $2}')"
echo
ns=(unshare --mount --net --kill-child)
[ "$(id -u)" -eq 0 ] || ns=(unshare --map-root-user --mount --net --kill-child)
"${ns[@]}" scripts/e2e-env.sh cargo bench --features sim --offline --bench card
