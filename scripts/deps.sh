#!/usr/bin/env bash
# Installs the Debian packages legato needs to build and test, only those missing.
# Idempotent and silent when everything is present. Needs root (or sudo) to install.
set -euo pipefail
need=(cmake ninja-build gcc pkg-config libcmocka-dev libsqlite3-dev libjansson-dev clang libclang-rt-14-dev
      libuv1-dev libcurl4-openssl-dev libwebsockets-dev libwebsockets-evlib-uv libssl-dev python3)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# The conformance test runs the official Kite client on Node.js: any node with npm will do.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "legato: installing missing packages: ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "legato: need root to install ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
