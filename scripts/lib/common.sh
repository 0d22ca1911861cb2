# scripts/lib/common.sh — shared helpers for Slipway's infrastructure scripts (sourced, not run).
# Provides: log, die, elapsed, now_ms, apt_install, require_root.

SLIPWAY_SCRIPTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SLIPWAY_ROOT=$(cd "$SLIPWAY_SCRIPTS_DIR/.." && pwd)
SLIPWAY_HARNESS=${SLIPWAY_HARNESS:-/tmp/slipway-harness}
# Several engineers / CI jobs may run these scripts at once: serialize through lock files here.
SLIPWAY_LOCK_DIR=${SLIPWAY_LOCK_DIR:-/run/lock}
[ -d "$SLIPWAY_LOCK_DIR" ] && [ -w "$SLIPWAY_LOCK_DIR" ] || SLIPWAY_LOCK_DIR=/tmp

_slipway_prog=$(basename "$0" .sh)
log() { printf '%s: %s\n' "$_slipway_prog" "$*" >&2; }
die() { printf '%s: error: %s\n' "$_slipway_prog" "$*" >&2; exit 1; }

now_ms() { date +%s%3N; }
# elapsed <start_ms> → "1.6s"
elapsed() { local d=$(( $(now_ms) - $1 )); printf '%d.%ds' $((d / 1000)) $(((d % 1000) / 100)); }

require_root() { [ "$(id -u)" = 0 ] || die "must run as root (needs apt, dockerd, network namespaces)"; }

# apt_install <pkg>... — install Debian packages that are not installed yet. Waits for dpkg's lock
# (another script may be installing at the same time) instead of failing.
_slipway_apt_updated=
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  require_root
  log "installing ${missing[*]} via apt"
  export DEBIAN_FRONTEND=noninteractive
  local lockopt=(-o DPkg::Lock::Timeout=300)
  if [ -z "$_slipway_apt_updated" ]; then
    apt-get "${lockopt[@]}" update -qq >&2 || die "apt-get update failed"
    _slipway_apt_updated=1
  fi
  apt-get "${lockopt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >&2 \
    || die "apt-get install ${missing[*]} failed"
}
