#!/usr/bin/env bash
# scripts/hosts.sh — simulated servers for multi-server tests: network namespaces on a bridge,
# each running its own sshd and dockerd (private /run, own /var/lib/docker, own hostname).
#
# usage: scripts/hosts.sh up                 bridge hbr0 10.200.0.1/24 + hostA 10.200.0.2, hostB 10.200.0.3
#        scripts/hosts.sh down [--wipe]      stop them (removes their containers); --wipe drops engine data
#        scripts/hosts.sh status             one line per host; exit 1 unless all are up
#        scripts/hosts.sh load [--host H] IMAGE...   copy local images into the hosts' engines
#                                            (docker save | docker -H unix://…/docker.sock load;
#                                            skipped where the host already has the same image id)
#        scripts/hosts.sh env                shell exports for the client side (eval "$(… env)")
#        scripts/hosts.sh sshd-stop HOST     kill all of HOST's sshd processes (listener and
#                                            per-connection ones: open connections drop); its
#                                            engine keeps running
#        scripts/hosts.sh sshd-start HOST    start HOST's sshd again in its namespaces (no-op if up)
# Files under $SLIPWAY_HARNESS (default /tmp/slipway-harness):
#   ssh/id_ed25519{,.pub}  client key (root login on every host), ssh/known_hosts (host keys),
#   ssh/config, bin/ssh (wrapper: ssh -F ssh/config, so `docker -H ssh://root@10.200.0.2` works),
#   hosts/<H>/docker.sock  the host's engine from the root namespace, hosts/<H>/*.log
# Idempotent: `up` on running hosts and `down` on stopped ones do nothing. Both hosts come up in
# about 1 s. Hosts have no route to the internet: load images into them instead of pulling.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

H_ROOT=${SLIPWAY_HARNESS:-${HARNESS:-/tmp/slipway-harness}}
BRIDGE=hbr0
BRIDGE_IP=10.200.0.1
HOSTS=(hostA hostB)
declare -A HOST_IP=([hostA]=10.200.0.2 [hostB]=10.200.0.3)
declare -A HOST_BIP=([hostA]=172.30.1.1/24 [hostB]=172.30.2.1/24)

hdir() { echo "$H_ROOT/hosts/$1"; }
hdocker() { docker -H "unix://$(hdir "$1")/docker.sock" "${@:2}"; }
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
host_up() { pid_alive "$(hdir "$1")/sshd.pid2" && hdocker "$1" version >/dev/null 2>&1; }

net_up() {
  ip link show "$BRIDGE" >/dev/null 2>&1 || {
    ip link add "$BRIDGE" type bridge
    ip addr add "$BRIDGE_IP/24" dev "$BRIDGE"
  }
  ip link set "$BRIDGE" up
  local h
  for h in "${HOSTS[@]}"; do
    [ -e "/run/netns/$h" ] || ip netns add "$h"
    if ! ip link show "v$h" >/dev/null 2>&1; then
      ip link add "v$h" type veth peer name eth0 netns "$h"
      ip -n "$h" addr add "${HOST_IP[$h]}/24" dev eth0
    fi
    ip link set "v$h" master "$BRIDGE" up
    ip -n "$h" link set lo up
    ip -n "$h" link set eth0 up
    ip -n "$h" route replace default via "$BRIDGE_IP"
  done
  # Docker sets the FORWARD policy to DROP; bridged host<->host traffic passes through it.
  iptables -C DOCKER-USER -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null \
    || iptables -I DOCKER-USER -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
}

net_down() {
  local h
  for h in "${HOSTS[@]}"; do ip netns del "$h" 2>/dev/null || true; ip link del "v$h" 2>/dev/null || true; done
  ip link del "$BRIDGE" 2>/dev/null || true
  while iptables -D DOCKER-USER -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null; do :; done
}

client_up() {
  local s=$H_ROOT/ssh h
  mkdir -p "$s" "$H_ROOT/bin"; chmod 700 "$s"
  [ -f "$s/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C slipway-harness -f "$s/id_ed25519"
  cp "$s/id_ed25519.pub" "$s/authorized_keys"
  cat >"$s/config" <<CFG
# Written by scripts/hosts.sh: client side of the simulated servers.
Host 10.200.0.*
  User root
  IdentityFile $s/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $s/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 5
  ControlMaster auto
  ControlPath $s/cm-%r@%h:%p
  ControlPersist 60
CFG
  : >"$s/known_hosts.new"
  for h in "${HOSTS[@]}"; do
    mkdir -p "$(hdir "$h")/ssh"
    [ -f "$(hdir "$h")/ssh/ssh_host_ed25519_key" ] \
      || ssh-keygen -q -t ed25519 -N '' -C "$h" -f "$(hdir "$h")/ssh/ssh_host_ed25519_key"
    echo "${HOST_IP[$h]} $(cut -d' ' -f1,2 "$(hdir "$h")/ssh/ssh_host_ed25519_key.pub")" >>"$s/known_hosts.new"
  done
  mv "$s/known_hosts.new" "$s/known_hosts"
  printf '#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' "$s/config" >"$H_ROOT/bin/ssh"
  chmod +x "$H_ROOT/bin/ssh"
}

host_start() {
  local h=$1 d ip bip i
  d=$(hdir "$h"); ip=${HOST_IP[$h]}; bip=${HOST_BIP[$h]}
  mkdir -p "$d/docker"
  cat >"$d/sshd_config" <<CFG
ListenAddress $ip
HostKey $d/ssh/ssh_host_ed25519_key
PidFile $d/sshd.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile $H_ROOT/ssh/authorized_keys
StrictModes no
UsePAM no
Subsystem sftp internal-sftp
MaxStartups 100:30:200
MaxSessions 100
CFG
  # Runs inside the host's namespaces: fresh /sys for this netns with the host cgroups re-bound
  # (`ip netns exec` would leave dockerd without cgroups), a private /run (so the
  # /var/run/docker.sock seen over ssh is THIS host's engine) and its own /var/lib/docker.
  cat >"$d/init.sh" <<INIT
set -e
hostname $h
mkdir -p $d/cg && mount --rbind /sys/fs/cgroup $d/cg
mount -t sysfs sysfs /sys && mount --rbind $d/cg /sys/fs/cgroup && umount -l $d/cg
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/sshd /run/lock
mount --bind $d/docker /var/lib/docker
dockerd --pidfile /run/docker.pid -H unix:///run/docker.sock -H unix://$d/docker.sock \\
  --bip $bip --cgroup-parent /$h >$d/dockerd.log 2>&1 &
echo \$! >$d/dockerd.pid
/usr/sbin/sshd -D -e -f $d/sshd_config >$d/sshd.log 2>&1 &
echo \$! >$d/sshd.pid2
wait
INIT
  rm -f "$d/docker.sock" "$d/dockerd.pid" "$d/sshd.pid2"
  setsid nsenter --net="/run/netns/$h" unshare --mount --uts --propagation private \
    /bin/sh "$d/init.sh" >"$d/init.log" 2>&1 </dev/null 9>&- &
  echo $! >"$d/init.pid"
  for i in $(seq 1 150); do
    host_up "$h" && break
    pid_alive "$d/init.pid" || break
    sleep 0.1
  done
  host_up "$h" || { tail -n 20 "$d/init.log" "$d/dockerd.log" "$d/sshd.log" >&2 2>/dev/null || true
                    die "$h did not come up (logs in $d)"; }
}

# host_stop_begin <h>: remove the host's containers and signal its daemons (no waiting).
host_stop_begin() {
  local h=$1 d ids f
  d=$(hdir "$h")
  [ -d "$d" ] || return 0
  /usr/bin/ssh -F "$H_ROOT/ssh/config" -O exit "${HOST_IP[$h]}" >/dev/null 2>&1 || true
  if hdocker "$h" version >/dev/null 2>&1; then
    ids=$(hdocker "$h" ps -aq)
    [ -z "$ids" ] || hdocker "$h" rm -f -v $ids >/dev/null 2>&1 || true
  fi
  for f in dockerd.pid sshd.pid2; do pid_alive "$d/$f" && kill "$(cat "$d/$f")" 2>/dev/null || true; done
}
# host_stop_wait <h>: wait for dockerd (15 s, then SIGKILL) and the namespace's init to exit.
host_stop_wait() {
  local h=$1 d i
  d=$(hdir "$h")
  [ -d "$d" ] || return 0
  for i in $(seq 1 150); do pid_alive "$d/dockerd.pid" || break; sleep 0.1; done
  if pid_alive "$d/dockerd.pid"; then
    log "$h: dockerd did not stop in 15 s, killing it"; kill -9 "$(cat "$d/dockerd.pid")" 2>/dev/null || true
  fi
  for i in $(seq 1 50); do pid_alive "$d/init.pid" || break; sleep 0.1; done
  rm -f "$d/docker.sock" "$d/dockerd.pid" "$d/sshd.pid2" "$d/init.pid"
}
host_stop() { host_stop_begin "$1"; host_stop_wait "$1"; }

# sshd_pids <h>: live (non-zombie) sshd processes in the host's network namespace.
sshd_pids() {
  local p c
  for p in $(ip netns pids "$1" 2>/dev/null); do
    c=$(cat "/proc/$p/comm" 2>/dev/null) || continue
    case "$c" in sshd|sshd-session) ;; *) continue ;; esac
    [ "$(ps -o stat= -p "$p" 2>/dev/null | cut -c1)" = Z ] || echo "$p"
  done
}
# sshd_stop <h>: SIGKILL every sshd of the host, so that established connections drop too.
sshd_stop() {
  local h=$1 pids i
  for i in $(seq 1 50); do
    pids=$(sshd_pids "$h")
    [ -n "$pids" ] || return 0
    kill -9 $pids 2>/dev/null || true
    sleep 0.1
  done
  die "$h: sshd processes still alive: $(sshd_pids "$h" | tr '\n' ' ')"
}
# sshd_start <h>: a new sshd listener in the host's namespaces (those of its init.sh), if none runs.
sshd_start() {
  local h=$1 d i
  d=$(hdir "$h")
  pid_alive "$d/sshd.pid2" && [ -n "$(sshd_pids "$h")" ] && return 0
  pid_alive "$d/init.pid" || die "$h is not up (run scripts/hosts.sh up)"
  setsid nsenter --target "$(cat "$d/init.pid")" --net --mount --uts \
    /usr/sbin/sshd -D -e -f "$d/sshd_config" >>"$d/sshd.log" 2>&1 </dev/null 9>&- &
  echo $! >"$d/sshd.pid2"
  for i in $(seq 1 100); do
    timeout 1 bash -c "exec 3<>/dev/tcp/${HOST_IP[$h]}/22" 2>/dev/null && return 0
    sleep 0.1
  done
  die "$h: sshd did not start listening on ${HOST_IP[$h]}:22 (see $d/sshd.log)"
}

cmd_up() {
  local start h; start=$(now_ms)
  require_root
  "$SLIPWAY_SCRIPTS_DIR/engine.sh" --quiet   # dockerd binary + the DOCKER-USER chain
  apt_install openssh-server openssh-client
  net_up
  client_up
  for h in "${HOSTS[@]}"; do
    if host_up "$h"; then log "$h ${HOST_IP[$h]} already up"; continue; fi
    if pid_alive "$(hdir "$h")/init.pid" && hdocker "$h" version >/dev/null 2>&1; then
      sshd_start "$h"; log "$h ${HOST_IP[$h]}: engine up, sshd restarted"; continue   # keep its containers
    fi
    host_stop "$h"   # half-up (e.g. sshd died): restart cleanly
    host_start "$h"
    log "$h ${HOST_IP[$h]} up (engine $(hdocker "$h" version --format '{{.Server.Version}}'))"
  done
  log "hosts up in $(elapsed "$start"); client: eval \"\$(scripts/hosts.sh env)\""
}

cmd_down() {
  local wipe=${1:-} h
  require_root
  for h in "${HOSTS[@]}"; do host_stop_begin "$h"; done   # both engines shut down in parallel
  for h in "${HOSTS[@]}"; do
    host_stop_wait "$h"
    if [ "$wipe" = --wipe ]; then rm -rf "$(hdir "$h")/docker"; fi
    log "$h down"
  done
  net_down
}

cmd_status() {
  local h ok=0
  for h in "${HOSTS[@]}"; do
    if host_up "$h"; then
      echo "$h ${HOST_IP[$h]} up engine=$(hdocker "$h" version --format '{{.Server.Version}}') socket=$(hdir "$h")/docker.sock containers=$(hdocker "$h" ps -q | wc -l)"
    else echo "$h ${HOST_IP[$h]} down"; ok=1; fi
  done
  return $ok
}

cmd_load() {
  local targets=() images=() h img local_id remote_id start
  while [ $# -gt 0 ]; do
    case "$1" in
      --host) targets+=("$2"); shift 2 ;;
      -*) die "unknown option '$1'" ;;
      *) images+=("$1"); shift ;;
    esac
  done
  [ ${#images[@]} -gt 0 ] || die "usage: scripts/hosts.sh load [--host hostA] IMAGE..."
  [ ${#targets[@]} -gt 0 ] || targets=("${HOSTS[@]}")
  for img in "${images[@]}"; do
    local_id=$(docker image inspect -f '{{.Id}}' "$img" 2>/dev/null) \
      || die "no local image $img (build it with scripts/images.sh)"
    for h in "${targets[@]}"; do
      [ -n "${HOST_IP[$h]:-}" ] || die "unknown host '$h' (hosts: ${HOSTS[*]})"
      host_up "$h" || die "$h is not up (run scripts/hosts.sh up)"
      remote_id=$(hdocker "$h" image inspect -f '{{.Id}}' "$img" 2>/dev/null || true)
      if [ "$remote_id" = "$local_id" ]; then log "$h: $img already loaded"; continue; fi
      start=$(now_ms)
      docker save "$img" | hdocker "$h" load -q >/dev/null || die "loading $img into $h failed"
      log "$h: loaded $img in $(elapsed "$start")"
    done
  done
}

cmd_env() {
  cat <<ENV
export SLIPWAY_HARNESS=$H_ROOT
export PATH=$H_ROOT/bin:\$PATH
export SLIPWAY_SSH_KEY=$H_ROOT/ssh/id_ed25519
export SLIPWAY_SSH_KNOWN_HOSTS=$H_ROOT/ssh/known_hosts
ENV
}

cmd=${1:-}; [ $# -gt 0 ] && shift
mkdir -p "$H_ROOT"
case "$cmd" in
  up|down|load)
    # one up/down/load at a time (tests in parallel may all ask for the hosts)
    exec 9>"$SLIPWAY_LOCK_DIR/slipway-hosts.lock"; flock -w 300 9 || die "timed out waiting for another hosts.sh"
    "cmd_$cmd" "$@" ;;
  sshd-stop|sshd-start)
    case "${1:-}" in hostA|hostB) ;; *) die "usage: scripts/hosts.sh $cmd HOST (hosts: ${HOSTS[*]})" ;; esac
    require_root
    exec 9>"$SLIPWAY_LOCK_DIR/slipway-hosts.lock"; flock -w 300 9 || die "timed out waiting for another hosts.sh"
    "${cmd/-/_}" "$1"; log "$1: $cmd done" ;;
  status) cmd_status ;;
  env) cmd_env ;;
  -h|--help|'') sed -n '2,22p' "$0"; [ -n "$cmd" ] ;;
  *) die "unknown command '$cmd' (up | down [--wipe] | status | load | env | sshd-stop H | sshd-start H)" ;;
esac
