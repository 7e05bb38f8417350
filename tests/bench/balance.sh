#!/usr/bin/env bash
# Balance benchmarks, measured side by side in one run (make bench-balance):
#  1. 1M lognormal items into 1024 ranks: each algorithm of `fidrun balance`,
#     end to end (process start, reading the file, partitioning), against a
#     plain C LPT reading the same file (tests/bench/plain_lpt.c);
#  2. the hard instance (uniform [1000, 2000), n = 3P, P = 1024): every
#     algorithm's gap to the lower bound and time;
#  3. mini_trainer's packing cases: rows and efficiency of each packer.
set -eu
cd "$(dirname "$0")/../.."
PY=${FIDRUN_TEST_PYTHON:-$PWD/build/venv/bin/python}
work=$(mktemp -d /tmp/fidrun-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/plain_lpt" tests/bench/plain_lpt.c
"$PY" - "$work/costs.txt" <<'PY'
import random, sys
random.seed(1)
with open(sys.argv[1], "w") as f:
    f.write("\n".join(repr(random.lognormvariate(8, 1)) for _ in range(1_000_000)) + "\n")
PY
best_of() { # best_of N CMD...: the smallest wall time of N runs, in seconds
  local n=$1 best=
  shift
  for _ in $(seq "$n"); do
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null
    t1=$(date +%s.%N)
    best=$(echo "$t0 $t1 ${best:-1e9}" | awk '{d = $2 - $1; print (d < $3 ? d : $3)}')
  done
  echo "$best"
}
echo "1. 1,000,000 lognormal(8, 1) items into 1024 ranks, end to end incl. reading the file (best of 3)"
plain=$(best_of 3 "$work/plain_lpt" "$work/costs.txt" 1024)
printf '  %-18s %8.3f s  (1.00x)\n' "plain C LPT" "$plain"
for algo in lpt kk kk-equal greedy lpt+refine kk+refine; do
  t=$(best_of 3 ./fidrun balance --ranks 1024 --algo "$algo" --costs "$work/costs.txt" --repeats 1)
  gap=$(./fidrun balance --ranks 1024 --algo "$algo" --costs "$work/costs.txt" --repeats 1 --json |
    "$PY" -c 'import json,sys; print("%.2e" % json.load(sys.stdin)[0]["gap"])')
  printf '  %-18s %8.3f s  (%.2fx plain LPT)  gap %s\n' "fidrun $algo" "$t" "$(echo "$t $plain" | awk '{print $1/$2}')" "$gap"
done
echo
echo "2. the hard instance: uniform [1000, 2000), n = 3P, P = 1024 (median of 5)"
./fidrun balance --ranks 1024 --dist uniform --n-per-rank 3 --repeats 5 | tail -n +2
echo
echo "3. mini_trainer's packing cases, budget 130000 (fidrun pack)"
for d in realistic bimodal outliers powerlaw; do
  for p in 4 8; do
    ./fidrun pack --budget 130000 --ranks $p --dist $d --repeats 5 | tail -n +2
  done
done
