#!/usr/bin/env bash
# scripts/ci.sh — everything CI (or a new machine) needs, then the full test run.
#
# usage: scripts/ci.sh [--no-tests] [vitest args...]
#   1. scripts/engine.sh        install/start Docker (docker.io from apt if absent)
#   2. scripts/images.sh all    local look-alike images (~2 min the first time, 0.1 s after)
#   3. scripts/hosts.sh up      simulated servers hostA/hostB (taken down again at the end if
#                               this script brought them up)
#   4. npm ci (only if node_modules is missing), tsc --noEmit, vitest run [args]
# --no-tests stops after step 3 (a machine ready for `npx vitest`).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$SLIPWAY_ROOT"

TESTS=1
if [ "${1:-}" = --no-tests ]; then TESTS=; shift; fi

start=$(now_ms)
"$SLIPWAY_SCRIPTS_DIR/engine.sh"
"$SLIPWAY_SCRIPTS_DIR/images.sh" all
if [ -n "$TESTS" ] && ! "$SLIPWAY_SCRIPTS_DIR/hosts.sh" status >/dev/null 2>&1; then
  trap '"$SLIPWAY_SCRIPTS_DIR/hosts.sh" down || true' EXIT
fi
"$SLIPWAY_SCRIPTS_DIR/hosts.sh" up
log "infrastructure ready in $(elapsed "$start")"
[ -n "$TESTS" ] || exit 0

[ -d node_modules ] || npm ci --no-audit --no-fund
npx tsc --noEmit
npx vitest run "$@"
