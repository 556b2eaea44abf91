#!/usr/bin/env bash
# Make this run's guest disk from the cached rootfs (never modified: copied first), configured for
# the test, with mynawatch installed the way a user installs it. Output in $MWVM_RUN:
# disk.img (raw ext4), vmlinuz, initrd.img.
#
# MYNAWATCH_VM_INSTALL selects how mynawatch goes in:
#   deb (default)   the .deb $MYNAWATCH_VM_DEB is copied to /var/tmp/mynawatch.deb in the image;
#                   scripts/vm-test.sh installs it in the BOOTED guest with `apt-get install ./…deb`,
#                   so its maintainer scripts run under the guest's real systemd, as for a user
#   make            `make install DESTDIR=stage PREFIX=/usr` of the checkout's $MYNAWATCH_VM_BIN
#                   (default target/release/mynawatch; target/debug/mynawatch for a quick try by hand)
set -euo pipefail
. "$(dirname "$0")/common.sh"
[ -x "$ROOTFS/usr/bin/systemctl" ] || die "no rootfs at $ROOTFS (run tests/vm/build-rootfs.sh)"
mkdir -p "$MWVM_RUN"
R=$MWVM_RUN/root
# The cached rootfs is never modified: this run's changes go to an overlay on it (no copy of ~800 MiB
# at the disk's fullest moment, docs/performance.md "Disk"); a copy where overlayfs is missing.
unmount_root() { mountpoint -q "$R" && umount "$R"; rm -rf "$R" "$MWVM_RUN/upper" "$MWVM_RUN/work"; }
unmount_root
rm -rf "$MWVM_RUN/stage"
mkdir -p "$R" "$MWVM_RUN/upper" "$MWVM_RUN/work"
trap unmount_root EXIT
if ! mount -t overlay overlay -o "lowerdir=$ROOTFS,upperdir=$MWVM_RUN/upper,workdir=$MWVM_RUN/work" "$R" 2>/dev/null; then
  echo "make-image: no overlayfs here, copying the rootfs" >&2
  cp -a "$ROOTFS/." "$R/"
fi

echo mwvm > "$R/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 mwvm\n' > "$R/etc/hosts"
printf '/dev/vda / ext4 rw,relatime 0 1\n' > "$R/etc/fstab"
chroot "$R" useradd -m -u 1000 -s /bin/bash alice
chroot "$R" /bin/sh -c 'echo root:root | chpasswd; echo alice:alice | chpasswd'

# ssh on the loopback-forwarded port, one host key pair for root and alice.
[ -f "$SSH_KEY" ] || ssh-keygen -q -t ed25519 -N '' -f "$SSH_KEY"
for h in "$R/root" "$R/home/alice"; do
  install -d -m700 "$h/.ssh"; install -m600 "$SSH_KEY.pub" "$h/.ssh/authorized_keys"
done
chroot "$R" chown -R alice:alice /home/alice/.ssh
printf 'UseDNS no\nPermitRootLogin prohibit-password\n' > "$R/etc/ssh/sshd_config.d/mwvm.conf"
mkdir -p "$R/etc/systemd/network"
printf '[Match]\nName=en*\n[Network]\nDHCP=yes\n' > "$R/etc/systemd/network/20-wired.network"
chroot "$R" systemctl enable -q systemd-networkd.service

# Root shell on the serial console (its output goes to serial.log: debugging only).
mkdir -p "$R/etc/systemd/system/serial-getty@ttyS0.service.d"
printf '[Service]\nExecStart=\nExecStart=-/sbin/agetty --autologin root --keep-baud 115200,57600,38400,9600 %%I $TERM\n' \
  > "$R/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf"
# alice's real session: autologin on tty1 gives a local, seated, active logind session with her
# user manager (systemd --user) and session bus. (Linger would give a user manager, no session.)
mkdir -p "$R/etc/systemd/system/getty@tty1.service.d"
printf '[Service]\nExecStart=\nExecStart=-/sbin/agetty --autologin alice --noclear %%I $TERM\n' \
  > "$R/etc/systemd/system/getty@tty1.service.d/autologin.conf"

case "${MYNAWATCH_VM_INSTALL:-deb}" in
  make)
    # -o: never rebuild here; scripts/vm-test.sh ran `cargo build --release --locked`.
    bin=${MYNAWATCH_VM_BIN:-target/release/mynawatch}
    make -s -C "$PROJECT" -o "$bin" BIN="$bin" install DESTDIR="$MWVM_RUN/stage" PREFIX=/usr >&2
    cp -a "$MWVM_RUN/stage/." "$R/"
    [ -x "$R/usr/bin/mynawatch" ] || die "mynawatch is not installed at /usr/bin/mynawatch in the guest"
    ;;
  deb)
    [ -f "${MYNAWATCH_VM_DEB:-}" ] || die "MYNAWATCH_VM_INSTALL=deb needs MYNAWATCH_VM_DEB=/path/to/mynawatch.deb"
    [ ! -e "$R/usr/bin/mynawatch" ] || die "the cached rootfs already has /usr/bin/mynawatch"
    install -m644 "$MYNAWATCH_VM_DEB" "$R/var/tmp/mynawatch.deb"
    ;;
  *) die "MYNAWATCH_VM_INSTALL: deb or make, not '$MYNAWATCH_VM_INSTALL'" ;;
esac
rm -f "$MWVM_RUN/disk.img"
mkfs.ext4 -q -F -L mwroot -d "$R" "$MWVM_RUN/disk.img" 3G
cp "$(ls "$R"/boot/vmlinuz-* | sort -V | tail -1)" "$MWVM_RUN/vmlinuz"
cp "$(ls "$R"/boot/initrd.img-* | sort -V | tail -1)" "$MWVM_RUN/initrd.img"
unmount_root
trap - EXIT
