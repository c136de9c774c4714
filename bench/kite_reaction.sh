#!/usr/bin/env bash
# The official Kite client's reaction (bench/kite_reaction.mjs) against a fresh
# `legato sim`: one JSON line, as every benchmark prints.
#   bash bench/kite_reaction.sh path/to/legato
set -euo pipefail
LEGATO=${1:?usage: kite_reaction.sh path/to/legato}
LEGATO=$(cd "$(dirname "$LEGATO")" && pwd)/$(basename "$LEGATO")
HERE=$(cd "$(dirname "$0")" && pwd)
bash "$HERE/../tests/conformance/install.sh"
exec bash "$HERE/../scripts/with_sim.sh" "$LEGATO" 11 node "$HERE/kite_reaction.mjs"
