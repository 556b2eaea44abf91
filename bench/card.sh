#!/usr/bin/env bash
# Card-read benchmark: builds, installs the reference readers on demand into bench/.tools/
# (gitignored) — jpki-cli from crates.io, myna from github jpki/myna — then runs bench/card.rs inside
# the private pcscd + vpcd namespace (scripts/e2e-env.sh), on the direct link and on a 40 ms/APDU one,
# and prints the machine, the versions and one table. Run by hand; not a test.
#
# myna: crates.io's `myna` (0.3.0) is an unrelated library (github my-number/myna) without a binary;
# jpki/myna's Rust CLI (package `myna` 0.6.x) is not on crates.io, so it is built from source:
# MYNA_SRC=/path/to/a/checkout, else `cargo install --git` (needs access to github.com). If neither
# works the table says "Not measured: myna: …" and the rest runs.
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
MYNA_REV=f85dc71a350e6aadafa3cce6354c7eeca1432a5e   # jpki/myna 0.6.4, 2026-05-01
if [ ! -x "$tools/bin/myna" ]; then
  if [ -n "${MYNA_SRC:-}" ]; then
    echo "building myna from $MYNA_SRC into bench/.tools/ …" >&2
    cargo install --locked --path "$MYNA_SRC" --root "$tools" >&2 || echo "myna: build from $MYNA_SRC failed" >&2
  else
    echo "building myna (github jpki/myna @ ${MYNA_REV:0:7}) into bench/.tools/ …" >&2
    cargo install --locked --git https://github.com/jpki/myna --rev "$MYNA_REV" --root "$tools" myna >&2 ||
      echo "myna: cannot be fetched from github.com here; set MYNA_SRC to a checkout" >&2
  fi
fi
myna_version="not built"
if [ -x "$tools/bin/myna" ]; then
  export MYNA=$tools/bin/myna
  myna_version=$("$MYNA" --version | awk '{print $2}')
fi
cargo bench --features sim --no-run --bench card 2>&1 | tail -n 1 >&2

echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1), Linux $(uname -r)"
echo "versions: $(rustc -V); pcscd $(pcscd --version 2>/dev/null | head -n1 | sed 's/^pcsc-lite version //; s/\.$//');" \
  "OpenSC $(dpkg-query -W -f '${Version}' opensc 2>/dev/null); vsmartcard-vpcd $(dpkg-query -W -f '${Version}' vsmartcard-vpcd 2>/dev/null);" \
  "jpki-cli $("$JPKI_CLI" --version | awk '{print $2}'); myna $myna_version"
echo
ns=(unshare --mount --net --kill-child)
[ "$(id -u)" -eq 0 ] || ns=(unshare --map-root-user --mount --net --kill-child)
"${ns[@]}" scripts/e2e-env.sh cargo bench --features sim --offline --bench card
