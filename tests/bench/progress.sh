#!/usr/bin/env bash
# What live progress costs: the same run with the progress line drawn (a
# listener thread on rank 0 taking every rank's reports as they come) and
# with no progress at all, alternated PAIRS times; prints each pair's wall
# times and the median ratio (goal: at most 1.01), and the CPU time the
# listener thread used (recorded in the results file as progress_cpu_seconds).
#   tests/bench/progress.sh [CONFIG] [NP] [PAIRS]       (make bench-progress)
set -eu
cd "$(dirname "$0")/../.."
config=${1:-configs/smoke.yaml}
np=${2:-4}
pairs=${3:-5}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=true OPENBLAS_NUM_THREADS=1
work=$(mktemp -d /tmp/fidrun-progress.XXXXXX)
trap 'rm -rf "$work"' EXIT
attr() { h5dump -a "/$2" "$1" | awk '/\(0\)/ {print $2}'; }
echo "progress overhead: $config at -np $np, $pairs pairs (live line drawn vs --progress off)"
printf '%4s %10s %10s %7s %16s\n' pair live_s off_s ratio listener_cpu_s
ratios=() shares=()
for i in $(seq "$pairs"); do
  for mode in live off; do
    rm -rf "$work/$mode"
    mpirun -np "$np" ./fidrun "$config" --progress "$mode" --out "$work/$mode" >"$work/$mode.log"
  done
  l=$(attr "$work"/live/*.h5 wall_seconds)
  o=$(attr "$work"/off/*.h5 wall_seconds)
  c=$(attr "$work"/live/*.h5 progress_cpu_seconds)
  r=$(awk -v l="$l" -v o="$o" 'BEGIN {printf "%.4f", l / o}')
  ratios+=("$r")
  shares+=("$(awk -v c="$c" -v l="$l" 'BEGIN {printf "%.5f", c / l}')")
  printf '%4d %10.3f %10.3f %7s %16.4f\n' "$i" "$l" "$o" "$r" "$c"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}')
share=$(printf '%s\n' "${shares[@]}" | sort -g | tail -n1)
echo "median wall ratio live / off: $median (goal <= 1.01; wall times on a shared machine vary by a few %)"
echo "listener thread CPU / wall, worst pair: $share of one core (what the progress line costs rank 0)"
