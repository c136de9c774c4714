#!/usr/bin/env bash
# Installs the pinned Kite client (package-lock.json) when node_modules is missing or
# older than the lockfile. Used by run.sh and by bench/kite_reaction.sh.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi
