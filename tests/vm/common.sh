# Sourced by the tests/vm scripts: paths and helpers shared by the host side of the VM test.
# MWVM_CACHE   per-machine cache (QEMU unpacked, rootfs per package-list hash); default /var/tmp/mynawatch-vm
# MWVM_RUN     this run's scratch dir (image, sockets, logs); default $MWVM_CACHE/run
VM_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROJECT="$(cd "$VM_DIR/../.." && pwd)"
MWVM_CACHE=${MWVM_CACHE:-/var/tmp/mynawatch-vm}
MWVM_RUN=${MWVM_RUN:-$MWVM_CACHE/run}
QEMU_ROOT=$MWVM_CACHE/qemu
SSH_PORT=${SSH_PORT:-10022}
# The rootfs is keyed by what builds it: the package list and the build script.
rootfs_key() { cat "$VM_DIR/packages.txt" "$VM_DIR/build-rootfs.sh" | sha256sum | cut -c1-16; }
ROOTFS="$MWVM_CACHE/rootfs-$(rootfs_key)"
say() { printf 'vm-test: %s\n' "$*" >&2; }
die() { printf 'vm-test: FAIL: %s\n' "$*" >&2; exit 1; }
SSH_KEY=$MWVM_CACHE/id_ed25519
# gssh USER CMD: run CMD in the guest over the loopback-forwarded ssh port.
gssh() {
  local u=$1; shift
  ssh -q -i "$SSH_KEY" -p "$SSH_PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o ConnectTimeout=5 -o BatchMode=yes -o LogLevel=ERROR "$u@127.0.0.1" "$@"
}
# mon 'HMP COMMAND' ...: QEMU's human monitor.
mon() { python3 "$VM_DIR/monitor.py" "$MWVM_RUN/mon.sock" "$@"; }
