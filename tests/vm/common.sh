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
# gssh root CMD: run CMD in the guest over the loopback-forwarded ssh port. One master connection is
# kept open (ControlPersist) and reused: every new ssh login would start a user manager for root,
# which takes many seconds under TCG. `gssh_close` ends it.
gssh() {
  local u=$1; shift
  ssh -q -i "$SSH_KEY" -p "$SSH_PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o ConnectTimeout=60 -o BatchMode=yes -o LogLevel=ERROR -o ServerAliveInterval=30 \
    -o ControlMaster=auto -o ControlPath="$MWVM_RUN/ssh-%r.sock" -o ControlPersist=yes \
    "$u@127.0.0.1" "$@"
}
gssh_close() { ssh -q -o ControlPath="$MWVM_RUN/ssh-root.sock" -O exit root@127.0.0.1 2>/dev/null; }
# galice CMD: run CMD as alice with her session bus and runtime dir, the way a terminal of hers
# would. It goes through root's ssh connection on purpose: an ssh login as alice would be a second
# session of hers and keep her user manager alive past a logout (the fresh-login check needs it gone).
galice() {
  gssh root "cd /home/alice && runuser -u alice -- env XDG_RUNTIME_DIR=/run/user/1000 \
    DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus bash -c $(printf '%q' "$*")"
}
# mon 'HMP COMMAND' ...: QEMU's human monitor.
mon() { python3 "$VM_DIR/monitor.py" "$MWVM_RUN/mon.sock" "$@"; }
