#!/usr/bin/env bash
# Installs pnpm 10 (pnpm 11 needs Node 22) and the workspace, compiling the native addons
# (better-sqlite3-multiple-ciphers, hnswlib-node) from source against the local Node headers.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v pnpm >/dev/null 2>&1 || [[ "$(pnpm -v)" != 10.* ]]; then
  npm i -g pnpm@10 >/dev/null
fi
# node-gyp inside pnpm ignores ~/.npmrc's nodedir and would try to download headers (no network here).
if [[ -z "${npm_config_nodedir:-}" && -f /usr/include/node/node_version.h ]]; then
  export npm_config_nodedir=/usr
fi
export TURBO_TELEMETRY_DISABLED=1
pnpm install --frozen-lockfile=false --reporter=append-only
