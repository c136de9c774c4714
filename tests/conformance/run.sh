#!/usr/bin/env bash
# Conformance run: starts `legato sim` and drives it with the official Kite JS client.
#   bash tests/conformance/run.sh path/to/legato
set -euo pipefail
LEGATO=${1:?usage: run.sh path/to/legato}
LEGATO=$(cd "$(dirname "$LEGATO")" && pwd)/$(basename "$LEGATO")
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"
: "${CONF_TIMEOUT:=90}"

# Install the pinned client only when node_modules is missing or older than the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

OUT=$(mktemp -d)
SIM_PID=
cleanup() {
  if [ -n "$SIM_PID" ] && kill -0 "$SIM_PID" 2>/dev/null; then
    kill "$SIM_PID" 2>/dev/null || true
    wait "$SIM_PID" 2>/dev/null || true
  fi
  rm -rf "$OUT"
}
trap cleanup EXIT INT TERM

mkfifo "$OUT/ready"
"$LEGATO" sim --port 0 --seed 7 --api-key conf_key --access-token conf_token >"$OUT/ready" 2>"$OUT/sim.err" &
SIM_PID=$!
exec 3<"$OUT/ready"
if ! IFS= read -r -t 10 LINE <&3; then
  echo "run.sh: legato sim printed no ready line" >&2
  cat "$OUT/sim.err" >&2 || true
  exit 1
fi
# Keep draining the sim's stdout so it never blocks on a full pipe.
cat <&3 >/dev/null &
exec 3<&-
echo "$LINE"
re='^legato sim: rest (http://[^ ]+) ws (ws://[^ ]+)$'
if [[ ! $LINE =~ $re ]]; then
  echo "run.sh: unexpected ready line: $LINE" >&2
  exit 1
fi
export LEGATO_REST_ROOT=${BASH_REMATCH[1]}
export LEGATO_WS_ROOT=${BASH_REMATCH[2]}
export LEGATO_API_KEY=conf_key
export LEGATO_ACCESS_TOKEN=conf_token
# Kite timestamps are IST wall-clock; the client turns them into Dates in local time.
export TZ=Asia/Kolkata

set +e
timeout --kill-after=5 "$CONF_TIMEOUT" node --test --test-reporter=spec conformance.test.mjs
RC=$?
set -e
if [ $RC -ne 0 ]; then
  echo "run.sh: conformance failed (rc $RC); sim stderr follows" >&2
  tail -n 50 "$OUT/sim.err" >&2 || true
fi
exit $RC
