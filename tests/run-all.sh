#!/usr/bin/env bash
# `make test`: the unit tests, then the integration scripts (multi-rank
# runs, reports in a browser, a real Slurm, two hosts in network
# namespaces), then one line with the totals. Exit status 0 only when
# nothing failed.
set -u
cd "$(dirname "$0")/.."
counts=$(mktemp)
trap 'rm -f "$counts"' EXIT
tp=0 tf=0 ts=0
add_counts() {
  local p f s
  read -r p f s <"$counts" || { p=0 f=1 s=0; echo "run-all: $1 reported no counts (it stopped early)"; }
  tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + s))
  : >"$counts"
}
# a sanitized build (make test SANITIZE=...) checks the unit tests for leaks too
ASAN_OPTIONS=${FIDRUN_UNIT_ASAN_OPTIONS:-${ASAN_OPTIONS:-}} COUNTS=$counts tests/run-unit.sh "$@"
add_counts unit
for script in run reliability reports slurm cluster; do
  [ -f "tests/integration/$script.sh" ] || continue
  echo
  COUNTS=$counts "tests/integration/$script.sh"
  add_counts "tests/integration/$script.sh"
done
echo
echo "$tp passed, $tf failed, $ts skipped"
[ "$tf" -eq 0 ]
