#!/usr/bin/env bash
# scripts/engine.sh — make sure a local Docker engine is installed, running and answering.
#
# usage: scripts/engine.sh [--quiet]
#   - installs Debian's docker.io with apt when `dockerd` is absent (~1 min);
#   - starts dockerd in the background when `docker info` fails (PID 1 is not systemd here),
#     logging to $SLIPWAY_DOCKERD_LOG (default /var/log/slipway-dockerd.log);
#   - waits up to $SLIPWAY_ENGINE_TIMEOUT seconds (default 60) for the engine to answer.
# Idempotent: a running engine is left alone. Exits non-zero with a clear message on failure.
# If DOCKER_HOST points somewhere other than the local socket, it only checks that engine.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

QUIET=
case "${1:-}" in
  --quiet|-q) QUIET=1 ;;
  -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
  '') ;;
  *) die "unknown argument '$1' (usage: scripts/engine.sh [--quiet])" ;;
esac
TIMEOUT=${SLIPWAY_ENGINE_TIMEOUT:-60}
LOG=${SLIPWAY_DOCKERD_LOG:-/var/log/slipway-dockerd.log}

say() { [ -n "$QUIET" ] || log "$@"; }
engine_ok() { docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; }
report() { say "engine $(docker version --format '{{.Server.Version}}' 2>/dev/null) ready (client $(docker version --format '{{.Client.Version}}' 2>/dev/null))"; }

if command -v docker >/dev/null && engine_ok; then report; exit 0; fi

case "${DOCKER_HOST:-unix:///var/run/docker.sock}" in
  unix:///var/run/docker.sock|unix:///run/docker.sock) ;;
  *) die "DOCKER_HOST=$DOCKER_HOST does not answer 'docker info'; start that engine yourself" ;;
esac

require_root
if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
  apt_install docker.io
  command -v dockerd >/dev/null || die "docker.io installed but dockerd is still not on PATH"
fi

# Only one caller may start dockerd; the others wait on the lock, then find it running.
exec 9>"$SLIPWAY_LOCK_DIR/slipway-engine.lock"
flock -w "$TIMEOUT" 9 || die "timed out waiting for another engine.sh to finish"
if ! engine_ok; then
  pid=
  if [ -f /var/run/docker.pid ] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    pid=$(cat /var/run/docker.pid)
    say "dockerd (pid $pid) is running but not answering yet; waiting"
  else
    say "starting dockerd (log: $LOG)"
    mkdir -p "$(dirname "$LOG")"
    # setsid: detach from our session so dockerd outlives this script and its caller's
    # process group; 9>&- so it does not inherit (and hold) the lock.
    setsid dockerd >>"$LOG" 2>&1 </dev/null 9>&- &
    pid=$!
  fi
  start=$(now_ms)
  until engine_ok; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$LOG" >&2 2>/dev/null || true
      die "dockerd exited during startup; see $LOG"
    fi
    if [ $(( $(now_ms) - start )) -gt $(( TIMEOUT * 1000 )) ]; then
      tail -n 20 "$LOG" >&2 2>/dev/null || true
      die "dockerd (pid $pid) did not answer 'docker info' within ${TIMEOUT}s; see $LOG"
    fi
    sleep 0.2
  done
  say "dockerd (pid $pid) answered after $(elapsed "$start")"
fi
report
