#!/usr/bin/env bash
# Package test: builds the .deb and the .rpm (`make packages`, one `dist` build), runs lintian on the
# .deb, then on THIS machine: installs an older package that still shipped a udev rule (with apt, which
# brings the Depends), upgrades to the new .deb with dpkg, installs it again and upgrades once more,
# checking after each step every installed file against `make list-installed` (Debian paths), the
# all-users enable, the installed binary — and that a test user's remembered card and config survive
# (written and read back by the installed daemon on a private session bus). Then it purges the package
# and checks that nothing it installed is left and that purge says how to remove the per-user state.
# The .rpm is inspected (file list and modes, requires, scriptlets, payload) and its preset is applied
# to a scratch root with systemctl.
# Needs root and the real dpkg/apt: run it outside scripts/e2e-env.sh's namespace (scripts/test.sh
# calls it after the cargo tests). It installs into this machine's /usr and /etc, so it refuses to run
# where a mynawatch is installed already, and an EXIT trap purges the package and deletes its test
# users even when a check fails or the script is interrupted. Tools: scripts/install-deps.sh.
# Under MYNAWATCH_E2E=1 anything missing is a failure, otherwise a loud skip.
# Prints one line per check and "N passed, M failed"; exit status 1 if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok    $1"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1"; [ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/      /'; }
# check DESCRIPTION COMMAND...: passes if COMMAND succeeds; shows its output if not.
check() {
  local what=$1 out
  shift
  if out=$("$@" 2>&1); then pass "$what"; else fail "$what" "$out"; fi
}
# same WHAT GOT WANT
same() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "$(diff <(printf '%s\n' "$3") <(printf '%s\n' "$2") | sed 's/^</want/; s/^>/got /')"; fi; }
summary() { echo "package-test: $passed passed, $failed failed ($((SECONDS - t0)) s)"; }
t0=$SECONDS
# Missing environment: a failure under MYNAWATCH_E2E=1, else a skip that says so.
unavailable() {
  if [ "${MYNAWATCH_E2E:-}" = 1 ]; then
    fail "environment: $1"
    summary
    exit 1
  fi
  echo "package-test: SKIPPED: $1 (set MYNAWATCH_E2E=1 to make this a failure)"
  exit 0
}

[ "$(id -u)" -eq 0 ] || unavailable "needs root: it installs and purges the package with dpkg"
for tool in dpkg dpkg-deb dpkg-query dpkg-parsechangelog apt-get lintian rpm rpm2cpio cpio systemctl \
  systemd-analyze deb-systemd-helper useradd userdel runuser setpriv dbus-run-session gdbus \
  desktop-file-validate zsh make cargo sha256sum python3; do
  command -v "$tool" >/dev/null || unavailable "$tool not installed (scripts/install-deps.sh installs it)"
done
if dpkg-query -W -f='${Status}' mynawatch 2>/dev/null | grep -qv "not-installed"; then
  unavailable "a mynawatch package is installed on this machine; this test would replace and purge it"
fi
[ ! -e /usr/bin/mynawatch ] || unavailable "/usr/bin/mynawatch exists (make install PREFIX=/usr?); this test would overwrite it"

work=$(mktemp -d /tmp/mynawatch-package-test.XXXXXX)
chmod 755 "$work"
user=mwpkgtest    # a person (UID ≥ 1000)
greeter=mwpkggdm  # a system account, as a display manager's greeter runs under
cleanup() {
  local u
  if dpkg-query -W -f='${Status}' mynawatch 2>/dev/null | grep -qv "not-installed"; then
    echo "package-test: cleaning up: purging mynawatch" >&2
    dpkg --purge mynawatch >/dev/null 2>&1 || dpkg --purge --force-all mynawatch >/dev/null 2>&1 || true
  fi
  for u in "$user" "$greeter"; do
    if id "$u" >/dev/null 2>&1; then
      # Only this test's own throwaway accounts: whatever they still run was started here.
      ps -o pid= -u "$u" | xargs -r kill -KILL 2>/dev/null
      userdel -r "$u" >/dev/null 2>&1
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build -------------------------------------------------------------------------------------------
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
arch=$(dpkg --print-architecture)
# These paths are stable: the VM test (scripts/vm-test.sh) installs this .deb.
deb=target/packages/mynawatch_${version}-1_${arch}.deb
rpmfile=target/packages/mynawatch-${version}-1.$(uname -m).rpm
rm -f "$deb" "$rpmfile"
started=$SECONDS
if out=$(make --no-print-directory packages 2>&1); then
  pass "make packages ($((SECONDS - started)) s)"
else
  fail "make packages" "$(tail -n 30 <<<"$out")"
  summary
  exit 1
fi
check "the .deb is $deb" test -f "$deb"
check "the .rpm is $rpmfile" test -f "$rpmfile"
bins=(target/dist/mynawatch target/dist/mynawatch-tray)
echo "      sizes: $(stat -c '%n %s' "${bins[@]}" "$deb" "$rpmfile" | awk '{printf "%s%s %.2f MiB", (NR > 1 ? ", " : ""), $1, $2 / 1048576}')"

# The files `make install PREFIX=/usr` lays out, with each distribution's zsh directory.
mapfile -t deb_listed < <(make -s list-installed PREFIX=/usr ZSHCOMPDIR=/usr/share/zsh/vendor-completions)
mapfile -t rpm_listed < <(make -s list-installed PREFIX=/usr ZSHCOMPDIR=/usr/share/zsh/site-functions)
# On this Debian-family machine plain `make install PREFIX=/usr` must pick zsh's vendor-completions too.
same "make list-installed PREFIX=/usr here = the Debian paths" "$(make -s list-installed PREFIX=/usr)" "$(printf '%s\n' "${deb_listed[@]}")"
nbin=$(printf '%s\n' "${deb_listed[@]}" | grep -c '^/usr/bin/')
same "two programs: mynawatch and mynawatch-tray" "$(printf '%s\n' "${deb_listed[@]}" | grep '^/usr/bin/')" \
  "$(printf '%s\n' /usr/bin/mynawatch /usr/bin/mynawatch-tray)"
same "no udev rule of our own any more" "$(printf '%s\n' "${deb_listed[@]}" | grep udev)" ""
# What a .deb holds on top: Debian's documentation files and our lintian overrides (man pages gzipped).
deb_expected=$( {
  printf '%s\n' "${deb_listed[@]}" | sed 's|^\(/usr/share/man/.*\)$|\1.gz|'
  echo /usr/share/doc/mynawatch/copyright
  echo /usr/share/doc/mynawatch/changelog.Debian.gz
  echo /usr/share/lintian/overrides/mynawatch
} | sort)
rpm_expected=$( { printf '%s\n' "${rpm_listed[@]}"; echo /usr/lib/systemd/user-preset/80-mynawatch.preset; } | sort)

# --- the .deb before installing -----------------------------------------------------------------------
same "control Version = packaging/debian/changelog's = Cargo.toml's + -1" \
  "$(dpkg-deb -f "$deb" Version) $(dpkg-parsechangelog -l packaging/debian/changelog -S Version)" \
  "${version}-1 ${version}-1"
depends=$(dpkg-deb -f "$deb" Depends)
for dep in pcscd "init-system-helpers (>= 1.52)" libpcsclite1 libc6; do
  check "Depends has $dep" grep -qF "$dep" <<<"$depends"
done
same "Recommends" "$(dpkg-deb -f "$deb" Recommends)" "libccid (>= 1.4.35)"
same "the .deb holds exactly make install's files (+ doc, overrides)" \
  "$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {sub(/^\./, "", $6); print $6}' | sort)" "$deb_expected"
same "file modes in the .deb: programs 0755, the rest 0644" \
  "$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $1}' | sort | uniq -c | awk '{print $2 "=" $1}' | sort | tr '\n' ' ')" \
  "-rw-r--r--=$(($(wc -l <<<"$deb_expected") - nbin)) -rwxr-xr-x=$nbin "
check "maintainer scripts are the ones in packaging/debian (no others)" \
  bash -c "dpkg-deb -e '$deb' '$work/control' && cmp '$work/control/postinst' packaging/debian/postinst &&
    cmp '$work/control/postrm' packaging/debian/postrm && [ \"\$(ls '$work/control' | tr '\n' ' ')\" = 'conffiles control postinst postrm ' ]"
# Debian: every file under /etc is a conffile (kept on remove, an admin's edits kept on upgrade).
same "conffiles: what make install puts under /etc" "$(cat "$work/control/conffiles" 2>&1)" \
  "$(printf '%s\n' "${deb_listed[@]}" | grep '^/etc/')"

# lintian: errors and warnings fail; what it only "informs" is shown. Every override is explained in
# packaging/debian/lintian-overrides.
lint=$(lintian --fail-on error,warning --display-info "$deb" 2>&1)
lint_rc=$?
printf '%s\n' "$lint" | grep -v '^N: ' | sed 's/^/      lintian: /'
if [ "$lint_rc" -eq 0 ]; then
  pass "lintian: no errors, no warnings (overrides: packaging/debian/lintian-overrides)"
else
  fail "lintian exited $lint_rc"
fi

# --- an older package: the one that still shipped a udev rule --------------------------------------------
# The same tree plus usr/lib/udev/rules.d/70-mynawatch.rules, as ${version}-0: upgrading from it must
# remove the rule (dpkg deletes what the new version no longer ships).
old=$work/old
mkdir -p "$old/DEBIAN"
cp -a target/pkgroot/deb/. "$old/"
install -Dm644 /dev/stdin "$old/usr/lib/udev/rules.d/70-mynawatch.rules" <<'EOF'
# mynawatch before 0.1.0-1: started the service in every user manager for a CCID reader.
ACTION=="add", SUBSYSTEM=="usb", ENV{ID_USB_INTERFACES}=="*:0b0000:*", ENV{SYSTEMD_USER_WANTS}+="mynawatch.service"
EOF
cp packaging/debian/postinst packaging/debian/postrm "$old/DEBIAN/"
cat >"$old/DEBIAN/control" <<EOF
Package: mynawatch
Version: ${version}-0
Architecture: $arch
Maintainer: $(dpkg-deb -f "$deb" Maintainer)
Depends: $depends
Section: utils
Priority: optional
Description: mynawatch before the udev rule was dropped (package-test.sh)
EOF
olddeb=$work/mynawatch_${version}-0_${arch}.deb
check "an older .deb with the udev rule (dpkg-deb --build)" dpkg-deb --root-owner-group --build "$old" "$olddeb"

# --- accounts: a person, and a system account like a greeter's ---------------------------------------------
for u in "$user" "$greeter"; do id "$u" >/dev/null 2>&1 && userdel -r "$u" >/dev/null 2>&1; done
useradd --create-home --shell /bin/sh "$user"
useradd --system --create-home --shell /usr/sbin/nologin "$greeter"
home=$(getent passwd "$user" | cut -d: -f6)

# as_user SCRIPT: runs SCRIPT (sh) as the test user with a clean environment and a private session bus
# on which the installed daemon runs (started by hand: no user manager here). The daemon keeps its
# state where it does outside systemd ($XDG_STATE_HOME/mynawatch) and reads ~/.config/mynawatch.
as_user() {
  runuser -u "$user" -- env -i HOME="$home" USER="$user" PATH=/usr/bin:/bin LANG=C.UTF-8 \
    dbus-run-session -- sh -c '
      /usr/bin/mynawatch daemon --no-notify 2>"$HOME/daemon.log" &
      daemon=$!
      if ! gdbus wait --session --timeout 20 io.github.mynawatch.MynaWatch1; then
        echo "the daemon did not take its bus name in 20 s:"; cat "$HOME/daemon.log"; kill $daemon; exit 1
      fi
      sh -c "$1"; rc=$?
      kill -TERM $daemon; wait $daemon; d=$?
      [ $d -eq 0 ] || { echo "the daemon exited $d:"; cat "$HOME/daemon.log"; }
      [ $rc -eq 0 ] && [ $d -eq 0 ]' as_user "$1"
}
# The test user's memory and settings: names, owners, modes and bytes.
user_state() {
  (cd "$home" && find .local/state/mynawatch .config/mynawatch -printf '%p %u %m\n' | sort &&
    find .local/state/mynawatch .config/mynawatch -type f -print0 | sort -z | xargs -0 cat | sha256sum)
}
# The card the test user remembers, as the installed daemon reports it.
remembered() {
  as_user 'mynawatch status --json' | python3 -c '
import json, sys
doc = json.load(sys.stdin)
cards = doc["cards"] if isinstance(doc, dict) else doc
print(" ".join(sorted(c.get("label") or "?" for c in cards)))'
}
leftovers() { find /usr /etc /var/lib/systemd /var/lib/dpkg/info -name '*mynawatch*' 2>/dev/null | sort; }
links() { find /etc/systemd/user /var/lib/systemd/deb-systemd-user-helper-enabled 2>/dev/null | sort; }
leftovers_before=$(leftovers)
links_before=$(links)

# --- install the older package with apt, then remember a card ----------------------------------------------
if out=$(DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$olddeb" 2>&1); then
  pass "apt-get install the older ${version}-0 (Depends from apt)"
else
  fail "apt-get install the older ${version}-0" "$(tail -n 20 <<<"$out")"
fi
check "the older package has its udev rule on disk" test -f /usr/lib/udev/rules.d/70-mynawatch.rules
runuser -u "$user" -- sh -c 'umask 077; mkdir -p ~/.config/mynawatch &&
  printf "lang = \"ja\"\n\n[policy]\nreminder_days_before_expiry = [90, 30, 7]\n" > ~/.config/mynawatch/config.toml'
check "the test user remembers a typed-in card (mynawatch add, installed daemon)" \
  as_user 'mynawatch add --expires 2027-02-14 --label pkgtest >/dev/null'
same "its daemon lists the card" "$(remembered 2>&1)" pkgtest
state_before=$(user_state)
check "the state is in ~/.local/state/mynawatch (0700)" \
  bash -c "[ \"\$(stat -c %a '$home/.local/state/mynawatch')\" = 700 ] && ls '$home/.local/state/mynawatch' | grep -q state.json"

installed_checks() { # $1: when, $2: version
  same "$1: dpkg status" "$(dpkg-query -W -f='${Status} ${Version}' mynawatch 2>&1)" "install ok installed $2"
  same "$1: dpkg -L = the .deb's files" "$(dpkg -L mynawatch | while read -r f; do [ -d "$f" ] || echo "$f"; done | sort)" "$deb_expected"
  local missing=() f
  while read -r f; do [ -f "$f" ] || missing+=("$f"); done <<<"$deb_expected"
  same "$1: every file is on disk" "${missing[*]}" ""
  check "$1: no udev rule left (dpkg removed the older package's)" test ! -e /usr/lib/udev/rules.d/70-mynawatch.rules
  check "$1: /usr/bin/mynawatch is the dist build" cmp /usr/bin/mynawatch target/dist/mynawatch
  check "$1: /usr/bin/mynawatch-tray is the dist build" cmp /usr/bin/mynawatch-tray target/dist/mynawatch-tray
  check "$1: the unit is make install's" cmp /usr/lib/systemd/user/mynawatch.service target/pkgroot/deb/usr/lib/systemd/user/mynawatch.service
  check "$1: the man page is make install's, gzipped" cmp <(zcat /usr/share/man/man1/mynawatch.1.gz) target/pkgroot/deb/usr/share/man/man1/mynawatch.1
  check "$1: the activation file runs /usr/bin/mynawatch" grep -qx 'Exec=/usr/bin/mynawatch daemon' /usr/share/dbus-1/services/io.github.mynawatch.MynaWatch1.service
  check "$1: the installed mynawatch.desktop passes desktop-file-validate" desktop-file-validate /usr/share/applications/mynawatch.desktop
}
enabled_checks() { # $1: when
  same "$1: systemctl --global is-enabled mynawatch" "$(systemctl --global is-enabled mynawatch.service 2>&1)" enabled
  local t
  for t in default smartcard; do
    same "$1: /etc/systemd/user/$t.target.wants/mynawatch.service → the unit" \
      "$(readlink "/etc/systemd/user/$t.target.wants/mynawatch.service")" /usr/lib/systemd/user/mynawatch.service
  done
}

# --- upgrade to this version ------------------------------------------------------------------------------
if out=$(dpkg -i "$deb" 2>&1); then pass "upgrade ${version}-0 → ${version}-1 (dpkg -i)"; else fail "upgrade to ${version}-1 (dpkg -i)" "$out"; fi
installed_checks "upgraded" "${version}-1"
enabled_checks "upgraded"
same "upgraded: the test user's state and config are untouched (names, owners, modes, bytes)" "$(user_state)" "$state_before"
same "upgraded: the new daemon still knows the card" "$(remembered 2>&1)" pkgtest
state_before=$(user_state)

same "mynawatch --version" "$(mynawatch --version 2>&1)" "mynawatch $version"
same "mynawatch check --expires (JSON status)" \
  "$(mynawatch check --expires 2027-02-14 --today 2026-12-02 --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])')" \
  renewal-open
same "mynawatch check as the test user (text)" \
  "$(runuser -u "$user" -- mynawatch check --expires 2027-02-14 --today 2026-12-02 --lang en | head -n1)" \
  "You can renew your certificate now (74 days left)"
check "mynawatch-tray --help runs" /usr/bin/mynawatch-tray --help
check "systemd-analyze verify --user on the installed unit" \
  env XDG_RUNTIME_DIR="$work" systemd-analyze verify --user --man=yes /usr/lib/systemd/user/mynawatch.service
# The all-users enable reaches greeters' user managers too (their default.target); the unit's
# ConditionUser= keeps it out of system accounts and in for people.
cond=$(sed -n 's/^\(ConditionUser=.*\)$/\1/p' /usr/lib/systemd/user/mynawatch.service)
same "the unit has ConditionUser=!@system" "$cond" 'ConditionUser=!@system'
check "the condition holds for a person (UID $(id -u "$user"))" \
  setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --clear-groups systemd-analyze condition "$cond"
check "the condition fails for a system account like a greeter's (UID $(id -u "$greeter"))" \
  bash -c '! setpriv --reuid="$1" --regid="$2" --clear-groups systemd-analyze condition "$3"' _ \
  "$(id -u "$greeter")" "$(id -g "$greeter")" "$cond"
check "and for root" bash -c '! systemd-analyze condition "$1"' _ "$cond"
check "zsh finds the completion (_mynawatch on Debian's compiled-in fpath)" \
  zsh -fc 'for d in $fpath; do [[ -f $d/_mynawatch ]] && exit 0; done; exit 1'
check "bash-completion file parses" bash -n /usr/share/bash-completion/completions/mynawatch

# --- install twice, upgrade once more, and an admin's opt-out ------------------------------------------------
if out=$(dpkg -i "$deb" 2>&1); then pass "install the same .deb again (dpkg -i)"; else fail "install the same .deb again" "$out"; fi
installed_checks "installed again" "${version}-1"
enabled_checks "installed again"
# A newer revision of the same files, exactly what an upgrade from the archive would bring.
upgrade_dir=$work/upgrade
if out=$(PATH="$PWD/target/tools/bin:$PATH" cargo deb --no-build --deb-revision 2 --output "$upgrade_dir/" 2>&1); then
  deb2=$(ls "$upgrade_dir"/*.deb)
  if out=$(dpkg -i "$deb2" 2>&1); then pass "upgrade to ${version}-2 (dpkg -i)"; else fail "upgrade to ${version}-2 (dpkg -i)" "$out"; fi
  installed_checks "upgraded to -2" "${version}-2"
  enabled_checks "upgraded to -2"
  systemctl --global disable mynawatch.service >/dev/null 2>&1
  dpkg -i "$deb2" >/dev/null 2>&1
  same "an admin's systemctl --global disable survives a reinstall" "$(systemctl --global is-enabled mynawatch.service 2>&1)" disabled
  systemctl --global enable mynawatch.service >/dev/null 2>&1
else
  fail "cargo deb --deb-revision 2" "$out"
fi
same "the test user's state and config survive both (names, owners, modes, bytes)" "$(user_state)" "$state_before"
same "and the daemon still knows the card" "$(remembered 2>&1)" pkgtest

# --- remove, then purge --------------------------------------------------------------------------------
if out=$(dpkg --remove mynawatch 2>&1); then pass "dpkg --remove"; else fail "dpkg --remove" "$out"; fi
check "removed: /usr/bin/mynawatch is gone" test ! -e /usr/bin/mynawatch
# The autostart entry is a conffile and stays until purge; its TryExec makes session managers skip it.
check "removed: the tray's autostart entry stays, its TryExec names the removed program" \
  bash -c 'grep -qx "TryExec=/usr/bin/mynawatch-tray" /etc/xdg/autostart/mynawatch-tray.desktop && [ ! -e /usr/bin/mynawatch-tray ]'
if purge_out=$(dpkg --purge mynawatch 2>&1); then pass "dpkg --purge"; else fail "dpkg --purge" "$purge_out"; fi
check "purge says how to delete the per-user state" \
  grep -qF 'rm -rf ~/.config/mynawatch ~/.local/state/mynawatch ~/.cache/mynawatch' <<<"$purge_out"
same "purged: dpkg knows no mynawatch" "$(dpkg-query -W -f='${Status}' mynawatch 2>/dev/null)" ""
same "purged: systemctl --global is-enabled" "$(systemctl --global is-enabled mynawatch.service 2>&1)" \
  "Failed to get unit file state for mynawatch.service: No such file or directory"
same "purged: nothing named *mynawatch* left in /usr, /etc, /var/lib/systemd, dpkg's info" "$(leftovers)" "$leftovers_before"
same "purged: /etc/systemd/user and deb-systemd-helper's state as before" "$(links)" "$links_before"
same "purged: the test user's state is untouched (what purge said removes it)" "$(user_state)" "$state_before"

# --- the .rpm ------------------------------------------------------------------------------------------
same "rpm: name version release" "$(rpm -qp --queryformat '%{NAME} %{VERSION} %{RELEASE}' "$rpmfile" 2>/dev/null)" "mynawatch $version 1"
same "rpm -qlp: make install's files (site-functions for zsh) + the user preset" "$(rpm -qlp "$rpmfile" 2>/dev/null | sort)" "$rpm_expected"
same "rpm: file modes (programs 0755, the rest 0644)" \
  "$(rpm -qp --queryformat '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpmfile" 2>/dev/null | awk '$2 !~ "^/usr/bin/" {print $1} $2 ~ "^/usr/bin/" {print "bin " $1}' | sort -u | tr '\n' ' ')" \
  "-rw-r--r-- bin -rwxr-xr-x "
requires=$(rpm -qp --requires "$rpmfile" 2>/dev/null)
echo "      rpm --requires: $(sed 's/ *$//' <<<"$requires" | tr '\n' ' ')"
for r in pcsc-lite pcsc-lite-ccid "libpcsclite.so.1()(64bit)"; do
  check "rpm --requires has $r" grep -qxF "$r" <<<"$(sed 's/ *$//' <<<"$requires")"
done
scripts=$(rpm -qp --scripts "$rpmfile" 2>/dev/null)
for s in post preun; do
  check "rpm --scripts has packaging/rpm/$s.sh" grep -qF "$(grep -v '^#' "packaging/rpm/$s.sh" | head -n2)" <<<"$scripts"
done
check "rpm %post applies the preset, %preun disables, nothing runs udevadm" \
  bash -c 'grep -q "systemctl --no-reload --global preset mynawatch.service" <<<"$1" &&
    grep -q "systemctl --no-reload --global disable mynawatch.service" <<<"$1" && ! grep -q udevadm <<<"$1"' _ "$scripts"
same "rpm: the files under /etc are %config" "$(rpm -qp --configfiles "$rpmfile" 2>&1)" \
  "$(printf '%s\n' "${rpm_listed[@]}" | grep '^/etc/')"
root=$work/rpmroot
mkdir -p "$root"
# Debian's rpm2cpio (4.18) exits 1 after writing the whole payload: judge by what cpio unpacks.
rpm2cpio "$rpmfile" >"$work/payload.cpio" 2>"$work/cpio.err"
if (cd "$root" && cpio -idm --quiet <"$work/payload.cpio") 2>>"$work/cpio.err" &&
  same "rpm payload: unpacks to the listed files" "$(cd "$root" && find . -type f | sed 's|^\.||' | sort)" "$rpm_expected"; then
  check "rpm payload: the binary is the dist build" cmp "$root/usr/bin/mynawatch" target/dist/mynawatch
  check "rpm payload: the unit is make install's" cmp "$root/usr/lib/systemd/user/mynawatch.service" target/pkgroot/rpm/usr/lib/systemd/user/mynawatch.service
  # What %post and %preun do, against the payload in a scratch root.
  systemctl --root="$root" --no-reload --global preset mynawatch.service >/dev/null 2>&1
  same "rpm: the preset enables the unit for all users" "$(systemctl --root="$root" --global is-enabled mynawatch.service 2>&1)" enabled
  same "rpm: … wanted by default.target and smartcard.target" \
    "$(cd "$root/etc/systemd/user" 2>/dev/null && find . -name mynawatch.service | sort)" \
    "$(printf '%s\n' ./default.target.wants/mynawatch.service ./smartcard.target.wants/mynawatch.service)"
  systemctl --root="$root" --no-reload --global disable mynawatch.service >/dev/null 2>&1
  same "rpm: disable removes the links" "$(find "$root/etc/systemd" -name 'mynawatch*' 2>/dev/null)" ""
else
  fail "rpm2cpio | cpio" "$(cat "$work/cpio.err")"
fi

summary
[ "$failed" -eq 0 ]
