#!/usr/bin/env bash
# Runs a command against a fresh `legato sim` on a free loopback port:
#   bash scripts/with_sim.sh path/to/legato SEED command [args...]
# The command sees LEGATO_REST_ROOT, LEGATO_WS_ROOT, LEGATO_API_KEY and
# LEGATO_ACCESS_TOKEN; the simulator is stopped when it ends, and its stderr is shown
# when the command fails. Exits with the command's status.
set -euo pipefail
LEGATO=${1:?usage: with_sim.sh path/to/legato SEED command [args...]}
SEED=${2:?usage: with_sim.sh path/to/legato SEED command [args...]}
shift 2
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
"$LEGATO" sim --port 0 --seed "$SEED" --api-key sim_key --access-token sim_token \
  >"$OUT/ready" 2>"$OUT/sim.err" &
SIM_PID=$!
exec 3<"$OUT/ready"
if ! IFS= read -r -t 10 LINE <&3; then
  echo "with_sim.sh: legato sim printed no ready line" >&2
  cat "$OUT/sim.err" >&2 || true
  exit 1
fi
# Keep draining the simulator's stdout so it never blocks on a full pipe.
cat <&3 >/dev/null &
exec 3<&-
re='^legato sim: rest (http://[^ ]+) ws (ws://[^ ]+)$'
if [[ ! $LINE =~ $re ]]; then
  echo "with_sim.sh: unexpected ready line: $LINE" >&2
  exit 1
fi
echo "$LINE" >&2
export LEGATO_REST_ROOT=${BASH_REMATCH[1]}
export LEGATO_WS_ROOT=${BASH_REMATCH[2]}
export LEGATO_API_KEY=sim_key
export LEGATO_ACCESS_TOKEN=sim_token

set +e
"$@"
RC=$?
set -e
if [ $RC -ne 0 ]; then
  echo "with_sim.sh: '$*' failed (rc $RC); simulator stderr follows" >&2
  tail -n 50 "$OUT/sim.err" >&2 || true
fi
exit $RC
