#!/usr/bin/env bash
# Boot the guest in the background and wait (up to BOOT_TIMEOUT s, default 900) for ssh.
# QEMU: TCG (no usable KVM on the CI machines: /dev/kvm there is a nested kvm_pvm under which a
# stock Debian kernel hangs at boot; ACCEL="-enable-kvm -cpu host" where real VMX exists), 2 vCPUs,
# 2 GiB, virtio disk, an xhci bus for hot-plugging the reader, the card slot's chardev
# $MWVM_RUN/vsc0.sock, the HMP monitor $MWVM_RUN/mon.sock, the serial console to serial.log, and
# user-mode networking with restrict=on: the guest reaches nothing, the host reaches its sshd
# on 127.0.0.1:$SSH_PORT only.
set -euo pipefail
. "$(dirname "$0")/common.sh"
Q=$QEMU_ROOT/usr/bin/qemu-system-x86_64
export QEMU_MODULE_DIR=$QEMU_ROOT/usr/lib/x86_64-linux-gnu/qemu
if [ -f "$MWVM_RUN/qemu.pid" ] && kill -0 "$(cat "$MWVM_RUN/qemu.pid")" 2>/dev/null; then
  die "a guest is already running (PID $(cat "$MWVM_RUN/qemu.pid"), $MWVM_RUN)"
fi
rm -f "$MWVM_RUN/mon.sock" "$MWVM_RUN/vsc0.sock" "$MWVM_RUN/serial.log" "$MWVM_RUN/qemu.pid"
ACCEL=${ACCEL:--accel tcg,thread=multi,tb-size=512 -cpu max}
# shellcheck disable=SC2086
"$Q" -name mynawatch-vm $ACCEL -smp 2 -m 2048 \
  -kernel "$MWVM_RUN/vmlinuz" -initrd "$MWVM_RUN/initrd.img" \
  -append "root=/dev/vda rw console=tty1 console=ttyS0,115200 ${KAPPEND:-}" \
  -drive file="$MWVM_RUN/disk.img",if=virtio,format=raw,cache=unsafe \
  -netdev user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$SSH_PORT-:22 -device virtio-net-pci,netdev=n0 \
  -device qemu-xhci,id=xhci \
  -chardev socket,id=vsc0,path="$MWVM_RUN/vsc0.sock",server=on,wait=off \
  -monitor unix:"$MWVM_RUN/mon.sock",server=on,wait=off \
  -serial file:"$MWVM_RUN/serial.log" -display none -vga std \
  -L "$QEMU_ROOT/usr/share/qemu" -L /usr/share/seabios -L /usr/lib/ipxe/qemu \
  -pidfile "$MWVM_RUN/qemu.pid" -daemonize
start=$SECONDS
deadline=$((SECONDS + ${BOOT_TIMEOUT:-900}))
until gssh root true 2>/dev/null; do
  kill -0 "$(cat "$MWVM_RUN/qemu.pid")" 2>/dev/null || die "QEMU exited during boot (see $MWVM_RUN/serial.log)"
  [ $SECONDS -lt $deadline ] || die "no ssh after ${BOOT_TIMEOUT:-900} s (see $MWVM_RUN/serial.log)"
  sleep 1
done
say "ssh up after $((SECONDS - start)) s"
