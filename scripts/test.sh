#!/usr/bin/env bash
# The test command: installs what the tests need (Debian/Ubuntu), checks formatting and lints, then runs
# every test — unit tests and end-to-end tests against real pcscd + vpcd, dbus-daemon and a notification
# server — inside a private namespace (scripts/e2e-env.sh). Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings
cargo build --all-targets --locked
# The namespace has no network: everything must be built before entering it.
cargo test --no-run --locked

ns=(unshare --mount --net --kill-child)
[ "$(id -u)" -eq 0 ] || ns=(unshare --map-root-user --mount --net --kill-child)
MYNAWATCH_E2E=1 "${ns[@]}" scripts/e2e-env.sh cargo test --offline --locked "$@"
