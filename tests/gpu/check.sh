#!/usr/bin/env bash
# GPU verification of the CUDA backend, in one go on a GPU machine (sized
# for about 8 minutes on one H100, not yet timed): build, GPU unit tests,
# the OSFT sweep of Qwen2.5-1.5B on one rank beside torch.linalg.svd, the
# whole osft.yaml at -np 2 --device cuda (CPU cross-check, broadcast of the
# factors), a quick run of every SVD driver in both precisions, the quant
# smoke suite with GPTQ on the GPU cross-checked against the CPU, GPTQ of a
# 4096x4096 layer beside torch, and every figure printed.
# Results files and logs go to $OUT (default results/gpu-check).
#   usage: bash tests/gpu/check.sh            (on the GPU machine; with the device
#                                              tool: ../shared/gpu-host/pack.sh libcmocka0
#                                              libcmocka-dev here first, then in the run
#                                              source .device/setup.sh && bash tests/gpu/check.sh)
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
make -j"$(nproc)" fidrun $H5 >"$OUT/build.log" 2>&1 || {
  tail -n 30 "$OUT/build.log"
  echo "build failed"
  exit 3
}
# the unit tests need cmocka, which a GPU host may lack: pack it along
# (../shared/gpu-host/pack.sh libcmocka0 libcmocka-dev)
make -j"$(nproc)" build/tests/test_gpu build/tests/test_factors >>"$OUT/build.log" 2>&1 ||
  fail "the GPU unit tests did not build (cmocka missing?): $(grep -m1 -i error "$OUT/build.log")"
make --no-print-directory found
grep -ci 'warning' "$OUT/build.log" | sed 's/^/build warnings: /'
./fidrun --version

step "GPU unit tests (CUDA backend against the CPU reference)"
if [ -x build/tests/test_gpu ]; then
  build/tests/test_factors | tail -n 2
  gpu_log=$OUT/test_gpu.log
  build/tests/test_gpu >"$gpu_log" 2>&1
  rc=$?
  grep -E '^\[  (PASSED|FAILED|SKIPPED) \]|no GPU|fail' "$gpu_log"
  if [ $rc -ne 0 ]; then fail "GPU unit tests exit $rc"; fi
  if [ "$DEVICE" = cuda ] && grep -q 'SKIPPED \]' "$gpu_log"; then fail "GPU unit tests skipped on a GPU machine"; fi
fi

# The one-rank sweep twice: one matrix at a time (clean per-call SVD times
# for the torch comparison), then with small matrices overlapped on 4 lanes.
for lanes in 1 4; do
  step "OSFT sweep on one rank: $CONFIG --device $DEVICE, gpu_lanes $lanes, no cross-check, no broadcast"
  mkdir -p "$OUT/sweep$lanes"
  mpirun -np 1 ./fidrun "$CONFIG" --device "$DEVICE" --out "$OUT/sweep$lanes" --set suites.osft.gpu_lanes=$lanes \
    --set suites.osft.cross_check_every=0 --set suites.osft.broadcast=off 2>&1 | tee "$OUT/sweep$lanes.log" |
    grep -Ev '^\[ *[0-9]+/'
  [ "${PIPESTATUS[0]}" -eq 0 ] || fail "one-rank sweep, gpu_lanes $lanes"
done
sweep=$(newest "$OUT/sweep1")
sweep4=$(newest "$OUT/sweep4")
if [ -n "$sweep" ] && [ -n "$sweep4" ]; then
  $H5 csv "$sweep" osft >"$OUT/sweep-matrices.csv"
  $H5 csv "$sweep4" osft >"$OUT/sweep4-matrices.csv"
  python3 - "$OUT/sweep-matrices.csv" "$OUT/sweep4-matrices.csv" <<'PY'
import csv, sys
def load(p):
    return list(csv.DictReader(open(p)))
one, four = load(sys.argv[1]), load(sys.argv[2])
def total(rows, col, small=None):
    return sum(float(r[col]) for r in rows if small is None or (int(r["rows"]) * int(r["cols"]) <= 4 << 20) == small)
print("overlap of small matrices (sum of per-matrix task times, weight generation included):")
for small in (True, False):
    print(f"  {'small' if small else 'large'} matrices: gpu_lanes 1 {total(one, 'task_seconds', small):.2f} s, "
          f"gpu_lanes 4 {total(four, 'task_seconds', small):.2f} s (task times overlap with 4 lanes: compare walls)")
print(f"  SVD calls: gpu_lanes 1 {total(one, 'svd_seconds'):.3f} s, gpu_lanes 4 {total(four, 'svd_seconds'):.3f} s")
PY
  for f in "$sweep" "$sweep4"; do echo "  wall of $(basename "$f"): $($H5 attr "$f" wall_seconds) s"; done
fi

step "torch.linalg.svd on the same shapes and spectra (against the gpu_lanes 1 sweep)"
if [ -n "$sweep" ] && python3 -c 'import torch' 2>/dev/null; then
  # the goal is a GPU's; on a CPU the comparison is printed, not judged
  python3 tests/gpu/torch_osft.py "$OUT/sweep-matrices.csv" --device "$DEVICE" ||
    { [ "$DEVICE" = cuda ] && fail "torch comparison (goal or ratios)"; }
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

step "every SVD driver, float32 and float64, on layer 0 of $SMOKE at -np 2, every matrix cross-checked"
for dt in float32 float64; do
  for drv in gesvd gesvdj gesvdp auto; do
    line=$(mpirun -np 2 ./fidrun $SMOKE --device "$DEVICE" --out "$OUT/drivers" -q --only 'model.layers.0.*' \
      --set suites.osft.dtype=$dt --set suites.osft.svd_driver=$drv --set suites.osft.cross_check_every=1 2>&1 |
      tail -n 1)
    rc=${PIPESTATUS[0]}
    echo "  $dt $drv: $line"
    [ "$rc" -eq 0 ] || fail "smoke $dt $drv (exit $rc)"
  done
done
rm -rf "$OUT/drivers"

step "the quant suite on $DEVICE: configs/quant-smoke.yaml at -np 2, every GPTQ layer cross-checked against the CPU"
mkdir -p "$OUT/quant"
mpirun -np 2 ./fidrun configs/quant-smoke.yaml --device "$DEVICE" --out "$OUT/quant" \
  --set suites.quant.layers.cross_check_every=1 2>&1 | tee "$OUT/quant.log" | grep -Ev '^\[ *[0-9]+/'
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "quant-smoke.yaml at -np 2 --device $DEVICE"

step "dequant-matmul kernels on $DEVICE: configs/quant-kernels.yaml on one rank (alone on the GPU, for clean timings)"
mkdir -p "$OUT/kernels"
only=()
[ "$DEVICE" = cpu ] && only=(--only 'squares/square-1024*') # the CPU plumbing check: one small shape
mpirun -np 1 ./fidrun configs/quant-kernels.yaml --device "$DEVICE" --out "$OUT/kernels" "${only[@]}" 2>&1 |
  tee "$OUT/kernels.log" | grep -Ev '^\[ *[0-9]+/'
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "quant-kernels.yaml --device $DEVICE"
kern=$(newest "$OUT/kernels")
if [ -n "$kern" ]; then
  $H5 csv "$kern" quant/kernels >"$OUT/kernels.csv"
  python3 - "$OUT/kernels.csv" "$DEVICE" <<'PY' || { [ "$DEVICE" = cuda ] && fail "kernel goals"; }
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print(f"  {'kernel':44} {'GB/s':>8} {'of copy':>8} {'TFLOP/s':>8} {'vs cuBLAS':>9}  isa")
for r in rows:
    print(f"  {r['name'].strip(chr(34)):44} {float(r['gbytes_per_s']):8.1f} {float(r['bandwidth_ratio']):8.2f} "
          f"{float(r['gflops']) / 1e3:8.2f} {float(r['speedup_vs_blas']):8.2f}x  {r['isa'].strip(chr(34))}")
big = lambda r: int(r["rows"]) * int(r["cols"]) >= 4096 * 4096
gemv = [r for r in rows if r["batch"] == "1" and r["bits"] == "4" and big(r)]
gemm = [r for r in rows if r["batch"] == "16" and r["bits"] == "4"]
ok = True
if gemv:
    worst = min(float(r["bandwidth_ratio"]) for r in gemv)
    good = worst >= 0.85
    ok &= good
    print(f"  goal: W4A16 GEMV at batch 1 >= 85% of copy bandwidth on the large shapes: worst {worst:.2f} "
          f"{'PASSED' if good else 'FAILED'}")
if gemm:
    worst = min(float(r["speedup_vs_blas"]) for r in gemm)
    good = worst >= 3
    ok &= good
    print(f"  goal: W4A16 GEMM at batch 16 >= 3x cuBLAS fp16: worst {worst:.2f}x {'PASSED' if good else 'FAILED'}")
sys.exit(0 if ok else 1)
PY
fi

step "GPTQ of a 4096x4096 layer (4-bit, group 128): fidrun gptq --device $DEVICE beside the same algorithm in torch"
if python3 -c 'import torch' 2>/dev/null; then
  if [ "$DEVICE" = cuda ]; then
    python3 tests/gpu/torch_gptq.py --device cuda || fail "GPTQ against torch (goal or error)"
  else # the same script on a smaller layer: the goal is a GPU's, printed not judged
    python3 tests/gpu/torch_gptq.py --device cpu --out 512 --in 1024 --tokens 2048 || true
  fi
else
  echo "skipped: no torch"
  [ "$DEVICE" = cuda ] && fail "GPTQ against torch did not run"
fi

step "the whole quant study: configs/quant.yaml at -np 2 --device $DEVICE (at most ${QUANT_LIMIT:-240} s here)"
if [ "$DEVICE" = cuda ]; then
  mkdir -p "$OUT/quantfull"
  timeout "${QUANT_LIMIT:-240}" mpirun -np 2 ./fidrun configs/quant.yaml --device cuda --out "$OUT/quantfull" 2>&1 |
    tee "$OUT/quantfull.log" | grep -Ev '^\[ *[0-9]+/' | tail -n 40
  rc=${PIPESTATUS[0]}
  if [ "$rc" -eq 124 ]; then echo "stopped after ${QUANT_LIMIT:-240} s (the check's time budget); run it alone for its figures"
  elif [ "$rc" -ne 0 ]; then fail "quant.yaml at -np 2 --device cuda (exit $rc)"; fi
else
  echo "skipped on the CPU (make bench-quant measures it there)"
fi

step "summary"
for f in "$sweep" "$sweep4" "$np2" "$(newest "$OUT/quant")" "$kern"; do [ -n "$f" ] && echo "results: $f"; done
if [ $failed -eq 0 ]; then echo "GPU CHECK PASSED"; else echo "GPU CHECK: $failed step(s) FAILED"; fi
[ $failed -eq 0 ]
