#!/usr/bin/env bash
# The test command: installs what the tests need (Debian/Ubuntu), checks formatting and lints, then runs
# every test — unit tests and end-to-end tests against real pcscd + vpcd, dbus-daemon and a notification
# server — inside a private namespace (scripts/e2e-env.sh), then the package test
# (scripts/package-test.sh: .deb and .rpm built, linted, installed, upgraded, purged). Extra arguments
# go to `cargo test` and leave the package test out.
set -euo pipefail
cd "$(dirname "$0")/.."

# A one-shot run gains nothing from incremental caches, and they were a third of target/debug
# (docs/performance.md, "Disk"); scripts/vm-test.sh builds with the same setting, so its build of
# the virtual card is the one made here.
export CARGO_INCREMENTAL=0

# Disk: a CI machine once ran out of space in the middle of the test build. A whole run says
# up front what it needs and what there is (docs/performance.md, "Disk" has the breakdown).
if [ $# -eq 0 ]; then
  scripts/disk-check.sh
fi

scripts/install-deps.sh

# The real-session test (scripts/vm-test.sh) follows this one in the full test command; its guest
# root file system (debootstrap: mostly download and dpkg, minutes on a fresh machine, then cached
# under /var/tmp/mynawatch-vm) builds in the background meanwhile. Only for a whole run as root on
# a machine without the cache; MYNAWATCH_VM_PREFETCH=0 turns it off. vm-test.sh waits for it (the
# build holds a lock) and fails loudly if it did not finish.
prefetch=
if [ $# -eq 0 ] && [ "$(id -u)" -eq 0 ] && [ "${MYNAWATCH_VM_PREFETCH:-1}" = 1 ]; then
  mkdir -p /var/tmp/mynawatch-vm
  tests/vm/setup-host.sh
  setsid tests/vm/build-rootfs.sh > /var/tmp/mynawatch-vm/prefetch.log 2>&1 &
  prefetch=$!
  trap '[ -z "$prefetch" ] || kill -- -"$prefetch" 2>/dev/null || true' EXIT
fi

# The virtual card (`mynawatch sim-card`) is test equipment behind the `sim` feature (Cargo.toml):
# the lints run on the product as shipped and on the test build; the tests use the test build.
sim=(--features mynawatch/sim)
cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings
cargo clippy --all-targets --locked "${sim[@]}" -- -D warnings
# Licences, bans, registries and RustSec advisories of every dependency (deny.toml; the advisories
# from the snapshot in deny/advisory-db/, scripts/advisories.sh), and a check with the Rust version
# Cargo.toml declares (fetched by rustup): both only need the network cargo already needs. Like the
# package test below, only for the whole test command.
if [ $# -eq 0 ]; then
  make --no-print-directory deny
  make --no-print-directory msrv
fi
cargo build --all-targets --locked "${sim[@]}"
# The namespace has no network: everything must be built before entering it.
cargo test --no-run --locked "${sim[@]}"

ns=(unshare --mount --net --kill-child)
[ "$(id -u)" -eq 0 ] || ns=(unshare --map-root-user --mount --net --kill-child)
# Tests that need this environment or a system tool are #[ignore = "e2e: …"] (plain `cargo test`
# reports them as ignored); here every one of them runs, and a missing piece fails it
# (tests/support/mod.rs). `write_fuzz_seeds` is a by-hand tool that rewrites fuzz/seeds/, not a test.
# Our test-binary flags go after the caller's `--` if there is one, else after our own.
args=() harness=(--include-ignored --skip write_fuzz_seeds) split=0
for a in "$@"; do
  args+=("$a")
  if [ "$a" = "--" ] && [ $split -eq 0 ]; then args+=("${harness[@]}"); split=1; fi
done
[ $split -eq 1 ] || args+=(-- "${harness[@]}")
MYNAWATCH_E2E=1 "${ns[@]}" scripts/e2e-env.sh cargo test --offline --locked "${sim[@]}" "${args[@]}"

# The packages, on this machine's real dpkg/apt (outside the namespace; it needs root, and cleans up
# after itself). Only for the whole test command: a subset (`--test NAME`) says so and leaves it out.
if [ $# -gt 0 ]; then
  echo "test.sh: the disk check, cargo deny, the MSRV check and the package test not run (arguments given: a subset); ./scripts/test.sh alone runs them" >&2
  exit 0
fi
pkg_test=(env MYNAWATCH_E2E=1 scripts/package-test.sh)
[ "$(id -u)" -eq 0 ] || pkg_test=(sudo "${pkg_test[@]}")
"${pkg_test[@]}"

if [ -n "$prefetch" ]; then
  if wait "$prefetch"; then echo "test.sh: VM guest rootfs ready for scripts/vm-test.sh" >&2
  else echo "test.sh: VM guest rootfs build failed (/var/tmp/mynawatch-vm/prefetch.log); vm-test.sh retries it" >&2
  fi
  prefetch=
fi
