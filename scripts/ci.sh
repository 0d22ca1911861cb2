#!/usr/bin/env bash
# scripts/ci.sh — everything CI (or a new machine) needs, then the full test run.
#
# usage: scripts/ci.sh [--no-tests] [vitest args...]
#   0. npm ci (only if node_modules is missing), npm run lint (biome + dependency-cruiser) and
#      tsc --noEmit: seconds, so a style or type error fails before any install
#   1. scripts/host-packages.sh every Debian package the suite runs on the host (docker.io,
#                               nginx, caddy, postgresql-15, openssh-server, ...; apt, only the
#                               missing ones; `scripts/host-packages.sh --list` says who needs what)
#   2. scripts/engine.sh        start Docker
#   3. scripts/images.sh all    the images the suite runs: pulled when the engine can pull them,
#                               local look-alikes otherwise (~2 min the first time, 0.1 s after)
#   4. scripts/hosts.sh up      simulated servers hostA/hostB (taken down again at the end if
#                               this script brought them up)
#   5. vitest run [args]
#   6. npm run fuzz            10 000 mutated fleet files and 10 000 mutated compose files through
#                               load, import, desire and render (only when no vitest args are given)
# --no-tests skips step 0 and stops after step 4 (a machine ready for `npx vitest`).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$SLIPWAY_ROOT"

TESTS=1
if [ "${1:-}" = --no-tests ]; then TESTS=; shift; fi

if [ -n "$TESTS" ]; then
  [ -d node_modules ] || npm ci --no-audit --no-fund
  step=$(now_ms); npm run --silent lint; log "lint passed in $(elapsed "$step")"
  step=$(now_ms); npx tsc --noEmit; log "typecheck passed in $(elapsed "$step")"
fi

start=$(now_ms)
"$SLIPWAY_SCRIPTS_DIR/host-packages.sh"
"$SLIPWAY_SCRIPTS_DIR/engine.sh"
"$SLIPWAY_SCRIPTS_DIR/images.sh" all
if [ -n "$TESTS" ] && ! "$SLIPWAY_SCRIPTS_DIR/hosts.sh" status >/dev/null 2>&1; then
  trap '"$SLIPWAY_SCRIPTS_DIR/hosts.sh" down || true' EXIT
fi
"$SLIPWAY_SCRIPTS_DIR/hosts.sh" up
log "infrastructure ready in $(elapsed "$start")"
[ -n "$TESTS" ] || exit 0

npx vitest run "$@"
if [ $# -eq 0 ]; then
  step=$(now_ms); npm run --silent fuzz; log "fuzz passed in $(elapsed "$step")"
fi
