#!/usr/bin/env bash
# make fuzz: each libFuzzer harness for SECONDS from its committed seeds
# (tests/fuzz/corpus/NAME; what it finds goes to build/fuzz/corpus-NAME),
# then a table: executions, coverage (edges) and features, and the verdict.
# A crash, leak, sanitizer report or hang (over 10 s on one input) fails it;
# the input that did is kept as build/fuzz/crash-* / leak-* / timeout-*.
#   tests/fuzz/run.sh SECONDS build/fuzz/fuzz_NAME...
set -u
cd "$(dirname "$0")/../.."
seconds=$1
root=$PWD
shift
failed=0
sandbox=$(mktemp -d /tmp/fidrun-fuzz.XXXXXX) # the config harness may name files: none of ours
trap 'rm -rf "$sandbox"' EXIT
printf '%-22s %12s %8s %8s  %s\n' harness executions cov ft verdict
for bin in "$@"; do
  name=${bin##*/fuzz_}
  seeds=$PWD/tests/fuzz/corpus/$name
  work=$PWD/build/fuzz/corpus-$name
  log=$PWD/build/fuzz/$name.log
  mkdir -p "$work"
  (cd "$sandbox" && ASAN_OPTIONS=detect_leaks=1 "$root/$bin" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$(dirname "$log")/$name-" "$work" "$seeds" \
    </dev/null >"$log" 2>&1)
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n1 | cut -d' ' -f2)
  verdict="ok"
  if [ $rc -ne 0 ]; then
    verdict="FAILED (exit $rc): $(grep -m1 -E 'ERROR|SUMMARY|Timeout|deadly' "$log" | cut -c1-100); log $log"
    failed=1
  fi
  printf '%-22s %12s %8s %8s  %s\n' "fuzz_$name" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$verdict"
done
exit $failed
