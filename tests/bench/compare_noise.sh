#!/usr/bin/env bash
# False alarms and caught slow-downs of fidrun compare, the rules of this
# tree against the rules of an older commit, on the same pairs of files:
# for each config, a quiet baseline run, then PAIRS quiet runs, PAIRS runs
# beside a CPU burner (`yes`), and one run 20 % slower
# (FIDRUN_INJECT_SLOWDOWN=0.2); each against the baseline, by both binaries.
# A quiet or loaded pair that exits 1 is a false alarm; the slowed pair
# must exit 1.
#   tests/bench/compare_noise.sh [OLD_COMMIT] [PAIRS]   (make bench-compare)
set -eu
cd "$(dirname "$0")/../.."
old_commit=${1:-3892451}
pairs=${2:-4}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=true OPENBLAS_NUM_THREADS=1
work=$(mktemp -d /tmp/fidrun-compare-noise.XXXXXX)
trap 'kill $burner 2>/dev/null || true; rm -rf "$work"' EXIT
burner=

# the older rules: that commit built once into build/old-COMMIT
old=build/old-$old_commit/fidrun
if [ ! -x "$old" ]; then
  echo "building fidrun at $old_commit into build/old-$old_commit (once)"
  rm -rf "build/old-$old_commit"
  mkdir -p "build/old-$old_commit"
  git archive "$old_commit" | tar -x -C "build/old-$old_commit"
  make -C "build/old-$old_commit" -j2 fidrun >/dev/null
fi

configs=("configs/quant-smoke.yaml --set suites.quant.kernels.repeats=7"
  "configs/balance-smoke.yaml --set suites.balance.repeats=7"
  "configs/smoke.yaml --only model.layers.[01].*")
run() { # DIR ARGS...: one run at -np 2, its file's path
  local dir=$1
  shift
  mpirun -np 2 ./fidrun "$@" --out "$dir" --quiet >/dev/null 2>&1 || true
  ls -t "$dir"/*.h5 | head -n1
}
verdict() { # BINARY BASE NOW: 1 when it calls a regression
  local rc=0
  "$1" compare "$2" "$3" >/dev/null 2>&1 || rc=$?
  [ $rc -eq 1 ] && echo 1 || echo 0
}
printf '%-26s %-7s %5s %11s %11s\n' config pairs runs "old alarms" "new alarms"
tot_old=0 tot_new=0 tot=0
for spec in "${configs[@]}"; do
  read -r -a args <<<"$spec"
  name=$(basename "${args[0]}" .yaml)
  base=$(run "$work/$name-base" "${args[@]}")
  for kind in quiet loaded slowed; do
    n=$pairs
    [ $kind = slowed ] && n=1
    o=0 w=0
    for i in $(seq "$n"); do
      if [ $kind = loaded ]; then
        yes >/dev/null &
        burner=$!
      fi
      if [ $kind = slowed ]; then
        f=$(FIDRUN_INJECT_SLOWDOWN=0.2 run "$work/$name-$kind-$i" "${args[@]}")
      else
        f=$(run "$work/$name-$kind-$i" "${args[@]}")
      fi
      if [ -n "$burner" ]; then
        kill $burner
        wait $burner 2>/dev/null || true
        burner=
      fi
      o=$((o + $(verdict "$old" "$base" "$f")))
      nw=$(verdict ./fidrun "$base" "$f")
      w=$((w + nw))
      if [ "$nw" = 1 ] && [ $kind != slowed ]; then # what the new rules called, for the reader
        ./fidrun compare "$base" "$f" 2>&1 | grep ' REGRESSED ' | cut -c1-150 | sed "s/^/    $kind $i: /"
      fi
    done
    printf '%-26s %-7s %5d %11d %11d\n' "$name" $kind "$n" $o $w
    if [ $kind != slowed ]; then
      tot_old=$((tot_old + o)) tot_new=$((tot_new + w)) tot=$((tot + n))
    fi
  done
done
echo "false alarms over $tot quiet and loaded pairs: old rules ($old_commit) $tot_old, these rules $tot_new"
