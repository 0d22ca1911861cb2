#!/usr/bin/env bash
# scripts/images.sh — build local look-alikes of the public images Slipway's examples name,
# with NO registry (docker pull cannot work here). Base images come from a root filesystem via
# `docker import`; the rest are Dockerfiles under scripts/images/<name>/ built with the legacy
# builder (DOCKER_BUILDKIT=0), which uses local images and never pulls.
#
# usage: scripts/images.sh [--force] [--list] [target...]      (default target: busybox node)
#   --force   rebuild the named targets even if their tags exist (dependencies are only built
#             when missing)
#   --list    print the targets and their tags, then exit
#   targets:  busybox node debian debian-trixie redis postgres postgres15 postgres17 caddy nginx all
#             (a tag such as postgres:17 or node:20-slim is accepted in place of its target)
# Idempotent: a target whose tags all exist is skipped. Prints a timing per target on stderr.
# Concurrent runs serialize on a lock; the second one then finds the tags and skips.
#
# Timings measured on this machine (Debian 12, 2 cores, wall clock, noisy; apt mirror reachable):
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

# tags_of <target> — the image tags a target produces (first one is the primary).
tags_of() {
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
# deps_of <target> — targets that must exist first.
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
    all) RESOLVED="${ALL_TARGETS[*]}"; return ;;
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

# tag_aliases <target> — point every secondary tag at the primary one.
tag_aliases() {
  local tags primary t; read -r -a tags <<<"$(tags_of "$1")"; primary=${tags[0]}
  for t in "${tags[@]:1}"; do docker tag "$primary" "$t"; done
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
  import_rootfs "$r" busybox:1.36 'CMD ["/bin/sh"]'
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
  import_rootfs "$r" node:20-slim \
    'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin' \
    "ENV NODE_VERSION=$("$node" --version | sed 's/^v//')" \
    'CMD ["node"]'
  docker run --rm node:20-slim node -e 'require("fs").writeFileSync("/tmp/x","ok")' \
    || die "node:20-slim was built but 'node -e' fails inside it"
}

build_debian_suite() { # build_debian_suite <suite> <tag>
  local suite=$1 tag=$2 r
  apt_install debootstrap
  new_rootfs; r=$ROOTFS
  log "debootstrap --variant=minbase $suite (takes ~40 s)"
  debootstrap --variant=minbase "$suite" "$r" "$DEBIAN_MIRROR" >"$r.log" 2>&1 \
    || { tail -n 20 "$r.log" >&2; rm -f "$r.log"; die "debootstrap $suite failed"; }
  rm -f "$r.log"
  rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/*
  import_rootfs "$r" "$tag" 'CMD ["bash"]'
}

build_dockerfile() { # build_dockerfile <dir-name> <tag> [docker build args...]
  local dir=$IMAGES_DIR/$1 tag=$2; shift 2
  [ -f "$dir/Dockerfile" ] || die "missing $dir/Dockerfile"
  DOCKER_BUILDKIT=0 docker build -q -t "$tag" "$@" "$dir" >/dev/null 2>"$dir.build.log" || {
    tail -n 30 "$dir.build.log" >&2; rm -f "$dir.build.log"; die "docker build of $tag failed"; }
  rm -f "$dir.build.log"
}

build_target() {
  case "$1" in
    busybox) build_busybox ;;
    node) build_node ;;
    debian) build_debian_suite bookworm debian:bookworm-minbase ;;
    debian-trixie) build_debian_suite trixie debian:trixie-minbase ;;
    redis) build_dockerfile redis redis:7 ;;
    postgres15) build_dockerfile postgres postgres:15 --build-arg BASE=debian:bookworm-minbase --build-arg PG_MAJOR=15 ;;
    postgres17) build_dockerfile postgres postgres:17 --build-arg BASE=debian:trixie-minbase --build-arg PG_MAJOR=17 ;;
    caddy) build_dockerfile caddy caddy:2 ;;
    nginx) build_dockerfile nginx nginx:1.27 ;;
  esac
  tag_aliases "$1"
}

FORCE=
declare -A REQUESTED=() DONE=()
ORDER=()
for arg in "$@"; do
  case "$arg" in
    --force|-f) FORCE=1 ;;
    --list) for t in "${ALL_TARGETS[@]}"; do printf '%-14s %s\n' "$t" "$(tags_of "$t")"; done; exit 0 ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
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

ensure() { # ensure <target>: dependencies first, then the target itself
  local t=$1 d start
  [ -n "${DONE[$t]:-}" ] && return 0
  for d in $(deps_of "$t"); do ensure "$d"; done
  DONE[$t]=1
  if have_all_tags "$t" && { [ -z "$FORCE" ] || [ -z "${REQUESTED[$t]:-}" ]; }; then
    log "$(tags_of "$t"): exists, skipped"
    return 0
  fi
  start=$(now_ms)
  local primary old new; primary=$(tags_of "$t"); primary=${primary%% *}
  old=$(docker image inspect -f '{{.Id}}' "$primary" 2>/dev/null || true)
  build_target "$t"
  log "$(tags_of "$t"): built in $(elapsed "$start")"
  # a forced rebuild leaves the old image untagged: remove it unless something still uses it
  new=$(docker image inspect -f '{{.Id}}' "$primary")
  if [ -n "$old" ] && [ "$old" != "$new" ]; then docker rmi "$old" >/dev/null 2>&1 || true; fi
}
total=$(now_ms)
for t in "${ORDER[@]}"; do ensure "$t"; done
log "done in $(elapsed "$total")"
