#!/usr/bin/env bash
# Realized balance of the OSFT suite: for each partitioner at -np 1, 2, 4,
# the predicted imbalance (from the cost model), the measured one (busy
# time per rank) and how well predicted cost tracks task time (Pearson r).
#   tests/bench/realized.sh [CONFIG] [extra fidrun args]   (make bench-realized)
set -eu
cd "$(dirname "$0")/../.."
config=${1:-configs/smoke.yaml}
shift || true
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=true OPENBLAS_NUM_THREADS=1
work=$(mktemp -d /tmp/fidrun-realized.XXXXXX)
trap 'rm -rf "$work"' EXIT
printf '%-12s %3s %10s %10s %10s %9s\n' balance np predicted realized pearson_r wall_s
for algo in block lpt kk lpt+refine; do
  for np in 1 2 4; do
    dir="$work/$algo-$np"
    mpirun -np $np ./fidrun "$config" --set balance="$algo" --out "$dir" --quiet "$@" >/dev/null
    f=$(ls "$dir"/*.h5)
    attr() { h5dump -a "$1" "$f" | awk '/\(0\)/ {print $2}'; }
    r=$(attr /osft/cost_model_pearson_r)
    printf '%-12s %3d %10.3f %10.3f %10.3f %9.1f\n' "$algo" $np "$(attr /predicted_imbalance)" \
      "$(attr /realized_imbalance)" "$r" "$(attr /wall_seconds)"
  done
done
