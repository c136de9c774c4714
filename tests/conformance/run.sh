#!/usr/bin/env bash
# Conformance run: starts `legato sim` and drives it with the official Kite JS client.
#   bash tests/conformance/run.sh path/to/legato
set -euo pipefail
LEGATO=${1:?usage: run.sh path/to/legato}
LEGATO=$(cd "$(dirname "$LEGATO")" && pwd)/$(basename "$LEGATO")
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"
: "${CONF_TIMEOUT:=90}"

bash install.sh
# Kite timestamps are IST wall-clock; the client turns them into Dates in local time.
export TZ=Asia/Kolkata
exec bash ../../scripts/with_sim.sh "$LEGATO" 7 \
  timeout --kill-after=5 "$CONF_TIMEOUT" node --test --test-reporter=spec conformance.test.mjs
