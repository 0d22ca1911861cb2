#!/usr/bin/env bash
# scripts/demo.sh — Slipway's main job on this machine, from nothing: install and start Docker if
# needed, build the example images locally (no registry), then deploy the two-apps-three-envs
# example (seed 001: aletheia + helios in dev, staging and prod, shared Postgres and Redis, a
# Caddy proxy) on the local engine, and print URLs that answer here (*.localhost resolves to
# loopback without DNS).
#
# usage: scripts/demo.sh            (or: npm run demo)
#   env SLIPWAY_DEMO_PASSWORD  basic-auth password for dev and staging (default: slipway-demo)
# Idempotent: run it again to roll out new releases. Tear down with: scripts/demo.sh --down
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$SLIPWAY_ROOT"
FLEET=examples/two-apps-three-envs/slipway.yaml
slipway() { node bin/slipway.mjs "$@" --file "$FLEET"; }

if [ "${1:-}" = --down ]; then
  ids=$(docker ps -aq --filter label=slipway.project=suffren); [ -n "$ids" ] && docker rm -f $ids >/dev/null
  nets=$(docker network ls -q --filter label=slipway.project=suffren); [ -n "$nets" ] && docker network rm $nets >/dev/null
  vols=$(docker volume ls -q --filter label=slipway.project=suffren); [ -n "$vols" ] && docker volume rm $vols >/dev/null
  log "demo removed (containers, networks and volumes labelled slipway.project=suffren)"; exit 0
fi

start=$(now_ms)
"$SLIPWAY_SCRIPTS_DIR/engine.sh"
[ -d node_modules ] || npm ci --no-audit --no-fund
"$SLIPWAY_SCRIPTS_DIR/images.sh" node caddy postgres15 redis
log "engine and base images ready in $(elapsed "$start")"

# Releases for staging and prod come from images, as a CI would build them (prod only takes
# tags matching v*); dev is built on the engine from `git archive` of this checkout's HEAD.
for app in aletheia helios; do
  DOCKER_BUILDKIT=0 docker build -q --build-arg RELEASE=v1.0.0 -t "$app:v1.0.0" examples/apps/echo >/dev/null
done

slipway validate
slipway check || true
slipway up
pw=${SLIPWAY_DEMO_PASSWORD:-slipway-demo}
for env in dev staging; do printf %s "$pw" | slipway secret set "basic-auth-$env" >/dev/null; done

for app in aletheia helios; do
  slipway deploy "$app" dev --drain 500
  slipway deploy "$app" staging --image "$app:v1.0.0" --drain 500
  slipway deploy "$app" prod --image "$app:v1.0.0" --drain 500
done

slipway status
port=$(node -e "const y=require('yaml');console.log(y.parse(require('fs').readFileSync('$FLEET','utf8')).servers.local.http_port)")
cat <<TXT

Slipway demo is up ($(elapsed "$start")). Try:
  curl http://aletheia.localhost:$port/           # prod (public)
  curl http://helios.localhost:$port/
  curl -u "team:\${SLIPWAY_DEMO_PASSWORD:-slipway-demo}" http://aletheia-staging.localhost:$port/   # dev/staging: basic auth, user team
  curl -u "team:\${SLIPWAY_DEMO_PASSWORD:-slipway-demo}" http://helios-dev.localhost:$port/
Then: node bin/slipway.mjs --file $FLEET status     (or export SLIPWAY_FILE=$FLEET and leave out --file)
  node bin/slipway.mjs --file $FLEET releases aletheia prod   # also: rollback, logs, maintenance on|off APP ENV
Remove everything with: scripts/demo.sh --down
TXT
for u in aletheia.localhost helios.localhost; do
  printf '  %s → ' "$u"; curl -fsS -H "Host: $u" "http://127.0.0.1:$port/" || echo "(no answer)"
done
