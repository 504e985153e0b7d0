#!/usr/bin/env bash
# A one-node Slurm on this machine, to try `nebula slurm` and for its test
# (tests/all/slurm_cluster.rs): `bash scripts/slurm-local.sh start|stop|status`, as root, on
# Debian 12 (Slurm 22.05).
#
# start: installs slurm-wlm and munge with apt-get if they are missing, makes a munge key if
#        there is none, starts munged, writes /etc/slurm/slurm.conf (one node named after
#        `hostname -s`, with the CPUs and memory `slurmd -C` sees, in the partition `debug`),
#        starts slurmctld and slurmd, and waits until `sinfo` shows the node idle. Running it
#        again while the cluster is up changes nothing.
# stop:  stops slurmd, slurmctld and the munged this script started; the state is kept in
#        $NEBULA_SLURM_DIR (default /var/tmp/nebula-slurm) until the next start, which clears it.
#
# A slurm.conf that this script did not write is never replaced: start stops with the fix.
# slurmctld and slurmd log to $NEBULA_SLURM_DIR/*.log, munged to /var/log/munge/munged.log.
set -euo pipefail
# The daemons and runuser are in sbin, which a test's or a user's PATH may lack.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

STATE="${NEBULA_SLURM_DIR:-/var/tmp/nebula-slurm}"
CONF=/etc/slurm/slurm.conf
MARK="# written by nebula scripts/slurm-local.sh"
MUNGE_PID=/run/munge/munged.pid

die() {
  echo "slurm-local: error: $*" >&2
  exit 1
}
say() { echo "slurm-local: $*" >&2; }

need_root() {
  [ "$(id -u)" = 0 ] || die "run as root (it installs packages, writes $CONF and starts the daemons): sudo bash $0 $1"
}

# Whether the pid file $1 names a live process called $2 (not a pid reused since).
pid_alive() { [ -f "$1" ] && [ "$(cat "/proc/$(cat "$1")/comm" 2>/dev/null)" = "$2" ]; }

install_packages() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null \
    && command -v munged >/dev/null; then
    return
  fi
  command -v apt-get >/dev/null || die "slurmctld, slurmd, sbatch or munged is missing and there is no apt-get: install Slurm and MUNGE with the system's package manager"
  say "installing slurm-wlm and munge (apt-get)"
  apt-get update -qq
  # Without the recommended plugins (MySQL, HDF5, InfluxDB...): the basic ones are all this needs.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null \
    || die "apt-get could not install slurm-wlm and munge; run: apt-get install slurm-wlm munge"
}

start_munge() {
  if [ ! -s /etc/munge/munge.key ]; then
    say "creating a munge key (/etc/munge/munge.key)"
    mkdir -p /etc/munge
    chown munge:munge /etc/munge
    chmod 0700 /etc/munge
    if command -v mungekey >/dev/null; then
      mungekey --create --force --keyfile=/etc/munge/munge.key
    else
      dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
  fi
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    return # a munged is already running (the system's, or ours from an earlier start)
  fi
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  chmod 0755 /run/munge
  rm -f /run/munge/munge.socket.2 /run/munge/munge.socket.2.lock "$MUNGE_PID"
  say "starting munged"
  # 9>&-: the daemons must not inherit the lock (see lock below).
  runuser -u munge -- munged 9>&- || die "munged did not start: see /var/log/munge/munged.log"
  for _ in $(seq 50); do
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && { touch "$STATE/munged.ours"; return; }
    sleep 0.1
  done
  die "munged does not answer: see /var/log/munge/munged.log"
}

write_conf() {
  local host node
  host="$(hostname -s)"
  # Loopback addresses for both daemons: the cluster works whatever the host name resolves to.
  # The node as slurmd sees it (CPUs, sockets, cores, threads, memory), so that the node never
  # drains for a mismatch; a little less memory than it counts, for the same reason.
  node="$(slurmd -C | head -n 1)"
  [[ "$node" == NodeName=* ]] || die "slurmd -C printed no node line: $node"
  local mem
  mem="$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$node")"
  node="$(sed "s/RealMemory=[0-9]*/RealMemory=$((mem * 9 / 10))/" <<<"$node")"
  mkdir -p /etc/slurm
  cat >"$CONF.tmp" <<EOF
$MARK: a one-node cluster on this machine
ClusterName=nebula-local
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
# A job whose dependency can never be met (the merge, after a failed shard) is cancelled, not
# left pending forever.
DependencyParameters=kill_invalid_depend
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/slurmd
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
# Finished jobs stay visible to scontrol for 10 minutes (no accounting database: no sacct).
MinJobAge=600
SlurmctldTimeout=30
SlurmdTimeout=60
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  # slurmd -C names the node after `hostname -s` already; say so in case it ever differs.
  grep -q "^NodeName=$host " "$CONF.tmp" || die "slurmd -C named the node differently from hostname -s ($host): $node"
  mv "$CONF.tmp" "$CONF"
}

node_state() { sinfo -h -N -o '%T' 2>/dev/null | head -n 1; }

start() {
  if [ -f "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
    die "$CONF exists and was not written by this script: a real Slurm is configured here; use it (nebula slurm ... --submit) or move $CONF away first"
  fi
  install_packages
  mkdir -p "$STATE"
  if pid_alive "$STATE/slurmctld.pid" slurmctld && pid_alive "$STATE/slurmd.pid" slurmd; then
    [ "$(node_state)" != "" ] && wait_idle && return
  fi
  start_munge
  # A fresh cluster every start: no jobs or node state left from an earlier one.
  stop_slurm
  rm -rf "$STATE/ctld" "$STATE/slurmd"
  mkdir -p "$STATE/ctld" "$STATE/slurmd"
  write_conf
  say "starting slurmctld and slurmd ($CONF, logs in $STATE)"
  slurmctld -i 9>&- || die "slurmctld did not start: see $STATE/slurmctld.log"
  slurmd 9>&- || die "slurmd did not start: see $STATE/slurmd.log"
  wait_idle
}

wait_idle() {
  local state=""
  for _ in $(seq 120); do
    state="$(node_state)"
    case "$state" in
    idle | mixed | allocated)
      say "up: node $(hostname -s) is $state (partition debug)"
      return 0
      ;;
    down* | drain*)
      scontrol update nodename="$(hostname -s)" state=resume >/dev/null 2>&1 || true
      ;;
    esac
    sleep 0.5
  done
  say "the node is '${state:-not known}' after 60 s; the end of the logs:"
  tail -n 20 "$STATE/slurmctld.log" "$STATE/slurmd.log" >&2 2>/dev/null || true
  die "Slurm did not come up (sinfo: '${state:-no answer}'); see $STATE/slurmctld.log and $STATE/slurmd.log"
}

# Stops slurmd and slurmctld (this script's, by their pid files), waiting until they are gone.
stop_slurm() {
  local d f pid
  for d in slurmd slurmctld; do
    f="$STATE/$d.pid"
    if pid_alive "$f" "$d"; then
      pid="$(cat "$f")"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
  done
}

stop() {
  stop_slurm
  if [ -f "$STATE/munged.ours" ] && pid_alive "$MUNGE_PID" munged; then
    local pid
    pid="$(cat "$MUNGE_PID")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
  rm -f "$STATE/munged.ours"
  say "stopped"
}

# One start or stop at a time (two test binaries may start the cluster at once).
lock() {
  mkdir -p "$STATE"
  exec 9>"$STATE/lock"
  flock 9
}

case "${1:-}" in
start)
  need_root start
  lock
  start
  ;;
stop)
  need_root stop
  lock
  stop
  ;;
status)
  if pid_alive "$STATE/slurmctld.pid" slurmctld; then sinfo; else
    echo "not running"
    exit 1
  fi
  ;;
*)
  echo "usage: bash $0 start|stop|status" >&2
  exit 2
  ;;
esac
