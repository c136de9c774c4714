#!/usr/bin/env bash
# Replay test: record simulated sessions into SQLite journals with `legato dst
# --journal`, then `legato replay` must reproduce every recorded decision; a journal
# that does not exist must be refused without creating one.
set -euo pipefail
legato=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for seed in 3 5 11; do
  "$legato" dst --seed "$seed" --journal "$dir/s$seed.db" >/dev/null
  out=$("$legato" replay "$dir/s$seed.db")
  echo "$out"
  grep -q "reproduced exactly" <<<"$out"
done
if "$legato" replay "$dir/missing.db" 2>/dev/null; then
  echo "replay of a missing journal succeeded" >&2
  exit 1
fi
[ ! -e "$dir/missing.db" ] || { echo "replay created $dir/missing.db" >&2; exit 1; }
echo "replay: 3 journals reproduced, missing journal refused"
