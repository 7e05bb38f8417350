#!/usr/bin/env bash
# GPU verification of the CUDA backend, in one go on a GPU machine (about 8
# minutes on one H100): build, GPU unit tests, the OSFT sweep of
# Qwen2.5-1.5B on one rank beside torch.linalg.svd, the whole osft.yaml at
# -np 2 --device cuda (CPU cross-check, broadcast of the factors), a quick
# run of every SVD driver in both precisions, and every figure printed.
# Results files and logs go to $OUT (default results/gpu-check).
#   usage: bash tests/gpu/check.sh            (on the GPU machine)
#          DEVICE=cpu CONFIG=configs/smoke.yaml bash tests/gpu/check.sh
#                                             (the same plumbing on a CPU, for testing the script)
set -u
cd "$(dirname "$0")/../.."
OUT=${OUT:-results/gpu-check}
DEVICE=${DEVICE:-cuda}
CONFIG=${CONFIG:-configs/osft.yaml}
SMOKE=configs/smoke.yaml
mkdir -p "$OUT"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=true OPENBLAS_NUM_THREADS=1
failed=0
step() { printf '\n== %s (%s)\n' "$1" "$(date +%T)"; }
fail() { echo "CHECK FAILED: $1"; failed=$((failed + 1)); }
newest() { ls -t "$1"/*.h5 2>/dev/null | head -n1; }
H5=build/tests/h5records

step "machine"
nvidia-smi --query-gpu=index,name,pci.bus_id,memory.total,driver_version --format=csv 2>&1 || echo "no nvidia-smi"
nproc

step "build"
make -j"$(nproc)" fidrun build/tests/test_gpu build/tests/test_factors $H5 >"$OUT/build.log" 2>&1 || {
  tail -n 30 "$OUT/build.log"
  echo "build failed"
  exit 3
}
make --no-print-directory found
grep -ci 'warning' "$OUT/build.log" | sed 's/^/build warnings: /'
./fidrun --version

step "GPU unit tests (CUDA backend against the CPU reference)"
build/tests/test_factors | tail -n 2
gpu_log=$OUT/test_gpu.log
build/tests/test_gpu >"$gpu_log" 2>&1
rc=$?
grep -E '^\[  (PASSED|FAILED|SKIPPED) \]|no GPU|fail' "$gpu_log"
if [ $rc -ne 0 ]; then fail "GPU unit tests exit $rc"; fi
if [ "$DEVICE" = cuda ] && grep -q 'SKIPPED \]' "$gpu_log"; then fail "GPU unit tests skipped on a GPU machine"; fi

step "OSFT sweep on one rank: $CONFIG --device $DEVICE, no cross-check, no broadcast"
mkdir -p "$OUT/sweep"
mpirun -np 1 ./fidrun "$CONFIG" --device "$DEVICE" --out "$OUT/sweep" \
  --set suites.osft.cross_check_every=0 --set suites.osft.broadcast=off 2>&1 | tee "$OUT/sweep.log" |
  grep -Ev '^\[ *[0-9]+/'
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "one-rank sweep"
sweep=$(newest "$OUT/sweep")

step "torch.linalg.svd on the same shapes and spectra"
if [ -n "$sweep" ] && python3 -c 'import torch' 2>/dev/null; then
  $H5 csv "$sweep" osft >"$OUT/sweep-matrices.csv"
  python3 tests/gpu/torch_osft.py "$OUT/sweep-matrices.csv" --device "$DEVICE" ||
    fail "torch comparison (goal or ratios)"
else
  echo "skipped: no torch, or no sweep results"
  [ "$DEVICE" = cuda ] && fail "torch comparison did not run"
fi

step "$CONFIG at -np 2 --device $DEVICE (CPU cross-check every 16th matrix, broadcast of the factors)"
mkdir -p "$OUT/np2"
mpirun -np 2 ./fidrun "$CONFIG" --device "$DEVICE" --out "$OUT/np2" 2>&1 | tee "$OUT/np2.log" |
  grep -Ev '^\[ *[0-9]+/'
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "$CONFIG at -np 2"
np2=$(newest "$OUT/np2")
[ -n "$np2" ] && $H5 csv "$np2" osft/broadcast

step "every SVD driver, float32 and float64, on $SMOKE at -np 2"
for dt in float32 float64; do
  for drv in gesvd gesvdj gesvdp auto; do
    line=$(mpirun -np 2 ./fidrun $SMOKE --device "$DEVICE" --out "$OUT/drivers" -q \
      --set suites.osft.dtype=$dt --set suites.osft.svd_driver=$drv --set suites.osft.cross_check_every=1 2>&1 |
      tail -n 1)
    rc=${PIPESTATUS[0]}
    echo "  $dt $drv: $line"
    [ "$rc" -eq 0 ] || fail "smoke $dt $drv (exit $rc)"
  done
done
rm -rf "$OUT/drivers"

step "summary"
for f in "$sweep" "$np2"; do [ -n "$f" ] && echo "results: $f"; done
if [ $failed -eq 0 ]; then echo "GPU CHECK PASSED"; else echo "GPU CHECK: $failed step(s) FAILED"; fi
[ $failed -eq 0 ]
