#!/usr/bin/env bash
# The RustSec advisories check without network (CI machines cannot reach GitHub, where the database
# lives): `cargo deny --offline check advisories` against the snapshot kept in deny/advisory-db/ —
# the advisories of the crates in Cargo.lock, taken from rustsec/advisory-db at the commit that
# deny/advisory-db/SNAPSHOT names.
#
#   scripts/advisories.sh check CARGO_DENY     run the check (make deny does)
#   scripts/advisories.sh refresh [DB_CHECKOUT]  rewrite the snapshot from a checkout of
#                                              rustsec/advisory-db (default: clone it from GitHub)
#
# The check fails when Cargo.lock names a crate the snapshot was not taken for (a dependency added
# since: refresh), and cargo-deny itself fails when the snapshot is older than deny.toml's
# `maximum-db-staleness`: the snapshot's git commit and HEAD carry the snapshot's date, so its age
# is real, not the age of this run's copy.
set -euo pipefail
cd "$(dirname "$0")/.."

snap=deny/advisory-db
upstream=https://github.com/rustsec/advisory-db
# cargo-deny 0.20 opens the database of `upstream` at <db-path>/advisory-db-<hash of the URL>.
dbdir=target/advisory-db/advisory-db-3157b0e258782691

lock_crates() { sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.lock | sort -u; }

check() {
  local deny=$1
  local missing
  missing=$(comm -23 <(lock_crates) <(sort -u "$snap/CRATES"))
  if [ -n "$missing" ]; then
    echo "advisories: Cargo.lock has crates the snapshot was not taken for: $(echo $missing)" >&2
    echo "advisories: refresh it where GitHub is reachable: scripts/advisories.sh refresh" >&2
    exit 1
  fi
  local date commit
  date=$(sed -n 's/^date = //p' "$snap/SNAPSHOT")
  commit=$(sed -n 's/^commit = //p' "$snap/SNAPSHOT")
  rm -rf "$dbdir"
  mkdir -p "$dbdir"
  cp -r "$snap/crates" "$dbdir/"
  (
    cd "$dbdir"
    git init -q
    git add -A
    GIT_AUTHOR_DATE=$date GIT_COMMITTER_DATE=$date \
      git -c user.name=mynawatch -c user.email=mynawatch@invalid -c commit.gpgsign=false \
      commit -q -m "rustsec/advisory-db $commit, filtered to Cargo.lock"
    touch -d "$date" .git/HEAD
  )
  echo "advisories: $(find "$snap/crates" -name '*.md' | wc -l) advisories of rustsec/advisory-db ${commit:0:7} ($date) for the $(lock_crates | wc -l) crates in Cargo.lock"
  "$deny" --offline check advisories
}

refresh() {
  local src=${1:-}
  if [ -z "$src" ]; then
    src=target/advisory-db-upstream
    rm -rf "$src"
    git clone -q --depth 1 "$upstream" "$src"
  fi
  local commit date
  commit=$(git -C "$src" rev-parse HEAD)
  date=$(git -C "$src" show -s --format=%cI HEAD)
  rm -rf "$snap"
  mkdir -p "$snap/crates"
  local n=0
  for c in $(lock_crates); do
    if git -C "$src" cat-file -e "HEAD:crates/$c" 2>/dev/null; then
      mkdir -p "$snap/crates/$c"
      for f in $(git -C "$src" ls-tree --name-only HEAD "crates/$c/"); do
        git -C "$src" show "HEAD:$f" >"$snap/$f"
        n=$((n + 1))
      done
    fi
  done
  lock_crates >"$snap/CRATES"
  printf 'source = %s\ncommit = %s\ndate = %s\n' "$upstream" "$commit" "$date" >"$snap/SNAPSHOT"
  echo "advisories: $n advisories for $(wc -l <"$snap/CRATES") crates from ${commit:0:7} ($date) in $snap"
}

case ${1:-} in
  check) check "${2:?usage: scripts/advisories.sh check CARGO_DENY}" ;;
  refresh) refresh "${2:-}" ;;
  *) echo "usage: scripts/advisories.sh check CARGO_DENY | refresh [DB_CHECKOUT]" >&2; exit 2 ;;
esac
