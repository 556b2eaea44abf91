#!/usr/bin/env bash
# Before a whole test run (scripts/test.sh, then scripts/vm-test.sh): is there room for it? Prints
# what each part needs and what each file system has, and fails early, naming the shortfall, instead
# of a compiler's "No space left on device" half way. The figures are the measured peaks of a whole
# run on a fresh machine (docs/performance.md, "Disk"), less what an earlier run left in place.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/vm/common.sh  # MWVM_CACHE

mib_in() { [ -e "$1" ] && du -sm "$1" 2>/dev/null | cut -f1 || echo 0; }
# part NAME DIR NEED_MIB ALREADY_MIB: DIR is where it writes (its file system is the one that fills).
names=() dirs=() needs=()
part() {
  local need=$(($3 - $4)); [ "$need" -gt 0 ] || need=0
  names+=("$1"); dirs+=("$2"); needs+=("$need")
}
target_dir=${CARGO_TARGET_DIR:-target}
mkdir -p "$target_dir" "$MWVM_CACHE"
rustup_home=${RUSTUP_HOME:-$HOME/.rustup}
msrv=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)
cargo_home=${CARGO_HOME:-$HOME/.cargo}
mkdir -p "$cargo_home"
if dpkg-query -W -f='${Status}' pcscd 2>/dev/null | grep -q "install ok installed"; then have=400; else have=0; fi
part "Debian packages (scripts/install-deps.sh, tests/vm/setup-host.sh)" /usr 400 "$have"
part "cargo builds ($target_dir: tests, dist, tools, MSRV check)" "$target_dir" 3200 "$(mib_in "$target_dir")"
part "crate sources (cargo registry)" "$cargo_home" 600 "$(mib_in "$cargo_home/registry")"
if ls -d "$rustup_home/toolchains/$msrv"-* >/dev/null 2>&1; then have=700; else have=0; fi
part "Rust $msrv for the MSRV check (rustup)" "${rustup_home%/*}" 700 "$have"
part "VM test (QEMU, guest rootfs, guest disk image)" "$MWVM_CACHE" 2600 "$(mib_in "$MWVM_CACHE")"

# Sum the needs per file system (device number), then compare with what each has free.
declare -A fs_need=() fs_dir=() fs_what=()
for i in "${!names[@]}"; do
  dev=$(stat -c %d "${dirs[$i]}")
  fs_need[$dev]=$(( ${fs_need[$dev]:-0} + ${needs[$i]} ))
  fs_dir[$dev]=${fs_dir[$dev]:-${dirs[$i]}}
  fs_what[$dev]="${fs_what[$dev]:+${fs_what[$dev]}; }${names[$i]} ${needs[$i]} MiB"
done
short=0
for dev in "${!fs_need[@]}"; do
  mount=$(df -P "${fs_dir[$dev]}" | awk 'NR==2 {print $6}')
  avail=$(df -Pm "${fs_dir[$dev]}" | awk 'NR==2 {print $4}')
  if [ "$avail" -lt "${fs_need[$dev]}" ]; then
    echo "disk-check: NOT ENOUGH SPACE on $mount: the whole test run needs about ${fs_need[$dev]} MiB more there (${fs_what[$dev]}), and $avail MiB are free." >&2
    short=1
  else
    echo "disk-check: $mount: $avail MiB free, the run needs about ${fs_need[$dev]} MiB (${fs_what[$dev]})" >&2
  fi
done
if [ $short -eq 1 ]; then
  echo "disk-check: free some space (or point CARGO_TARGET_DIR / MWVM_CACHE elsewhere) and run again; docs/performance.md, \"Disk\", has what each part takes." >&2
  exit 1
fi
