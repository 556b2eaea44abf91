#!/usr/bin/env bash
# Host side of the VM test (Debian 12, root): the tools and QEMU 7.2.
#
# QEMU is unpacked (dpkg -x) into $MWVM_CACHE/qemu rather than installed: Debian 12 machines that
# carry qemu-utils 10 from bookworm-backports cannot install bookworm's qemu-system-x86 7.2 next to
# it (qemu-utils 10 Breaks qemu-system-common << 8.0). Its shared libraries are installed with apt.
# Debian builds TCG and the USB smart-card devices as modules, so boot-vm.sh sets QEMU_MODULE_DIR.
set -euo pipefail
. "$(dirname "$0")/common.sh"
mkdir -p "$MWVM_CACHE"
need_apt=()
for t in debootstrap:debootstrap mkfs.ext4:e2fsprogs ssh:openssh-client ssh-keygen:openssh-client \
         python3:python3 flock:util-linux make:make; do
  command -v "${t%%:*}" >/dev/null || need_apt+=("${t#*:}")
done
QEMU_LIBS=(ipxe-qemu seabios libaio1 libasound2 libbpf1 libbrlapi0.8 libcacard0 libcap-ng0 libcapstone4
  libepoxy0 libfdt1 libfuse3-3 libgbm1 libglib2.0-0 libgmp10 libgnutls30 libibverbs1 libjpeg62-turbo
  libnuma1 libpixman-1-0 libpmem1 libpng16-16 librdmacm1 libsasl2-2 libseccomp2 libslirp0 libsndio7.0
  libspice-server1 liburing2 libusb-1.0-0 libusbredirparser1 libvdeplug2 libzstd1)
if [ ! -x "$QEMU_ROOT/usr/bin/qemu-system-x86_64" ] || [ ${#need_apt[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" "${QEMU_LIBS[@]}" >/dev/null
fi
if [ ! -x "$QEMU_ROOT/usr/bin/qemu-system-x86_64" ]; then
  tmp=$(mktemp -d "$MWVM_CACHE/qemu.XXXX"); chmod 755 "$tmp"  # apt downloads as _apt
  (cd "$tmp" && apt-get download -qq qemu-system-x86 qemu-system-common qemu-system-data)
  mkdir "$tmp/root"
  for f in "$tmp"/qemu-system-*.deb; do dpkg -x "$f" "$tmp/root"; done
  rm -rf "$QEMU_ROOT"; mv "$tmp/root" "$QEMU_ROOT"; rm -rf "$tmp"
fi
QEMU_MODULE_DIR=$QEMU_ROOT/usr/lib/x86_64-linux-gnu/qemu "$QEMU_ROOT/usr/bin/qemu-system-x86_64" --version | head -1 >&2
