#!/usr/bin/env bash
# The demo (`make demo`): build mynawatch, run its daemon against virtual My Number Cards and show, in
# the terminal, what it publishes on D-Bus and what it notifies — no card reader needed.
#
#   scripts/demo.sh [--once] [--private] [--lang ja|en] [--today YYYY-MM-DD]
#     --once      walk through the four cards and exit (CI: `make demo DEMO_ARGS=--once`); implies --private
#     --private   use a private dbus-daemon even if a session bus is running
#     --lang      language of statuses and notifications (default: from the locale)
#     --today     the date the daemon takes as today (default 2026-06-15, so the cards below hit each status)
#   MYNAWATCH=/path/to/mynawatch skips the build and uses that binary.
#
# Needs pcscd + vpcd (the virtual reader): as root it starts its own pcscd in a private mount + network
# namespace (like scripts/e2e-env.sh); otherwise it uses a running pcscd that has the vpcd readers.
# Everything it starts is stopped on exit or Ctrl-C; nothing is left running.
set -euo pipefail
SELF=$(realpath "$0")
cd "$(dirname "$SELF")/.."

ONCE=0 PRIVATE=0 LANG_ARG=() TODAY=2026-06-15 IN_NS=0
while [ $# -gt 0 ]; do
  case "$1" in
    --once) ONCE=1 PRIVATE=1 ;;
    --private) PRIVATE=1 ;;
    --lang) LANG_ARG=(--lang "$2"); shift ;;
    --lang=*) LANG_ARG=(--lang "${1#--lang=}") ;;
    --today) TODAY=$2; shift ;;
    --today=*) TODAY=${1#--today=} ;;
    --in-namespace) IN_NS=1 ;;   # internal: we are the copy running inside the private namespace
    -h|--help) sed -n '2,15s/^# \{0,1\}//p' "$SELF"; exit 0 ;;
    *) echo "demo: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
ARGS=("$@")
[ $ONCE -eq 1 ] && ARGS+=(--once)
[ $PRIVATE -eq 1 ] && [ $ONCE -eq 0 ] && ARGS+=(--private)
[ ${#LANG_ARG[@]} -gt 0 ] && ARGS+=("${LANG_ARG[@]}")
ARGS+=(--today "$TODAY")

say() { printf '\033[1m%s\033[0m\n' "$*"; }
[ -t 1 ] || say() { printf '%s\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

VPCD_PORT=35963
vpcd_listening() { [ -n "$(ss -Hltn "sport = :$VPCD_PORT" 2>/dev/null)" ]; }

# --- 1. What is missing, and the build (outside any namespace: it may need the network) -------------
if [ $IN_NS -eq 0 ]; then
  if command -v apt-get >/dev/null && command -v dpkg-query >/dev/null; then
    scripts/install-deps.sh
  else
    missing=()
    for c in pcscd dbus-daemon dbus-monitor busctl ss; do command -v "$c" >/dev/null || missing+=("$c"); done
    /usr/bin/python3 -c 'import dbusmock' 2>/dev/null || missing+=("python3-dbusmock")
    [ -e /etc/reader.conf.d/vpcd ] || [ -e /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] || missing+=("vpcd")
    if [ ${#missing[@]} -gt 0 ]; then
      cat >&2 <<EOF
demo: missing: ${missing[*]}
  Fedora:  sudo dnf install pcsc-lite pcsc-lite-devel dbus-daemon dbus-tools python3-dbusmock iproute
           (vpcd: build vsmartcard from https://github.com/frankmorgner/vsmartcard, virtualsmartcard/)
  Arch:    sudo pacman -S pcsclite dbus python-dbusmock iproute2   (vpcd: AUR package vsmartcard-git)
  Then run make demo again.
EOF
      exit 1
    fi
  fi
  if [ -z "${MYNAWATCH:-}" ]; then
    cargo build --release --locked --features sim
    MYNAWATCH=$PWD/target/release/mynawatch
  fi
  export MYNAWATCH
  # Root and no vpcd reader yet: our own pcscd in a private namespace, so a host pcscd (or another
  # demo) is left alone and the virtual reader's TCP port is reachable only from inside.
  if ! vpcd_listening && [ "$(id -u)" -eq 0 ]; then
    exec unshare --mount --net --kill-child "$SELF" --in-namespace "${ARGS[@]}"
  fi
fi

T=$(mktemp -d /tmp/mynawatch-demo.XXXXXX)
pids=()
bus_pid=
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
trap 'echo; say "Stopping."; exit 0' INT TERM

# --- 2. pcscd with the virtual reader ----------------------------------------------------------------
if [ $IN_NS -eq 1 ]; then
  mkdir -p /run/pcscd && mount -t tmpfs tmpfs /run/pcscd
  ip link set lo up
  pcscd --foreground >"$T/pcscd.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do vpcd_listening && break; sleep 0.1; done
  vpcd_listening || { cat "$T/pcscd.log" >&2; die "pcscd did not start the vpcd reader"; }
  echo "pcscd: private instance in its own namespace (virtual reader on 127.0.0.1:$VPCD_PORT)"
elif vpcd_listening; then
  echo "pcscd: using the running pcscd with the virtual reader on port $VPCD_PORT"
elif [ -S /run/pcscd/pcscd.comm ] && [ -e /etc/reader.conf.d/vpcd ]; then
  echo "pcscd: socket-activated; the daemon's first connection starts it with the virtual reader"
else
  die "no pcscd with the vpcd virtual reader. Install pcscd and vsmartcard-vpcd, then
  'sudo systemctl restart pcscd' (vpcd is only loaded when pcscd starts), or run this demo as root
  (sudo make demo), which starts a private pcscd."
fi

# --- 3. The session bus and a notification server ----------------------------------------------------
if [ $PRIVATE -eq 1 ] || [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] ||
   busctl --user status io.github.mynawatch.MynaWatch1 >/dev/null 2>&1; then
  out=$(dbus-daemon --session --address="unix:path=$T/bus" --print-address=1 --print-pid=1 --fork --nopidfile)
  export DBUS_SESSION_BUS_ADDRESS=$(sed -n 1p <<<"$out")
  bus_pid=$(sed -n 2p <<<"$out")
  echo "D-Bus: private session bus $DBUS_SESSION_BUS_ADDRESS"
else
  echo "D-Bus: your session bus"
fi
A=$DBUS_SESSION_BUS_ADDRESS
# (No `grep -q` in these pipelines: with pipefail, an early exit would SIGPIPE the writer and fail.)
has_name() { busctl --address="$A" list --no-legend --acquired 2>/dev/null | awk -v n="$1" '$1 == n { f = 1 } END { exit !f }'; }
if has_name org.freedesktop.Notifications; then
  echo "Notifications: your desktop's notification server (watch the corner of your screen)"
else
  /usr/bin/python3 -m dbusmock --session --template notification_daemon -l "$T/notify.log" \
    >"$T/dbusmock.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do has_name org.freedesktop.Notifications && break; sleep 0.1; done
  has_name org.freedesktop.Notifications || die "the notification server (python3-dbusmock) did not start"
  echo "Notifications: a stand-in server (python3-dbusmock); this terminal shows what it receives"
fi

# Everything sent to the notification server and every signal mynawatch emits, as dbus-monitor sees it.
dbus-monitor --address "$A" \
  "type='method_call',interface='org.freedesktop.Notifications',member='Notify'" \
  "type='signal',interface='io.github.mynawatch.MynaWatch1.Card'" >"$T/monitor.log" 2>&1 &
pids+=($!)

# --- 4. The daemon -----------------------------------------------------------------------------------
NAME=io.github.mynawatch.MynaWatch1
ROOT=/io/github/mynawatch/MynaWatch1
"$MYNAWATCH" daemon --state-dir "$T/state" --today "$TODAY" ${LANG_ARG[@]+"${LANG_ARG[@]}"} 2>"$T/daemon.log" &
daemon=$!
pids+=($daemon)
for _ in $(seq 150); do has_name "$NAME" && break; kill -0 $daemon 2>/dev/null || break; sleep 0.1; done
has_name "$NAME" || { cat "$T/daemon.log" >&2; die "the daemon did not come up"; }
say "mynawatch daemon is on the bus as $NAME (today is $TODAY for this demo)"

prop() { busctl --address="$A" get-property "$NAME" "$1" "$NAME.Card" "$2" 2>/dev/null | sed -E 's/^[a-z]+ //; s/^"(.*)"$/\1/'; }
card_paths() { busctl --address="$A" tree --list "$NAME" 2>/dev/null | grep "^$ROOT/cards/" || true; }
present_card() {
  local p
  for p in $(card_paths); do [ "$(prop "$p" Present)" = true ] && { echo "$p"; return 0; }; done
  return 0
}

# Print what dbus-monitor saw since line $1: notifications (summary, body) and mynawatch's signals.
show_monitor() {
  tail -n +"$(($1 + 1))" "$T/monitor.log" | awk '
    /^method call .*member=Notify/ { kind="notify"; n=0; next }
    /^signal .*interface=io.github.mynawatch.MynaWatch1.Card/ {
      kind="signal"; n=0; match($0, /member=[A-Za-z]+/); sig=substr($0, RSTART+7, RLENGTH-7); args=""; next }
    /^(method|signal|error|method return)/ { flush(); kind=""; next }
    kind != "" && /^   string "/ { n++; s=substr($0, 12); while (s !~ /"$/ && (getline line) > 0) s = s "\n" line
      s=substr(s, 1, length(s)-1)
      if (kind=="notify" && n==3) summary=s   # app_name, app_icon, summary, body
      if (kind=="notify" && n==4) { body=s; printf "  Notification: %s\n", summary; gsub(/\n/, "\n                ", body); printf "                %s\n", body }
      if (kind=="signal") { args = args (args=="" ? "" : ", ") s; pending=1 }
      next }
    function flush() { if (kind=="signal" && pending) printf "  D-Bus signal: %s(%s)\n", sig, args; pending=0 }
    END { flush() }'
}

# --- 5. The walk-through: four cards, one per status --------------------------------------------------
# Expiry dates relative to the default today (2026-06-15): far ahead; in the 3-month renewal window;
# expired in April (insurance still usable until the end of July); expired last December (grace
# ended in March, so the insurance registration has lapsed).
cards=(
  "2031-03-10|valid: nothing to do yet"
  "2026-08-20|renewal window open"
  "2026-04-10|expired, in the grace period"
  "2025-12-05|expired, grace period over"
)
i=0
for c in "${cards[@]}"; do
  i=$((i + 1))
  expires=${c%%|*} what=${c#*|}
  echo
  say "── Card $i of ${#cards[@]}: certificate expires $expires ($what) ──"
  mark=$(wc -l <"$T/monitor.log")
  "$MYNAWATCH" sim-card --vpcd "127.0.0.1:$VPCD_PORT" --expires "$expires" --serial "$((1000 + i))" \
    2>"$T/card$i.log" &
  card=$!
  pids+=($card)
  path=
  for _ in $(seq 200); do
    path=$(present_card)
    [ -n "$path" ] && [ -n "$(prop "$path" Status)" ] && break
    kill -0 $card 2>/dev/null || { cat "$T/card$i.log" >&2; die "the virtual card stopped"; }
    sleep 0.1
  done
  [ -n "$path" ] || { tail -20 "$T/daemon.log" >&2; die "the daemon did not publish the card"; }
  echo "  Inserted into the virtual reader; the daemon read it and published $path"
  echo "  D-Bus properties: Status=$(prop "$path" Status) DaysLeft=$(prop "$path" DaysLeft)" \
    "CertificateExpires=$(prop "$path" CertificateExpires) RenewalOpens=$(prop "$path" RenewalOpens)" \
    "InsuranceUsableUntil=$(prop "$path" InsuranceUsableUntil)"
  echo "  \$ mynawatch status"
  "$MYNAWATCH" status 2>&1 | sed 's/^/    /' || true
  # The notification follows the publication; give it a moment to reach the server.
  for _ in $(seq 30); do
    tail -n +"$((mark + 1))" "$T/monitor.log" | grep 'member=Notify' >/dev/null && break
    sleep 0.1
  done
  show_monitor "$mark"
  kill $card 2>/dev/null || true
  wait $card 2>/dev/null || true
  for _ in $(seq 100); do [ "$(prop "$path" Present)" = false ] && break; sleep 0.1; done
  echo "  Card removed (Present=$(prop "$path" Present)); the daemon remembers it by a salted hash, dates only."
done

echo
if [ $ONCE -eq 1 ]; then
  say "Demo finished: four cards, four statuses."
  exit 0
fi
say "The daemon keeps running. Try, in another terminal:"
echo "  export DBUS_SESSION_BUS_ADDRESS='$A'"
echo "  $MYNAWATCH status"
echo "  $MYNAWATCH sim-card --expires 2026-07-01 --serial 7     # insert another virtual card (Ctrl-C removes it)"
echo "  busctl --user tree $NAME"
say "Press Ctrl-C to stop; everything the demo started is stopped with it."
while kill -0 $daemon 2>/dev/null; do sleep 1; done
cat "$T/daemon.log" >&2
die "the daemon stopped"
