#!/usr/bin/env bash
# A single-node Slurm for the tests, in a folder of its own: munged with a
# fresh key, slurmctld and slurmd on free ports, this machine as the one
# node (all its CPUs, 80 % of its memory; a node name of its own, in
# DIR/nodename), one partition "test".
#
#   tests/tools/slurm_cluster.sh start DIR   # prints: export SLURM_CONF=DIR/slurm.conf
#   tests/tools/slurm_cluster.sh stop DIR
#
# start exits 0 when the node is idle and a job can run; 1 with the reason
# (the logs' last lines) when it cannot come up; 77 when Slurm or munge is
# not installed or we are not root (slurmd must be root to start jobs).
set -u
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

stop() {
  if [ -f "$dir/slurm.conf" ]; then
    SLURM_CONF=$dir/slurm.conf timeout 10 scontrol shutdown >/dev/null 2>&1
  fi
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
  return 0
}

free_port() {
  "${PY:-python3}" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  for prog in munged mungekey slurmctld slurmd sbatch scontrol; do
    command -v "$prog" >/dev/null 2>&1 || { echo "$prog not found (Debian: apt-get install slurm-wlm munge)"; exit 77; }
  done
  [ "$(id -u)" -eq 0 ] || { echo "not root: slurmd must run as root to start jobs"; exit 77; }
  mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
  chmod 700 "$dir/munge"
  mungekey -c -f -k "$dir/munge/munge.key" -b 1024 || exit 1
  chmod 600 "$dir/munge/munge.key"
  munged -f --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.sock" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/seed" ||
    { echo "munged did not start: $(tail -n 3 "$dir/munge/munged.log" 2>/dev/null)"; exit 1; }
  local host mem node
  host=$(hostname -s)
  # a node name of its own, so two test clusters on one machine never meet
  node=fidrun-$(printf '%s' "$dir" | cksum | cut -c1-8)
  echo "$node" >"$dir/nodename"
  mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
  cat >"$dir/slurm.conf" <<EOF
# written by tests/tools/slurm_cluster.sh for one test run
ClusterName=fidrun-test
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.sock
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
ReturnToService=2
MinJobAge=600
KillWait=5
NodeName=$node NodeHostname=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF=$dir/slurm.conf
  slurmctld -i -f "$SLURM_CONF" || { echo "slurmctld did not start: $(tail -n 5 "$dir/slurmctld.log" 2>/dev/null)"; stop; exit 1; }
  slurmd -f "$SLURM_CONF" -N "$node" || { echo "slurmd did not start: $(tail -n 5 "$dir/slurmd.log" 2>/dev/null)"; stop; exit 1; }
  for _ in $(seq 60); do
    if [ "$(sinfo -h -o %T 2>/dev/null)" = idle ]; then
      echo "export SLURM_CONF=$SLURM_CONF"
      return 0
    fi
    sleep 0.5
  done
  echo "the node did not become idle in 30 s: $(sinfo -h 2>&1 | head -n 2); $(tail -n 3 "$dir/slurmd.log" 2>/dev/null)"
  stop
  exit 1
}

case $cmd in
start) start ;;
stop) stop ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
