#!/usr/bin/env bash
# Build the guest rootfs (Debian 12 bookworm, debootstrap minbase + packages.txt) at most once per
# machine: it is cached as $MWVM_CACHE/rootfs-<hash of packages.txt and this script>, built under a
# lock into a temporary directory and renamed into place only when complete. Never modified after:
# configure-rootfs.sh copies it. MIRROR: an apt mirror URL (default: debootstrap's).
set -euo pipefail
. "$(dirname "$0")/common.sh"
mkdir -p "$MWVM_CACHE"
exec 9>"$MWVM_CACHE/rootfs.lock"
flock 9
if [ -x "$ROOTFS/usr/bin/systemctl" ]; then say "rootfs cached: $ROOTFS"; exit 0; fi
pkgs=$(grep -v '^#' "$VM_DIR/packages.txt" | grep . | paste -sd,)
tmp="$ROOTFS.tmp"
rm -rf "$tmp"
say "debootstrap bookworm -> $ROOTFS (once per machine, ~4 min)"
debootstrap --variant=minbase --include="$pkgs" bookworm "$tmp" ${MIRROR:+"$MIRROR"} > "$MWVM_CACHE/debootstrap.log" 2>&1 \
  || { tail -20 "$MWVM_CACHE/debootstrap.log" >&2; die "debootstrap failed (log: $MWVM_CACHE/debootstrap.log)"; }
chroot "$tmp" apt-get clean
mv "$tmp" "$ROOTFS"
# Older rootfs versions are dead weight (~1 GiB each).
for old in "$MWVM_CACHE"/rootfs-*; do [ "$old" = "$ROOTFS" ] || rm -rf "$old"; done
say "rootfs built: $ROOTFS"
