#!/usr/bin/env bash
# Runs the cmocka test programs given as arguments, shows their output, and
# ends with "unit: N passed, N failed, N skipped" (cmocka's skip(): GPU tests
# where no GPU is visible). Writes the counts to $COUNTS if set.
set -u
passed=0 failed=0 skipped=0
for t in "$@"; do
  out=$("$t" 2>&1)
  rc=$?
  printf '%s\n' "$out" | grep -v -e '^\[ RUN      \]' -e '^\[       OK \]'
  p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' | tail -n1)
  f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s).*/\1/p' | tail -n1)
  s=$(printf '%s\n' "$out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test(s).*/\1/p' | tail -n1)
  skipped=$((skipped + ${s:-0}))
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  if [ "$rc" -ne 0 ] && [ -z "$f" ]; then
    echo "FAILED: $t exited with status $rc (before its summary, or a sanitizer report at exit)"
    failed=$((failed + 1))
  fi
done
echo "unit: $passed passed, $failed failed, $skipped skipped"
[ -n "${COUNTS:-}" ] && echo "$passed $failed $skipped" > "$COUNTS"
[ "$failed" -eq 0 ]
