#!/usr/bin/env bash
# make valgrind: every unit test under valgrind's memcheck. An invalid read
# or write, a use of uninitialized memory, or a definite leak fails the
# test (exit 99 from valgrind); each line gives the test, its time and the
# verdict, and the last the totals.
#   tests/valgrind.sh build/tests/test_*
set -u
cd "$(dirname "$0")/.."
export OPENBLAS_NUM_THREADS=1
failed=0 passed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$@"; do
  case $t in *.d | */test_gpu) continue ;; esac
  start=$SECONDS
  valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --track-origins=yes -q "$t" >"$log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1))
    printf 'ok       %-32s %4ds\n' "${t##*/}" $((SECONDS - start))
  else
    failed=$((failed + 1))
    printf 'FAILED   %-32s %4ds (exit %d)\n' "${t##*/}" $((SECONDS - start)) $rc
    grep -E '^==[0-9]+== ' "$log" | head -n 20 | sed 's/^/         | /'
  fi
done
echo "valgrind: $passed clean, $failed with errors"
[ $failed -eq 0 ]
