#!/usr/bin/env bash
# Sets diemcau up on this machine from the project's own files, online or air-gapped
# (only the npm registry and Debian's archive are needed):
#   Debian packages, Node.js 24 from the npm registry (the `node` package), npm
#   dependencies, the TypeScript build, and the mediasoup worker (this machine's cache,
#   else mediasoup's prebuilt download, else the offline build from mediasoup's sources).
# Usage: scripts/setup.sh [--production]   (--production: no browser for the test suite)
set -euo pipefail
cd "$(dirname "$0")/.."

production=0
for arg in "$@"; do
  case "$arg" in
    --production) production=1 ;;
    *) echo "usage: scripts/setup.sh [--production]" >&2; exit 2 ;;
  esac
done

log() { echo "[setup] $*" >&2; }

apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { log "need root to install: ${missing[*]}"; exit 1; }
    sudo="sudo"
  fi
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # A fresh image's package lists may be months old: installing from them takes
  # whatever version they name (seen: Chromium 150 where the archive had 156, whose fake
  # capture devices the A/V-sync test measures differently). Read the archive first.
  if [ -z "${apt_updated:-}" ]; then
    $sudo apt-get update >/dev/null || log "apt-get update failed; installing from the lists this machine has"
    apt_updated=1
  fi
  $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
}

# npm itself may come from Debian; Node 24 then comes from the npm registry.
command -v npm >/dev/null || apt_install nodejs npm

# mediasoup's own postinstall would download a prebuilt worker from the internet and,
# failing that, try to download a build toolchain: skip it, `diemcau worker build`
# below does both jobs and works offline.
log "installing npm dependencies (Node.js 24 included)"
if [ -f package-lock.json ]; then
  MEDIASOUP_WORKER_BIN=skip npm ci --no-audit --no-fund --loglevel=error
else
  MEDIASOUP_WORKER_BIN=skip npm install --no-audit --no-fund --loglevel=error
fi
node_major=$(node_modules/node/bin/node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 24 ]; then
  log "Node.js 24 did not install from the npm registry (node_modules/node)"; exit 1
fi

log "building"
npm run --silent build

# One list of Debian packages, kept in workers/offline/aptPackages.ts.
apt_install $(bin/diemcau worker apt-packages runtime)
if [ "$production" -eq 0 ]; then
  apt_install $(bin/diemcau worker apt-packages test)
fi

log "mediasoup worker"
bin/diemcau worker build >/dev/null
log "ready: start with 'npm start' (or bin/diemcau serve); check with 'bin/diemcau doctor'"
