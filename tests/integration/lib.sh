# Shared by the integration scripts: the MPI environment, a scratch folder,
# the ok/skip/missing/bad counters, the test Python and mpirun_fidrun.
# Source it from the script; end the script with `finish NAME`.
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
passed=0 failed=0 skipped=0 missed=0

# The test side's Python: a venv under build/ that make test fills from
# tests/requirements.txt (tests/venv.sh); never the system python.
export PY=${FIDRUN_TEST_PYTHON:-$PWD/build/venv/bin/python}
py_ok=""
"$PY" -c 'import h5py, pandas, numpy, safetensors, tables, xmlschema' 2>/dev/null && py_ok=1

ok() { echo "ok       $1"; passed=$((passed + 1)); }
# skip NAME WHY: only for a test that needs a GPU (or must not have one);
# a missing package or privilege is `missing`, never a skip.
skip() { echo "skipped  $1 ($2)"; skipped=$((skipped + 1)); }
# missing NAME WHAT: the test cannot run because WHAT is not here. make test
# installs everything its tests use, so this is a set-up bug and fails the
# test; FIDRUN_ALLOW_MISSING=1 (a host where nothing can be installed) makes
# it a skip the totals call out, except under CI=true.
missing() {
  if [ "${FIDRUN_ALLOW_MISSING:-0}" = 1 ] && [ "${CI:-}" != true ]; then
    echo "skipped  $1 (MISSING: $2)"
    skipped=$((skipped + 1)) missed=$((missed + 1))
  else
    echo "FAILED   $1: not run, $2 is missing (make test installs it; FIDRUN_ALLOW_MISSING=1 skips it)"
    failed=$((failed + 1))
  fi
}
# need_py NAME: true when the test Python is there, else `missing NAME`
need_py() {
  [ -n "$py_ok" ] && return 0
  missing "$1" "the test Python ($PY with h5py, pandas, numpy, safetensors, tables, xmlschema: make deps-test)"
  return 1
}
# need_root NAME WHY: true as root, else `missing NAME`
need_root() {
  [ "$(id -u)" -eq 0 ] && return 0
  missing "$1" "root ($2): run make test as root"
  return 1
}
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
# hosts); its exit 77 (a prerequisite missing) makes every test of the script
# `missing`, another
# failure fails them; STOP runs when the script ends. Sets service_msg.
bring_up() {
  local script=$1 what=$2 start=$3 stop=$4 rc
  service_msg=$(eval "$start" 2>&1)
  rc=$?
  if [ $rc -eq 77 ]; then
    missing "every $what test" "$service_msg"
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
  local note=""
  [ "$missed" -gt 0 ] && note=" ($missed for a missing prerequisite)"
  echo "$1: $passed passed, $failed failed, $skipped skipped$note"
  [ -n "${COUNTS:-}" ] && echo "$passed $failed $skipped $missed" >"$COUNTS"
  [ "$failed" -eq 0 ]
}
