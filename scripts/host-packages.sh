#!/usr/bin/env bash
# scripts/host-packages.sh — install every Debian package the test suite, the benches and the
# infrastructure scripts run on the host, in one apt transaction, only those missing.
#
# usage: scripts/host-packages.sh [--list | --check]
#   (none)   apt-get update (once), then install what is missing (noninteractive; services
#            that a package would start, e.g. nginx on :80, are kept from starting)
#   --list   print each package and why it is needed, then exit
#   --check  exit 1 (naming them) if any package is missing; installs nothing
# Needs root and Debian 12 (bookworm) or a Debian-based system with the same package names.
# Node 20 and npm are not installed here: they are needed before this script can run (npm ci).
#
# Measured (Debian 12, 2 cores, wall clock, apt-get update included): all 16 missing (a bare
# bookworm root filesystem) 136 s (75 s without docker-compose and its Python); only nginx and
# caddy missing 30 s; nothing missing 0.1 s.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# package<TAB>who runs it on the host
PACKAGES="\
docker.io	the Docker engine (scripts/engine.sh; dockerd also runs inside each simulated host)
iproute2	scripts/hosts.sh: network namespaces, veth pair and bridge of the simulated hosts
iptables	scripts/hosts.sh: DOCKER-USER rule letting the simulated hosts reach each other
util-linux	scripts: flock, setsid, nsenter, unshare
procps	scripts/hosts.sh: ps (finds the simulated hosts' sshd processes)
openssh-server	scripts/hosts.sh: sshd of each simulated host
openssh-client	scripts/hosts.sh (ssh-keygen) and test/harness/hosts.ts (/usr/bin/ssh)
git	tests and deploys build releases from \`git archive\` of a repository
busybox-static	scripts/images.sh: look-alike busybox and node images when the engine cannot pull
debootstrap	scripts/images.sh: Debian bases of the look-alike images when the engine cannot pull
nginx	test/render-validate.test.ts: nginx -t and a live nginx on loopback
caddy	test/render-validate.test.ts: caddy validate, a live caddy, caddy hash-password
postgresql-15	test/render-validate.test.ts: initdb and postgres of a throwaway cluster
postgresql-client-15	test/render-validate.test.ts: psql
curl	scripts/demo.sh: asks the deployed demo apps for their answer
wrk	bench/proxy-auth.ts: HTTP load on nginx and Caddy, with and without basic auth
docker-compose	test/compose-corpus.test.ts: docker-compose config (Debian's 1.29) of every corpus export
bind9	test/support/bind.ts: an authoritative DNS server taking TSIG-signed RFC 2136 updates
bind9-dnsutils	tests of DNS records: dig against the test's BIND
pebble	test/support/pebble.ts: Let's Encrypt's test ACME server (pebble, pebble-challtestsrv)
chromium	test/serve-browser.test.ts: the dashboard in a real browser (driven by playwright-core)"

MODE=install
case "${1:-}" in
  --list) MODE=list ;;
  --check) MODE=check ;;
  -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
  '') ;;
  *) die "unknown argument '$1' (usage: scripts/host-packages.sh [--list | --check])" ;;
esac

names=()
while IFS=$'\t' read -r pkg why; do
  [ "$MODE" = list ] && printf '%-22s %s\n' "$pkg" "$why"
  names+=("$pkg")
done <<<"$PACKAGES"
[ "$MODE" = list ] && exit 0

missing=()
for p in "${names[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then log "all ${#names[@]} host packages are installed"; exit 0; fi
[ "$MODE" = check ] && die "missing host packages: ${missing[*]} (install them with: sudo bash scripts/host-packages.sh)"

command -v apt-get >/dev/null || die "missing host packages ${missing[*]}, and no apt-get to install them (Debian 12 expected)"
require_root
start=$(now_ms)

# A package's maintainer script must not start its service on this machine (nginx would take
# port 80, postgresql 5432): Debian's invoke-rc.d asks /usr/sbin/policy-rc.d, and 101 means "no".
# An existing policy is left as it is; ours is removed again on exit.
POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\n# written by slipway scripts/host-packages.sh during an install\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
  trap 'rm -f "$POLICY"' EXIT
fi

apt_install "${missing[@]}"
log "installed ${missing[*]} in $(elapsed "$start")"
