#!/usr/bin/env bash
# make bench-dsvd: one 151936 x 1536 float32 matrix (Qwen2.5-1.5B's tied
# embedding's shape) decomposed by OSFT at -np 1 (LAPACK gesdd, whole) and
# -np 2 (TSQR, then ScaLAPACK p?gesvd), side by side in one go. Prints each
# run's wall, SVD time and peak resident memory per rank, and the ratios
# against -np 1 (goals: wall <= 0.55, peak RSS per rank <= 0.6).
#   tests/bench/dsvd.sh [ROWS [COLS]]     (default 151936 1536)
set -u
cd "$(dirname "$0")/../.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=true OPENBLAS_NUM_THREADS=1
rows=${1:-151936} cols=${2:-1536}
PY=${FIDRUN_TEST_PYTHON:-$PWD/build/venv/bin/python}
dir=build/bench/dsvd
mkdir -p "$dir/model"
model=$dir/model/model.safetensors
if [ ! -f "$model" ] || [ "$(cat "$dir/model/shape" 2>/dev/null)" != "$rows $cols" ]; then
  echo "bench-dsvd: writing a $rows x $cols float32 embedding to $model"
  "$PY" - "$model" "$rows" "$cols" <<'EOF' || exit 1
import sys, numpy as np
from safetensors.numpy import save_file
path, m, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(1536)
w = rng.standard_normal((m, n), dtype=np.float32) * np.float32(0.02)
for k in range(8):  # a decaying spectrum above the noise, as trained embeddings have
    w += np.float32(0.02 * 4 * 0.7 ** k * (np.sqrt(m) + np.sqrt(n))) * np.outer(
        rng.standard_normal(m).astype(np.float32) / np.float32(np.sqrt(m)),
        rng.standard_normal(n).astype(np.float32) / np.float32(np.sqrt(n)))
save_file({"model.embed_tokens.weight": w}, path)
EOF
  echo "$rows $cols" >"$dir/model/shape"
fi
cat >"$dir/dsvd.yaml" <<EOF
name: bench-dsvd
output: $dir/out
suites:
  osft:
    source: checkpoint
    path: $dir/model
    targets: [model.embed_tokens.weight]
    distribute_above_mib: 1
    cross_check_every: 0
    broadcast: off
EOF
run() { # NAME NP METHOD
  local log=$dir/$1.log t0 t1
  t0=$(date +%s.%N)
  timeout "${BENCH_DSVD_LIMIT:-900}" mpirun -np "$2" ./fidrun "$dir/dsvd.yaml" --out "$dir/$1" -q --fresh \
    --set suites.osft.distributed_svd="$3" >"$log" 2>&1
  local rc=$?
  t1=$(date +%s.%N)
  echo "$1 $rc $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}') $(ls -t "$dir/$1"/*.h5 2>/dev/null | head -n1)" >>"$dir/runs"
  [ $rc -eq 0 ] || { echo "bench-dsvd: $1 ended with exit $rc (log $log)"; tail -n 5 "$log"; }
}
rm -f "$dir/runs"
run np1 1 auto
run np2-tsqr 2 tsqr
run np2-scalapack 2 scalapack
"$PY" - "$dir/runs" "$rows" "$cols" <<'EOF'
import sys, h5py
runs = {}
for line in open(sys.argv[1]):
    name, rc, wall, *path = line.split()
    row = None
    if path:
        with h5py.File(path[0]) as f:
            row = f["/osft/matrices"][()][0]
    runs[name] = (int(rc), float(wall), row)
print(f"bench-dsvd: {sys.argv[2]} x {sys.argv[3]} float32, OSFT split, 2 cores")
print(f"  {'run':<16} {'exit':>4} {'wall s':>8} {'task s':>8} {'svd s':>8} {'peak RSS/rank':>14} {'MB sent':>8}  ratios")
base = runs.get("np1")
for name, (rc, wall, row) in runs.items():
    if row is None:
        print(f"  {name:<16} {rc:>4} {wall:>8.1f}   (no results)")
        continue
    task, svd, rss, sent = row["task_seconds"], row["svd_seconds"], row["peak_rss_mib"], row["bytes_sent"] / 1e6
    ratio = ""
    if base and base[2] is not None and name != "np1":
        b = base[2]
        ratio = (f"task {task / b['task_seconds']:.2f}x np1 (goal <= 0.55) · "
                 f"peak RSS {rss / b['peak_rss_mib']:.2f}x np1 (goal <= 0.6)")
    print(f"  {name:<16} {rc:>4} {wall:>8.1f} {task:>8.1f} {svd:>8.1f} {rss:>10.0f} MiB {sent:>8.1f}  {ratio}")
    print(f"  {'':<16} max|W-W'| {row['max_abs_err']:.2e} · resid {row['resid_ratio']:.3f} · "
          f"orth U {row['orth_u_ratio']:.3f} V {row['orth_v_ratio']:.3f} · pass {row['pass']}")
if "np2-tsqr" in runs and "np2-scalapack" in runs and runs["np2-tsqr"][2] is not None and runs["np2-scalapack"][2] is not None:
    t, s = runs["np2-tsqr"][2], runs["np2-scalapack"][2]
    print(f"  TSQR against p?gesvd at -np 2: svd {t['svd_seconds']:.1f} s vs {s['svd_seconds']:.1f} s "
          f"({s['svd_seconds'] / t['svd_seconds']:.2f}x), bytes sent {t['bytes_sent'] / 1e6:.1f} vs {s['bytes_sent'] / 1e6:.1f} MB")
EOF
