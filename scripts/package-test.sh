#!/usr/bin/env bash
# Package test: builds the .deb and the .rpm (`make packages`, one `dist` build), runs lintian on the
# .deb, installs it on THIS machine with apt (its Depends come from apt), checks every installed file
# against `make list-installed` (Debian paths), the all-users enable, the installed binary, an upgrade
# and a reinstall that keep a test user's state and an admin's `systemctl --global disable`, then
# purges it and checks that nothing it installed is left. The .rpm is inspected (file list and modes,
# requires, scriptlets, payload) and its preset is applied to a scratch root with systemctl.
# Needs root and the real dpkg/apt (run it outside scripts/e2e-env.sh's namespace; scripts/test.sh
# calls it after the cargo tests). Tools: scripts/install-deps.sh. Refuses to run where a mynawatch is
# installed already. Under MYNAWATCH_E2E=1 anything missing is a failure, otherwise a loud skip.
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
summary() { echo "package-test: $passed passed, $failed failed"; }
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
  systemd-analyze deb-systemd-helper useradd userdel runuser zsh make cargo sha256sum python3; do
  command -v "$tool" >/dev/null || unavailable "$tool not installed (scripts/install-deps.sh installs it)"
done
if dpkg-query -W -f='${Status}' mynawatch 2>/dev/null | grep -qv "not-installed"; then
  unavailable "a mynawatch package is installed on this machine; this test would replace and purge it"
fi
[ ! -e /usr/bin/mynawatch ] || unavailable "/usr/bin/mynawatch exists (make install PREFIX=/usr?); this test would overwrite it"

work=$(mktemp -d /tmp/mynawatch-package-test.XXXXXX)
user=mwpkgtest
cleanup() {
  if dpkg-query -W -f='${Status}' mynawatch 2>/dev/null | grep -qv "not-installed"; then
    echo "package-test: cleaning up: purging mynawatch" >&2
    dpkg --purge mynawatch >/dev/null 2>&1 || true
  fi
  id "$user" >/dev/null 2>&1 && userdel -r "$user" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

# --- build -------------------------------------------------------------------------------------------
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
arch=$(dpkg --print-architecture)
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
bin=target/dist/mynawatch

# The files `make install PREFIX=/usr` lays out, with each distribution's zsh directory.
mapfile -t deb_listed < <(make -s list-installed PREFIX=/usr ZSHCOMPDIR=/usr/share/zsh/vendor-completions)
mapfile -t rpm_listed < <(make -s list-installed PREFIX=/usr ZSHCOMPDIR=/usr/share/zsh/site-functions)
# On this Debian-family machine plain `make install PREFIX=/usr` must pick zsh's vendor-completions too.
same "make list-installed PREFIX=/usr here = the Debian paths" "$(make -s list-installed PREFIX=/usr)" "$(printf '%s\n' "${deb_listed[@]}")"
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
same "file modes in the .deb: binary 0755, the rest 0644" \
  "$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $1}' | sort | uniq -c | awk '{print $2 "=" $1}' | sort | tr '\n' ' ')" \
  "-rw-r--r--=$(($(wc -l <<<"$deb_expected") - 1)) -rwxr-xr-x=1 "
check "maintainer scripts are the ones in packaging/debian" \
  bash -c "dpkg-deb -e '$deb' '$work/control' && cmp '$work/control/postinst' packaging/debian/postinst && cmp '$work/control/postrm' packaging/debian/postrm"

lint=$(lintian --fail-on error,warning --display-info --info "$deb" 2>&1)
lint_rc=$?
printf '%s\n' "$lint" | grep -v '^N: ' | sed 's/^/      lintian: /'
[ "$lint_rc" -eq 0 ] && pass "lintian: no errors, no warnings (overrides: packaging/debian/lintian-overrides)" ||
  fail "lintian exited $lint_rc"

# --- a user with state, then install with apt ----------------------------------------------------------
id "$user" >/dev/null 2>&1 && userdel -r "$user" >/dev/null 2>&1
useradd --create-home --shell /bin/sh "$user"
home=$(getent passwd "$user" | cut -d: -f6)
runuser -u "$user" -- sh -c 'umask 077; mkdir -p ~/.local/state/mynawatch ~/.config/mynawatch &&
  printf "{\"version\":1,\"cards\":{}}\n" > ~/.local/state/mynawatch/state.json &&
  printf "reminder_days_before_expiry = [90, 30, 7]\n" > ~/.config/mynawatch/config.toml'
user_state() { (cd "$home" && find .local/state/mynawatch .config/mynawatch -printf '%p %u %m\n' | sort && cat .local/state/mynawatch/state.json .config/mynawatch/config.toml | sha256sum); }
state_before=$(user_state)
leftovers() { find /usr /etc /var/lib/systemd /var/lib/dpkg/info -name '*mynawatch*' 2>/dev/null | sort; }
leftovers_before=$(leftovers)

if out=$(DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "./$deb" 2>&1); then
  pass "apt-get install ./$(basename "$deb")"
else
  fail "apt-get install ./$(basename "$deb")" "$(tail -n 20 <<<"$out")"
fi

installed_checks() { # $1: when
  same "$1: dpkg status" "$(dpkg-query -W -f='${Status} ${Version}' mynawatch 2>&1)" "install ok installed ${version}-1"
  same "$1: dpkg -L = the .deb's files" "$(dpkg -L mynawatch | while read -r f; do [ -d "$f" ] || echo "$f"; done | sort)" "$deb_expected"
  local missing=() f
  while read -r f; do [ -f "$f" ] || missing+=("$f"); done <<<"$deb_expected"
  same "$1: every file is on disk" "${missing[*]}" ""
  check "$1: /usr/bin/mynawatch is the dist build" cmp /usr/bin/mynawatch "$bin"
  check "$1: the unit is make install's" cmp /usr/lib/systemd/user/mynawatch.service target/pkgroot/deb/usr/lib/systemd/user/mynawatch.service
  check "$1: the man page is make install's, gzipped" cmp <(zcat /usr/share/man/man1/mynawatch.1.gz) target/pkgroot/deb/usr/share/man/man1/mynawatch.1
  check "$1: the activation file runs /usr/bin/mynawatch" grep -qx 'Exec=/usr/bin/mynawatch daemon' /usr/share/dbus-1/services/io.github.mynawatch.MynaWatch1.service
}
enabled_checks() { # $1: when
  same "$1: systemctl --global is-enabled mynawatch" "$(systemctl --global is-enabled mynawatch.service 2>&1)" enabled
  local t
  for t in graphical-session smartcard; do
    same "$1: /etc/systemd/user/$t.target.wants/mynawatch.service → the unit" \
      "$(readlink "/etc/systemd/user/$t.target.wants/mynawatch.service")" /usr/lib/systemd/user/mynawatch.service
  done
}

installed_checks "installed"
enabled_checks "installed"
same "mynawatch --version" "$(mynawatch --version 2>&1)" "mynawatch $version"
same "mynawatch check --expires (JSON status)" \
  "$(mynawatch check --expires 2027-02-14 --today 2026-12-02 --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])')" \
  renewal-open
same "mynawatch check as the test user (text)" \
  "$(runuser -u "$user" -- mynawatch check --expires 2027-02-14 --today 2026-12-02 --lang en | head -n1)" \
  "You can renew your certificate now (74 days left)"
check "systemd-analyze verify --user on the installed unit" \
  env XDG_RUNTIME_DIR="$work" systemd-analyze verify --user --man=yes /usr/lib/systemd/user/mynawatch.service
check "zsh finds the completion (_mynawatch on Debian's compiled-in fpath)" \
  zsh -fc 'for d in $fpath; do [[ -f $d/_mynawatch ]] && exit 0; done; exit 1'
check "bash-completion file parses" bash -n /usr/share/bash-completion/completions/mynawatch

# --- upgrade, reinstall, and an admin's opt-out ---------------------------------------------------------
# A newer revision of the same files, exactly what an upgrade from the archive would bring.
upgrade_dir=$work/upgrade
if out=$(PATH="$PWD/target/tools/bin:$PATH" cargo deb --no-build --deb-revision 2 --output "$upgrade_dir/" 2>&1); then
  deb2=$(ls "$upgrade_dir"/*.deb)
  if out=$(dpkg -i "$deb2" 2>&1); then pass "upgrade to ${version}-2 (dpkg -i)"; else fail "upgrade to ${version}-2 (dpkg -i)" "$out"; fi
  same "upgraded: dpkg status" "$(dpkg-query -W -f='${Status} ${Version}' mynawatch)" "install ok installed ${version}-2"
  enabled_checks "upgraded"
  if out=$(dpkg -i "$deb" 2>&1); then pass "downgrade back to ${version}-1 (dpkg -i)"; else fail "downgrade back to ${version}-1" "$out"; fi
else
  fail "cargo deb --deb-revision 2" "$out"
fi
if out=$(dpkg -i "$deb" 2>&1); then pass "reinstall the same .deb (dpkg -i)"; else fail "reinstall the same .deb" "$out"; fi
installed_checks "reinstalled"
enabled_checks "reinstalled"
same "the test user's state and config survive upgrade and reinstall (bytes, owner, modes)" "$(user_state)" "$state_before"

systemctl --global disable mynawatch.service >/dev/null 2>&1
dpkg -i "$deb" >/dev/null 2>&1
same "an admin's systemctl --global disable survives a reinstall" "$(systemctl --global is-enabled mynawatch.service 2>&1)" disabled
systemctl --global enable mynawatch.service >/dev/null 2>&1

# --- remove, then purge --------------------------------------------------------------------------------
if out=$(dpkg --remove mynawatch 2>&1); then pass "dpkg --remove"; else fail "dpkg --remove" "$out"; fi
check "removed: /usr/bin/mynawatch is gone" test ! -e /usr/bin/mynawatch
if out=$(dpkg --purge mynawatch 2>&1); then pass "dpkg --purge"; else fail "dpkg --purge" "$out"; fi
same "purged: dpkg knows no mynawatch" "$(dpkg-query -W -f='${Status}' mynawatch 2>/dev/null)" ""
same "purged: systemctl --global is-enabled" "$(systemctl --global is-enabled mynawatch.service 2>&1)" \
  "Failed to get unit file state for mynawatch.service: No such file or directory"
same "purged: nothing named *mynawatch* left in /usr, /etc, /var/lib/systemd, dpkg's info" "$(leftovers)" "$leftovers_before"
same "purged: the test user's state is untouched (README.md says how to remove it)" "$(user_state)" "$state_before"

# --- the .rpm ------------------------------------------------------------------------------------------
same "rpm: name version release" "$(rpm -qp --queryformat '%{NAME} %{VERSION} %{RELEASE}' "$rpmfile" 2>/dev/null)" "mynawatch $version 1"
same "rpm -qlp: make install's files (site-functions for zsh) + the user preset" "$(rpm -qlp "$rpmfile" 2>/dev/null | sort)" "$rpm_expected"
same "rpm: file modes (binary 0755, the rest 0644)" \
  "$(rpm -qp --queryformat '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpmfile" 2>/dev/null | awk '$2 != "/usr/bin/mynawatch" {print $1} $2 == "/usr/bin/mynawatch" {print "bin " $1}' | sort -u | tr '\n' ' ')" \
  "-rw-r--r-- bin -rwxr-xr-x "
requires=$(rpm -qp --requires "$rpmfile" 2>/dev/null)
for r in pcsc-lite pcsc-lite-ccid "libpcsclite.so.1()(64bit)"; do
  check "rpm --requires has $r" grep -qxF "$r" <<<"$(sed 's/ *$//' <<<"$requires")"
done
scripts=$(rpm -qp --scripts "$rpmfile" 2>/dev/null)
for s in post preun postun; do
  check "rpm --scripts has packaging/rpm/$s.sh" grep -qF "$(grep -v '^#' "packaging/rpm/$s.sh" | head -n2)" <<<"$scripts"
done
check "rpm %post applies the preset, %preun disables" \
  bash -c 'grep -q "systemctl --no-reload --global preset mynawatch.service" <<<"$1" && grep -q "systemctl --no-reload --global disable mynawatch.service" <<<"$1"' _ "$scripts"
root=$work/rpmroot
mkdir -p "$root"
if (cd "$root" && rpm2cpio "$OLDPWD/$rpmfile" | cpio -idm --quiet) 2>"$work/cpio.err"; then
  check "rpm payload: the binary is the dist build" cmp "$root/usr/bin/mynawatch" "$bin"
  check "rpm payload: the unit is make install's" cmp "$root/usr/lib/systemd/user/mynawatch.service" target/pkgroot/rpm/usr/lib/systemd/user/mynawatch.service
  # What %post and %preun do, against the payload in a scratch root.
  systemctl --root="$root" --no-reload --global preset mynawatch.service >/dev/null 2>&1
  same "rpm: the preset enables the unit for all users" "$(systemctl --root="$root" --global is-enabled mynawatch.service 2>&1)" enabled
  systemctl --root="$root" --no-reload --global disable mynawatch.service >/dev/null 2>&1
  same "rpm: disable removes the links" "$(find "$root/etc" -name 'mynawatch*' 2>/dev/null)" ""
else
  fail "rpm2cpio | cpio" "$(cat "$work/cpio.err")"
fi

summary
[ "$failed" -eq 0 ]
