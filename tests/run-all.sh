#!/usr/bin/env bash
# `make test`: the layout's rules, the unit tests, then the integration scripts (multi-rank
# runs, reports in a browser, a real Slurm, two hosts in network
# namespaces), then one line with the totals. Exit status 0 only when
# nothing failed. A test whose prerequisite is missing fails under CI=true
# and is called out here otherwise (make test installs them all).
set -u
cd "$(dirname "$0")/.."
counts=$(mktemp)
trap 'rm -f "$counts"' EXIT
tp=0 tf=0 ts=0 tm=0
add_counts() {
  local p f s m
  read -r p f s m <"$counts" || { p=0 f=1 s=0 m=0; echo "run-all: $1 reported no counts (it stopped early)"; }
  tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + s)) tm=$((tm + ${m:-0}))
  : >"$counts"
}
# the layout's rules first (on the built tree and objects)
COUNTS=$counts build/venv/bin/python tests/tools/check_layout.py
add_counts tests/tools/check_layout.py
echo
# a sanitized build (make test SANITIZE=...) checks the unit tests for leaks too
ASAN_OPTIONS=${FIDRUN_UNIT_ASAN_OPTIONS:-${ASAN_OPTIONS:-}} COUNTS=$counts tests/run-unit.sh "$@"
add_counts unit
for script in run dsvd compare reliability reports slurm cluster; do
  echo
  COUNTS=$counts "tests/integration/$script.sh"
  add_counts "tests/integration/$script.sh"
done
# the hostile-input campaign at the size that fits here (make fuzz-campaign: larger)
echo
camp=$(mktemp -d /tmp/fidrun-campaign.XXXXXX)
COUNTS=$counts timeout 1200 build/venv/bin/python tests/campaign/campaign.py ./fidrun build/tests/h5records "$camp" \
  --size "${FIDRUN_CAMPAIGN_SIZE:-small}"
add_counts tests/campaign/campaign.py
rm -rf "$camp"
echo
if [ "$tm" -gt 0 ]; then
  echo "$tp passed, $tf failed, $ts skipped ($tm of them for a missing prerequisite: see the lines marked MISSING)"
else
  echo "$tp passed, $tf failed, $ts skipped"
fi
[ "$tf" -eq 0 ]
