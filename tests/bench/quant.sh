#!/usr/bin/env bash
# The quantization figures, measured side by side in one invocation:
#  1. GPTQ of 4096 x 4096 layers (4-bit, group 128): one layer alone, then two
#     layers on 1 rank and on 2 ranks (wall time and speedup), with RTN's and
#     GPTQ's output error and SQNR on the same weights and inputs;
#  2. the W4A16 dequant-matmul at batch 1 (GEMV) and 16 on Llama-3.1-8B
#     shapes and a 4096 square: GB/s, share of the STREAM-style copy
#     bandwidth measured in the same task, speed against fp32 BLAS, and the
#     fp16- against fp32-accumulation error.
#   tests/bench/quant.sh            (make bench-quant; the test Python in build/venv)
set -eu
cd "$(dirname "$0")/../.."
PY=${FIDRUN_TEST_PYTHON:-$PWD/build/venv/bin/python}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=true OPENBLAS_NUM_THREADS=1
work=$(mktemp -d /tmp/fidrun-bench-quant.XXXXXX)
trap 'rm -rf "$work"' EXIT
cat >"$work/gptq.yaml" <<'YAML'
name: bench-gptq
seed: 1234
suites:
  quant:
    layers:
      models: [meta-llama/Llama-3.1-8B]
      targets: [q_proj]
      sizes: [4096]
      methods: [rtn, gptq]
      bits: [4]
      group_sizes: [128]
      act_order: [false]
YAML
cat >"$work/kernels.yaml" <<'YAML'
name: bench-kernels
seed: 1234
suites:
  quant:
    kernels:
      repeats: 9
      copy_mib: 128
      studies:
        - {name: w4a16, models: [meta-llama/Llama-3.1-8B], targets: [q_proj, up_proj, down_proj], sizes: [4096],
           bits: [4], group_size: 128, batches: [1, 16], modes: [fp32]}
        - {name: accum, sizes: [4096], bits: [4], group_size: 128, batches: [1, 16], modes: [fp32, fp16]}
YAML
run() { # NP NAME CONFIG [args]: wall seconds of the run on stdout
  local np=$1 name=$2 config=$3
  shift 3
  local t0 t1
  t0=$(date +%s.%N)
  mpirun -np "$np" ./fidrun "$config" --out "$work/$name" --quiet "$@" >"$work/$name.log" 2>&1 ||
    { echo "bench: $name failed:" >&2; tail -n 20 "$work/$name.log" >&2; exit 1; }
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }'
}
one=$(run 1 one "$work/gptq.yaml" --only 'Llama-3.1-8B.q_proj gptq')
two1=$(run 1 two1 "$work/gptq.yaml" --only 'gptq')
two2=$(run 2 two2 "$work/gptq.yaml" --only 'gptq')
rtn=$(run 1 rtn "$work/gptq.yaml" --only 'rtn')
run 1 kernels "$work/kernels.yaml" >/dev/null
"$PY" - "$work" "$one" "$two1" "$two2" <<'PY'
import glob, sys
import h5py
work, one, two1, two2 = sys.argv[1], *map(float, sys.argv[2:])
def table(name, path):
    with h5py.File(glob.glob(f"{work}/{name}/*.h5")[0]) as f:
        return f[path][:]
print("GPTQ, 4096 x 4096, 4-bit, group 128, 4096 calibration tokens (synthetic, correlated, 8 outlier channels)")
for r in table("one", "/quant/layers"):
    print(f"  1 layer, 1 rank: Hessian {r['hessian_seconds']:.2f} s + GPTQ {r['quant_seconds']:.2f} s; run wall {one:.1f} s")
for r in table("rtn", "/quant/layers"):
    print(f"  RTN  {r['layer'].decode():22s} relative output error {r['rel_out_err']:.4e}  SQNR {r['sqnr_db']:.2f} dB")
for r in table("two1", "/quant/layers"):
    print(f"  GPTQ {r['layer'].decode():22s} relative output error {r['rel_out_err']:.4e}  SQNR {r['sqnr_db']:.2f} dB"
          f"  ({r['hessian_seconds'] + r['quant_seconds']:.2f} s)")
print(f"  2 layers: 1 rank {two1:.1f} s wall, 2 ranks {two2:.1f} s wall, speedup {two1 / two2:.2f}x")
print()
print("Dequant-matmul on this CPU, 4-bit group 128 (median of 9; copy = STREAM-style copy measured in the same task)")
print(f"  {'case':44s} {'GB/s':>6s} {'/copy':>6s} {'GFLOP/s':>8s} {'x fp32 BLAS':>11s} {'max|dy|':>9s} {'rel.mean':>9s}")
for r in table("kernels", "/quant/kernels"):
    print(f"  {r['name'].decode():44s} {r['gbytes_per_s']:6.2f} {r['bandwidth_ratio']:6.3f} {r['gflops']:8.2f}"
          f" {r['speedup_vs_blas']:11.2f} {r['max_abs_diff']:9.2e} {r['rel_mean_diff']:9.2e}")
PY
