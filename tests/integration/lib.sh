# Shared by the integration scripts: the MPI environment, a scratch folder,
# the ok/skip/bad counters and mpirun_fidrun. Source it from the script;
# end the script with `finish NAME`.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=true OPENBLAS_NUM_THREADS=1

FIDRUN=./fidrun
H5=build/tests/h5records
LIMIT=300 # seconds; a run that hangs is killed and counted as a failure (exit 124)
work=$(mktemp -d /tmp/fidrun-it.XXXXXX)
# at_exit COMMAND: run when the script ends (daemons a test started), before
# the scratch folder goes
cleanups=()
at_exit() { cleanups+=("$1"); }
trap 'for c in "${cleanups[@]}"; do eval "$c"; done; rm -rf "$work"' EXIT
passed=0 failed=0 skipped=0

ok() { echo "ok       $1"; passed=$((passed + 1)); }
skip() { echo "skipped  $1 ($2)"; skipped=$((skipped + 1)); }
bad() {
  echo "FAILED   $1: $2"
  [ -n "${out:-}" ] && [ -f "$out" ] && sed 's/^/         | /' "$out" | tail -n 15
  failed=$((failed + 1))
}
# expect NAME: passes when the previous command's status equals $want
check_rc() { if [ "$rc" -eq "$2" ]; then ok "$1"; else bad "$1" "exit $rc, expected $2"; fi; }

# mpirun_fidrun NP ARGS...: sets rc, out (log of stdout+stderr) and secs
mpirun_fidrun() {
  local np=$1
  shift
  out=$work/log.$((++n_logs))
  local t0=$SECONDS
  timeout $LIMIT mpirun -np "$np" $FIDRUN "$@" >"$out" 2>&1
  rc=$?
  secs=$((SECONDS - t0))
}
n_logs=0
newest() { ls -t "$1"/*.h5 2>/dev/null | head -n1; }
smoke=configs/smoke.yaml

# bring_up SCRIPT WHAT START STOP: runs START (a test service: a Slurm, two
# hosts); its exit 77 skips every test of the script, saying why, another
# failure fails them; STOP runs when the script ends. Sets service_msg.
bring_up() {
  local script=$1 what=$2 start=$3 stop=$4 rc
  service_msg=$(eval "$start" 2>&1)
  rc=$?
  if [ $rc -eq 77 ]; then
    skip "every $what test" "$service_msg"
    finish "$script"
    exit
  fi
  at_exit "$stop"
  if [ $rc -ne 0 ]; then
    bad "$what comes up" "$service_msg"
    finish "$script"
    exit
  fi
}

# finish NAME: the totals line, the counts for run-all.sh, the exit status
finish() {
  echo "$1: $passed passed, $failed failed, $skipped skipped"
  [ -n "${COUNTS:-}" ] && echo "$passed $failed $skipped" >"$COUNTS"
  [ "$failed" -eq 0 ]
}
