#!/usr/bin/env bash
# Install the Debian/Ubuntu packages the build and the tests need, only if some are missing.
# Other distributions: install the equivalents by hand (see README.md) and skip this script.
set -euo pipefail

packages=(
  pkg-config libpcsclite-dev                      # build: the pcsc crate links libpcsclite
  pcscd vsmartcard-vpcd                           # tests/demo: real PC/SC daemon + virtual reader
  dbus libglib2.0-bin python3-dbusmock            # tests/demo: private session bus, gdbus, notification server
  python3-icalendar                               # tests: an independent parser for `mynawatch calendar`
  opensc pcsc-tools                               # interoperability check of the virtual card, pcsc_scan
  iproute2 util-linux strace libnotify-bin systemd udev # ss/ip, unshare, idle syscall check, notify-send, systemd-analyze, udevadm
  make man-db zsh fish                            # make install/demo, man page lint, completion syntax checks
  xvfb xfce4-panel xfconf imagemagick librsvg2-common adwaita-icon-theme # tray: a real SNI panel under Xvfb, screenshot, SVG icons
  desktop-file-utils                              # desktop-file-validate: the tray autostart entry, mynawatch.desktop
  dpkg-dev lintian rpm cpio                       # scripts/package-test.sh: dpkg-shlibdeps (cargo-deb), .deb lint, .rpm inspection
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "install-deps: missing packages: ${missing[*]} (no apt-get here: install the equivalents by hand)" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "install-deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
