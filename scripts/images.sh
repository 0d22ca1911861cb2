#!/usr/bin/env bash
# scripts/images.sh — make sure the images Slipway's tests and examples name exist on the local
# engine. Each missing tag is pulled when the engine can reach a registry; only when it cannot
# is a local look-alike built (no registry here: `docker pull` fails at once). Base images of the
# look-alikes come from a root filesystem via `docker import`; the rest are Dockerfiles under
# scripts/images/<name>/ built with the legacy builder (DOCKER_BUILDKIT=0), which never pulls.
#
# usage: scripts/images.sh [--force] [--no-pull] [--list] [target...]   (default: busybox node)
#   --force    rebuild the named targets' look-alikes, and point at them the tags that are
#              missing or already point at a Slipway look-alike (never at a pulled image)
#   --no-pull  never try the registry (also: SLIPWAY_IMAGES_NO_PULL=1)
#   --list     print the targets and their tags, then exit
#   targets:   busybox node redis postgres15 postgres17 caddy nginx (all = these),
#              debian debian-trixie (bases of the look-alikes, built when one needs them)
#              (a tag such as postgres:17 or node:20-slim is accepted in place of its target)
# Never retags over an existing image: a tag that exists (pulled, built by you, or an earlier
# look-alike) is left as it is. A look-alike is built as slipway-look-alike/<target>:latest with
# the label org.slipway.look-alike=<target>; only then do the missing tags point at it.
# Pulls: the first one is a probe; when it fails or shows no progress within
# $SLIPWAY_PULL_PROBE_SECONDS (default 20) no other pull is tried in this run.
# Idempotent: a target whose tags all exist is skipped. Prints a timing per target on stderr.
# Concurrent runs serialize on a lock; the second one then finds the tags and skips.
#
# Look-alike timings measured on this machine (Debian 12, 2 cores, wall clock, noisy; apt mirror
# reachable):
#   target         tags                                 build    size
#   busybox        busybox:1.36 mini:1                  0.4 s      2 MB
#   node           node:20-slim node:20                 1.7 s    106 MB  (host node + ldd libs + busybox)
#   debian         debian:bookworm-minbase             28.7 s    117 MB  (debootstrap)
#   debian-trixie  debian:trixie-minbase               28.0 s    120 MB  (debootstrap)
#   redis          redis:7            (7.0.15)          5.1 s    209 MB
#   postgres15     postgres:15        (15.x)           20.4 s    514 MB
#   postgres17     postgres:17        (17.x)           22.9 s    568 MB
#   caddy          caddy:2            (2.6.2)          14.6 s    254 MB
#   nginx          nginx:1.27         (Debian's 1.22)   7.3 s    212 MB
#   all, from nothing: about 2 min 10 s; all, when present: 0.1 s
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

IMAGES_DIR="$SLIPWAY_SCRIPTS_DIR/images"
DEBIAN_MIRROR=${SLIPWAY_DEBIAN_MIRROR:-http://deb.debian.org/debian}
ALL_TARGETS=(busybox node debian debian-trixie redis postgres15 postgres17 caddy nginx)
# what `all` means: every image the suite runs (the Debian bases are only built when needed)
SUITE_TARGETS=(busybox node redis postgres15 postgres17 caddy nginx)
LOOK_ALIKE_LABEL=org.slipway.look-alike
PROBE_SECONDS=${SLIPWAY_PULL_PROBE_SECONDS:-20}
PULL_SECONDS=${SLIPWAY_PULL_TIMEOUT:-900}

# SLIPWAY_IMAGES_NAMESPACE=ns (tests only): every tag becomes ns/<tag>, so a test can exercise
# this script without touching the tags other tests use (Dockerfile targets still build FROM the
# plain debian:*-minbase bases).
NS=${SLIPWAY_IMAGES_NAMESPACE:-}
# tags_of <target> — the image tags a target produces (first one is the primary).
tags_of() {
  local tags t out=(); tags=$(plain_tags_of "$1") || return 1
  if [ -z "$NS" ]; then echo "$tags"; return; fi
  for t in $tags; do out+=("$NS/$t"); done
  echo "${out[*]}"
}
plain_tags_of() {
  case "$1" in
    busybox) echo "busybox:1.36 mini:1" ;;
    node) echo "node:20-slim node:20" ;;
    debian) echo "debian:bookworm-minbase" ;;
    debian-trixie) echo "debian:trixie-minbase" ;;
    redis) echo "redis:7" ;;
    postgres15) echo "postgres:15" ;;
    postgres17) echo "postgres:17" ;;
    caddy) echo "caddy:2" ;;
    nginx) echo "nginx:1.27" ;;
    *) return 1 ;;
  esac
}
# public_tag <tag> — true for tags a registry serves (the rest exist only as look-alikes here).
public_tag() { case "${1#"$NS/"}" in mini:*|debian:*-minbase) return 1 ;; *) return 0 ;; esac; }
# deps_of <target> — targets a look-alike build needs first.
deps_of() {
  case "$1" in
    redis|postgres15|caddy|nginx) echo debian ;;
    postgres17) echo debian-trixie ;;
    *) echo ;;
  esac
}
# resolve <name> — expand aliases and tags into targets (sets RESOLVED; dies on unknown names).
RESOLVED=
resolve() {
  local t
  case "$1" in
    all) RESOLVED="${SUITE_TARGETS[*]}"; return ;;
    postgres) RESOLVED="postgres15 postgres17"; return ;;
    trixie) RESOLVED=debian-trixie; return ;;
    bookworm) RESOLVED=debian; return ;;
  esac
  for t in "${ALL_TARGETS[@]}"; do
    [ "$t" = "$1" ] && { RESOLVED=$t; return; }
    case " $(tags_of "$t") " in *" $1 "*) RESOLVED=$t; return ;; esac
  done
  die "unknown target '$1' (targets: ${ALL_TARGETS[*]} postgres all)"
}

have_tag() { docker image inspect "$1" >/dev/null 2>&1; }
have_all_tags() { local t; for t in $(tags_of "$1"); do have_tag "$t" || return 1; done; }
# is_look_alike <tag> — the tag exists and points at an image this script built.
is_look_alike() { [ -n "$(docker image inspect -f "{{index .Config.Labels \"$LOOK_ALIKE_LABEL\"}}" "$1" 2>/dev/null)" ]; }
# look_alike_ref <target> — where a look-alike is built before its public tags point at it.
look_alike_ref() { echo "slipway-look-alike/${NS:+$NS-}$1:latest"; }

# Registry reachability, decided by the first pull of this run: '' unknown, yes, no.
REGISTRY=${SLIPWAY_IMAGES_NO_PULL:+no}
# try_pull <tag> — pull one tag; returns 1 (fast) once the registry proved unreachable.
try_pull() {
  local tag=$1 out pid waited=0 rc
  [ "$REGISTRY" = no ] && return 1
  out=$(mktemp /tmp/slipway-pull.XXXXXX)
  docker pull "$tag" >"$out" 2>&1 & pid=$!
  if [ -z "$REGISTRY" ]; then
    # probe: give up unless the pull finishes or starts downloading within PROBE_SECONDS
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt $((PROBE_SECONDS * 10)) ]; do
      grep -q 'Pulling from\|Pulling fs layer\|Digest:' "$out" && break
      sleep 0.1; waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null && ! grep -q 'Pulling from\|Pulling fs layer\|Digest:' "$out"; then
      kill "$pid" 2>/dev/null || true
      echo "no answer from the registry within ${PROBE_SECONDS}s" >>"$out"
    fi
  fi
  waited=0
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt "$PULL_SECONDS" ]; do sleep 1; waited=$((waited + 1)); done
  kill -0 "$pid" 2>/dev/null && { kill "$pid" 2>/dev/null || true; echo "timed out after ${PULL_SECONDS}s" >>"$out"; }
  rc=0; wait "$pid" 2>/dev/null || rc=$?
  if [ "$rc" = 0 ] && have_tag "$tag"; then REGISTRY=yes; rm -f "$out"; return 0; fi
  if [ -z "$REGISTRY" ]; then
    REGISTRY=no
    log "the engine cannot pull ($(tail -n 1 "$out" | cut -c1-160)); building local look-alikes instead"
  else
    log "docker pull $tag failed: $(tail -n 1 "$out" | cut -c1-160)"
  fi
  rm -f "$out"
  return 1
}

# Temporary root filesystems are removed on exit, whatever happens.
ROOTFS_DIRS=()
cleanup_rootfs() { local d; for d in "${ROOTFS_DIRS[@]}"; do rm -rf "$d" "$d.log"; done; }
trap cleanup_rootfs EXIT
ROOTFS=
new_rootfs() { ROOTFS=$(mktemp -d /tmp/slipway-rootfs.XXXXXX); ROOTFS_DIRS+=("$ROOTFS"); }

# add_busybox <rootfs> — static busybox with its applets symlinked where they belong.
add_busybox() {
  local r=$1 a
  apt_install busybox-static
  [ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || die "busybox-static installed but no busybox binary"
  mkdir -p "$r/bin" "$r/sbin" "$r/usr/bin" "$r/usr/sbin"
  cp "$(command -v busybox || echo /bin/busybox)" "$r/bin/busybox"
  for a in $("$r/bin/busybox" --list-full); do
    [ -e "$r/$a" ] || [ -L "$r/$a" ] || ln -s /bin/busybox "$r/$a"
  done
}

# add_base_files <rootfs> — the few files every image expects.
add_base_files() {
  local r=$1
  mkdir -p "$r/etc" "$r/tmp" "$r/root" "$r/proc" "$r/sys" "$r/dev" "$r/var/tmp" "$r/home"
  chmod 1777 "$r/tmp" "$r/var/tmp"; chmod 700 "$r/root"
  cat >"$r/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
  cat >"$r/etc/group" <<'G'
root:x:0:
nogroup:x:65534:
G
  printf 'hosts: files dns\n' >"$r/etc/nsswitch.conf"
}

import_rootfs() { # import_rootfs <rootfs> <tag> [docker import -c change...]
  local r=$1 tag=$2; shift 2
  local changes=() c
  for c in "$@"; do changes+=(-c "$c"); done
  tar --numeric-owner -C "$r" -c . | docker import "${changes[@]}" - "$tag" >/dev/null
}

build_busybox() {
  local r; new_rootfs; r=$ROOTFS
  add_busybox "$r"; add_base_files "$r"
  import_rootfs "$r" "$(look_alike_ref busybox)" 'CMD ["/bin/sh"]' "LABEL $LOOK_ALIKE_LABEL=busybox"
}

build_node() {
  local r node lib real; new_rootfs; r=$ROOTFS
  node=$(command -v node) || die "no node binary on this host (Slipway needs Node 20)"
  node=$(readlink -f "$node")
  "$node" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
    || die "host node $("$node" --version) is older than 20"
  add_busybox "$r"; add_base_files "$r"
  mkdir -p "$r/usr/local/bin"
  cp "$node" "$r/usr/local/bin/node"
  ln -sf /usr/local/bin/node "$r/usr/bin/node"
  # every shared library node links against, at the same path (plus the real file for symlinks)
  for lib in $(ldd "$node" | awk '/=> \//{print $3} /^\t\/[^ ]+ \(/{print $1}'); do
    mkdir -p "$r$(dirname "$lib")"; cp -L "$lib" "$r$lib"
  done
  # Debian's /lib and /lib64 are symlinks into /usr on merged-/usr hosts: keep that layout usable
  for real in lib lib64; do
    if [ -d "$r/$real" ] && [ ! -L "$r/$real" ] && [ -L "/$real" ]; then
      mkdir -p "$r/usr/$real"; cp -a "$r/$real/." "$r/usr/$real/"; rm -rf "${r:?}/$real"; ln -s "usr/$real" "$r/$real"
    fi
  done
  echo 'node:x:1000:1000::/home/node:/bin/sh' >>"$r/etc/passwd"
  echo 'node:x:1000:' >>"$r/etc/group"
  mkdir -p "$r/home/node"; chown 1000:1000 "$r/home/node"
  import_rootfs "$r" "$(look_alike_ref node)" \
    'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin' \
    "ENV NODE_VERSION=$("$node" --version | sed 's/^v//')" \
    'CMD ["node"]' "LABEL $LOOK_ALIKE_LABEL=node"
  docker run --rm "$(look_alike_ref node)" node -e 'require("fs").writeFileSync("/tmp/x","ok")' \
    || die "the node:20-slim look-alike was built but 'node -e' fails inside it"
}

build_debian_suite() { # build_debian_suite <suite> <target>
  local suite=$1 target=$2 r
  apt_install debootstrap
  new_rootfs; r=$ROOTFS
  log "debootstrap --variant=minbase $suite (takes ~40 s)"
  debootstrap --variant=minbase "$suite" "$r" "$DEBIAN_MIRROR" >"$r.log" 2>&1 \
    || { tail -n 20 "$r.log" >&2; rm -f "$r.log"; die "debootstrap $suite failed"; }
  rm -f "$r.log"
  rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/*
  import_rootfs "$r" "$(look_alike_ref "$target")" 'CMD ["bash"]' "LABEL $LOOK_ALIKE_LABEL=$target"
}

build_dockerfile() { # build_dockerfile <dir-name> <target> [docker build args...]
  local dir=$IMAGES_DIR/$1 target=$2 log; shift 2
  [ -f "$dir/Dockerfile" ] || die "missing $dir/Dockerfile"
  log=$(mktemp /tmp/slipway-build.XXXXXX)
  DOCKER_BUILDKIT=0 docker build -q -t "$(look_alike_ref "$target")" --label "$LOOK_ALIKE_LABEL=$target" "$@" "$dir" >/dev/null 2>"$log" || {
    tail -n 30 "$log" >&2; rm -f "$log"; die "docker build of the $target look-alike failed"; }
  rm -f "$log"
}

# build_target <target> — build the look-alike under $(look_alike_ref target).
build_target() {
  case "$1" in
    busybox) build_busybox ;;
    node) build_node ;;
    debian) build_debian_suite bookworm debian ;;
    debian-trixie) build_debian_suite trixie debian-trixie ;;
    redis) build_dockerfile redis redis ;;
    postgres15) build_dockerfile postgres postgres15 --build-arg BASE=debian:bookworm-minbase --build-arg PG_MAJOR=15 ;;
    postgres17) build_dockerfile postgres postgres17 --build-arg BASE=debian:trixie-minbase --build-arg PG_MAJOR=17 ;;
    caddy) build_dockerfile caddy caddy ;;
    nginx) build_dockerfile nginx nginx ;;
  esac
}

FORCE=
declare -A REQUESTED=() DONE=()
ORDER=()
for arg in "$@"; do
  case "$arg" in
    --force|-f) FORCE=1 ;;
    --no-pull) REGISTRY=no ;;
    --list) for t in "${ALL_TARGETS[@]}"; do printf '%-14s %s\n' "$t" "$(tags_of "$t")"; done; exit 0 ;;
    -h|--help) sed -n '2,36p' "$0"; exit 0 ;;
    -*) die "unknown option '$arg'" ;;
    *) resolve "$arg"; for t in $RESOLVED; do [ -n "${REQUESTED[$t]:-}" ] || { REQUESTED[$t]=1; ORDER+=("$t"); }; done ;;
  esac
done
if [ ${#ORDER[@]} -eq 0 ]; then ORDER=(busybox node); REQUESTED=([busybox]=1 [node]=1); fi

"$SLIPWAY_SCRIPTS_DIR/engine.sh" --quiet || die "no Docker engine (scripts/engine.sh failed)"

exec 9>"$SLIPWAY_LOCK_DIR/slipway-images.lock"
if ! flock -n 9; then
  log "another images.sh is running; waiting for it"
  flock 9
fi

# ensure <target>: its tags exist afterwards — kept, pulled, or pointed at a fresh look-alike.
ensure() {
  local t=$1 d start tag old ref built=
  [ -n "${DONE[$t]:-}" ] && return 0
  DONE[$t]=1
  local force=; [ -n "$FORCE" ] && [ -n "${REQUESTED[$t]:-}" ] && force=1
  if have_all_tags "$t" && [ -z "$force" ]; then
    log "$(tags_of "$t"): exists, skipped"
    return 0
  fi
  start=$(now_ms)
  # 1. missing public tags: pull them when the engine can
  local need=() primary; primary=$(tags_of "$t"); primary=${primary%% *}
  for tag in $(tags_of "$t"); do
    if have_tag "$tag"; then
      if [ -n "$force" ] && is_look_alike "$tag"; then need+=("$tag"); fi
      continue
    fi
    if [ -z "$force" ] && public_tag "$tag" && try_pull "$tag"; then log "$tag: pulled in $(elapsed "$start")"; continue; fi
    # a local-only alias (mini:1) names whatever the primary tag is, pulled or not
    if [ -z "$force" ] && ! public_tag "$tag" && [ "$tag" != "$primary" ] && have_tag "$primary"; then
      docker tag "$primary" "$tag"; log "$tag: alias of $primary"; continue
    fi
    need+=("$tag")
  done
  if [ ${#need[@]} -eq 0 ]; then
    [ -z "$force" ] || log "$(tags_of "$t"): not Slipway look-alikes, kept (--force rebuilds look-alikes only)"
    return 0
  fi
  # 2. the rest point at a look-alike, built (with its bases) under its own name first
  for d in $(deps_of "$t"); do ensure "$d"; done
  ref=$(look_alike_ref "$t")
  old=$(docker image inspect -f '{{.Id}}' "$ref" 2>/dev/null || true)
  if [ -z "$old" ] || [ -n "$force" ]; then build_target "$t"; built=1; fi
  for tag in "${need[@]}"; do
    if have_tag "$tag" && ! is_look_alike "$tag"; then log "$tag exists and is not a look-alike: kept"; continue; fi
    docker tag "$ref" "$tag"
  done
  log "${need[*]}: look-alike $([ -n "$built" ] && echo built || echo reused) in $(elapsed "$start")"
  # a forced rebuild leaves the old look-alike untagged: remove it unless something still uses it
  if [ -n "$old" ] && [ "$old" != "$(docker image inspect -f '{{.Id}}' "$ref")" ]; then docker rmi "$old" >/dev/null 2>&1 || true; fi
}
total=$(now_ms)
for t in "${ORDER[@]}"; do ensure "$t"; done
log "done in $(elapsed "$total")"
